"""Every optimizer against torch.optim: same start, same gradient sequence, ten steps, float64."""
import numpy as np
import pytest

import memograd
import memograd.optim as optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,)]
STEPS = 10

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.8, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.005, alpha=0.8, eps=1e-4, weight_decay=0.1, momentum=0.3, centered=True, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]


def starts_and_grads(seed: int = 0):
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(shape) for shape in SHAPES]
    grads = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(STEPS)]
    return starts, grads


def run_memograd(name, groups_options, starts, grads):
    params = [memograd.tensor(s.copy(), requires_grad=True) for s in starts]
    groups, defaults = groups_options(params)
    opt = getattr(optim, name)(groups, **defaults)
    trace = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = memograd.tensor(g)
        opt.step()
        trace.append([p._data.copy() for p in params])
    return trace


def run_torch(name, groups_options, starts, grads):
    params = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    groups, defaults = groups_options(params)
    opt = getattr(torch.optim, name)(groups, **defaults)
    trace = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        opt.step()
        trace.append([p.detach().numpy().copy() for p in params])
    return trace


def assert_same_trace(ours, theirs) -> None:
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_matches_torch(name, options):
    starts, grads = starts_and_grads()

    def single_group(params):
        return params, options

    assert_same_trace(run_memograd(name, single_group, starts, grads), run_torch(name, single_group, starts, grads))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_with_their_own_options_match_torch(name):
    starts, grads = starts_and_grads(seed=1)
    extra = {"SGD": {"momentum": 0.9}, "RMSprop": {"centered": True}}.get(name, {})

    def two_groups(params):
        groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3, "weight_decay": 0.2}]
        return groups, dict(lr=0.05, **extra)

    assert_same_trace(run_memograd(name, two_groups, starts, grads), run_torch(name, two_groups, starts, grads))


def test_a_parameter_without_gradient_is_skipped_like_torch():
    starts, grads = starts_and_grads(seed=2)
    for step_grads in grads[::2]:
        step_grads[1] = None

    def run(lib, tensor):
        params = [tensor(s.copy(), requires_grad=True) for s in starts]
        opt = lib.optim.Adam(params, lr=0.1)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = None if g is None else tensor(g)
            opt.step()
        return [np.array(p.detach().numpy()) for p in params], opt.state_dict()["state"][1]["step"]

    (ours, our_steps), (theirs, their_steps) = run(memograd, memograd.tensor), run(torch, torch.tensor)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert our_steps == int(their_steps) == STEPS // 2
