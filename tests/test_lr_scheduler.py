"""Learning-rate schedules: lr sequences worked out by hand, state_dict round trips, errors."""
import copy
import math

import numpy as np
import pytest

import memograd
from memograd.optim import SGD, Adagrad, Adam
from memograd.optim.lr_scheduler import (
    CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, MultiStepLR, OneCycleLR, ReduceLROnPlateau, StepLR,
)


def sgd(lr=1.0, groups=1, **options):
    params = [memograd.tensor([float(i)], requires_grad=True) for i in range(groups)]
    return SGD([{"params": [p]} for p in params], lr=lr, **options)


def lrs(scheduler, epochs: int) -> list[float]:
    """The lr of group 0 at epochs 0 .. epochs-1 (epoch 0 is what the constructor sets)."""
    out = [scheduler.get_last_lr()[0]]
    for _ in range(epochs - 1):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


# ---- the schedules, by hand --------------------------------------------------------------

def test_step_lr():
    assert lrs(StepLR(sgd(), step_size=2, gamma=0.5), 7) == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_multi_step_lr_counts_repeated_milestones():
    got = lrs(MultiStepLR(sgd(), milestones=[2, 5, 5], gamma=0.1), 7)
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 0.1, 0.001, 0.001])


def test_exponential_lr():
    assert lrs(ExponentialLR(sgd(), gamma=0.5), 4) == [1, 0.5, 0.25, 0.125]


def test_cosine_annealing_closed_form():
    half = (1 + math.cos(math.pi / 4)) / 2  # 0.8535...
    got = lrs(CosineAnnealingLR(sgd(), T_max=4), 7)
    np.testing.assert_allclose(got, [1, half, 0.5, 1 - half, 0, 1 - half, 0.5], atol=1e-15)
    got = lrs(CosineAnnealingLR(sgd(), T_max=4, eta_min=0.2), 5)
    np.testing.assert_allclose(got, [1, 0.2 + 0.8 * half, 0.6, 0.2 + 0.8 * (1 - half), 0.2])


def test_lambda_lr_one_function_or_one_per_group():
    np.testing.assert_allclose(lrs(LambdaLR(sgd(), lambda e: 1 / (e + 1)), 4), [1, 1 / 2, 1 / 3, 1 / 4])
    opt = sgd(lr=2.0, groups=2)
    sched = LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5**e])
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [2.0, 1.0]


def test_one_cycle_linear_by_hand():
    opt = sgd(momentum=0.9)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear", div_factor=10,
                       final_div_factor=100)
    group = opt.param_groups[0]
    assert (group["initial_lr"], group["max_lr"], group["min_lr"]) == (0.1, 1.0, 0.001)
    momenta = [group["momentum"]]
    got = [sched.get_last_lr()[0]]
    for _ in range(9):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr()[0])
        momenta.append(group["momentum"])
    # warm-up ends at step 0.3 · 10 - 1 = 2; then 7 steps down to min_lr
    expected = [0.1, 0.55, 1.0] + [1.0 + (0.001 - 1.0) * k / 7 for k in range(1, 8)]
    np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(momenta, [0.95, 0.9, 0.85] + [0.85 + 0.1 * k / 7 for k in range(1, 8)])
    opt.step()
    sched.step()  # step 10 is allowed (PyTorch's bound), step 11 is not
    with pytest.raises(ValueError, match="tried to step 11 times"):
        sched.step()


def test_one_cycle_cos_peaks_at_max_lr_and_cycles_adam_beta1():
    opt = Adam([memograd.tensor([1.0], requires_grad=True)], betas=(0.9, 0.99))
    sched = OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=5)
    assert sched.total_steps == 10
    got = lrs(sched, 10)
    np.testing.assert_allclose(got[0], 0.02)
    np.testing.assert_allclose(got[2], 0.5)  # end of warm-up: step 0.3 · 10 - 1
    np.testing.assert_allclose(got[1], 0.02 + (0.5 - 0.02) / 2)  # half way on the cosine
    min_lr = 0.02 / 1e4
    np.testing.assert_allclose(got[5], min_lr + (0.5 - min_lr) * (1 + math.cos(math.pi * 3 / 7)) / 2)
    np.testing.assert_allclose(got[9], min_lr)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)  # beta1 is back at max_momentum, beta2 untouched


