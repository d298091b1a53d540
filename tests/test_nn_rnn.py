"""Recurrent layers and cells: float64 finite-difference checks, PyTorch's parameter names,
shapes, init and errors, and parity with torch.nn from the same weights (outputs, final
states, every gradient), ending with a small LSTM language model trained in both libraries."""
import math
import warnings

import numpy as np
import pytest
from helpers import check_gradgrad, random_array

import memograd as mg
from memograd import nn
from memograd.nn import functional as F
from memograd.nn.layers.rnn_cell import gru_step, lstm_step


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


KINDS = {  # name -> (memograd class, extra constructor arguments, has a cell state)
    "rnn_tanh": ("RNN", {}, False),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}, False),
    "lstm": ("LSTM", {}, True),
    "gru": ("GRU", {}, False),
}


def make(lib, kind: str, *args, **kwargs):
    name, extra, _ = KINDS[kind]
    return getattr(lib.nn, name)(*args, **extra, **kwargs)


def tensor64(shape, seed: int, requires_grad: bool = True):
    return mg.tensor(random_array(shape, rng=np.random.default_rng(seed)), dtype=mg.float64,
                     requires_grad=requires_grad)


def flat(result) -> list:
    """(output, h_n) or (output, (h_n, c_n)) -> [output, h_n(, c_n)]."""
    output, state = result
    return [output] + (list(state) if isinstance(state, tuple) else [state])


# ---- finite differences, float64 ------------------------------------------------------------------


def gradcheck_module(module, inputs: list, call) -> None:
    """gradcheck the module's results w.r.t. the given inputs and every parameter."""
    module.double()
    params = list(module.parameters())

    def run(*args):
        return mg.cat([t.reshape(-1) for t in flat_or_one(call(*args[:len(inputs)]))])

    assert mg.autograd.gradcheck(run, inputs + params)


def flat_or_one(result) -> list:
    if isinstance(result, mg.Tensor):
        return [result]
    return [t for part in result for t in (part if isinstance(part, tuple) else (part,))]


@pytest.mark.parametrize("make_cell, stateful", [
    (lambda: nn.RNNCell(3, 2), False),
    (lambda: nn.RNNCell(3, 2, nonlinearity="relu"), False),
    (lambda: nn.LSTMCell(3, 2), True),
    (lambda: nn.GRUCell(3, 2), False),
    (lambda: nn.GRUCell(3, 2, bias=False), False),
])
def test_cells_match_finite_differences(make_cell, stateful):
    cell = make_cell()
    x, h = tensor64((2, 3), 1), tensor64((2, 2), 2)
    if stateful:
        c = tensor64((2, 2), 3)
        gradcheck_module(cell, [x, h, c], lambda x, h, c: cell(x, (h, c)))
    else:
        gradcheck_module(cell, [x, h], lambda x, h: cell(x, h))
    gradcheck_module(cell, [x[0].detach().requires_grad_()], lambda x: cell(x))  # unbatched, zero state


@pytest.mark.parametrize("kind", list(KINDS))
def test_two_layer_bidirectional_matches_finite_differences(kind):
    module = make(mg, kind, 1, 2, num_layers=2, bidirectional=True)
    x = tensor64((3, 2, 1), 1)
    states = [tensor64((4, 2, 2), 2 + i) for i in range(2 if KINDS[kind][2] else 1)]
    if len(states) == 2:
        gradcheck_module(module, [x] + states, lambda x, h, c: module(x, (h, c)))
    else:
        gradcheck_module(module, [x] + states, lambda x, h: module(x, h))


def test_step_functions_have_correct_second_derivatives():
    def lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
        return mg.cat(lstm_step(F.linear(x, w_ih, b_ih), (h, c), w_hh, b_hh), dim=1)

    def gru(x, h, w_ih, w_hh, b_ih, b_hh):
        return gru_step(F.linear(x, w_ih, b_ih), h, w_hh, b_hh)

    check_gradgrad(lstm, (2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,), (8,))
    check_gradgrad(gru, (2, 3), (2, 2), (6, 3), (6, 2), (6,), (6,))


# ---- names, shapes, init and errors (no torch needed) ---------------------------------------------


