"""A whole LSTM layer's run over a sequence, as one fused op: input projection and recurrence.

The input projection of all steps is one matmul; then each step is one matmul for the four
gates together and the gate arithmetic in place on its result. Backward through time writes
every step's pre-activation gradient as it goes; over the whole sequence these give x's,
W_ih's and W_hh's gradients as ONE matmul each (the composition does small matmuls per step)
and the biases' as one sum.

Inside, everything is kept transposed, hidden units by batch: h^T and c^T are (H, N) and a
step's gates (4, H, N) = W_ih x_t^T + W_hh (4H, H) @ h^T + biases, so that each gate is one
contiguous block and every elementwise pass runs over contiguous memory (on the batch-major
(N, 4H) rows, each gate is a strided slice, which NumPy's transcendental loops run 40% slower),
and because BLAS runs this (4H, H) x (H, N) product 1.5-2x as fast as (N, H) x (H, 4H) for a
small batch. The projection W_ih @ x^T (4H, L*N) is regrouped once into per-step blocks
(L, 4, H, N), and backward's per-step blocks once back into (4H, L*N), each a copy costing
less than reading or writing the blocks strided step by step (benchmarks/RESULTS.md, W7). The
sigmoids are 1 / (1 + exp(-x)) (NumPy's float32 exp is twice as fast as its tanh here).

The output packs what nn.LSTM needs into one array (ops have one output): rows 0..L-1 are
the hidden states h_t in time order, row L the last cell state. Gate order i, f, g, o as
PyTorch. On float32 NumPy arrays with Numba (memograd.loops), the gate arithmetic around NumPy's
exp and tanh is compiled loops: two per step forward (`_gates_in`, `_cell`), one per step
backward (`_step_back`, which also computes the gates' local derivatives); the same operations
in the same order (the same bits) in fewer calls."""
from __future__ import annotations

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..backend import array_module
from .fused import graph_by_composition

I, F, G, O = 0, 1, 2, 3  # PyTorch's gate order in W_ih, W_hh and the biases


def _sigmoid_(x, xp):
    """In place: 1 / (1 + exp(-x)) (exp overflowing to inf gives 0, as it should)."""
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1
    xp.reciprocal(x, out=x)


