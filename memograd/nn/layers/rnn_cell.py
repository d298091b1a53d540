"""One time step of each recurrent cell kind, and the cell modules built on them.

Each step function is the cell's textbook equations written with differentiable ops
(linear, sigmoid, tanh, slicing), so backprop through time, and gradients of every order,
come from the ops' own rules. A step takes `x_proj`, the input's projection
x @ W_ih.T + b_ih, rather than x itself: the sequence layers (rnn.py) compute that
projection for all time steps in one matrix product and feed the steps one slice each.
Gate order inside W_ih / W_hh is PyTorch's (LSTM: i, f, g, o; GRU: r, z, n), so weights
load from a PyTorch state_dict unchanged.

    >>> cell = memograd.nn.GRUCell(4, 3)
    >>> cell(memograd.randn(2, 4)).shape
    (2, 3)
"""
from __future__ import annotations

import math

from ... import creation
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

# ---- one time step per cell kind ------------------------------------------------------------


def rnn_tanh_step(x_proj, h, w_hh, b_hh):
    """Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return (x_proj + F.linear(h, w_hh, b_hh)).tanh()


def rnn_relu_step(x_proj, h, w_hh, b_hh):
    """Elman RNN with ReLU: h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return (x_proj + F.linear(h, w_hh, b_hh)).relu()


def lstm_step(x_proj, state, w_hh, b_hh):
    """LSTM: the four gates input, forget, cell candidate, output (in that order), then
    c' = f * c + i * g and h' = o * tanh(c'). `state` is (h, c); returns (h', c')."""
    h, c = state
    i, f, g, o = (x_proj + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return h, c


def gru_step(x_proj, h, w_hh, b_hh):
    """GRU: reset r and update z gates, candidate n = tanh(x_n + r * (h W_hn^T + b_hn)),
    h' = (1 - z) * n + z * h. The reset gate multiplies the hidden projection *with* its
    bias, as PyTorch (and cuDNN) do, so b_hn cannot be folded into b_in."""
    x_r, x_z, x_n = x_proj.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * h


# How many gate blocks of hidden_size rows each W_ih / W_hh stacks, per PyTorch mode name.
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
STEPS = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "LSTM": lstm_step, "GRU": gru_step}


def reset_uniform_(module: Module, hidden_size: int) -> None:
    """PyTorch's recurrent init: every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1.0 / math.sqrt(hidden_size)
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


# ---- the cells: one step on (N, input_size) or unbatched (input_size,) ---------------------


class RNNCellBase(Module):
    """weight_ih (gates*hidden, input), weight_hh (gates*hidden, hidden), bias_ih and bias_hh
    (gates*hidden,), named and shaped as PyTorch's."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(rows, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.empty(rows, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(creation.empty(rows, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.empty(rows, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_uniform_(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _step(self, step, input, states: tuple, state_names: tuple) -> tuple:
        """Run `step` once, adding a batch axis of one for unbatched (1-D) inputs as PyTorch
        allows; `states` are the given hidden tensors (or None for zeros)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for what, s in zip(state_names, states):
            if s is not None and s.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.ndim}D instead")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        states = tuple(
            creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype) if s is None
            else (s if batched else s.unsqueeze(0))
            for s in states
        )
        state = states if len(states) > 1 else states[0]
        new = step(F.linear(x, self.weight_ih, self.bias_ih), state, self.weight_hh, self.bias_hh)
        new = new if isinstance(new, tuple) else (new,)
        return new if batched else tuple(s.squeeze(0) for s in new)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), one step.

    >>> memograd.nn.RNNCell(4, 3)(memograd.randn(4)).shape
    (3,)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        step = rnn_tanh_step if self.nonlinearity == "tanh" else rnn_relu_step
        return self._step(step, input, (hx,), ("hidden",))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: (input, (h, c)) -> (h', c'); zeros when hx is None."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        states = (None, None) if hx is None else tuple(hx)
        return self._step(lstm_step, input, states, ("hx[0]", "hx[1]"))


class GRUCell(RNNCellBase):
    """One GRU step: (input, h) -> h'; zeros when hx is None."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(gru_step, input, (hx,), ("hidden",))[0]
