"""Bytes <-> (arrays, metadata) in the safetensors format, read and written here in NumPy.

The layout: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name
to {dtype, shape, data_offsets} (plus "__metadata__", string -> string), then the data, each
tensor's bytes little-endian in C order, the tensors back to back with no gap or overlap.

Reading trusts nothing in the file: the header is bounded in size and nesting and checked entry
by entry before any tensor is made, every tensor must lie inside the file and the tensors must
tile the data exactly (so the arrays made never hold more bytes than the file; BF16 becomes
float32, twice its bytes). A file that breaks a rule raises CheckpointError naming the file and,
when one entry is at fault, its key. Writing is deterministic: the same content gives the same
bytes, whatever the process (sorted metadata, tensors ordered by alignment then name, compact
JSON padded with spaces to a multiple of 8 bytes, as the safetensors library writes it)."""
from __future__ import annotations

import json
import math

import numpy as np

from ..utils.safe_io import loads_json
from .errors import CheckpointError, ForeignFileError
from .foreign import describe_foreign

# safetensors dtype name -> little-endian NumPy dtype; BF16 (no NumPy dtype) is read as float32.
DTYPES = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "U16": "<u2", "F16": "<f2", "BF16": "<u2",
          "I32": "<i4", "U32": "<u4", "F32": "<f4", "I64": "<i8", "U64": "<u8", "F64": "<f8"}
_NAMES = {np.dtype(code).newbyteorder("=").str[1:]: name for name, code in DTYPES.items() if name != "BF16"}
MAX_HEADER_BYTES = 100_000_000  # as the safetensors library
_MAX_HEADER_DEPTH = 3            # {name: {"shape": [...]}}


def to_bytes(arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The safetensors bytes of `arrays` (little-endian, contiguous) and string `metadata`."""
    order = sorted(arrays, key=lambda name: (-arrays[name].dtype.itemsize, name))  # aligned, as safetensors
    header: dict = {"__metadata__": dict(sorted(metadata.items()))} if metadata else {}
    offset = 0
    for name in order:
        array = arrays[name]
        header[name] = {"dtype": _NAMES[array.dtype.str[1:]], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    chunks = [len(text).to_bytes(8, "little"), text]
    chunks += [np.asarray(arrays[name], dtype=arrays[name].dtype.newbyteorder("<"), order="C").tobytes()
               for name in order]
    return b"".join(chunks)


def read_header(raw: bytes, where: str) -> dict:
    """The parsed and checked header of the safetensors bytes `raw` (from file `where`)."""
    if len(raw) < 8:
        raise CheckpointError(f"{where}: not a safetensors file ({len(raw)} bytes; truncated or empty?)")
    size = int.from_bytes(raw[:8], "little")
    if size > len(raw) - 8:
        raise CheckpointError(f"{where}: not a safetensors file, or truncated: the header claims {size} bytes "
                              f"but the file holds {len(raw)}")
    if size > MAX_HEADER_BYTES:
        raise CheckpointError(f"{where}: its header of {size:,} bytes is larger than safetensors allows "
                              f"({MAX_HEADER_BYTES:,})")
    text = bytes(raw[8:8 + size])
    if not text.startswith(b"{"):
        raise CheckpointError(f"{where}: not a safetensors file (its header is not a JSON object)")
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CheckpointError(f"{where}: not a safetensors file (its header is not UTF-8: {err})") from None
    header = loads_json(text, _MAX_HEADER_DEPTH, f"{where}: not a safetensors file (header)", CheckpointError)
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: not a safetensors file (its header is not a JSON object)")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{where}: __metadata__ must map strings to strings")
    data_size = len(raw) - 8 - size
    spans = sorted((_check_entry(key, entry, data_size, where), key) for key, entry in header.items()
                   if key != "__metadata__")
    _check_tiling(spans, data_size, where)
    return header


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_entry(key: str, entry, data_size: int, where: str) -> tuple:
    """(start, end) of one tensor's bytes, after checking its entry."""
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise CheckpointError(f"{where}: tensor {key!r} has a malformed header entry {_short(entry)}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise CheckpointError(f"{where}: tensor {key!r} has dtype {_short(dtype)}, which memograd does not read "
                              f"(it reads {', '.join(DTYPES)})")
    if not isinstance(shape, list) or not all(_is_int(n) and n >= 0 for n in shape):
        raise CheckpointError(f"{where}: tensor {key!r} has shape {_short(shape)}; a shape is a list of "
                              "non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(n) for n in offsets)):
        raise CheckpointError(f"{where}: tensor {key!r} has data_offsets {_short(offsets)}; expected two integers")
    start, end = offsets
    if not 0 <= start <= end:
        raise CheckpointError(f"{where}: tensor {key!r} has bad data offsets {[start, end]}")
    if end > data_size:
        raise CheckpointError(f"{where}: tensor {key!r} ends at data byte {end} but the file holds only "
                              f"{data_size} data bytes (truncated?)")
    if end - start != math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize:
        raise CheckpointError(f"{where}: tensor {key!r} of shape {shape} and dtype {dtype} has "
                              f"{end - start} bytes of data")
    return start, end


def _check_tiling(spans: list, data_size: int, where: str) -> None:
    """The tensors' byte ranges, sorted, must follow each other with no gap or overlap and end
    with the file: overlapping ranges would let a small file make many large arrays."""
    position = 0
    for (start, end), key in spans:
        if start != position:
            problem = ("overlaps the tensor before it" if start < position
                       else f"leaves bytes {position}..{start} unused")
            raise CheckpointError(f"{where}: tensor {key!r} (data bytes {start}..{end}) {problem}")
        position = end
    if position != data_size:
        raise CheckpointError(f"{where}: {data_size - position} bytes after the last tensor belong to no tensor")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def from_bytes(raw: bytes, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays (writable, native byte order) and metadata stored in safetensors bytes."""
    try:
        header = read_header(raw, where)
    except CheckpointError:
        foreign = describe_foreign(raw)
        if foreign is None:
            raise
        raise ForeignFileError(f"{where}: cannot load {foreign}") from None
    base = 8 + int.from_bytes(raw[:8], "little")
    arrays = {}
    for key, entry in header.items():
        if key != "__metadata__":
            arrays[key] = _decode(raw, base, entry)
    return arrays, header.get("__metadata__", {})


def _decode(raw: bytes, base: int, entry: dict) -> np.ndarray:
    code = entry["dtype"]
    stored = np.dtype(DTYPES[code])
    start, end = entry["data_offsets"]
    count = (end - start) // stored.itemsize
    if count == 0:
        values = np.empty(0, stored)
    else:
        values = np.frombuffer(raw, stored, count=count, offset=base + start)
    if code == "BF16":  # bfloat16 is the top half of a float32
        return (values.astype(np.uint32) << 16).view(np.float32).reshape(entry["shape"])
    return values.astype(stored.newbyteorder("="), copy=True).reshape(entry["shape"])
