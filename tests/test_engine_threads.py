"""Grad mode, anomaly mode and the compile listener are per thread, as in PyTorch: one thread's
`no_grad()` never stops another thread's recording, and a new thread starts with grad mode on."""
import threading

import numpy as np

import memograd
from memograd import nn


def test_no_grad_in_one_thread_leaves_another_recording():
    x = memograd.ones(3, requires_grad=True)
    inside, go_on, seen = threading.Event(), threading.Event(), {}

    def evaluator():
        with memograd.no_grad():
            inside.set()
            go_on.wait(5)
            seen["evaluator"] = (x * 2).grad_fn is None

    thread = threading.Thread(target=evaluator)
    thread.start()
    inside.wait(5)
    seen["trainer"] = (x * 2).grad_fn is not None and memograd.is_grad_enabled()
    go_on.set()
    thread.join()
    assert seen == {"evaluator": True, "trainer": True}


def test_a_new_thread_starts_with_grad_mode_on():
    seen = []
    with memograd.no_grad():
        thread = threading.Thread(target=lambda: seen.append(memograd.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_anomaly_mode_is_per_thread():
    seen = []
    with memograd.autograd.detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(memograd.autograd.is_anomaly_enabled()))
        thread.start()
        thread.join()
        assert memograd.autograd.is_anomaly_enabled()
    assert seen == [False]


def _train(seed: int, steps: int, evaluate: bool, failures: list) -> None:
    """Train a small model; with `evaluate`, every step also runs a no_grad evaluation."""
    memograd.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = memograd.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    x = memograd.tensor(rng.normal(size=(16, 4)), dtype=memograd.float32)
    y = memograd.tensor(rng.normal(size=(16, 1)), dtype=memograd.float32)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        if loss.grad_fn is None:
            failures.append("forward recorded nothing")
            continue
        loss.backward()
        if any(p.grad is None for p in model.parameters()):
            failures.append("a parameter got no gradient")
        optimizer.step()
        if evaluate:
            with memograd.no_grad():
                if model(x).grad_fn is not None:
                    failures.append("no_grad evaluation recorded")


def test_two_threads_train_two_models_with_zero_wrong_steps():
    failures: list = []
    threads = [threading.Thread(target=_train, args=(seed, 1000, seed == 1, failures)) for seed in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_the_fast_path_returns_once_every_mode_is_back_to_its_default():
    """Op.apply skips the per-thread reads while `modes.DEPARTED` is empty: every switch that
    leaves a default must put this thread in it, and coming back must take it out."""
    from memograd.autograd.modes import DEPARTED

    away = lambda: threading.get_ident() in DEPARTED  # noqa: E731 - other tests' threads may be in it
    assert not away()
    x = memograd.ones(2, requires_grad=True)
    with memograd.no_grad():
        assert away()
        assert not (x * 2).requires_grad
        with memograd.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert not away()
    with memograd.autograd.detect_anomaly():
        assert away()
    with memograd.inference_mode():
        assert away()
    (x * 2).sum().backward()  # the engine turns grad mode off during the walk, then back on
    assert not away() and (x * 2).requires_grad
