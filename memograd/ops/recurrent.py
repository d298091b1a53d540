"""A whole LSTM layer's run over a sequence, as one fused op.

The input projection x W_ih^T + b_ih of all steps is one matmul before this op (nn.LSTM does
it with F.linear); this op runs the recurrence. Each step is one matmul for the four gates
together and the gate arithmetic in place on its result. Backward through time keeps every
step's pre-activation gradient in one array, which is x_proj's gradient, and gives the
recurrent weight's gradient as ONE matmul over the sequence (the composition does one small
matmul per step) and the bias's as one sum; the gates' local derivatives, which do not depend
on the incoming gradient, are computed for all steps at once before the walk back.

Inside, the state is kept transposed, hidden units by batch: h^T and c^T are (H, N) and a
step's gates (4, H, N) = W_hh (4H, H) @ h^T, so that each gate is one contiguous block and
every elementwise pass runs over contiguous memory (on the batch-major (N, 4H) rows, each
gate is a strided slice, which NumPy's transcendental loops run 40% slower). The sigmoids are
1 / (1 + exp(-x)) (NumPy's float32 exp is twice as fast as its tanh here).

The output packs what nn.LSTM needs into one array (ops have one output): rows 0..L-1 are
the hidden states h_t in time order, row L the last cell state. Gate order i, f, g, o as
PyTorch. On float32 NumPy arrays with Numba (memograd.loops), the gate arithmetic around NumPy's
exp and tanh is compiled loops: two per step forward (`_gates_in`, `_cell`), one per step backward
(`_step_back`) after one pass for every step's local derivatives (`_local_derivatives`); the same
operations in the same order (the same bits) in fewer calls: 15 NumPy calls a step forward become
8, 7 backward become 2. Measured in benchmarks/RESULTS.md (W7)."""
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
    """x_proj (L, N, 4H), h0 and c0 (N, H), w_hh (4H, H), b_hh (4H,) or None
    -> (L + 1, N, H): h_0..h_{L-1} in time order, then the last c. With reverse=True the
    recurrence runs from the last step to the first (a bidirectional layer's second half)."""

    __slots__ = ("reverse",)
    vjp_formula = ("backprop through time of g, per gate",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x_proj, h0, c0, w_hh, b_hh=None, reverse=False):
        ctx.reverse = reverse
        xp = array_module(x_proj)
        length, n, four_h = x_proj.shape
        hidden = four_h // 4
        dtype = xp.result_type(x_proj, w_hh)
        runs = x_proj[::-1] if reverse else x_proj  # run order: step s is time s, or L-1-s
        # gates[s] = (4, H, N): pre-activations (plus b_hh), then the activated gates in place
        gates = xp.empty((length, 4, hidden, n), dtype=dtype)
        pre = runs.reshape(length, n, 4, hidden).transpose(0, 2, 3, 1)
        if b_hh is not None:
            xp.add(pre, b_hh.reshape(4, hidden, 1), out=gates)
        else:
            gates[...] = pre
        hs = xp.empty((length + 1, hidden, n), dtype=dtype)  # hs[s] = h^T before step s
        cs = xp.empty((length + 1, hidden, n), dtype=dtype)
        tanh_c = xp.empty((length, hidden, n), dtype=dtype)
        hs[0], cs[0] = h0.T, c0.T
        product = xp.empty((4, hidden, n), dtype=dtype)
        scratch = xp.empty((hidden, n), dtype=dtype)
        fused = loops.ready(gates, w_hh)
        with xp.errstate(over="ignore"):
            for step in range(length):
                a = gates[step]
                xp.matmul(w_hh, hs[step], out=product.reshape(four_h, n))
                if fused:  # the same arithmetic, in two loops around NumPy's exp and tanh
                    _gates_in(a, product)
                    xp.exp(a[I:G], out=a[I:G])
                    xp.exp(a[O], out=a[O])
                    xp.tanh(a[G], out=a[G])
                    _cell(a, cs[step], cs[step + 1])
                else:
                    a += product
                    _sigmoid_(a[I:G], xp)  # i and f
                    _sigmoid_(a[O], xp)
                    xp.tanh(a[G], out=a[G])
                    c = cs[step + 1]
                    xp.multiply(a[F], cs[step], out=c)
                    xp.multiply(a[I], a[G], out=scratch)
                    c += scratch
                xp.tanh(cs[step + 1], out=tanh_c[step])
                xp.multiply(a[O], tanh_c[step], out=hs[step + 1])
        out = xp.empty((length + 1, n, hidden), dtype=dtype)
        out[:length] = (hs[:0:-1] if reverse else hs[1:]).transpose(0, 2, 1)
        out[length] = cs[length].T
        ctx.save_for_backward(x_proj, h0, c0, w_hh, b_hh, gates, hs, cs, tanh_c)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        _, _, _, w_hh, _, gates, hs, cs, tanh_c = ctx.saved
        x_edge, h_edge, c_edge, w_edge, b_edge = ctx.next
        xp = array_module(gates)
        length, _, hidden, n = gates.shape
        one = gates.dtype.type(1)
        i, f, g, o = (gates[:, k] for k in range(4))
        # The local derivatives, all steps at once: d c / d i, f, g (times dc) and d h / d o
        # (times dh), laid out as the gate gradients, then d h / d c.
        factors = xp.empty_like(gates)
        fused = loops.ready(gates, w_hh)
        if fused:
            through_c = np.empty_like(tanh_c)
            _local_derivatives(gates, cs, tanh_c, factors, through_c)
        else:
            xp.multiply(g, i * (one - i), out=factors[:, I])
            xp.multiply(cs[:-1], f * (one - f), out=factors[:, F])
            xp.multiply(i, one - g * g, out=factors[:, G])
            xp.multiply(tanh_c, o * (one - o), out=factors[:, O])
            through_c = o * (one - tanh_c * tanh_c)
        grads = xp.ascontiguousarray((grad_out[length - 1::-1] if ctx.reverse else grad_out[:length]).transpose(0, 2, 1))
        d_gates = xp.empty_like(gates)  # (L, 4, H, N), run order
        dh = xp.zeros((hidden, n), dtype=gates.dtype)
        dc = xp.array(grad_out[length].T, order="C")  # a copy: updated in place below
        scratch = xp.empty((hidden, n), dtype=gates.dtype)
        w_t = w_hh.T
        for step in range(length - 1, -1, -1):
            d = d_gates[step]
            if fused:
                _step_back(dh, dc, grads[step], through_c[step], factors[step], f[step], d)
                if step or h_edge is not None:
                    dh = w_t @ d.reshape(4 * hidden, n)
                continue
            dh += grads[step]
            xp.multiply(dh, through_c[step], out=scratch)
            dc += scratch
            xp.multiply(dc, factors[step, :O], out=d[:O])  # i, f, g: dc times their factors
            xp.multiply(dh, factors[step, O], out=d[O])
            dc *= f[step]
            if step or h_edge is not None:
                dh = w_t @ d.reshape(4 * hidden, n)
        grad_w = grad_b = None
        if w_edge is not None or b_edge is not None:
            # sum over steps and batch of d_t h_{t-1}^T: one (4H, L*N) x (L*N, H) product
            by_gate = xp.ascontiguousarray(d_gates.transpose(1, 2, 0, 3)).reshape(4 * hidden, length * n)
            if w_edge is not None:
                before = xp.ascontiguousarray(hs[:length].transpose(1, 0, 2)).reshape(hidden, length * n)
                grad_w = by_gate @ before.T
            if b_edge is not None:
                grad_b = by_gate.sum(axis=1)
        grad_x = None
        if x_edge is not None:  # batch-major, time order, as x_proj
            grad_x = xp.ascontiguousarray((d_gates[::-1] if ctx.reverse else d_gates).transpose(0, 3, 1, 2))
            grad_x = grad_x.reshape(length, n, 4 * hidden)
        return grad_x, dh.T if h_edge is not None else None, dc.T if c_edge is not None else None, grad_w, grad_b

    @staticmethod
    def graph_backward(ctx, grad_out, x_proj, h0, c0, w_hh, b_hh=None, *arrays):
        def compose(x_proj, h0, c0, w_hh, b_hh):
            return composed_lstm(x_proj, h0, c0, w_hh, b_hh, ctx.reverse)

        return graph_by_composition(ctx, compose, grad_out, (x_proj, h0, c0, w_hh, b_hh))

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Per step: the gates' elementwise rule (about 10 per gate element) for x_proj; one
        (N, 4H) x (4H, H) product each for h (the recurrence) and for w_hh; a sum for b_hh."""
        length, n, hidden = ctx.shape[0] - 1, ctx.shape[1], ctx.shape[2]
        gate_elements = length * n * 4 * hidden
        matmul = 2 * gate_elements * hidden
        return (10 * gate_elements, matmul, 4 * n * hidden, matmul, gate_elements)[i]


_ONE = np.float32(1)


@loops.loop
def _gates_in(a, product):
    """a += product, negated for the sigmoid gates i, f, o (exp comes next)."""
    gates, hidden, n = a.shape
    for k in range(gates):
        for r in range(hidden):
            for c in range(n):
                v = a[k, r, c] + product[k, r, c]
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
def _local_derivatives(gates, cs, tanh_c, factors, through_c):
    """backward's factors and d h / d c for all steps at once, in one pass (cs[s] is c before step s)."""
    steps, _, hidden, n = gates.shape
    for s in range(steps):
        for r in range(hidden):
            for c in range(n):
                i, f, g, o = gates[s, 0, r, c], gates[s, 1, r, c], gates[s, 2, r, c], gates[s, 3, r, c]
                t = tanh_c[s, r, c]
                factors[s, 0, r, c] = g * (i * (_ONE - i))
                factors[s, 1, r, c] = cs[s, r, c] * (f * (_ONE - f))
                factors[s, 2, r, c] = i * (_ONE - g * g)
                factors[s, 3, r, c] = t * (o * (_ONE - o))
                through_c[s, r, c] = o * (_ONE - t * t)


