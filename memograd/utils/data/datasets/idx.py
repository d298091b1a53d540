"""Reading IDX files, the format MNIST and Fashion-MNIST ship in (raw or gzipped).

Layout: two zero bytes, a type code, the number of dimensions, then each dimension as a
big-endian uint32, then the values, big-endian, in C order.

The header says how many bytes of data follow, so the reader checks that size against what
the file could hold (its size, or for a .gz file the most that deflate can expand it to) and
against free memory before reading, then streams exactly that many bytes (plus one, to catch
extra data): a small .gz that expands to gigabytes is refused after reading no more than its
header promised."""
from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from ...safe_io import available_memory, file_size, format_bytes, open_regular

# IDX type code -> big-endian NumPy dtype.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
# Deflate expands at most about 1032:1; a .gz claiming more than this cannot be genuine.
MAX_GZIP_RATIO = 1100


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (bad magic, wrong size, truncated)."""


def _read_exactly(f, n: int, path, what: str) -> bytes:
    data = f.read(n)
    if len(data) < n:
        raise IDXError(f"{path}: truncated {what} ({len(data)} bytes, expected {n})")
    return data


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """The array stored in IDX file `path` (native byte order); `ndim` checks its rank.

    >>> images = read_idx("data/train-images-idx3-ubyte.gz", ndim=3)   # (60000, 28, 28) uint8
    """
    compressed = str(path).endswith(".gz")
    with open_regular(path, "IDX file", IDXError) as raw_file:
        stored = file_size(raw_file)
        try:
            f = gzip.GzipFile(fileobj=raw_file, mode="rb") if compressed else raw_file
            return _read(f, path, ndim, stored, compressed)
        except (OSError, EOFError, zlib.error) as err:
            raise IDXError(f"{path}: cannot read the file ({err}); is it a complete, uncorrupted download?") from None


def _read(f, path, ndim, stored: int, compressed: bool) -> np.ndarray:
    head = f.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise IDXError(f"{path}: not an IDX file (bad magic number {head.hex() or 'empty'})")
    code, rank = head[2], head[3]
    if code not in IDX_DTYPES:
        raise IDXError(f"{path}: unknown IDX type code 0x{code:02x}")
    if ndim is not None and rank != ndim:
        raise IDXError(f"{path}: expected an IDX file with {ndim} dimensions, found {rank}")
    dims = f.read(4 * rank)
    if len(dims) < 4 * rank:
        raise IDXError(f"{path}: truncated header ({4 + len(dims)} bytes, expected at least {4 + 4 * rank})")
    shape = tuple(int.from_bytes(dims[i:i + 4], "big") for i in range(0, 4 * rank, 4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    _check_declared_size(path, shape, expected, 4 + 4 * rank, stored, compressed)
    data = f.read(expected + 1)  # one byte more than declared tells "trailing bytes" from a clean end
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else (
            "expands beyond its header's declared size" if compressed else "has trailing bytes")
        found = f"{len(data)}" if len(data) <= expected else f"more than {expected}"
        raise IDXError(f"{path}: {kind}: shape {shape} needs {expected} bytes of data, found {found}")
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _check_declared_size(path, shape, expected: int, header: int, stored: int, compressed: bool) -> None:
    """Refuse, before reading, data the header declares but the file cannot hold or memory cannot take."""
    if not compressed and header + expected != stored:
        kind = "truncated" if header + expected > stored else "has trailing bytes"
        raise IDXError(f"{path}: {kind}: shape {shape} needs {expected} bytes of data, found {stored - header}")
    if compressed and expected > MAX_GZIP_RATIO * stored + 1024:
        raise IDXError(f"{path}: its header declares shape {shape} ({format_bytes(expected)}), more than a "
                       f"gzip file of {format_bytes(stored)} can hold; the file is corrupt or malicious")
    free = available_memory()
    if free is not None and expected > free:
        raise IDXError(f"{path}: its header declares shape {shape} ({format_bytes(expected)}), more than the "
                       f"{format_bytes(free)} of memory available")
