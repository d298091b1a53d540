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
        dtype = xp.result_type(x_proj, w_hh)
        # Everything below is in run order (step s = time t, or L-1-t when reversed) and the
        # gates in the order i, f, o, g: the three sigmoids then form one block.
        runs = x_proj[::-1] if reverse else x_proj
        gates = xp.empty((length, n, four_h), dtype=dtype)  # pre-activations, then activated in place
        for block, source in enumerate(_SIGMOIDS_FIRST):
            into, come = _block(block, hidden), _block(source, hidden)
            if b_hh is not None:
                xp.add(runs[..., come], b_hh[come], out=gates[..., into])
            else:
                gates[..., into] = runs[..., come]
        w_t = xp.concatenate([w_hh[_block(source, hidden)] for source in _SIGMOIDS_FIRST]).T
        hs = xp.empty((length + 1, n, hidden), dtype=dtype)  # hs[s]: h before step s
        cs = xp.empty((length + 1, n, hidden), dtype=dtype)
        tanh_c = xp.empty((length, n, hidden), dtype=dtype)
        hs[0], cs[0] = h0, c0
        product = xp.empty((n, four_h), dtype=dtype)
        scratch = xp.empty((n, hidden), dtype=dtype)
        for step in range(length):
            a = gates[step]
            xp.matmul(hs[step], w_t, out=product)
            a += product
            _sigmoid_(a[:, :3 * hidden], xp)
            xp.tanh(a[:, 3 * hidden:], out=a[:, 3 * hidden:])
            i, f, o, g = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = cs[step + 1]
            xp.multiply(f, cs[step], out=c)
            xp.multiply(i, g, out=scratch)
            c += scratch
            xp.tanh(c, out=tanh_c[step])
            xp.multiply(o, tanh_c[step], out=hs[step + 1])
        out = xp.empty((length + 1, n, hidden), dtype=dtype)
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
        # The local derivatives do not depend on the gradient: all steps at once, before the
        # walk back through time, laid out as the gate gradients (PyTorch's order i, f, g, o).
        i, f, o, g = (gates[..., _block(k, hidden)] for k in range(4))
        factors = xp.empty_like(gates)
        one = gates.dtype.type(1)
        xp.multiply(g, i * (one - i), out=factors[..., _block(0, hidden)])         # d c / d i, times dc
        xp.multiply(cs[:-1], f * (one - f), out=factors[..., _block(1, hidden)])   # d c / d f
        xp.multiply(i, one - g * g, out=factors[..., _block(2, hidden)])           # d c / d g
        xp.multiply(tanh_c, o * (one - o), out=factors[..., _block(3, hidden)])    # d h / d o, times dh
        through_c = o * (one - tanh_c * tanh_c)                                     # d h / d c
        grads = grad_out[length - 1::-1] if ctx.reverse else grad_out[:length]     # in run order
        d_gates = xp.empty_like(gates)
        dh = xp.zeros((n, hidden), dtype=gates.dtype)
        dc = grad_out[length].copy()
        scratch = xp.empty((n, hidden), dtype=gates.dtype)
        for step in range(length - 1, -1, -1):
            dh += grads[step]
            xp.multiply(dh, through_c[step], out=scratch)
            dc += scratch
            d = d_gates[step]
            # i, f, g take dc times their factor, o takes dh times its own: one broadcast multiply
            xp.multiply(dc[:, None, :], factors[step, :, :3 * hidden].reshape(n, 3, hidden),
                        out=d[:, :3 * hidden].reshape(n, 3, hidden))
            xp.multiply(dh, factors[step, :, 3 * hidden:], out=d[:, 3 * hidden:])
            dc *= f[step]
            if step or h_edge is not None:
                dh = d @ w_hh
        flat = d_gates.reshape(length * n, four_h)
        grad_w = flat.T @ hs[:length].reshape(length * n, hidden) if w_edge is not None else None
        grad_b = flat.sum(axis=0) if b_edge is not None else None
        grad_x = None
        if x_edge is not None:
            grad_x = xp.ascontiguousarray(d_gates[::-1]) if ctx.reverse else d_gates  # in time order
        return grad_x, dh if h_edge is not None else None, dc if c_edge is not None else None, grad_w, grad_b

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


_SIGMOIDS_FIRST = (0, 1, 3, 2)  # run order of the gate blocks: PyTorch's i, f, g, o as i, f, o, g


def _block(k: int, hidden: int) -> slice:
    return slice(k * hidden, (k + 1) * hidden)


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

