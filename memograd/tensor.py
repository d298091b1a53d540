"""Tensor: an n-dimensional array, its gradient, and a link to the node that made it.

The class holds data and the user-facing API; every differentiable operation delegates to
an op in `memograd.ops`, so this file says *what* a method means, and the ops say how its
value and gradient are computed."""
from __future__ import annotations

import numpy as np

from . import dtypes, inplace
from .autograd import function as _function
from .autograd.function import AccumulateGrad
from .autograd.tape import not_replayable
from .backend import CPU, device
from .ops import arith, convert, extremes, indexing, reduce, select, softmax, unary
from .ops import shape as shape_ops


class Tensor:
    """An array that records the operations applied to it when it requires grad.

    >>> x = memograd.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("_data", "grad", "_requires_grad", "grad_fn", "_version", "_base", "_accum", "__weakref__")
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

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
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

    def _root(self) -> "Tensor":
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

    def detach(self) -> "Tensor":
        """The same data (shared memory), cut off from the graph."""
        t = Tensor._make(self._data, None)
        t._base = self._root()
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ---- data access -------------------------------------------------------------------

    @property
    def data(self) -> "Tensor":
        """The same memory as a tensor with no history, as PyTorch's `.data` (changes made
        through it are not seen by autograd; prefer `detach()`). `.numpy()` gives the array."""
        return Tensor._make(self._data, None)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self) -> tuple:
        return self._data.shape

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def numpy(self) -> np.ndarray:
        not_replayable("numpy()")
        if self._requires_grad:
            raise RuntimeError("numpy(): the tensor requires grad; call tensor.detach().numpy() instead")
        return self._data

    def item(self):
        not_replayable("item()")
        if self._data.size != 1:
            raise RuntimeError(f"item(): a tensor with {self._data.size} elements cannot be converted to a scalar")
        return self._data.item()

    def tolist(self):
        not_replayable("tolist()")
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        not_replayable("numpy.asarray()")
        return np.asarray(self._data, dtype=dtype) if copy is not True else np.array(self._data, dtype=dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        not_replayable("bool()")
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        not_replayable("an index")
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3, precision=4)
        extras = []
        default = {dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_}
        if self.dtype not in default:
            extras.append(f"dtype=memograd.{self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ---- conversion --------------------------------------------------------------------

    def to(self, *args, **kwargs) -> "Tensor":
        """`to(dtype)`, `to(device)`, `to(other_tensor)` or `to(device, dtype)`."""
        target = kwargs.get("dtype")
        for arg in list(args) + [kwargs.get("device")]:
            if isinstance(arg, Tensor):
                target = arg.dtype
            elif isinstance(arg, device) or (isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps")):
                device(arg)  # raises for anything but the CPU
            elif arg is not None:
                target = dtypes.to_dtype(arg)
        if target is None or target == self.dtype:
            return self
        return convert.Cast.apply(self, dtype=target)

    def type(self, dtype=None):
        return str(self.dtype) if dtype is None else self.to(dtype)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def cpu(self) -> "Tensor":
        return self

    def contiguous(self) -> "Tensor":
        return self

    def clone(self) -> "Tensor":
        return convert.Clone.apply(self)

    # ---- arithmetic --------------------------------------------------------------------

    def __add__(self, other):
        return arith.Add.apply(self, other)

    def __radd__(self, other):
        return arith.Add.apply(other, self)

    def __sub__(self, other):
        return arith.Sub.apply(self, other)

    def __rsub__(self, other):
        return arith.Sub.apply(other, self)

    def __mul__(self, other):
        return arith.Mul.apply(self, other)

    def __rmul__(self, other):
        return arith.Mul.apply(other, self)

    def __truediv__(self, other):
        return arith.Div.apply(self, other)

    def __rtruediv__(self, other):
        return arith.Div.apply(other, self)

    def __pow__(self, other):
        return arith.Pow.apply(self, other)

    def __rpow__(self, other):
        return arith.Pow.apply(other, self)

    def __matmul__(self, other):
        return arith.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return arith.MatMul.apply(other, self)

    def __neg__(self):
        return arith.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary.Abs.apply(self)

    def __floordiv__(self, other):
        return _no_grad_binary(np.floor_divide, self, other)

    def __mod__(self, other):
        return _no_grad_binary(np.remainder, self, other)

    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    mul = __mul__
    div = __truediv__
    matmul = __matmul__
    mm = __matmul__
    bmm = __matmul__
    dot = __matmul__
    neg = __neg__
    pow = __pow__
    abs = __abs__

    def maximum(self, other):
        return arith.Maximum.apply(self, other)

    def minimum(self, other):
        return arith.Minimum.apply(self, other)

    # ---- comparisons and logic (no gradient) -------------------------------------------

    def __eq__(self, other):
        return _no_grad_binary(np.equal, self, other)

    def __ne__(self, other):
        return _no_grad_binary(np.not_equal, self, other)

    def __lt__(self, other):
        return _no_grad_binary(np.less, self, other)

    def __le__(self, other):
        return _no_grad_binary(np.less_equal, self, other)

    def __gt__(self, other):
        return _no_grad_binary(np.greater, self, other)

    def __ge__(self, other):
        return _no_grad_binary(np.greater_equal, self, other)

    def __and__(self, other):
        return _no_grad_binary(np.bitwise_and, self, other)

    def __or__(self, other):
        return _no_grad_binary(np.bitwise_or, self, other)

    def __xor__(self, other):
        return _no_grad_binary(np.bitwise_xor, self, other)

    def __invert__(self):
        return Tensor._make(np.invert(self._data), None)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def isnan(self):
        return Tensor._make(np.isnan(self._data), None)

    def isfinite(self):
        return Tensor._make(np.isfinite(self._data), None)

    def all(self):
        return Tensor._make(np.asarray(self._data.all()), None)

    def any(self):
        return Tensor._make(np.asarray(self._data.any()), None)

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        return bool(np.allclose(self._data, _data(other), rtol=rtol, atol=atol))

    # ---- elementwise -------------------------------------------------------------------

    exp = unary.exp
    log = unary.log
    log1p = unary.log1p
    sqrt = unary.sqrt
    rsqrt = unary.rsqrt
    reciprocal = unary.reciprocal
    sin = unary.sin
    cos = unary.cos
    tanh = unary.tanh
    sigmoid = unary.sigmoid
    relu = unary.relu
    sign = unary.sign
    clamp = unary.clamp
    clip = unary.clamp

    def square(self):
        return arith.Mul.apply(self, self)

    def where(self, condition, other):
        return select.where(condition, self, other)

    def masked_fill(self, mask, value):
        return select.where(mask, value, self)

    # ---- reductions --------------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return reduce.sum(x, _dim(dim, axis), _keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return reduce.mean(x, _dim(dim, axis), _keep(keepdim, keepdims))

    def prod(self, dim=None, keepdim=False):
        return reduce.prod(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return reduce.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return reduce.amin(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """max over all elements; `max(dim)` gives (values, indices); `max(tensor)` is maximum."""
        return extremes.extreme(self, dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        return extremes.extreme(self, dim, keepdim, "min")

    def argmax(self, dim=None, keepdim=False):
        return extremes.arg_extreme(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return extremes.arg_extreme(self, dim, keepdim, "argmin")

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduce.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduce.std(self, dim, unbiased, keepdim, correction)

    def logsumexp(self, dim=None, keepdim=False):
        return reduce.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return reduce.norm(self, p, dim, keepdim)

    def softmax(self, dim: int):
        return softmax.softmax(self, dim)

    def log_softmax(self, dim: int):
        return softmax.log_softmax(self, dim)

    # ---- shape -------------------------------------------------------------------------

    reshape = shape_ops.reshape
    view = shape_ops.reshape
    flatten = shape_ops.flatten
    squeeze = shape_ops.squeeze
    unsqueeze = shape_ops.unsqueeze
    permute = shape_ops.permute
    transpose = shape_ops.transpose
    expand = shape_ops.expand
    repeat = shape_ops.repeat

    def view_as(self, other: "Tensor") -> "Tensor":
        return shape_ops.reshape(self, other.shape)

    reshape_as = view_as

    def expand_as(self, other: "Tensor") -> "Tensor":
        return shape_ops.expand(self, other.shape)

    @property
    def T(self) -> "Tensor":  # noqa: N802 - PyTorch's name
        return shape_ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":  # noqa: N802
        return shape_ops.transpose(self, -2, -1)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return shape_ops.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple:
        lead = (slice(None),) * (dim % self.ndim)
        return tuple(self[lead + (i,)] for i in range(self.shape[dim]))

    def __getitem__(self, index):
        return indexing.getitem(self, index)

    def __setitem__(self, index, value):
        inplace.setitem(self, index, value)

    # ---- in-place ----------------------------------------------------------------------

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, alpha=1):
        return inplace.update(self, np.add, other if alpha == 1 else _scaled(other, alpha), "add_")

    def sub_(self, other, alpha=1):
        return inplace.update(self, np.subtract, other if alpha == 1 else _scaled(other, alpha), "sub_")

    def mul_(self, other):
        return inplace.update(self, np.multiply, other, "mul_")

    def div_(self, other):
        return inplace.update(self, np.true_divide, other, "div_")

    def clamp_(self, min=None, max=None):  # noqa: A002
        return inplace.assign(self, unary.clamp(self, min, max), "clamp_")

    def copy_(self, src):
        return inplace.assign(self, src, "copy_")

    def fill_(self, value):
        return inplace.assign(self, value, "fill_")

    def zero_(self):
        return self.fill_(0)


_new = object.__new__


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _scaled(other, alpha):
    return _data(other) * alpha


def _no_grad_binary(ufunc, a, b):
    return Tensor._make(ufunc(_data(a), _data(b)), None)


def _dim(dim, axis):
    return axis if dim is None else dim


def _keep(keepdim, keepdims):
    return keepdim if keepdims is None else keepdims


# The autograd modules are imported by this one, so they learn the Tensor class here.
_function.Tensor = Tensor

__all__ = ["Tensor"]
