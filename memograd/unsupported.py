"""What happens when a program reaches for a PyTorch API that memograd does not have.

`torch.fft`, `torch.linalg.svd`, `tensor.scatter_(...)`, `nn.LSTM` ...: the namespaces of
memograd (the top level, Tensor, nn, nn.functional, optim, optim.lr_scheduler, utils.data)
look a missing name up in PyTorch's own list (memograd/unsupported_names.py) and raise
`UnsupportedAPIError` naming the PyTorch API and pointing at docs/compat.md, right where
the program asked for it, instead of an AttributeError somewhere deeper. A name PyTorch
does not have either gives the usual AttributeError.

From a module the error is a plain NotImplementedError, so that `from torch.nn import LSTM`
shows it (Python turns an AttributeError there into a bare "cannot import name"). From a
tensor it is also an AttributeError, so that libraries probing a tensor's attributes
(matplotlib asks `hasattr(x, "values")`, a sparse-tensor method of PyTorch's) hear "no"."""
from __future__ import annotations

from functools import lru_cache


# Why some of the most asked-for missing APIs are missing, or what to use instead.
REASONS = {
    "torch.fft": "memograd has no FFTs",
    "torch.linalg": "memograd has no linear-algebra routines beyond matmul and norm (use numpy.linalg on "
                    "t.detach().numpy() where no gradient is needed)",
    "torch.sparse": "memograd tensors are dense NumPy arrays",
    "torch.jit": "memograd has no TorchScript; run the Python module as it is (memograd.compile records a "
                 "training step instead)",
    "torch.distributions": "memograd has no probability distributions yet",
    "torch.quantization": "memograd has no quantized tensors",
    "torch.ao": "memograd has no quantized tensors",
    "torch.vmap": "memograd has no vectorizing map; loop, or batch the computation by hand",
    "torch.func": "memograd has no functorch transforms; use memograd.autograd.grad",
    "torch.complex64": "memograd has no complex tensors",
    "torch.complex128": "memograd has no complex tensors",
}


class UnsupportedAPIError(NotImplementedError):
    """A PyTorch API that memograd does not provide (see docs/compat.md)."""


class UnsupportedAttributeError(UnsupportedAPIError, AttributeError):
    """The same, for an attribute of a tensor: `hasattr` answers False."""


@lru_cache(maxsize=None)
def _names(namespace: str) -> frozenset:
    from .unsupported_names import NAMES

    return frozenset(NAMES.get(namespace, "").split())


def is_pytorch_name(namespace: str, name: str) -> bool:
    return name in _names(namespace)


def missing(namespace: str, name: str, owner: str | None = None) -> Exception:
    """The error for `namespace.name` not found in memograd (to raise from a `__getattr__`);
    `owner` names an object (not a module) whose attributes are looked up."""
    if not name.startswith("_") and is_pytorch_name(namespace, name):
        api = f"{namespace}.{name}"
        reason = REASONS.get(api, "it is not implemented yet")
        return (UnsupportedAttributeError if owner else UnsupportedAPIError)(
            f"{api} is not supported by memograd: {reason}. docs/compat.md lists what memograd supports of "
            "PyTorch's API and how each difference shows."
        )
    return AttributeError(f"{owner or 'module ' + repr(namespace.replace('torch', 'memograd', 1))} has no attribute {name!r}")


class MissingAttribute:
    """Stands, on a class, for an attribute PyTorch's class has and memograd's lacks: reading it
    raises UnsupportedAttributeError naming it. (A `__getattr__` on Tensor would say the same,
    but Python then routes every attribute read of every tensor through a slower path.)"""

    def __init__(self, namespace: str, name: str, owner: str):
        self.namespace, self.name, self.owner = namespace, name, owner

    def __get__(self, instance, cls=None):
        raise missing(self.namespace, self.name, self.owner)


def stand_in_for_missing(cls, namespace: str) -> None:
    """Give `cls` a MissingAttribute for each name of PyTorch's `namespace` it lacks."""
    for name in sorted(_names(namespace)):
        if not name.startswith("_") and not hasattr(cls, name):
            setattr(cls, name, MissingAttribute(namespace, name, f"'{cls.__name__}' object"))


def unsupported(api: str, reason: str) -> UnsupportedAPIError:
    """The error for an unsupported argument or mode of an API memograd has (`api` names it)."""
    return UnsupportedAPIError(f"{api} is not supported by memograd: {reason}. See docs/compat.md.")


