"""The error types of memograd's checkpoint files."""
import pickle


class CheckpointError(ValueError):
    """A file that is not a readable memograd/safetensors checkpoint; the message names the file
    (and the entry, when one entry is at fault)."""


class WeightsOnlyLoadError(CheckpointError, pickle.UnpicklingError):
    """`load(weights_only=True)` met a class that is not allowlisted. It is also an
    UnpicklingError, the type PyTorch raises here, so `except pickle.UnpicklingError` still works."""


class ForeignFileError(CheckpointError, NotImplementedError):
    """A pickle (PyTorch's `torch.save` format, or any other): memograd never unpickles, so this is
    both an unreadable checkpoint and a PyTorch feature it does not provide."""