def test_reduce_on_plateau_patience_and_cooldown():
    def run(metrics, **options):
        opt = sgd()
        sched = ReduceLROnPlateau(opt, factor=0.5, patience=1, threshold=0.0, threshold_mode="abs", **options)
        out = []
        for metric in metrics:
            sched.step(metric)
            out.append(opt.param_groups[0]["lr"])
        return out

    assert run([10, 10, 10, 10, 10, 9]) == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert run([10, 10, 10, 10, 10, 10]) == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert run([10, 10, 10, 10, 10, 10], cooldown=1) == [1, 1, 0.5, 0.5, 0.5, 0.25]
    assert run([10] * 9, min_lr=0.3) == [1, 1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3]
    assert run([1, 2, 3, 4, 5], mode="max") == [1] * 5


def test_reduce_on_plateau_thresholds():
    opt = sgd()
    sched = ReduceLROnPlateau(opt, mode="min", threshold=0.1, patience=0)  # rel: must beat best · 0.9
    sched.step(10.0)
    sched.step(9.5)  # not 10 % better: cut
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    assert sched.best == 10.0
    sched = ReduceLROnPlateau(sgd(), mode="max", threshold=0.5, threshold_mode="abs")
    sched.step(1.0)
    assert not sched.is_better(1.4, sched.best) and sched.is_better(1.6, sched.best)
    sched.step(memograd.tensor(2.0))  # a one-element tensor is a fine metric
    assert sched.best == 2.0


# ---- the LRScheduler contract ------------------------------------------------------------

def test_constructing_a_scheduler_sets_initial_lr_once():
    opt = sgd(lr=0.3, groups=2)
    opt.param_groups[1]["lr"] = 0.7
    sched = StepLR(opt, step_size=1, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.3, 0.7] == sched.base_lrs
    opt.step()
    sched.step()
    second = ExponentialLR(opt, gamma=0.9)  # initial_lr already set: kept
    assert second.base_lrs == [0.3, 0.7]
    assert sched.last_epoch == 1 and second.last_epoch == 0


def test_groups_follow_their_own_base_lr():
    opt = sgd(lr=1.0, groups=2)
    opt.param_groups[1]["lr"] = 10.0
    sched = StepLR(opt, step_size=1, gamma=0.1)
    opt.step()
    sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [0.1, 1.0])
    assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()


def test_chainable_schedules_compose():
    opt = sgd()
    first, second = StepLR(opt, step_size=2, gamma=0.5), ExponentialLR(opt, gamma=0.9)
    for _ in range(2):
        opt.step()
        first.step()
        second.step()
    np.testing.assert_allclose(opt.param_groups[0]["lr"], 0.5 * 0.9**2)


def test_step_with_an_epoch_uses_the_closed_form():
    sched = StepLR(sgd(), step_size=2, gamma=0.5)
    sched.step(5)
    assert sched.last_epoch == 5 and sched.get_last_lr() == [0.25]
    sched = MultiStepLR(sgd(), milestones=[1, 3, 3], gamma=0.1)
    sched.step(3)
    np.testing.assert_allclose(sched.get_last_lr(), [0.001])


def test_scheduler_state_survives_save_and_load(tmp_path):
    opt = sgd()
    sched = MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    memograd.save(sched.state_dict(), tmp_path / "sched.safetensors")
    fresh = MultiStepLR(sgd(), milestones=[1])
    fresh.load_state_dict(memograd.load(tmp_path / "sched.safetensors"))
    fresh.step(4)  # the closed form works on the reloaded milestones
    assert fresh.get_last_lr() == [0.125]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(sgd(), step_size=2, last_epoch=3)
    opt = sgd()
    opt.param_groups[0]["initial_lr"] = 1.0
    opt.param_groups[0]["lr"] = 0.5  # the value a checkpoint left
    sched = StepLR(opt, step_size=2, gamma=0.5, last_epoch=3)
    assert sched.last_epoch == 4 and sched.get_last_lr() == [0.5]  # the initial step did not decay it


