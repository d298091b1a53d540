"""memograd.compile guards: what makes a step record again or run eagerly, always with the
eager results and one warning."""
import warnings
from memograd.autograd.modes import modes

import numpy as np
import pytest

import memograd as mg
import memograd.nn.functional as F
from memograd import nn, optim


def data(n, batch=8, dtype=np.float32, seed=1):
    rng = np.random.default_rng(seed)
    return [(mg.tensor(rng.standard_normal((batch, 6)).astype(dtype)), mg.tensor(rng.integers(0, 3, batch)))
            for _ in range(n)]


def setup(body=None, layers=None):
    """(model, step): the step calls `body(loss)` before backward when given."""
    mg.manual_seed(0)
    model = nn.Sequential(*(layers() if layers else [nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)]))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        if body is not None:
            loss = body(loss)
        loss.backward()
        opt.step()
        return loss

    return model, step


def run_both(batches, **kw):
    """Eager and compiled runs over `batches`: (eager losses, compiled losses, compiled step, warnings)."""
    model, step = setup(**kw)
    want = [step(x, y)._data.copy() for x, y in batches]
    want_params = [p._data.copy() for p in model.parameters()]
    model, step = setup(**kw)
    compiled = mg.compile(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = [compiled(x, y)._data.copy() for x, y in batches]
    assert [a.tobytes() for a in got] == [a.tobytes() for a in want]
    assert all(p._data.tobytes() == q.tobytes() for p, q in zip(model.parameters(), want_params))
    assert modes.recorder is None
    return compiled, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_new_shapes_warn_once_and_are_recorded_again():
    batches = data(4, batch=8) + data(4, batch=5, seed=2) + data(2, batch=8, seed=3) + data(2, batch=5, seed=4)
    compiled, messages = run_both(batches)
    assert len(messages) == 1 and "shapes, dtypes or values changed" in messages[0]
    assert len(compiled.programs) == 2


def test_new_dtype_warns_and_still_matches_eager():
    compiled, messages = run_both(data(3) + data(3, dtype=np.float64, seed=2))
    assert len(messages) == 1 and "dtypes" in messages[0]


@pytest.mark.parametrize("read", ["item", "bool", "float"])
def test_value_dependent_control_flow_runs_eagerly(read):
    reads = {"item": lambda t: t.item() > 1.0, "bool": lambda t: bool(t > 1.0), "float": lambda t: float(t) > 1.0}

    def body(loss):
        return loss * 2.0 if reads[read](loss) else loss

    compiled, messages = run_both(data(5), body=body)
    assert not compiled.replaying
    assert len(messages) == 1 and "cannot be replayed" in messages[0]


def test_dropout_mask_changes_each_call_so_the_step_runs_eagerly():
    layers = lambda: [nn.Linear(6, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 3)]
    model, step = setup(layers=layers)
    mg.manual_seed(5)
    want = [step(x, y)._data.copy() for x, y in data(5)]
    model, step = setup(layers=layers)
    compiled = mg.compile(step)
    mg.manual_seed(5)
    with pytest.warns(RuntimeWarning, match="different program"):
        got = [compiled(x, y)._data.copy() for x, y in data(5)]
    assert [a.tobytes() for a in got] == [a.tobytes() for a in want]
    assert not compiled.replaying


def test_changed_parameter_flag_is_recorded_again():
    model, step = setup()
    compiled = mg.compile(step)
    for x, y in data(3):
        compiled(x, y)
    assert compiled.replaying
    model[0].weight.requires_grad_(False)
    with pytest.warns(RuntimeWarning, match="requires_grad changed"):
        compiled(*data(1)[0])


def test_custom_function_backward_runs_eagerly():
    class Square(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_out

    compiled, messages = run_both(data(4), body=lambda loss: Square.apply(loss))
    assert not compiled.replaying and "custom autograd.Function" in messages[0]


def test_an_error_while_recording_propagates_and_stops_recording():
    def step(x):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        mg.compile(step)(mg.ones(3))
    assert modes.recorder is None


def test_recording_is_off_outside_compiled_calls():
    _, step = setup()
    compiled = mg.compile(step)
    for x, y in data(3):
        compiled(x, y)
        assert modes.recorder is None