@loops.loop
def _step_back(dh, dc, grad_h, through_c, factors, f, d):
    """One step of backward's walk: dh += grad_h; dc += dh through_c; the gate gradients d; dc *= f."""
    hidden, n = dh.shape
    for r in range(hidden):
        for c in range(n):
            h = dh[r, c] + grad_h[r, c]
            dh[r, c] = h
            cell = dc[r, c] + h * through_c[r, c]
            d[0, r, c] = cell * factors[0, r, c]
            d[1, r, c] = cell * factors[1, r, c]
            d[2, r, c] = cell * factors[2, r, c]
            d[3, r, c] = h * factors[3, r, c]
            dc[r, c] = cell * f[r, c]


def _times(length: int, reverse: bool):
    return range(length - 1, -1, -1) if reverse else range(length)


def lstm_sequence(x_proj, h0, c0, w_hh, b_hh=None, reverse: bool = False):
    """(outputs (L, N, H) in time order, (h_n, c_n)) of one LSTM layer direction."""
    packed = LSTMSequence.apply(x_proj, h0, c0, w_hh, b_hh, reverse=reverse)
    length = packed.shape[0] - 1
    return packed[:length], (packed[0 if reverse else length - 1], packed[length])


def composed_lstm(x_proj, h0, c0, w_hh, b_hh=None, reverse: bool = False):
    """The same packed output from ordinary ops (linear, sigmoid, tanh, slicing, stack)."""
    from .linear import linear
    from .shape import stack

    length = x_proj.shape[0]
    h, c = h0, c0
    outputs = [None] * length
    for t in _times(length, reverse):
        i, f, g, o = (x_proj[t] + linear(h, w_hh, b_hh)).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        outputs[t] = h
    return stack(outputs + [c])

