"""Every schedule against torch.optim.lr_scheduler: the same lr (and momentum) at each step."""
import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")

EPOCHS = 30

CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.05)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.97**epoch / (1 + epoch % 3))),
    ("OneCycleLR", dict(max_lr=[1.0, 3.0], total_steps=EPOCHS)),
    ("OneCycleLR", dict(max_lr=2.0, epochs=5, steps_per_epoch=6, anneal_strategy="linear", pct_start=0.4)),
    ("OneCycleLR", dict(max_lr=2.0, total_steps=EPOCHS, div_factor=5, final_div_factor=50, base_momentum=0.7,
                        max_momentum=[0.9, 0.99])),
    ("OneCycleLR", dict(max_lr=2.0, total_steps=EPOCHS, three_phase=True, cycle_momentum=False)),
]


def trace(lib, optimizer_name, scheduler_name, options, **optimizer_options):
    """(lrs, momenta) of both groups at every epoch."""
    params = [lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)]
    opt = getattr(lib.optim, optimizer_name)([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}],
                                             lr=0.1, **optimizer_options)
    sched = getattr(lib.optim.lr_scheduler, scheduler_name)(opt, **options)
    lrs, momenta = [], []
    for _ in range(EPOCHS):
        lrs.append(list(sched.get_last_lr()))
        momenta.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return np.array(lrs, dtype=float), np.array(momenta, dtype=float)


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize(("optimizer", "optimizer_options"), [("SGD", {"momentum": 0.9}), ("Adam", {})])
def test_matches_torch(name, options, optimizer, optimizer_options):
    ours = trace(memograd, optimizer, name, options, **optimizer_options)
    theirs = trace(torch, optimizer, name, options, **optimizer_options)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-15, err_msg="lr")
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-15, err_msg="momentum")


@pytest.mark.parametrize("options", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.05),
    dict(factor=0.3, patience=1, threshold=0.1, threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.2]),
])
def test_reduce_on_plateau_matches_torch(options):
    metrics = np.random.default_rng(0).uniform(0.0, 1.0, size=60).cumsum() % 3.0

    def run(lib):
        params = [lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)]
        opt = lib.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}], lr=1.0)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        out = []
        for metric in metrics:
            opt.step()
            sched.step(float(metric))
            out.append([g["lr"] for g in opt.param_groups] + [sched.num_bad_epochs, sched.cooldown_counter])
        return np.array(out, dtype=float)

    ours, theirs = run(memograd), run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert ours[-1, 0] < 1.0  # the sequence did trigger cuts
