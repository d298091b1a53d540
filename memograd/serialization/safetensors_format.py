"""Bytes <-> (arrays, metadata) in the safetensors format, with errors that say what is wrong.

The layout: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name
to {dtype, shape, data_offsets} (plus "__metadata__", string -> string), then the data.
The header is checked here before the safetensors library decodes the data, so a truncated or
foreign file is reported with its name and, when one entry is at fault, that entry's key."""
from __future__ import annotations

import json
import math

import numpy as np

from .errors import CheckpointError, ForeignFileError
from .foreign import describe_foreign

_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
             "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def to_bytes(arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    from safetensors.numpy import save

    return save(arrays, metadata=metadata)


def read_header(raw: bytes, where: str) -> dict:
    """The parsed and checked header of the safetensors bytes `raw` (from file `where`)."""
    if len(raw) < 8:
        raise CheckpointError(f"{where}: not a safetensors file ({len(raw)} bytes; truncated or empty?)")
    size = int.from_bytes(raw[:8], "little")
    if size > len(raw) - 8:
        raise CheckpointError(f"{where}: not a safetensors file, or truncated: the header claims {size} bytes "
                              f"but the file holds {len(raw)}")
    try:
        header = json.loads(raw[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{where}: not a safetensors file (its header is not JSON: {err})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: not a safetensors file (its header is not a JSON object)")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{where}: __metadata__ must map strings to strings")
    data_size = len(raw) - 8 - size
    for key, entry in header.items():
        if key != "__metadata__":
            _check_entry(key, entry, data_size, where)
    return header


def _check_entry(key: str, entry, data_size: int, where: str) -> None:
    try:
        dtype, shape, (start, end) = entry["dtype"], list(entry["shape"]), entry["data_offsets"]
    except (TypeError, KeyError, ValueError):
        raise CheckpointError(f"{where}: tensor {key!r} has a malformed header entry {entry!r}") from None
    if not 0 <= start <= end:
        raise CheckpointError(f"{where}: tensor {key!r} has bad data offsets {[start, end]}")
    if end > data_size:
        raise CheckpointError(f"{where}: tensor {key!r} ends at data byte {end} but the file holds only "
                              f"{data_size} data bytes (truncated?)")
    if dtype in _ITEMSIZE and end - start != math.prod(shape) * _ITEMSIZE[dtype]:
        raise CheckpointError(f"{where}: tensor {key!r} of shape {shape} and dtype {dtype} has "
                              f"{end - start} bytes of data")


def from_bytes(raw: bytes, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays (writable, native order) and metadata stored in safetensors bytes."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        header = read_header(raw, where)
    except CheckpointError:
        foreign = describe_foreign(raw)
        if foreign is None:
            raise
        raise ForeignFileError(f"{where}: cannot load {foreign}") from None
    try:
        arrays = load(raw)
    except (SafetensorError, ValueError, TypeError) as err:
        raise CheckpointError(f"{where}: cannot decode the tensors ({err})") from None
    for key, value in arrays.items():
        if not value.flags.writeable:  # optimizers update loaded tensors in place
            arrays[key] = value.copy()
    return arrays, header.get("__metadata__", {})