def schedules():
    return [
        lambda opt: StepLR(opt, step_size=3, gamma=0.5),
        lambda opt: MultiStepLR(opt, milestones=[2, 6], gamma=0.3),
        lambda opt: ExponentialLR(opt, gamma=0.8),
        lambda opt: CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
        lambda opt: LambdaLR(opt, lambda e: 1 / (1 + e)),
        lambda opt: OneCycleLR(opt, max_lr=2.0, total_steps=12, three_phase=True),
    ]


@pytest.mark.parametrize("make", schedules(), ids=["step", "multistep", "exp", "cosine", "lambda", "onecycle"])
def test_state_dict_round_trip_continues_exactly(make):
    opt = sgd(momentum=0.9)
    expected = lrs(make(opt), 12)

    opt = sgd(momentum=0.9)
    sched = make(opt)
    lrs(sched, 5)
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), sched.state_dict()
    fresh_opt = sgd(momentum=0.9)
    fresh = make(fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved_sched)
    assert fresh.last_epoch == 4
    assert lrs(fresh, 8) == expected[4:]


def test_lambda_state_dict_keeps_callable_objects_not_functions():
    class Warmup:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor

    opt = sgd(groups=2)
    sched = LambdaLR(opt, [lambda e: 1.0, Warmup()])
    sched.lr_lambdas[1].factor = 0.25
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.25}]
    fresh = LambdaLR(sgd(groups=2), [lambda e: 1.0, Warmup()])
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[1].factor == 0.25


def test_plateau_state_dict_round_trip():
    opt = sgd()
    sched = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for metric in [3.0, 2.0, 2.5]:
        sched.step(metric)
    state = sched.state_dict()
    assert "optimizer" not in state and state["best"] == 2.0 and state["num_bad_epochs"] == 0
    fresh = ReduceLROnPlateau(sgd(), patience=0, factor=0.5)
    fresh.load_state_dict(state)
    assert fresh.best == 2.0 and fresh.last_epoch == 3 and fresh.mode_worse == math.inf


@pytest.mark.parametrize(("build", "error", "match"), [
    (lambda opt: StepLR("not an optimizer", step_size=1), TypeError, "str is not an Optimizer"),
    (lambda opt: StepLR(opt, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda opt: CosineAnnealingLR(opt, T_max=0), ValueError, "T_max must be positive"),
    (lambda opt: LambdaLR(opt, [lambda e: 1.0] * 2), ValueError, "one value per param group"),
    (lambda opt: OneCycleLR(opt, max_lr=1.0), ValueError, "total_steps or both epochs and steps_per_epoch"),
    (lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=0), ValueError, "total_steps must be a positive"),
    (lambda opt: OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=-1), ValueError, "steps_per_epoch"),
    (lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=1.5), ValueError, "pct_start"),
    (lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda opt: OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=5), ValueError, "max_lr must have one value"),
    (lambda opt: ReduceLROnPlateau(opt, factor=1.0), ValueError, "factor should be < 1.0"),
    (lambda opt: ReduceLROnPlateau(opt, mode="lowest"), ValueError, "mode 'lowest' is unknown"),
    (lambda opt: ReduceLROnPlateau(opt, threshold_mode="pct"), ValueError, "threshold mode 'pct' is unknown"),
    (lambda opt: ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]), ValueError, "min_lr must have one value"),
])
def test_invalid_arguments(build, error, match):
    with pytest.raises(error, match=match):
        build(sgd())


def test_one_cycle_momentum_needs_an_optimizer_with_momentum():
    opt = Adagrad([memograd.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        OneCycleLR(opt, max_lr=1.0, total_steps=5)
    OneCycleLR(opt, max_lr=1.0, total_steps=5, cycle_momentum=False)  # fine without cycling


def test_base_class_requires_get_lr():
    with pytest.raises(NotImplementedError, match="get_lr"):
        LRScheduler(sgd())
