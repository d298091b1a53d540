"""Reading IDX files, the format MNIST and Fashion-MNIST ship in (raw or gzipped).

Layout: two zero bytes, a type code, the number of dimensions, then each dimension as a
big-endian uint32, then the values, big-endian, in C order."""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

# IDX type code -> big-endian NumPy dtype.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (bad magic, wrong size, truncated)."""


def _read_bytes(path: str) -> bytes:
    try:
        if str(path).endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise IDXError(f"{path}: cannot read the file ({err}); is it a complete, uncorrupted download?") from err


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """The array stored in IDX file `path` (native byte order); `ndim` checks its rank.

    >>> images = read_idx("data/train-images-idx3-ubyte.gz", ndim=3)   # (60000, 28, 28) uint8
    """
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    code, rank = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise IDXError(f"{path}: unknown IDX type code 0x{code:02x}")
    if ndim is not None and rank != ndim:
        raise IDXError(f"{path}: expected an IDX file with {ndim} dimensions, found {rank}")
    header = 4 + 4 * rank
    if len(raw) < header:
        raise IDXError(f"{path}: truncated header ({len(raw)} bytes, expected at least {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=rank, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        kind = "truncated" if found < expected else "has trailing bytes"
        raise IDXError(f"{path}: {kind}: shape {shape} needs {expected} bytes of data, found {found}")
    array = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))
