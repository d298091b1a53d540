"""The one error type of memograd's checkpoint files."""


class CheckpointError(ValueError):
    """A file that is not a readable memograd/safetensors checkpoint; the message names the file
    (and the entry, when one entry is at fault)."""
