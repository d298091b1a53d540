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
less than reading or writing the blocks strided step by step (benchmarks/RESULTS.md, W7).

The output packs what nn.LSTM needs into one array (ops have one output): rows 0..L-1 are the
hidden states h_t in time order, row L the last cell state. It is a slice of the array that
backward reads the steps' starting h from, so it may not change in place (guards_output;
PyTorch's LSTM saves its output for backward too). Gate order i, f, g, o as PyTorch. On float32,
the sigmoids and tanh are tanh_float32's rational function (within 3.4e-7 of exact; float64
keeps NumPy's exp and tanh); with Numba (memograd.loops), a step's whole gate arithmetic is then
one compiled loop forward (`_step_forward`) and one backward (`_step_back`, which also computes
the gates' local derivatives): the NumPy path's operations in its order (the same bits) in one
pass over flat (H*N) blocks instead of seven calls; and where a compiled loop can call NumPy's BLAS
(ops/blas.py), each pass's whole time loop is one call, `_forward_walk` and `_backward_walk` (a W7
step's two layers 40.6 -> 38.5 ms forward and backward). The big arrays of both passes come from the
workspace pool (ops/workspace.py), so that the next step reuses their memory instead of
faulting fresh pages in."""
from __future__ import annotations

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..backend import array_module
from . import blas, tanh_float32, workspace
from .blas import matmul_into, transposed_matmul_into
from .fused import graph_by_composition

I, F, G, O = 0, 1, 2, 3  # PyTorch's gate order in W_ih, W_hh and the biases


class LSTMSequence(Op):
    """x (L, N, I), h0 and c0 (N, H), w_ih (4H, I), w_hh (4H, H), b_ih and b_hh (4H,) or None
    -> (L + 1, N, H): h_0..h_{L-1} in time order, then the last c. With reverse=True the
    recurrence runs from the last step to the first (a bidirectional layer's second half)."""

    __slots__ = ("reverse",)
    vjp_formula = ("backprop through time of g, per gate",)
    saves_inputs = True
    guards_output = True  # the output is a slice of what backward reads h from (as PyTorch's saved output)

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        ctx.reverse = reverse
        xp = array_module(x)
        length, n, _ = x.shape
        four_h, hidden = w_hh.shape
        dtype = xp.result_type(x, w_ih, w_hh)
        # Every step's input projection in one GEMM, gate-major (4H, L*N), then regrouped by step with
        # the biases added: gates[t] (4, H, N) is step t's projection plus biases, then its
        # pre-activations, then its gates, in place
        projection = workspace.matmul(w_ih, _rows(x).T, xp)
        gates = _by_step(projection.reshape(4, hidden, length, n), _bias_sum(b_ih, b_hh), xp)
        del projection  # free again: the next layer's projection or backward's blocks reuse it
        # hs[s] and cs[s]: h^T and c^T at the seam s (step t runs seam t -> t + 1, or t + 1 -> t
        # when reversed), each a contiguous (H, N) block that the step writes and the next one reads
        hs = workspace.empty((length + 1, hidden, n), dtype, xp)
        cs = workspace.empty((length + 1, hidden, n), dtype, xp)
        tanh_c = workspace.empty((length, hidden, n), dtype, xp)
        first = length if reverse else 0
        hs[first], cs[first] = h0.T, c0.T
        product = xp.empty((4, hidden, n), dtype=dtype)
        compiled = loops.ready(gates, x, w_ih, w_hh, b_ih, b_hh)
        if compiled and _walks(w_hh, n):
            _forward_walk(w_hh, gates, hs, cs, tanh_c, product, reverse)
        else:
            step = _step_forward if compiled else _numpy_step_forward
            with xp.errstate(over="ignore"):
                for t in _times(length, reverse):
                    before, after = (t + 1, t) if reverse else (t, t + 1)
                    xp.matmul(w_hh, hs[before], out=product.reshape(four_h, n))
                    step(gates[t], product, cs[before], cs[after], tanh_c[t], hs[after])
        # h at every seam batch-major in one array with the last c, laid out so that the op's output
        # (h_0..h_{L-1} in time order, then c) is one slice of it and the seams each step started
        # from are w_hh's right factor (L*N, H) in backward: saved once, copied once
        packed = workspace.empty((length + 2, n, hidden), dtype, xp)
        if reverse:  # seams 0..L-1, the last c, then seam L (the start); the output is rows 0..L
            packed[:length] = hs[:length].transpose(0, 2, 1)
            packed[length], packed[length + 1] = cs[0].T, hs[length].T
            out = packed[:length + 1]
        else:  # seams 0..L, then the last c; the output is rows 1..L + 1
            packed[:length + 1] = hs.transpose(0, 2, 1)
            packed[length + 1] = cs[length].T
            out = packed[1:]
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, gates, packed, cs, tanh_c)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, _, _, w_ih, w_hh, _, _, gates, packed, cs, tanh_c = ctx.saved
        x_edge, h_edge, c_edge, w_ih_edge, w_hh_edge, b_ih_edge, b_hh_edge = ctx.next
        xp = array_module(gates)
        length, _, hidden, n = gates.shape
        by_step = workspace.empty(gates.shape, gates.dtype, xp)  # by_step[t]: step t's pre-activation gradient
        dh = xp.zeros((hidden, n), dtype=gates.dtype)
        dc = xp.array(grad_out[length].T, order="C")  # a copy: updated in place below
        compiled = loops.ready(gates, w_hh, grad_out)
        # every step's output gradient hidden-major (H, N) and contiguous, copied once: read as the
        # transposed (N, H) block, 20 runs of 256 floats, the step's loop runs 2-3x slower
        grad_hs = workspace.empty((length, hidden, n), grad_out.dtype, xp)
        grad_hs[...] = grad_out[:length].transpose(0, 2, 1)
        if compiled and _walks(w_hh, n):
            _backward_walk(w_hh, dh, dc, grad_hs, gates, cs, tanh_c, by_step, ctx.reverse, h_edge is not None)
        else:
            step = _step_back if compiled else _numpy_step_back
            last = length - 1 if ctx.reverse else 0  # the walk ends at the first step run
            for t in reversed(_times(length, ctx.reverse)):
                before = t + 1 if ctx.reverse else t
                step(dh, dc, grad_hs[t], gates[t], cs[before], tanh_c[t], by_step[t])
                if t != last or h_edge is not None:
                    xp.matmul(w_hh.T, by_step[t].reshape(4 * hidden, n), out=dh)
        # gate-major (4H, L*N): the left factor of all four weight and bias gradients and of x's
        rows = _by_gate(by_step, xp).reshape(4 * hidden, length * n)
        grad_x = workspace.matmul(rows.T, w_ih, xp).reshape(x.shape) if x_edge is not None else None
        grad_w_ih = workspace.matmul(rows, _rows(x), xp) if w_ih_edge is not None else None
        grad_w_hh = None
        if w_hh_edge is not None:  # sum over steps and batch of d_t h_before^T: one (4H, L*N) x (L*N, H) product
            before = xp.concatenate((packed[1:length], packed[length + 1:])) if ctx.reverse else packed[:length]
            grad_w_hh = workspace.matmul(rows, before.reshape(length * n, hidden), xp)
        grad_b = None
        if b_ih_edge is not None or b_hh_edge is not None:  # the sum along the rows as a matrix-vector
            grad_b = rows @ xp.ones(length * n, dtype=rows.dtype)  # product (BLAS): 5x sum(axis=1)'s speed at W7
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


def _by_step(by_gate, bias, xp):
    """(4, H, L, N) -> (L, 4, H, N), copied, plus the bias (4H,) or None of each gate unit. Each step's
    block is then contiguous: read in place from the gate-major array it is 4H runs of N floats
    spread over the whole array, which the step's own GEMM has just evicted from cache, 3-5x slower
    (measured in RESULTS.md, W7)."""
    four, hidden, length, n = by_gate.shape
    return _swap_leading(by_gate.reshape(four * hidden, length, n), xp, bias).reshape(length, four, hidden, n)


def _by_gate(by_step, xp):
    """(L, 4, H, N) -> (4, H, L, N), copied: the inverse of _by_step."""
    length, four, hidden, n = by_step.shape
    return _swap_leading(by_step.reshape(length, four * hidden, n), xp).reshape(four, hidden, length, n)


def _swap_leading(src, xp, row_add=None):
    """(A, B, N) -> (B, A, N), copied, with row_add[a] (A,) added to src[a] if given; a loop reading
    `src` in memory order where it can (twice as fast as NumPy's copy of this transpose, which
    runs short rows of N one at a time)."""
    if not (loops.ready(src, row_add) and src.flags.c_contiguous):
        dst = xp.ascontiguousarray(src.transpose(1, 0, 2))
        if row_add is not None:
            dst += row_add.reshape(-1, 1)
        return dst
    dst = workspace.empty((src.shape[1], src.shape[0], src.shape[2]), src.dtype, xp)
    if row_add is None:
        _swap_leading_loop(src, dst)
    else:
        _swap_leading_add_loop(src, row_add, dst)
    return dst


@loops.loop
def _swap_leading_loop(src, dst):
    """dst[b, a] = src[a, b] for every a, b: rows of N copied in src's order."""
    rows, columns, n = src.shape
    for a in range(rows):
        for b in range(columns):
            for c in range(n):
                dst[b, a, c] = src[a, b, c]


@loops.loop
def _swap_leading_add_loop(src, row_add, dst):
    """dst[b, a] = src[a, b] + row_add[a] for every a, b, in src's order."""
    rows, columns, n = src.shape
    for a in range(rows):
        add = row_add[a]
        for b in range(columns):
            for c in range(n):
                dst[b, a, c] = src[a, b, c] + add


def _rows(x):
    """(L, N, I) as (L*N, I), the row of step t and sample c at t*N + c."""
    return x.reshape(x.shape[0] * x.shape[1], x.shape[2])


def _bias_sum(b_ih, b_hh):
    """The two biases as one (each step adds both), or the one given, or None."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


# ---- one step's gate arithmetic: NumPy passes (any dtype; the reference) and compiled loops ----

_ONE = np.float32(1)
_HALF, _LIMIT = tanh_float32.HALF, tanh_float32.LIMIT
_P0, _P1, _P2, _P3, _P4 = tanh_float32.P32
_Q0, _Q1, _Q2, _Q3, _Q4 = tanh_float32.Q32


def _sigmoid_(x, xp):
    """In place: 1 / (1 + exp(-x)) (exp overflowing to inf gives 0, as it should)."""
    if x.dtype == np.float32 and xp is np:
        tanh_float32.sigmoid(x, out=x)
        return
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1
    xp.reciprocal(x, out=x)


def _tanh_(x, xp, out):
    """out = tanh(x): the rational function on float32 (the loops' arithmetic), else NumPy's."""
    if x.dtype == np.float32 and xp is np:
        tanh_float32.tanh(x, out=out)
    else:
        xp.tanh(x, out=out)


def _numpy_step_forward(a, product, c_before, c_after, tanh_c, h):
    """One forward step after its product (4, H, N), in place on its gates a (4, H, N), which hold
    the projection plus biases: a += product; i, f, o = sigmoid, g = tanh; then, (H, N) each,
    c_after = f c_before + i g, tanh_c = tanh(c_after), h = o tanh_c."""
    xp = array_module(a)
    a += product
    _sigmoid_(a[I:G], xp)  # i and f
    _sigmoid_(a[O], xp)
    _tanh_(a[G], xp, out=a[G])
    xp.multiply(a[F], c_before, out=c_after)
    c_after += a[I] * a[G]
    _tanh_(c_after, xp, out=tanh_c)
    xp.multiply(a[O], tanh_c, out=h)


@loops.loop
def _step_forward(a, product, c_before, c_after, tanh_c, h):
    """_numpy_step_forward as one loop over the contiguous blocks seen flat, (4, H*N) and (H*N,),
    so that it runs in whole vector lanes. Five passes of it share tanh_float32's rational tanh:
    the gates i, f, g, o (sigmoid(x) = 1/2 + tanh(x / 2) / 2), then the cell, whose c needs them."""
    gates, hidden, n = a.shape
    m = hidden * n
    a, product = a.reshape(gates, m), product.reshape(gates, m)
    c_before, c_after, tanh_c, h = c_before.reshape(m), c_after.reshape(m), tanh_c.reshape(m), h.reshape(m)
    for k in range(gates + 1):
        for j in range(m):
            if k == gates:  # the cell: c_after = f c_before + i g, then tanh_c = tanh(c_after)
                z = a[1, j] * c_before[j] + a[0, j] * a[2, j]
                c_after[j] = z
            else:
                z = (a[k, j] + product[k, j]) * _HALF if k != 2 else a[k, j] + product[k, j]
            z = -_LIMIT if z < -_LIMIT else z  # np.clip: a nan stays nan
            z = _LIMIT if z > _LIMIT else z
            s = z * z
            num = (((s * _P4 + _P3) * s + _P2) * s + _P1) * s + _P0
            r = z * num / ((((s * _Q4 + _Q3) * s + _Q2) * s + _Q1) * s + _Q0)
            r = -_ONE if r < -_ONE else r
            r = _ONE if r > _ONE else r
            if k == gates:
                tanh_c[j] = r
                h[j] = a[3, j] * r
            else:
                a[k, j] = r if k == 2 else r * _HALF + _HALF


def _numpy_step_back(dh, dc, grad_h, gates, c_before, tanh_c, d):
    """One step of backward's walk, in place on (H, N) blocks: dh += grad_h; the gate gradients
    into d (4, H, N); dc = (dc + dh d h / d c) f."""
    xp = array_module(d)
    one = d.dtype.type(1)
    i, f, g, o = gates
    dh += grad_h
    cell = dc + dh * (o * (one - tanh_c * tanh_c))  # dc, with the path through h = o tanh(c)
    xp.multiply(cell, g * (i * (one - i)), out=d[I])
    xp.multiply(cell, c_before * (f * (one - f)), out=d[F])
    xp.multiply(cell, i * (one - g * g), out=d[G])
    xp.multiply(dh, tanh_c * (o * (one - o)), out=d[O])
    xp.multiply(cell, f, out=dc)


@loops.loop
def _step_back(dh, dc, grad_h, gates, c_before, tanh_c, d):
    """One step of backward's walk, the NumPy path's arithmetic over the blocks seen flat, as
    _step_forward: dh += grad_h; the gate gradients into d; dc = (dc + dh d h / d c) f."""
    m = dh.size
    dh, dc, grad_h = dh.reshape(m), dc.reshape(m), grad_h.reshape(m)
    c_before, tanh_c = c_before.reshape(m), tanh_c.reshape(m)
    gates, d = gates.reshape(4, m), d.reshape(4, m)
    for j in range(m):
        h = dh[j] + grad_h[j]
        dh[j] = h
        i, f, g, o = gates[0, j], gates[1, j], gates[2, j], gates[3, j]
        t = tanh_c[j]
        cell = dc[j] + h * (o * (_ONE - t * t))
        d[0, j] = cell * (g * (i * (_ONE - i)))
        d[1, j] = cell * (c_before[j] * (f * (_ONE - f)))
        d[2, j] = cell * (i * (_ONE - g * g))
        d[3, j] = h * (t * (o * (_ONE - o)))
        dc[j] = cell * f


# ---- the whole time loop compiled: each step's product by NumPy's BLAS called from the loop ----

def _walks(w_hh, n: int) -> bool:
    """Whether the time loops can run as one compiled loop each (ops/blas.py), with NumPy's bits:
    NumPy multiplies by a vector (batch 1, or hidden size 1 backward) with gemv, not gemm."""
    return n > 1 and w_hh.shape[1] > 1 and w_hh.flags.c_contiguous and blas.available()


@loops.loop
def _forward_walk(w_hh, gates, hs, cs, tanh_c, product, reverse):
    """The forward's steps in time order (backwards with reverse): the product W_hh h^T of the
    seam before, then _step_forward, as the Python loop in LSTMSequence.forward does them."""
    length = gates.shape[0]
    flat = product.reshape(w_hh.shape[0], product.shape[2])
    for s in range(length):
        t = length - 1 - s if reverse else s
        before = t + 1 if reverse else t
        after = t if reverse else t + 1
        matmul_into(w_hh, hs[before], flat)
        _step_forward(gates[t], product, cs[before], cs[after], tanh_c[t], hs[after])


@loops.loop
def _backward_walk(w_hh, dh, dc, grad_hs, gates, cs, tanh_c, by_step, reverse, last_product):
    """Backward's walk from the last step run to the first: _step_back, then dh = W_hh^T d_t
    (after the first step run only when last_product: h_0's gradient)."""
    length, four, hidden, n = gates.shape
    for s in range(length):
        t = s if reverse else length - 1 - s
        before = t + 1 if reverse else t
        _step_back(dh, dc, grad_hs[t], gates[t], cs[before], tanh_c[t], by_step[t])
        if s != length - 1 or last_product:
            transposed_matmul_into(w_hh, by_step[t].reshape(four * hidden, n), dh)


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
