"""Tensor: an n-dimensional array, its gradient, and a link to the node that made it.

The class holds data and the user-facing API; every differentiable operation delegates to
an op in `memograd.ops`, so this file says *what* a method means, and the ops say how its
value and gradient are computed."""
from __future__ import annotations

import numpy as np

from .autograd import function as _function
from .autograd.function import AccumulateGrad
from .tensor_api.arithmetic import ArithmeticMethods
from .tensor_api.conversion import ConversionMethods
from .tensor_api.inplace_methods import InplaceMethods
from .tensor_api.reductions import ReductionMethods
from .tensor_api.shaping import ShapeMethods
from .tensor_api.values import ValueMethods


class Tensor(ValueMethods, ConversionMethods, ArithmeticMethods, ReductionMethods, ShapeMethods, InplaceMethods):
    """An array that records the operations applied to it when it requires grad.

    >>> x = memograd.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("__weakref__", "_accum", "_base", "_data", "_requires_grad", "_version", "grad", "grad_fn")
    # NumPy must not treat a Tensor as an array in `ndarray * tensor`: return NotImplemented
    # so that Python calls Tensor.__rmul__ and the result is a tensor that records.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False):
        self._data = np.asarray(data._data if isinstance(data, Tensor) else data)
        self.grad = None
        self.grad_fn = None
        self._version = 0
        self._base = None
        self._accum = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data, grad_fn):
        """Fast constructor for op outputs (no checks: the op made `data`)."""
        if isinstance(data, np.generic):  # NumPy returns scalars from 0-d arithmetic
            data = np.asarray(data)
        t = _new(Tensor)
        t._data = data
        t.grad = None
        t.grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        t._version = 0
        t._base = None
        t._accum = None
        return t

    # ---- autograd state ----------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            if not requires_grad:
                raise RuntimeError("requires_grad_: only leaf tensors can stop requiring grad; use detach()")
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad_: only floating point tensors can require gradients, got dtype {self.dtype}"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _accumulator(self) -> AccumulateGrad:
        if self._accum is None:
            self._accum = AccumulateGrad(self)
        return self._accum

    def _root(self) -> Tensor:
        """The tensor whose memory this one views (itself if none): views share a version."""
        return self._base if self._base is not None else self

    @property
    def _node(self):
        """The node that receives this tensor's gradient."""
        return self.grad_fn if self.grad_fn is not None else self._accumulator()

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor too after backward()."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is self

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None):
        """Backpropagate from this tensor: fill `.grad` of every leaf it depends on."""
        from .autograd import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same data (shared memory), cut off from the graph."""
        t = Tensor._make(self._data, None)
        t._base = self._root()
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ---- data access -------------------------------------------------------------------

    @property
    def data(self) -> Tensor:
        """The same memory as a tensor with no history, as PyTorch's `.data` (changes made
        through it are not seen by autograd; prefer `detach()`). `.numpy()` gives the array."""
        return Tensor._make(self._data, None)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)


_new = object.__new__

# The autograd modules are imported by this one, so they learn the Tensor class here.
_function.Tensor = Tensor

__all__ = ["Tensor"]
