"""Tensor hooks as PyTorch's: register_hook sees (and may replace) a gradient during backward;
register_post_accumulate_grad_hook runs once `.grad` is written; handles remove them."""
import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")


def program(lib):
    seen = []
    w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    h = w * 2
    h.register_hook(lambda g: seen.append(("h", g.tolist())) or g * 10)
    w.register_hook(lambda g: seen.append(("w", g.tolist())))
    w.register_post_accumulate_grad_hook(lambda p: seen.append(("post", p.grad.tolist())))
    handle = w.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    handle.remove()
    (w * 1).sum().backward()
    return seen, w.grad.tolist()


def test_hooks_agree_with_pytorch():
    assert program(memograd) == program(torch)


def test_hooks_refuse_tensors_without_gradient():
    for lib in (memograd, torch):
        with pytest.raises(RuntimeError):
            lib.ones(2).register_hook(lambda g: g)
        with pytest.raises(RuntimeError):
            (lib.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_hook_on_a_large_leaf():
    w = memograd.ones(10, requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda p: calls.append(float(p.grad.sum())))
    (w * 3).sum().backward()
    np.testing.assert_allclose(calls, [30.0])
