"""Multi-layer recurrent layers RNN, LSTM and GRU, with PyTorch's parameters, shapes and options.

A layer projects the whole input sequence in one matmul, then runs the recurrence along it,
once forwards and, when bidirectional, once backwards; the next layer reads both directions'
outputs side by side, with dropout between layers while training. RNN and GRU run the cell's
step function (rnn_cell.py), composed from differentiable ops, so backprop through time is the
engine's ordinary reverse walk; LSTM runs each direction as one fused op
(ops/recurrent.py), whose backward is the same walk written on arrays.

    >>> lstm = memograd.nn.LSTM(4, 8, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(memograd.randn(3, 5, 4))
    >>> output.shape, h_n.shape
    ((3, 5, 8), (2, 3, 8))
"""
from __future__ import annotations

import numbers
import warnings

from ... import creation
from ...ops.recurrent import lstm_sequence
from ...ops.shape import cat, stack
from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from ..parameter import Parameter
from .rnn_cell import GATES, STEPS, reset_uniform_


def unstack(x) -> list:
    """[x[0], x[1], ..., x[n-1]] along the first axis, taken by halving.

    Each slice's backward fills a zero array as large as what it was sliced from, so slicing
    the n steps straight from the sequence costs n full-size arrays in the backward pass
    (quadratic in the length). Halving first keeps the total at n log n: measured on a
    (300, 32, 1024) sequence, 5.1 s for direct slices against 0.2 s halved."""
    n = x.shape[0]
    if n == 1:
        return [x[0]]
    half = n // 2
    return unstack(x[:half]) + unstack(x[half:])


def run_direction(step, x_proj, state, w_hh, b_hh, reverse: bool):
    """Apply `step` along the time axis of `x_proj` (L, N, gates*H) from `state`; returns the
    hidden outputs (L, N, H), in time order whichever way it ran, and the last state."""
    inputs = unstack(x_proj)
    outputs = [None] * len(inputs)
    times = range(len(inputs) - 1, -1, -1) if reverse else range(len(inputs))
    for t in times:
        state = step(inputs[t], state, w_hh, b_hh)
        outputs[t] = state[0] if isinstance(state, tuple) else state
    return stack(outputs), state


