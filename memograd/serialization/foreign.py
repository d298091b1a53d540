"""Say what a file is when it is not a safetensors file, so the error tells the user what to do.

PyTorch's torch.save writes a zip archive holding a pickle (`<name>/data.pkl`), or with
_use_new_zipfile_serialization=False a bare pickle stream. memograd never unpickles (a pickle
can run any code), so these files do not load; the message says how to convert them."""
from __future__ import annotations

_TORCH_LEGACY_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")
_CONVERT = ("memograd never unpickles. In PyTorch, convert it: "
            "safetensors.torch.save_file(torch.load(path).state_dict(), 'model.safetensors') "
            "(or the state_dict itself), then memograd.load that file and load_state_dict it")


def describe_foreign(raw: bytes) -> str | None:
    """A phrase naming the format of `raw` when it is a known non-safetensors format, else None."""
    if raw.startswith(b"PK\x03\x04"):
        # torch.save's zip names its first entry "<archive>/data.pkl" (or ".data/version"), right
        # after the 30-byte local file header, so the first kilobyte holds it.
        head = raw[:1024]
        if b"data.pkl" in head or b".data/version" in head or b"/byteorder" in head:
            return f"a PyTorch pickle file (torch.save's zip format); {_CONVERT}"
        return "a zip archive, not a memograd file"
    if len(raw) > 2 and raw[0] == 0x80 and 2 <= raw[1] <= 5:
        if _TORCH_LEGACY_MAGIC in raw[:32]:
            return f"a PyTorch pickle file (torch.save's legacy format); {_CONVERT}"
        return "a Python pickle, not a memograd file (memograd never unpickles: a pickle can run any code)"
    return None