class LSTMSequence(Op):
    """x (L, N, I), h0 and c0 (N, H), w_ih (4H, I), w_hh (4H, H), b_ih and b_hh (4H,) or None
    -> (L + 1, N, H): h_0..h_{L-1} in time order, then the last c. With reverse=True the
    recurrence runs from the last step to the first (a bidirectional layer's second half)."""

    __slots__ = ("reverse",)
    vjp_formula = ("backprop through time of g, per gate",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        ctx.reverse = reverse
        xp = array_module(x)
        length, n, _ = x.shape
        four_h, hidden = w_hh.shape
        dtype = xp.result_type(x, w_ih, w_hh)
        # Every step's input projection in one GEMM, gate-major (4H, L*N), then regrouped by step:
        # gates[t] (4, H, N) is step t's projection, its pre-activations, then its gates, in place
        gates = _by_step((w_ih @ _rows(x).T).reshape(4, hidden, length, n), xp)
        bias = _bias_sum(b_ih, b_hh)
        # hs[s] and cs[s]: h^T and c^T at the seam s (step t runs seam t -> t + 1, or t + 1 -> t
        # when reversed), each a contiguous (H, N) block that the step writes and the next one reads
        hs = xp.empty((length + 1, hidden, n), dtype=dtype)
        cs = xp.empty((length + 1, hidden, n), dtype=dtype)
        tanh_c = xp.empty((length, hidden, n), dtype=dtype)
        first = length if reverse else 0
        hs[first], cs[first] = h0.T, c0.T
        product = xp.empty((4, hidden, n), dtype=dtype)
        scratch = xp.empty((hidden, n), dtype=dtype)
        fused = loops.ready(gates, x, w_ih, w_hh, b_ih, b_hh)
        if fused:
            bias_rows = bias.reshape(4, hidden) if bias is not None else xp.zeros((4, hidden), dtype=dtype)
        elif bias is not None:
            bias = bias.reshape(4, hidden, 1)
        with xp.errstate(over="ignore"):
            for t in _times(length, reverse):
                before, after = (t + 1, t) if reverse else (t, t + 1)
                a = gates[t]
                xp.matmul(w_hh, hs[before], out=product.reshape(four_h, n))
                if fused:  # the same arithmetic, in two loops around NumPy's exp and tanh
                    _gates_in(a, bias_rows, bias is not None, product)
                    xp.exp(a[I:G], out=a[I:G])
                    xp.exp(a[O], out=a[O])
                    xp.tanh(a[G], out=a[G])
                    _cell(a, cs[before], cs[after])
                else:
                    if bias is not None:
                        a += bias
                    a += product
                    _sigmoid_(a[I:G], xp)  # i and f
                    _sigmoid_(a[O], xp)
                    xp.tanh(a[G], out=a[G])
                    c = cs[after]
                    xp.multiply(a[F], cs[before], out=c)
                    xp.multiply(a[I], a[G], out=scratch)
                    c += scratch
                xp.tanh(cs[after], out=tanh_c[t])
                xp.multiply(a[O], tanh_c[t], out=hs[after])
        out = xp.empty((length + 1, n, hidden), dtype=dtype)
        # h at every seam batch-major, (L + 1, N, H): the op's outputs and, all seams but the last
        # one run into, the right factor (L*N, H) of w_hh's gradient, saved as one product's operand
        seams = xp.ascontiguousarray(hs.transpose(0, 2, 1))
        out[:length] = seams[:length] if reverse else seams[1:]
        out[length] = cs[length - first].T
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, gates, seams, cs, tanh_c)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, _, _, w_ih, w_hh, _, _, gates, seams, cs, tanh_c = ctx.saved
        x_edge, h_edge, c_edge, w_ih_edge, w_hh_edge, b_ih_edge, b_hh_edge = ctx.next
        xp = array_module(gates)
        length, _, hidden, n = gates.shape
        one = gates.dtype.type(1)
        by_step = xp.empty_like(gates)  # by_step[t]: step t's pre-activation gradient (4, H, N)
        dh = xp.zeros((hidden, n), dtype=gates.dtype)
        dc = xp.array(grad_out[length].T, order="C")  # a copy: updated in place below
        fused = loops.ready(gates, w_hh, grad_out)
        last = length - 1 if ctx.reverse else 0  # the walk ends at the first step run
        # every step's output gradient hidden-major (H, N) and contiguous, copied once: read as the
        # transposed (N, H) block, 20 runs of 256 floats, the step's loop runs 2-3x slower
        grad_hs = xp.ascontiguousarray(grad_out[:length].transpose(0, 2, 1))
        for t in reversed(_times(length, ctx.reverse)):
            before = t + 1 if ctx.reverse else t
            d = by_step[t]
            grad_h = grad_hs[t]
            if fused:
                _step_back(dh, dc, grad_h, gates[t], cs[before], tanh_c[t], d)
            else:
                i, f, g, o = gates[t]
                tc = tanh_c[t]
                dh += grad_h
                cell = dc + dh * (o * (one - tc * tc))  # dc, with the path through h = o tanh(c)
                xp.multiply(cell, g * (i * (one - i)), out=d[I])
                xp.multiply(cell, cs[before] * (f * (one - f)), out=d[F])
                xp.multiply(cell, i * (one - g * g), out=d[G])
                xp.multiply(dh, tc * (o * (one - o)), out=d[O])
                xp.multiply(cell, f, out=dc)
            if t != last or h_edge is not None:
                xp.matmul(w_hh.T, d.reshape(4 * hidden, n), out=dh)
        # gate-major (4H, L*N): the left factor of all four weight and bias gradients and of x's
        rows = _by_gate(by_step, xp).reshape(4 * hidden, length * n)
        grad_x = (rows.T @ w_ih).reshape(x.shape) if x_edge is not None else None
        grad_w_ih = rows @ _rows(x) if w_ih_edge is not None else None
        grad_w_hh = None
        if w_hh_edge is not None:  # sum over steps and batch of d_t h_before^T: one (4H, L*N) x (L*N, H) product
            before = seams[1:] if ctx.reverse else seams[:length]
            grad_w_hh = rows @ before.reshape(length * n, hidden)
        grad_b = rows.sum(axis=1) if b_ih_edge is not None or b_hh_edge is not None else None
        return (grad_x, dh.T if h_edge is not None else None, dc.T if c_edge is not None else None,
                grad_w_ih, grad_w_hh, grad_b if b_ih_edge is not None else None,
                (grad_b.copy() if b_ih_edge is not None else grad_b) if b_hh_edge is not None else None)

    @staticmethod
    def graph_backward(ctx, grad_out, *inputs_and_saved):
        def compose(*inputs):
            return composed_lstm(*inputs, reverse=ctx.reverse)

        return graph_by_composition(ctx, compose, grad_out, inputs_and_saved[:7])

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Per step and gate element: the gates' elementwise rule (about 10); one (N, 4H) x (4H, H)
        product each for h (the recurrence) and for w_hh, (N, 4H) x (4H, I) for x and w_ih; sums
        for the biases."""
        length, n, hidden = ctx.shape[0] - 1, ctx.shape[1], ctx.shape[2]
        gate_elements = length * n * 4 * hidden
        matmul_h = 2 * gate_elements * hidden
        if i in (0, 3):  # x's or w_ih's edge, whichever asks, knows the input size I
            matmul_in = 2 * gate_elements * ctx.next[i].shape[-1]
            return 10 * gate_elements + matmul_in if i == 0 else matmul_in
        return (None, matmul_h, 4 * n * hidden, None, matmul_h, gate_elements, gate_elements)[i]


def _by_step(by_gate, xp):
    """(4, H, L, N) -> (L, 4, H, N), copied. Each step's block is then contiguous: read in place
    from the gate-major array it is 4H runs of N floats spread over the whole array, which the
    step's own GEMM has just evicted from cache, 3-5x slower (measured in RESULTS.md, W7)."""
    four, hidden, length, n = by_gate.shape
    return _swap_leading(by_gate.reshape(four * hidden, length, n), xp).reshape(length, four, hidden, n)


