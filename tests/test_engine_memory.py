"""Memory: training steps leave no reference cycles and no growing allocations, and
backward frees the arrays saved for it."""
import gc
import tracemalloc
import weakref

import numpy as np

import memograd


def make_params():
    memograd.manual_seed(0)
    return [memograd.randn(8, 16, requires_grad=True), memograd.zeros(16, requires_grad=True),
            memograd.randn(16, 3, requires_grad=True), memograd.zeros(3, requires_grad=True)]


def train_step(params, x, y, lr=0.01):
    w1, b1, w2, b2 = params
    hidden = (x @ w1 + b1).relu()
    logits = hidden @ w2 + b2
    loss = (-(logits.log_softmax(1) * y).sum(1)).mean() + 1e-4 * (w1 * w1).sum()
    loss.backward()
    with memograd.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss.item()


def test_training_steps_leave_no_garbage_and_no_growth():
    rng = np.random.default_rng(0)
    x = memograd.tensor(rng.standard_normal((32, 8)))
    y = memograd.tensor(np.eye(3)[rng.integers(0, 3, 32)])
    params = make_params()
    for _ in range(50):  # warm up caches before measuring
        train_step(params, x, y)
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        first = None
        for step in range(2000):
            train_step(params, x, y)
            if step == 199:
                first = tracemalloc.get_traced_memory()[0]
        grown = tracemalloc.get_traced_memory()[0] - first
        tracemalloc.stop()
        collected = gc.collect()
    finally:
        gc.enable()
    assert collected < 20, f"{collected} objects were only reachable through reference cycles"
    assert grown < 100_000, f"traced memory grew by {grown} bytes over 1800 steps"


def test_backward_frees_saved_arrays_and_the_graph():
    x = memograd.randn(100, 100, requires_grad=True)
    y = (x.exp() * x).tanh()
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    assert y.grad_fn.saved is None  # freed as soon as used
    del y
    assert node() is None  # no cycle keeps the graph alive


def test_dropping_the_output_frees_the_graph_without_backward():
    x = memograd.randn(10, requires_grad=True)
    y = (x * 2).exp()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None


def test_leaf_is_not_kept_alive_by_a_graph():
    x = memograd.randn(10, requires_grad=True)
    y = x + 2  # Add saves nothing: only the leaf's AccumulateGrad (a weak reference) points at x
    ref = weakref.ref(x)
    del x
    assert ref() is None
    y.sum().backward()  # the dead leaf's gradient is simply dropped
