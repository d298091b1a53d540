"""The inputs `memograd predict` reads: a .npy or .npz array, or an image, checked so that it
answers only what it can answer.

Accepted: one sample or a batch of samples of the model's input shape, numeric, finite, at
least one sample. A sample may also be written without its leading size-1 axes (an 8x8 image
for inputs of shape (1, 8, 8)) or as a flat vector of the right length; anything else (a shape
that merely has the right number of values, NaN/inf, an empty batch, strings) is refused with
the file named, as is a file that is not a regular file or too large. Images are decoded only
when their pixel count is within budget."""
from __future__ import annotations

import contextlib
import math
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..utils.safe_io import file_size, format_bytes, open_regular

MAX_INPUT_BYTES = 1 << 30            # the largest array predict reads (as float32, 256M values)
MAX_IMAGE_PIXELS = 40_000_000        # decoded at most; PIL's own bomb limit is 89M (warning) / 179M (error)
_NUMERIC_KINDS = "biuf"


def sample_shapes(input_shape: tuple) -> list[tuple]:
    """The shapes one sample may have: the model's, without leading 1s, and flat."""
    shapes = [tuple(input_shape)]
    trimmed = tuple(input_shape)
    while len(trimmed) > 1 and trimmed[0] == 1:
        trimmed = trimmed[1:]
        shapes.append(trimmed)
    flat = (math.prod(input_shape),)
    if flat not in shapes:
        shapes.append(flat)
    return shapes


def as_batch(array: np.ndarray, input_shape: tuple, where) -> np.ndarray:
    """`array` as a float32 batch (N,) + input_shape, or ValueError saying why it cannot be one."""
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"{where}: holds values of dtype {array.dtype}; predict needs numbers")
    shapes = sample_shapes(input_shape)
    if array.shape in shapes:
        count = 1
    elif array.ndim >= 1 and array.shape[1:] in shapes:
        count = array.shape[0]
    else:
        forms = " or ".join(str(s) for s in shapes)
        raise ValueError(f"{where}: an array of shape {array.shape} is neither one input of shape {forms} nor a "
                         f"batch (N, ...) of them")
    if count == 0:
        raise ValueError(f"{where}: holds no samples (shape {array.shape})")
    with np.errstate(over="ignore", invalid="ignore"):
        batch = np.asarray(array, dtype=np.float32).reshape((count,) + tuple(input_shape))
    finite = np.isfinite(batch)
    if not finite.all():
        first = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{where}: holds {int(finite.size - finite.sum())} NaN or infinite values (or values too "
                         f"large for float32), the first at index {first}; inputs must be finite")
    return batch


def read_input(path: str | Path, input_shape: tuple) -> np.ndarray:
    """A checked float32 batch shaped (N,) + input_shape, from .npy, .npz (its first array) or an image."""
    path = Path(path)
    with open_regular(path, "input file") as f:
        size = file_size(f)
        if size > MAX_INPUT_BYTES:
            raise ValueError(f"{path}: {format_bytes(size)} is more than predict reads "
                             f"({format_bytes(MAX_INPUT_BYTES)})")
        suffix = path.suffix.lower()
        if suffix == ".npy":
            array = read_npy(f, size, path)
        elif suffix == ".npz":
            array = read_npz(f, path)
        else:
            array = read_image(f, path, input_shape)
    return as_batch(array, input_shape, path)


def read_npy(f, size: int, where) -> np.ndarray:
    """An array from an open .npy file, its header checked against the file's size before reading."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except Exception as err:  # noqa: BLE001 - NumPy parses the untrusted header text; any failure means unreadable
        raise ValueError(f"{where}: not a readable .npy file ({type(err).__name__}: {err})") from None
    if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"{where}: holds values of dtype {dtype}; predict needs numbers")
    needed = math.prod(shape) * dtype.itemsize
    if size is not None and f.tell() + needed != size:
        raise ValueError(f"{where}: its header declares shape {shape} of {dtype} ({needed:,} bytes) but the file "
                         f"holds {size - f.tell():,} bytes of data (truncated or corrupt)")
    if needed > MAX_INPUT_BYTES:
        raise ValueError(f"{where}: an array of {format_bytes(needed)} is more than predict reads")
    data = f.read(needed)
    array = np.frombuffer(data, dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran else "C")


def read_npz(f, where) -> np.ndarray:
    """The first array of an open .npz archive, its declared size checked before it is inflated."""
    try:
        with zipfile.ZipFile(f) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".npy")]
            if not members:
                raise ValueError(f"{where} holds no arrays")
            info = members[0]
            if info.file_size > MAX_INPUT_BYTES:
                raise ValueError(f"{where}: array {info.filename!r} inflates to {format_bytes(info.file_size)}, "
                                 f"more than predict reads ({format_bytes(MAX_INPUT_BYTES)})")
            with archive.open(info) as member:
                return read_npy(_Reader(member), info.file_size, f"{where} ({info.filename})")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as err:
        raise ValueError(f"{where}: not a readable .npz file ({err})") from None


class _Reader:
    """A zip member with the `tell` the .npy reader uses (counting what was read)."""

    def __init__(self, member):
        self.member, self.position = member, 0

    def read(self, n: int = -1) -> bytes:
        data = self.member.read(n)
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position


def read_image(f, where, input_shape: tuple) -> np.ndarray:
    """A grayscale image resized to the model's input and scaled to [0, 1]; dark-on-light
    images are inverted, since the built-in digits are light strokes on black. The pixel
    count is read from the header and checked before anything is decoded."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        raise RuntimeError("reading images needs Pillow: pip install pillow") from None
    if len(input_shape) != 3:
        raise ValueError(f"{where}: this model takes inputs of shape {input_shape}, not images; give an .npy file")
    _, height, width = input_shape
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(f)  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise ValueError(f"{where}: the image is larger than predict decodes ({err})") from None
        except UnidentifiedImageError:
            raise ValueError(f"{where} is not an image, .npy or .npz file") from None
        except (OSError, SyntaxError, EOFError, ValueError) as err:
            raise ValueError(f"{where}: cannot read the image ({err})") from None
    with contextlib.closing(image):
        pixels = image.width * image.height
        if pixels > MAX_IMAGE_PIXELS:
            raise ValueError(f"{where}: a {image.width}x{image.height} image ({pixels:,} pixels) is larger than "
                             f"predict decodes ({MAX_IMAGE_PIXELS:,} pixels); shrink it first")
        try:
            gray = image.convert("L").resize((width, height))
        except (OSError, SyntaxError, EOFError, ValueError) as err:  # truncated or corrupt image data
            raise ValueError(f"{where}: cannot decode the image ({err})") from None
    array = np.asarray(gray, dtype=np.float32) / 255.0
    if array.mean() > 0.5:
        array = 1.0 - array
    return array[None]
