"""A whole LSTM layer's run over a sequence, as one fused op.

The input projection x W_ih^T + b_ih of all steps is one matmul before this op (nn.LSTM does
it with F.linear); this op runs the recurrence. Each step is one (N, H) x (H, 4H) matmul for
the four gates together and the gate arithmetic in place on that (N, 4H) block. Backward
through time keeps every step's pre-activation gradient in one (L, N, 4H) array, which is
x_proj's gradient as it stands, and gives the recurrent weight's gradient as ONE matmul over
the sequence (the composition does one small matmul per step) and the bias's as one sum.

The output packs what nn.LSTM needs into one array (ops have one output): rows 0..L-1 are
the hidden states h_t in time order, row L the last cell state. Gate order i, f, g, o as
PyTorch. Measured in benchmarks/RESULTS.md (W7)."""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module
from .fused import graph_by_composition, graph_call, is_tensor


def _sigmoid_(x, xp):
    """In place, written through tanh as the Sigmoid op: 1/(1+e^-x) = (1 + tanh(x/2)) / 2."""
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5


class LSTMSequence(Op):
    """x_proj (L, N, 4H), h0 and c0 (N, H), w_hh (4H, H), b_hh (4H,) or None
    -> (L + 1, N, H): h_0..h_{L-1} in time order, then the last c. With reverse=True the
    recurrence runs from the last step to the first (a bidirectional layer's second half)."""

    __slots__ = ("reverse",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x_proj, h0, c0, w_hh, b_hh=None, reverse=False):
        ctx.reverse = reverse
        xp = array_module(x_proj)
        length, n, four_h = x_proj.shape
        hidden = four_h // 4
        gates = x_proj + b_hh if b_hh is not None else x_proj.copy()  # pre-activations, then activated in place
        hs = xp.empty((length + 1, n, hidden), dtype=gates.dtype)  # in run order: hs[s] is h before step s
        cs = xp.empty((length + 1, n, hidden), dtype=gates.dtype)
        tanh_c = xp.empty((length, n, hidden), dtype=gates.dtype)  # in time order
        hs[0], cs[0] = h0, c0
        w_t = w_hh.T
        for step, t in enumerate(_times(length, reverse)):
            a = gates[t]
            a += hs[step] @ w_t
            _sigmoid_(a[:, :2 * hidden], xp)
            xp.tanh(a[:, 2 * hidden:3 * hidden], out=a[:, 2 * hidden:3 * hidden])
            _sigmoid_(a[:, 3 * hidden:], xp)
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = cs[step + 1]
            xp.multiply(f, cs[step], out=c)
            c += i * g
            xp.tanh(c, out=tanh_c[t])
            xp.multiply(o, tanh_c[t], out=hs[step + 1])
        out = xp.empty((length + 1, n, hidden), dtype=gates.dtype)
        out[:length] = hs[:0:-1] if reverse else hs[1:]
        out[length] = cs[length]
        ctx.save_for_backward(x_proj, h0, c0, w_hh, b_hh, gates, hs, cs, tanh_c)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        if is_tensor(grad_out):
            return graph_call(LSTMSequence, ctx, grad_out)
        _, _, _, w_hh, _, gates, hs, cs, tanh_c = ctx.saved
        x_edge, h_edge, c_edge, w_edge, b_edge = ctx.next
        xp = array_module(gates)
        length, n, four_h = gates.shape
        hidden = four_h // 4
        d_gates = xp.empty_like(gates)  # pre-activation gradients, in time order
        dh = xp.zeros((n, hidden), dtype=gates.dtype)
        dc = grad_out[length].copy()
        for step, t in reversed(list(enumerate(_times(length, ctx.reverse)))):
            a = gates[t]
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            dh += grad_out[t]
            tc = tanh_c[t]
            dc += dh * o * (1 - tc * tc)
            d = d_gates[t]
            xp.multiply(dc, g * i * (1 - i), out=d[:, :hidden])
            xp.multiply(dc, cs[step] * f * (1 - f), out=d[:, hidden:2 * hidden])
            xp.multiply(dc, i * (1 - g * g), out=d[:, 2 * hidden:3 * hidden])
            xp.multiply(dh, tc * o * (1 - o), out=d[:, 3 * hidden:])
            dc *= f
            if step or h_edge is not None:
                dh = d @ w_hh
        flat = d_gates.reshape(length * n, four_h)
        grad_w = grad_b = None
        if w_edge is not None:
            before = hs[length - 1::-1] if ctx.reverse else hs[:length]  # h before each step, in time order
            grad_w = flat.T @ before.reshape(length * n, hidden)
        if b_edge is not None:
            grad_b = flat.sum(axis=0)
        return (d_gates if x_edge is not None else None, dh if h_edge is not None else None,
                dc if c_edge is not None else None, grad_w, grad_b)

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