def test_parameter_names_shapes_and_init_bounds():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"]
    assert shapes["weight_ih_l0"] == (20, 3) and shapes["weight_ih_l1_reverse"] == (20, 10)
    assert shapes["weight_hh_l1"] == (20, 5) and shapes["bias_hh_l1_reverse"] == (20,)
    assert len(shapes) == 16 and len(lstm.all_weights) == 4 and lstm.all_weights[3][0] is lstm.weight_ih_l1_reverse
    assert list(nn.GRU(3, 4, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert {k: tuple(v.shape) for k, v in nn.GRUCell(3, 4).state_dict().items()} == {
        "weight_ih": (12, 3), "weight_hh": (12, 4), "bias_ih": (12,), "bias_hh": (12,)}
    bound = 1 / math.sqrt(5)
    for p in list(lstm.parameters()) + list(nn.LSTMCell(3, 5).parameters()):
        assert p.dtype == mg.float32 and np.abs(p.detach().numpy()).max() <= bound
        assert np.abs(p.detach().numpy()).max() > 0.8 * bound  # uniform over the whole range, not a narrower one
    lstm.flatten_parameters()  # PyTorch programs call it; a no-op here
    assert repr(nn.GRU(3, 4, 2, batch_first=True)) == "GRU(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


def test_shapes_of_outputs_and_states():
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, h = gru(mg.randn(5, 7, 3))
    assert out.shape == (5, 7, 8) and h.shape == (4, 5, 4)
    out, h = gru(mg.randn(7, 3))  # unbatched
    assert out.shape == (7, 8) and h.shape == (4, 4)
    out, (h, c) = nn.LSTM(3, 4)(mg.randn(7, 2, 3), (mg.zeros(1, 2, 4), mg.zeros(1, 2, 4)))
    assert out.shape == (7, 2, 4) and h.shape == c.shape == (1, 2, 4)
    out, h = nn.GRU(3, 4)(mg.randn(7, 0, 3))  # an empty batch, as PyTorch allows
    assert out.shape == (7, 0, 4) and h.shape == (1, 0, 4)
    h, c = nn.LSTMCell(3, 4)(mg.randn(3))
    assert h.shape == c.shape == (4,)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(NotImplementedError, match=r"torch.nn.LSTM\(proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(RuntimeError, match="Expected 3, got 2"):
        nn.GRU(3, 4)(mg.randn(5, 2, 2))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        nn.LSTM(3, 4)(mg.randn(1, 5, 2, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"):
        nn.RNN(3, 4, num_layers=2)(mg.randn(5, 2, 3), mg.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size"):
        nn.LSTM(3, 4)(mg.randn(5, 2, 3), (mg.zeros(1, 2, 4), mg.zeros(1, 3, 4)))
    with pytest.raises(RuntimeError, match="hx should also be 2-D"):
        nn.GRU(3, 4)(mg.randn(5, 3), mg.zeros(1, 1, 4))
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        nn.LSTM(3, 4, batch_first=True)(mg.randn(2, 0, 3))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        nn.GRU(3, 4)(mg.randn(5, 2, 3, dtype=mg.float64))
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D"):
        nn.GRUCell(3, 4)(mg.randn(1, 2, 3))
    with pytest.raises(NotImplementedError, match="torch.nn.utils.rnn.pack_padded_sequence"):
        nn.utils.rnn.pack_padded_sequence(mg.randn(5, 2, 3), [5, 3])


def test_dropout_acts_between_layers_only_while_training():
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = mg.randn(6, 2, 3)
    with mg.no_grad():
        train_a, train_b = gru(x)[0], gru(x)[0]
        gru.eval()
        eval_a, eval_b = gru(x)[0], gru(x)[0]
    assert not np.allclose(train_a.numpy(), train_b.numpy())
    np.testing.assert_array_equal(eval_a.numpy(), eval_b.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.5)  # no warning with several layers


def test_long_sequence_backpropagates():
    lstm = nn.LSTM(2, 3)
    x = mg.randn(400, 1, 2, requires_grad=True)
    out, _ = lstm(x)
    out.sum().backward()
    assert x.grad.shape == (400, 1, 2) and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_output_changed_in_place_refuses_backward_as_torch(bidirectional):
    """PyTorch's LSTM saves its output for backward, and memograd's fused op reads h from the same
    array: an in-place change of a one-direction output stops backward; a bidirectional output
    is a concatenated copy (in PyTorch too) and h_n a stacked one, which may change."""
    lstm = nn.LSTM(3, 4, 2, bidirectional=bidirectional)
    x = mg.randn(5, 2, 3)
    out, (h, c) = lstm(x)
    out.add_(1)
    if bidirectional:
        out.sum().backward()
    else:
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            out.sum().backward()
    lstm.zero_grad()
    out, (h, c) = lstm(x)
    h.mul_(2)
    (out.sum() + h.sum() + c.sum()).backward()
    assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in lstm.parameters())


def test_compiled_training_step_replays_bit_for_bit():
    def train(compiled: bool):
        mg.manual_seed(0)
        model = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
        head = nn.Linear(8, 2)
        optimizer = mg.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=0.01)

        def step(x, y):
            optimizer.zero_grad()
            output, (h_n, c_n) = model(x)
            loss = F.cross_entropy(head(output[-1]), y) + (h_n * c_n).mean()
            loss.backward()
            optimizer.step()
            return loss

        run = mg.compile(step) if compiled else step
        rng = np.random.default_rng(1)
        losses = [run(mg.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32)),
                      mg.tensor(rng.integers(0, 2, 2)))._data.tobytes() for _ in range(3)]
        return losses, [p._data.tobytes() for p in model.parameters()], run

    eager_losses, eager_params, _ = train(False)
    losses, params, run = train(True)
    assert run.replaying and losses == eager_losses and params == eager_params


# ---- parity with torch.nn from the same weights ------------------------------------------------------

CONFIGS = {
    "default": ({}, (3, 2, 4)),
    "batch_first": ({"batch_first": True}, (2, 3, 4)),
    "bidirectional": ({"bidirectional": True}, (3, 2, 4)),
    "two_layers": ({"num_layers": 2, "dropout": 0.0}, (3, 2, 4)),
    "two_layers_bidirectional_batch_first": ({"num_layers": 2, "bidirectional": True, "batch_first": True},
                                             (2, 3, 4)),
    "no_bias": ({"bias": False, "num_layers": 2}, (3, 2, 4)),
    "unbatched": ({"num_layers": 2, "bidirectional": True}, (3, 4)),
    "unbatched_batch_first": ({"batch_first": True}, (3, 4)),
    "given_state": ({"num_layers": 2, "bidirectional": True, "batch_first": True, "given": True}, (2, 3, 4)),
    "unbatched_given_state": ({"bidirectional": True, "given": True}, (3, 4)),
}


def copy_weights(torch, ours, theirs) -> None:
    """Load torch's state_dict into memograd, through NumPy."""
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def initial_states(kind, kwargs, shape, seed: int = 7) -> list:
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    batch = () if len(shape) == 2 else (shape[0] if kwargs.get("batch_first") else shape[1],)
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((layers,) + batch + (6,)) for _ in range(2 if KINDS[kind][2] else 1)]


def run_both(torch, kind, config, dtype=np.float64):
    """Forward and backward through both libraries; returns each side's arrays to compare."""
    kwargs, shape = CONFIGS[config]
    kwargs = dict(kwargs)
    given = kwargs.pop("given", False)
    theirs = make(torch, kind, 4, 6, **kwargs).to(getattr(torch, np.dtype(dtype).name))
    ours = make(mg, kind, 4, 6, **kwargs).to(getattr(mg, np.dtype(dtype).name))
    copy_weights(torch, ours, theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    states = [s.astype(dtype) for s in initial_states(kind, kwargs, shape)] if given else []
    results = []
    for lib, module in ((mg, ours), (torch, theirs)):
        leaves = [lib.tensor(a, requires_grad=True) for a in [x] + states]
        hx = None if not states else (tuple(leaves[1:]) if len(states) == 2 else leaves[1])
        outs = flat(module(leaves[0], hx))
        rng = np.random.default_rng(1)
        loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(dtype))).sum() for o in outs)
        loss.backward()
        arrays = {f"result {i}": o.detach().numpy() for i, o in enumerate(outs)}
        arrays.update({f"grad of input {i}": t.grad.numpy() for i, t in enumerate(leaves)})
        arrays.update({f"grad of {k}": p.grad.numpy() for k, p in module.named_parameters()})
        results.append(arrays)
    return results