class RNNBase(Module):
    """The machinery shared by RNN, LSTM and GRU. For layer k and direction d (suffix
    `_reverse` for the backward direction) it holds weight_ih_l{k} (gates*H, input_size for
    k = 0, else D*H), weight_hh_l{k} (gates*H, H), bias_ih_l{k} and bias_hh_l{k} (gates*H,),
    registered in PyTorch's order, so state_dicts load both ways."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        _check_options(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        rows = GATES[mode] * hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            columns = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {f"weight_ih_{suffix}": (rows, columns), f"weight_hh_{suffix}": (rows, hidden_size)}
                if bias:
                    shapes.update({f"bias_ih_{suffix}": (rows,), f"bias_hh_{suffix}": (rows,)})
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype, device=device)))
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_uniform_(self, self.hidden_size)

    @property
    def all_weights(self) -> list:
        """The parameters per (layer, direction): [[w_ih, w_hh, b_ih, b_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    def flatten_parameters(self) -> None:
        """A no-op: PyTorch packs the weights into one buffer for cuDNN; memograd needs no packing."""

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    def forward(self, input, hx=None):
        """input (L, N, input_size), (N, L, input_size) with batch_first, or unbatched
        (L, input_size); hx (num_layers*D, N, H) or, unbatched, (num_layers*D, H), as a pair
        (h_0, c_0) for LSTM. Returns (output, h_n), or (output, (h_n, c_n)) for LSTM."""
        seq, batched = self._time_major(input)
        starts = self._start_states(hx, seq, batched)  # one per (layer, direction) run
        directions = 2 if self.bidirectional else 1
        step = STEPS[self.mode]
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                run = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh = self._weights(run)
                if self.mode == "LSTM":  # the projection and the recurrence as one fused op (ops/recurrent.py)
                    output, final = lstm_sequence(seq, *starts[run], w_ih, w_hh, b_ih, b_hh, reverse=direction == 1)
                else:
                    x_proj = F.linear(seq, w_ih, b_ih)  # every step's input projection in one matmul
                    output, final = run_direction(step, x_proj, starts[run], w_hh, b_hh, reverse=direction == 1)
                outputs.append(output)
                finals.append(final)
            seq = outputs[0] if directions == 1 else cat(outputs, dim=2)
            if layer < self.num_layers - 1 and self.dropout > 0 and self.training:
                seq = F.dropout(seq, self.dropout, True)
        if self.mode == "LSTM":  # h_n and c_n, each (num_layers*D, N, H)
            state = (stack([h for h, _ in finals]), stack([c for _, c in finals]))
        else:
            state = stack(finals)
        if not batched:
            return seq.squeeze(1), _squeeze_batch(state)
        return (seq.transpose(0, 1) if self.batch_first else seq), state

    def _weights(self, run: int) -> tuple:
        weights = self.all_weights[run]
        return tuple(weights) if self.bias else (weights[0], weights[1], None, None)

    def _time_major(self, input) -> tuple:
        """The input as (L, N, input_size), and whether it had a batch axis."""
        if not isinstance(input, Tensor):
            if type(input).__name__ == "PackedSequence":
                raise NotImplementedError(f"torch.nn.{type(self).__name__} on a PackedSequence "
                                          "(torch.nn.utils.rnn) is not supported by memograd; pad the batch instead")
            input = F._as_tensor(input)
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead")
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                             f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        if input.shape[1 if input.ndim == 3 and self.batch_first else 0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if input.ndim == 2:
            return input.unsqueeze(1), False
        return (input.transpose(0, 1) if self.batch_first else input), True

    def _start_states(self, hx, seq, batched: bool) -> list:
        """Split hx (zeros when None) into each run's start: h (N, H), or (h, c) for LSTM."""
        if self.mode != "LSTM":
            return unstack(self._initial(hx, seq, batched, "hx"))
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a pair (h_0, c_0)")
        h0, c0 = (None, None) if hx is None else hx
        return list(zip(unstack(self._initial(h0, seq, batched, "hx")),
                        unstack(self._initial(c0, seq, batched, "cx"))))

    def _initial(self, given, seq, batched: bool, what: str):
        """The start state (num_layers*D, N, H) for one of h / c: zeros, or the given one checked."""
        expected = ((2 if self.bidirectional else 1) * self.num_layers, seq.shape[1], self.hidden_size)
        if given is None:
            return creation.zeros(*expected, dtype=seq.dtype)
        if given.ndim != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, {what} should also be {3 if batched else 2}-D "
                               f"but got {given.ndim}-D tensor")
        given = given if batched else given.unsqueeze(1)
        if tuple(given.shape) != expected:
            label = "hidden" if self.mode != "LSTM" else f"hidden[{0 if what == 'hx' else 1}]"
            raise RuntimeError(f"Expected {label} size {expected}, got {list(given.shape)}")
        return given


def _squeeze_batch(state):
    """Drop the batch axis of one of h_n, or of (h_n, c_n), for unbatched input."""
    return tuple(t.squeeze(1) for t in state) if isinstance(state, tuple) else state.squeeze(1)


def _check_options(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size) -> None:
    """PyTorch's constructor checks, with its messages."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         "element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=4)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if proj_size > 0:
        raise NotImplementedError("torch.nn.LSTM(proj_size > 0) (LSTM with projections) is not supported by memograd")
    if mode not in GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), or relu with
    nonlinearity="relu". Returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; gates i, f, g, o stacked in that order in each weight.
    Returns (output, (h_n, c_n)); hx is an optional (h_0, c_0)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit; gates r, z, n stacked in that order in each weight. Returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
