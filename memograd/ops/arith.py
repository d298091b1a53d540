"""Arithmetic: + - * / ** @ and elementwise maximum/minimum.

Rules return gradients in the broadcast output shape; the engine sums them back to each
input's shape (`gradients.sum_to`), so no rule here repeats that bookkeeping."""
from __future__ import annotations

import math


from ..autograd.function import Op
from ..backend import array_module, quiet
from .promotion import can_cast, promote, result_type  # noqa: F401 - callers reach them through arith
from .select import where


class Add(Op):
    __slots__ = ()
    backward_flops_per_element = 0
    vjp_formula = ("g", "g")

    @staticmethod
    def forward(ctx, a, b):
        return promote(a + b, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out

    @staticmethod
    def graph_backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g", "−g")

    @staticmethod
    def forward(ctx, a, b):
        return promote(a - b, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, -grad_out

    @staticmethod
    def graph_backward(ctx, grad_out):
        return grad_out, -grad_out


class Neg(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("−g",)

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out

    @staticmethod
    def graph_backward(ctx, grad_out):
        return -grad_out


class Mul(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · b", "g · a")
    saves_inputs = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return promote(a * b, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        a_edge, b_edge = ctx.next
        return (grad_out * b if a_edge is not None else None, grad_out * a if b_edge is not None else None)

    @staticmethod
    def graph_backward(ctx, grad_out, a, b):
        a_edge, b_edge = ctx.next
        return (grad_out * b if a_edge is not None else None, grad_out * a if b_edge is not None else None)


class Div(Op):
    __slots__ = ()
    backward_flops_per_element = 3
    vjp_formula = ("g / b", "−g · a / b²")
    saves_inputs = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if type(b) in (int, float) and b != 0:
            return promote(a / b, a, b)
        with quiet():  # x / 0 = inf, 0 / 0 = nan, silently as in PyTorch
            return promote(a / b, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        a_edge, b_edge = ctx.next
        with quiet():
            grad_a = grad_out / b if a_edge is not None else None
            grad_b = -grad_out * a / (b * b) if b_edge is not None else None
        return grad_a, grad_b

    @staticmethod
    def graph_backward(ctx, grad_out, a, b):
        a_edge, b_edge = ctx.next
        grad_a = grad_out / b if a_edge is not None else None
        grad_b = -grad_out * a / (b * b) if b_edge is not None else None
        return grad_a, grad_b


class Pow(Op):
    """a ** b, for a tensor exponent or a constant one."""

    __slots__ = ()
    backward_flops_per_element = 4
    vjp_formula = ("g · b · a^(b−1)", "g · y · ln a")
    saves_inputs = True
    saves_output = True

    @staticmethod
    def forward(ctx, a, b):
        with quiet():  # 0 ** -1 = inf, (-1) ** 0.5 = nan, silently as in PyTorch
            out = promote(a**b, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b, out = ctx.saved
        a_edge, b_edge = ctx.next
        with quiet():
            grad_a = grad_out * b * a ** (b - 1) if a_edge is not None else None
            grad_b = None
            if b_edge is not None:
                # d(a^b)/db = a^b log a; where a == 0 the limit (for b > 0) is 0, as PyTorch gives.
                xp = array_module(out)
                zero = a == 0
                grad_b = xp.where(zero, 0.0, grad_out * out * xp.log(xp.where(zero, 1.0, a)))
        return grad_a, grad_b

    @staticmethod
    def graph_backward(ctx, grad_out, a, b, out):
        a_edge, b_edge = ctx.next
        grad_a = grad_out * b * a ** (b - 1) if a_edge is not None else None
        grad_b = None
        if b_edge is not None:
            zero = a == 0
            grad_b = where(zero, 0.0, grad_out * out * where(zero, 1.0, a).log())
        return grad_a, grad_b


class Maximum(Op):
    """Elementwise maximum; at ties each input gets half the gradient, as in PyTorch."""

    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · [a ≥ b]", "g · [b > a]")

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a if hasattr(a, "shape") else b)
        ctx.save_for_backward(share_of_first(xp, a > b, a == b))
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        (share,) = ctx.saved
        return grad_out * share, grad_out * (1 - share)

    @staticmethod
    def graph_backward(ctx, grad_out, share):
        return grad_out * share, grad_out * (1 - share)


class Minimum(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · [a ≤ b]", "g · [b < a]")

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a if hasattr(a, "shape") else b)
        ctx.save_for_backward(share_of_first(xp, a < b, a == b))
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        (share,) = ctx.saved
        return grad_out * share, grad_out * (1 - share)

    @staticmethod
    def graph_backward(ctx, grad_out, share):
        return grad_out * share, grad_out * (1 - share)


def share_of_first(xp, wins, ties):
    """1 where the first input wins, 0.5 at ties, 0 elsewhere (a constant mask)."""
    return xp.asarray(wins, dtype="float32") + xp.asarray(ties, dtype="float32") * 0.5


class MatMul(Op):
    """Matrix product with NumPy's rules: 1-D operands get a unit axis that is dropped
    again, leading (batch) axes broadcast."""

    __slots__ = ()
    vjp_formula = ("g @ bᵀ", "aᵀ @ g")
    saves_inputs = True

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("both arguments to matmul need at least 1 dimension")
        k_a = a.shape[-1]
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(f"inner dimensions differ: {a.shape} @ {b.shape} ({k_a} != {k_b})")
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        a_edge, b_edge = ctx.next
        if a.ndim == 1 and b.ndim == 1:
            return (grad_out * b if a_edge is not None else None, grad_out * a if b_edge is not None else None)
        a2, b2, g2 = as_matrices(a, b, grad_out)
        grad_a = grad_b = None
        # A transposed operand (x @ w.T) gets its gradient computed transposed too, so the
        # gradient lands in the memory layout of w itself and later updates stay contiguous.
        if a_edge is not None:
            grad_a = (b2 @ g2.mT).mT if is_transposed(a) else g2 @ b2.mT
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if b_edge is not None:
            grad_b = (g2.mT @ a2).mT if is_transposed(b) else a2.mT @ g2
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b

    @staticmethod
    def graph_backward(ctx, grad_out, a, b):
        a_edge, b_edge = ctx.next
        if a.ndim == 1 and b.ndim == 1:
            return (grad_out * b if a_edge is not None else None, grad_out * a if b_edge is not None else None)
        a2, b2, g2 = as_matrices(a, b, grad_out)
        grad_a = grad_b = None
        if a_edge is not None:
            grad_a = g2 @ b2.mT
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if b_edge is not None:
            grad_b = a2.mT @ g2
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Either operand's gradient is one product as large as the forward's: a multiply
        and an add per output element and contracted index (the batch sum included)."""
        return 2 * math.prod(ctx.shape) * inner_length(ctx)


def as_matrices(a, b, grad_out) -> tuple:
    """a, b and the output gradient with 1-D operands treated as a row (a) or a column (b),
    as matmul itself treats them. Indexing only, so it serves both rules."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = grad_out
    if a.ndim == 1:
        g2 = g2[..., None, :]
    if b.ndim == 1:
        g2 = g2[..., None]
    return a2, b2, g2


def is_transposed(x) -> bool:
    """True for a 2-D array laid out column-major (a `.T` view)."""
    flags = x.flags
    return x.ndim == 2 and flags.f_contiguous and not flags.c_contiguous


def inner_length(node) -> int:
    """The contracted length k of a recorded matmul, read from whichever operand's shape is known."""
    a_edge, b_edge = node.next
    if a_edge is not None and len(a_edge.shape):
        return a_edge.shape[-1]
    if b_edge is not None and len(b_edge.shape):
        return b_edge.shape[-2] if len(b_edge.shape) > 1 else b_edge.shape[0]
    return 1


# ---- functions ---------------------------------------------------------------------------


def add(a, b, *, alpha=1, out=None):
    return _to_out(Add.apply(a, b if alpha == 1 else b * alpha), out, "add")


def sub(a, b, *, alpha=1, out=None):
    return _to_out(Sub.apply(a, b if alpha == 1 else b * alpha), out, "sub")


def mul(a, b, *, out=None):
    return _to_out(Mul.apply(a, b), out, "mul")


def div(a, b, *, out=None):
    return _to_out(Div.apply(a, b), out, "div")


def neg(a):
    return Neg.apply(a)


def pow(a, b):  # noqa: A001 - PyTorch's name
    return Pow.apply(a, b)


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def matmul(a, b, *, out=None):
    return _to_out(MatMul.apply(a, b), out, "matmul")


def _to_out(result, out, name: str):
    """PyTorch's `out=`: the result written into `out` (its memory when the shape fits)."""
    if out is None:
        return result
    from ..inplace import write_out

    return write_out(out, result, name)
