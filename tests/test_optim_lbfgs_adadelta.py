"""LBFGS and Adadelta against torch.optim: the same program (a small tanh regression net, float64,
same start weights) run under both libraries, several steps, parameters equal to 1e-6."""
import numpy as np
import pytest

import memograd
import memograd.optim as optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((24, 3))
Y = np.sin(X @ np.array([[1.0], [-2.0], [0.5]])) + 0.1 * RNG.standard_normal((24, 1))
WEIGHTS = {
    "0.weight": RNG.standard_normal((6, 3)) * 0.5, "0.bias": RNG.standard_normal(6) * 0.1,
    "2.weight": RNG.standard_normal((1, 6)) * 0.5, "2.bias": RNG.standard_normal(1) * 0.1,
}


def train(lib, make_optimizer, steps: int, step_size: int | None = None):
    """The same training loop for both libraries: step(closure) each time, StepLR if asked.
    Returns the losses step() gave, the final parameters, and the optimizer."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    model.load_state_dict({k: lib.tensor(v) for k, v in WEIGHTS.items()})
    opt = make_optimizer(lib, model.parameters())
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=0.5) if step_size else None
    x, y, loss_fn = lib.tensor(X), lib.tensor(Y), nn.MSELoss()

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        if sched is not None:
            sched.step()
    return losses, [p.detach().numpy().copy() for p in model.parameters()], opt


def assert_same_run(make_optimizer, steps: int, step_size: int | None = None):
    ours, our_params, our_opt = train(memograd, make_optimizer, steps, step_size)
    theirs, their_params, their_opt = train(torch, make_optimizer, steps, step_size)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert ours[-1] < ours[0]  # and it did learn
    return our_opt, their_opt


# ---- LBFGS -----------------------------------------------------------------------------------

LBFGS_CASES = [
    dict(lr=0.5, max_iter=5),
    dict(lr=0.5, max_iter=6, history_size=3),  # the memory fills and drops its oldest pairs
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=8, history_size=4),
    dict(line_search_fn="strong_wolfe", max_iter=10, max_eval=12, tolerance_change=1e-6),
]


@pytest.mark.parametrize("options", LBFGS_CASES, ids=[str(o) for o in LBFGS_CASES])
def test_lbfgs_matches_torch(options):
    ours, theirs = assert_same_run(lambda lib, params: lib.optim.LBFGS(params, **options), steps=3)
    our_state = ours.state[ours.param_groups[0]["params"][0]]
    their_state = theirs.state[theirs.param_groups[0]["params"][0]]
    assert (our_state["func_evals"], our_state["n_iter"]) == (their_state["func_evals"], their_state["n_iter"])
    assert len(our_state["old_dirs"]) == len(their_state["old_dirs"])
    assert set(our_state) == set(their_state)


def test_lbfgs_with_step_lr_matches_torch():
    assert_same_run(lambda lib, params: lib.optim.LBFGS(params, lr=0.8, max_iter=4), steps=4, step_size=2)


def test_lbfgs_stops_at_a_stationary_point_and_returns_the_first_loss():
    w = memograd.tensor([3.0, -2.0], dtype=memograd.float64, requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - memograd.tensor([1.0, 4.0], dtype=memograd.float64)) ** 2).sum()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert float(first) == pytest.approx(40.0)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 4.0], atol=1e-8)
    evals = opt.state[w]["func_evals"]
    assert float(opt.step(closure)) < 1e-12  # already optimal: one evaluation, no move
    assert opt.state[w]["func_evals"] == evals + 1


def test_lbfgs_state_dict_resumes_the_same_run():
    def make(lib, params):
        return lib.optim.LBFGS(params, lr=0.5, max_iter=3, history_size=4)

    _, straight, _ = train(memograd, make, steps=4)
    # two steps, save, a fresh optimizer loads the state, two more steps
    nn = memograd.nn
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    model.load_state_dict({k: memograd.tensor(v) for k, v in WEIGHTS.items()})
    x, y = memograd.tensor(X), memograd.tensor(Y)

    def run(opt, steps):
        def closure():
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            return loss
        for _ in range(steps):
            opt.step(closure)

    first = make(memograd, model.parameters())
    run(first, 2)
    second = make(memograd, model.parameters())
    second.load_state_dict(first.state_dict())
    run(second, 2)
    for a, b in zip([p.detach().numpy() for p in model.parameters()], straight):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_lbfgs_checks_its_options():
    w = memograd.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="learning rate"):
        optim.LBFGS([w], lr=-1)
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="history_size"):
        optim.LBFGS([w], history_size=0)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [memograd.zeros(1, requires_grad=True)]}])
    assert optim.LBFGS([w], max_iter=8).defaults["max_eval"] == 10  # max_iter * 5 // 4, as PyTorch


# ---- Adadelta ----------------------------------------------------------------------------------

ADADELTA_CASES = [
    dict(),
    dict(lr=0.5, weight_decay=0.1),
    dict(lr=2.0, rho=0.8, eps=1e-4),
]


@pytest.mark.parametrize("options", ADADELTA_CASES, ids=[str(o) for o in ADADELTA_CASES])
def test_adadelta_matches_torch(options):
    ours, theirs = assert_same_run(lambda lib, params: lib.optim.Adadelta(params, **options), steps=8)
    for p, q in zip(ours.param_groups[0]["params"], theirs.param_groups[0]["params"]):
        for key in ("square_avg", "acc_delta"):
            np.testing.assert_allclose(ours.state[p][key].numpy(), theirs.state[q][key].numpy(), rtol=1e-9)
        assert ours.state[p]["step"] == int(theirs.state[q]["step"])


def test_adadelta_with_step_lr_matches_torch():
    assert_same_run(lambda lib, params: lib.optim.Adadelta(params, lr=1.5, weight_decay=0.01), steps=8,
                    step_size=3)


def test_adadelta_maximize_matches_torch():
    # maximize on the negated loss walks the same path as minimizing the loss
    start = RNG.standard_normal(5)
    grads = [RNG.standard_normal(5) for _ in range(6)]
    paths = []
    for lib in (memograd, torch):
        p = lib.tensor(start.copy(), requires_grad=True)
        opt = lib.optim.Adadelta([p], lr=0.7, weight_decay=0.2, maximize=True)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        paths.append(p.detach().numpy().copy())
    np.testing.assert_allclose(paths[0], paths[1], rtol=1e-12)


def test_adadelta_checks_its_options():
    w = memograd.zeros(2, requires_grad=True)
    for bad, match in ((dict(lr=-0.1), "learning rate"), (dict(rho=1.5), "rho"), (dict(eps=-1.0), "epsilon"),
                       (dict(weight_decay=-1.0), "weight_decay")):
        with pytest.raises(ValueError, match=match):
            optim.Adadelta([w], **bad)