# relu differs from tanh only inside the step: a few configurations cover it
RELU_CONFIGS = ("default", "two_layers_bidirectional_batch_first", "unbatched_given_state")


@pytest.mark.parametrize("kind, config", [(kind, config) for kind in KINDS for config in CONFIGS
                                          if kind != "rnn_relu" or config in RELU_CONFIGS])
def test_layers_match_torch(torch, kind, config):
    ours, theirs = run_both(torch, kind, config)
    assert list(ours) == list(theirs)
    for name in theirs:
        assert ours[name].shape == theirs[name].shape, name
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layers_match_torch_in_float32(torch, kind):
    ours, theirs = run_both(torch, kind, "two_layers_bidirectional_batch_first", dtype=np.float32)
    for name in theirs:
        assert ours[name].dtype == np.float32, name
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("cell, batched, given, bias", [
    (cell, batched, given, bias)
    for cell in ("RNNCell", "LSTMCell", "GRUCell") for batched in (True, False) for given in (True, False)
    for bias in (True, False) if bias or (batched and given)
] + [("RNNCell_relu", True, True, True)])
def test_cells_match_torch(torch, cell, batched, given, bias):
    extra = {"nonlinearity": "relu"} if cell.endswith("relu") else {}
    name = cell.split("_")[0]
    theirs = getattr(torch.nn, name)(4, 3, bias=bias, **extra).double()
    ours = getattr(nn, name)(4, 3, bias=bias, **extra).double()
    copy_weights(torch, ours, theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4) if batched else (4,))
    states = [rng.standard_normal((2, 3) if batched else (3,)) for _ in range(2 if name == "LSTMCell" else 1)]
    states = states if given else []
    results = []
    for lib, module in ((mg, ours), (torch, theirs)):
        leaves = [lib.tensor(a, requires_grad=True) for a in [x] + states]
        hx = None if not states else (tuple(leaves[1:]) if len(states) == 2 else leaves[1])
        out = module(leaves[0], hx)
        outs = list(out) if isinstance(out, tuple) else [out]
        sum((o * (i + 1.5)).sum() for i, o in enumerate(outs)).backward()
        results.append([o.detach().numpy() for o in outs] + [t.grad.numpy() for t in leaves]
                       + [p.grad.numpy() for p in module.parameters()])
    for a, b in zip(*results):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_pad_sequence_matches_torch(torch):
    pieces = [np.random.default_rng(i).standard_normal((n, 2)) for i, n in enumerate((3, 1, 2))]
    for batch_first in (False, True):
        for side in ("right", "left"):
            ours = nn.utils.rnn.pad_sequence([mg.tensor(p) for p in pieces], batch_first, -1.0, side)
            theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(p) for p in pieces], batch_first, -1.0, side)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- a small LSTM language model, the same program in both libraries --------------------------------

VOCAB, EMBED, HIDDEN = 11, 6, 8


def language_model(lib):
    """A PyTorch program: the same code builds the model on torch and on memograd."""

    class TinyLM(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(VOCAB, EMBED)
            self.lstm = lib.nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True)
            self.head = lib.nn.Linear(HIDDEN, VOCAB)

        def forward(self, tokens):
            output, _ = self.lstm(self.embed(tokens))
            return self.head(output)

    return TinyLM()


def train_language_model(lib, model, tokens: np.ndarray, steps: int) -> list:
    inputs, targets = lib.tensor(tokens[:, :-1]), lib.tensor(tokens[:, 1:])
    optimizer = lib.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        logits = model(inputs)
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_lstm_language_model_trains_as_in_torch(torch):
    torch.manual_seed(0)
    theirs, ours = language_model(torch), language_model(mg)
    copy_weights(torch, ours, theirs)
    tokens = np.random.default_rng(0).integers(0, VOCAB, size=(4, 9))
    expected = train_language_model(torch, theirs, tokens, steps=6)
    got = train_language_model(mg, ours, tokens, steps=6)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert got[-1] < got[0]
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-5, err_msg=name)