def _by_gate(by_step, xp):
    """(L, 4, H, N) -> (4, H, L, N), copied: the inverse of _by_step."""
    length, four, hidden, n = by_step.shape
    return _swap_leading(by_step.reshape(length, four * hidden, n), xp).reshape(four, hidden, length, n)


def _swap_leading(src, xp):
    """(A, B, N) -> (B, A, N), copied; a loop reading `src` in memory order where it can (twice as
    fast as NumPy's copy of this transpose, which runs short rows of N one at a time)."""
    if not (loops.ready(src) and src.flags.c_contiguous):
        return xp.ascontiguousarray(src.transpose(1, 0, 2))
    dst = xp.empty((src.shape[1], src.shape[0], src.shape[2]), dtype=src.dtype)
    _swap_leading_loop(src, dst)
    return dst


@loops.loop
def _swap_leading_loop(src, dst):
    """dst[b, a] = src[a, b] for every a, b: rows of N copied in src's order."""
    rows, columns, n = src.shape
    for a in range(rows):
        for b in range(columns):
            for c in range(n):
                dst[b, a, c] = src[a, b, c]


def _rows(x):
    """(L, N, I) as (L*N, I), the row of step t and sample c at t*N + c."""
    return x.reshape(x.shape[0] * x.shape[1], x.shape[2])


def _bias_sum(b_ih, b_hh):
    """The two biases as one (each step adds both), or the one given, or None."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


_ONE = np.float32(1)


@loops.loop
def _gates_in(a, bias, has_bias, product):
    """In place: a = (a + bias) + product, negated for the sigmoid gates i, f, o (exp comes next)."""
    gates, hidden, n = a.shape
    for k in range(gates):
        for r in range(hidden):
            for c in range(n):
                v = a[k, r, c] + bias[k, r] if has_bias else a[k, r, c]
                v = v + product[k, r, c]
                a[k, r, c] = v if k == 2 else -v


@loops.loop
def _cell(a, c_before, c_after):
    """i, f, o = 1 / (1 + exp(-x)) from their exponentials; c_after = f c_before + i g."""
    _, hidden, n = a.shape
    for r in range(hidden):
        for c in range(n):
            i = _ONE / (a[0, r, c] + _ONE)
            f = _ONE / (a[1, r, c] + _ONE)
            a[0, r, c] = i
            a[1, r, c] = f
            a[3, r, c] = _ONE / (a[3, r, c] + _ONE)
            c_after[r, c] = f * c_before[r, c] + i * a[2, r, c]


@loops.loop
def _step_back(dh, dc, grad_h, gates, c_before, tanh_c, d):
    """One step of backward's walk, the NumPy path's arithmetic: dh += grad_h; the gate gradients
    into d (4, H, N); dc = (dc + dh d h / d c) f."""
    hidden, n = dh.shape
    for r in range(hidden):
        for c in range(n):
            h = dh[r, c] + grad_h[r, c]
            dh[r, c] = h
            i, f, g, o = gates[0, r, c], gates[1, r, c], gates[2, r, c], gates[3, r, c]
            t = tanh_c[r, c]
            cell = dc[r, c] + h * (o * (_ONE - t * t))
            di = cell * (g * (i * (_ONE - i)))
            df = cell * (c_before[r, c] * (f * (_ONE - f)))
            dg = cell * (i * (_ONE - g * g))
            do = h * (t * (o * (_ONE - o)))
            d[0, r, c], d[1, r, c], d[2, r, c], d[3, r, c] = di, df, dg, do
            dc[r, c] = cell * f


def _times(length: int, reverse: bool):
    return range(length - 1, -1, -1) if reverse else range(length)


def lstm_sequence(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse: bool = False):
    """(outputs (L, N, H) in time order, (h_n, c_n)) of one LSTM layer direction over x (L, N, I)."""
    packed = LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
    length = packed.shape[0] - 1
    return packed[:length], (packed[0 if reverse else length - 1], packed[length])


def composed_lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse: bool = False):
    """The same packed output from ordinary ops (linear, sigmoid, tanh, slicing, stack)."""
    from .linear import linear
    from .shape import stack

    x_proj = linear(x, w_ih, b_ih)
    length = x_proj.shape[0]
    h, c = h0, c0
    outputs = [None] * length
    for t in _times(length, reverse):
        i, f, g, o = (x_proj[t] + linear(h, w_hh, b_hh)).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        outputs[t] = h
    return stack(outputs + [c])
