"""Tensor: an n-dimensional array, its gradient, and a link to the node that made it.

The class holds data and the user-facing API; every differentiable operation delegates to
an op in `memograd.ops`, so this file says *what* a method means, and the ops say how its
value and gradient are computed."""
from __future__ import annotations

import numpy as np

from .autograd import function as _function
from .autograd import views
from .autograd.function import AccumulateGrad
from .autograd.version import VersionCounter
from .tensor_api.arithmetic import ArithmeticMethods
from .tensor_api.conversion import ConversionMethods
from .tensor_api.hook_methods import HookMethods
from .tensor_api.inplace_methods import InplaceMethods
from .tensor_api.reductions import ReductionMethods
from .tensor_api.shaping import ShapeMethods
from .tensor_api.values import ValueMethods
from .unsupported import stand_in_for_missing


class Tensor(ValueMethods, ConversionMethods, ArithmeticMethods, ReductionMethods, ShapeMethods, InplaceMethods,
             HookMethods):
    """An array that records the operations applied to it when it requires grad.

    >>> x = memograd.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("__weakref__", "_accum", "_counter", "_data", "_grad_fn", "_requires_grad", "_view", "grad")
    # NumPy must not treat a Tensor as an array in `ndarray * tensor`: return NotImplemented
    # so that Python calls Tensor.__rmul__ and the result is a tensor that records.
    __array_ufunc__ = None

    def __init__(self, *data, requires_grad: bool = False, device=None):
        from .creation import constructor_array  # creation imports this module: import on use

        self._data = constructor_array(data, device)  # PyTorch's legacy constructor rules
        self.grad = None
        self._grad_fn = None
        self._counter = None
        self._view = None
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
        t._grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        t._counter = None  # made on the first in-place change, view or detach()
        t._view = None
        t._accum = None
        return t

    # ---- autograd state ----------------------------------------------------------------

    @property
    def grad_fn(self):
        if self._view is not None:
            views.refresh(self)
        return self._grad_fn

    @property
    def requires_grad(self) -> bool:
        if self._view is not None:
            views.refresh(self)
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

    @property
    def _node(self):
        """The node that receives this tensor's gradient."""
        return self.grad_fn or self._accumulator()

    # ---- memory shared with other tensors ----------------------------------------------

    @property
    def _version(self) -> int:
        """How many in-place changes the memory behind this tensor has seen (shared by a base,
        its views and its detach()es)."""
        return 0 if self._counter is None else self._counter.value

    def _shared_counter(self) -> VersionCounter:
        """The version counter, made on first need. The node that made this tensor may need it
        unchanged for backward (guards_output): it watches the counter from here on, which is
        enough, since nothing changed the memory while there was no counter."""
        if self._counter is None:
            self._counter = VersionCounter()
            node = self._grad_fn
            if node is not None and node.guards_output and getattr(node, "out_counter", None) is None:
                node.out_counter = self._counter
        return self._counter

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose memory this view shares (None if this is not a view)."""
        return None if self._view is None else self._view.base

    def _is_view(self) -> bool:
        return self._view is not None

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor too after backward()."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is not None:
            self._grad_fn.retained = self

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is self

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None):
        """Backpropagate from this tensor: fill `.grad` of every leaf it depends on."""
        from .autograd import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same memory and version counter, cut off from the graph."""
        t = Tensor._make(self._data, None)
        t._counter = self._shared_counter()
        return t

    def detach_(self) -> Tensor:
        if self._view is not None:
            raise RuntimeError("detach_: cannot detach a view in place; use detach() instead")
        self._grad_fn = None
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
# A PyTorch Tensor method memograd lacks raises an error naming it (memograd.unsupported).
stand_in_for_missing(Tensor, "torch.Tensor")

__all__ = ["Tensor"]
