"""memograd.compile: a replayed step gives bit-for-bit the results of the eager step.

Each test trains two identical models from the same seed on the same batches, one step
function called eagerly and one compiled, and compares losses, parameters and gradients
byte for byte."""
import numpy as np
import pytest
from memograd.autograd.modes import modes

import memograd as mg
import memograd.nn.functional as F
from memograd import nn, optim


def batches(n, shape, classes, seed=1):
    rng = np.random.default_rng(seed)
    return [(mg.tensor(rng.standard_normal(shape).astype(np.float32)), mg.tensor(rng.integers(0, classes, shape[0])))
            for _ in range(n)]


def mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(6 * 2 * 2, 5))


def train(make_model, make_opt, data, compiled, scheduler=None):
    """(losses, model, step) after one step per batch."""
    mg.manual_seed(0)
    model = make_model()
    opt = make_opt(model.parameters())
    sched = scheduler(opt) if scheduler else None

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = mg.compile(step) if compiled else step
    losses = []
    for x, y in data:
        losses.append(run(x, y)._data.copy())
        if sched is not None:
            sched.step()
    return losses, model, run


def assert_same_training(make_model, make_opt, data, scheduler=None):
    eager_losses, eager_model, _ = train(make_model, make_opt, data, False, scheduler)
    losses, model, run = train(make_model, make_opt, data, True, scheduler)
    assert run.replaying, "the step was never replayed"
    assert [a.tobytes() for a in losses] == [a.tobytes() for a in eager_losses]
    for p, q in zip(model.parameters(), eager_model.parameters()):
        assert p._data.tobytes() == q._data.tobytes()
        assert p.grad._data.tobytes() == q.grad._data.tobytes()
    return run


OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2),
    "adamw_amsgrad": lambda ps: optim.AdamW(ps, lr=1e-2, amsgrad=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_mlp_matches_eager_bit_for_bit(name):
    assert_same_training(mlp, OPTIMIZERS[name], batches(6, (8, 20), 5))


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_cnn_matches_eager_bit_for_bit(name):
    assert_same_training(cnn, OPTIMIZERS[name], batches(5, (4, 1, 8, 8), 5))


def test_learning_rate_schedule_is_read_on_every_replay():
    sched = lambda opt: optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert_same_training(mlp, OPTIMIZERS["momentum"], batches(7, (8, 20), 5), scheduler=sched)


def chain(x):
    y = x
    for _ in range(50):
        y = y * 0.9
        y = y + 0.1
        y = y.tanh()
        y = y * y
    y.sum().backward()
    return x.grad


def test_elementwise_chain_matches_eager():
    x0 = np.random.default_rng(0).standard_normal(16).astype(np.float32)
    step = mg.compile(chain)
    for scale in (1.0, 0.5, 2.0, -1.0):
        got = step(mg.tensor(x0 * scale, requires_grad=True))
        want = chain(mg.tensor(x0 * scale, requires_grad=True))
        assert got._data.tobytes() == want._data.tobytes()
    assert step.replaying
    assert len(step.programs[0]) >= 400  # 200 forwards, their rules, the sum and the deposit


def test_manual_update_and_accumulated_gradients():
    """A step without zero_grad accumulates into .grad; a hand-written update under no_grad."""
    def make():
        mg.manual_seed(0)
        w = mg.randn(5, 3, requires_grad=True)

        def step(x):
            loss = ((x @ w).tanh() ** 2).mean()
            loss.backward()
            with mg.no_grad():
                w.sub_(0.1 * w.grad)
            return loss
        return w, step

    data = [mg.tensor(np.random.default_rng(i).standard_normal((4, 5)).astype(np.float32)) for i in range(6)]
    w1, step1 = make()
    want = [step1(x)._data.copy() for x in data]
    w2, step2 = make()
    step2 = mg.compile(step2)
    got = [step2(x)._data.copy() for x in data]
    assert step2.replaying
    assert [a.tobytes() for a in got] == [a.tobytes() for a in want]
    assert w2._data.tobytes() == w1._data.tobytes() and w2.grad._data.tobytes() == w1.grad._data.tobytes()


def test_replay_builds_no_tensors_and_no_graph(monkeypatch):
    data = batches(4, (8, 20), 5)
    _, _, run = train(mlp, OPTIMIZERS["sgd"], data[:3], True)
    assert run.replaying
    made = []
    original = mg.Tensor._make
    monkeypatch.setattr(mg.Tensor, "_make", staticmethod(lambda d, fn: made.append(fn) or original(d, fn)))
    loss = run(*data[3])
    assert made == [None]  # only the returned loss, with no grad_fn
    assert loss.grad_fn is None and modes.recorder is None


def test_labels_are_read_and_checked_on_every_replay():
    """The loss reads each batch's labels in its forward: ignored samples that appear only
    after the program was trusted are ignored as in eager, and a bad label still raises."""
    data = batches(5, (8, 20), 5)
    data[3][1]._data[[0, 5]] = -100
    data[4][1]._data[:] = -100  # every sample ignored: a NaN loss, as eager
    assert_same_training(mlp, OPTIMIZERS["sgd"], data)
    _, _, run = train(mlp, OPTIMIZERS["sgd"], data[:3], True)
    with pytest.raises(IndexError, match="target 7 is out of bounds for 5 classes"):
        run(data[0][0], mg.tensor([7, 0, 0, 0, 0, 0, 0, 0]))


def test_print_program_lists_the_calls(capsys):
    _, _, run = train(mlp, OPTIMIZERS["adam"], batches(3, (8, 20), 5), True)
    run.print_program()
    text = capsys.readouterr().out
    for expected in ("def replay(a0, a1):", "Linear.forward(", "Linear.backward(", "ClassCrossEntropy.forward(", ", v1, ignore_index=-100",
                     "set_grad(", "opt0.step()"):
        assert expected in text
