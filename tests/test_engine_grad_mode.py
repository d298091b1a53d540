"""Recording on and off: no_grad, enable_grad, set_grad_enabled, is_grad_enabled."""
import pytest

import memograd


def test_no_grad_records_nothing():
    x = memograd.ones(2, requires_grad=True)
    with memograd.no_grad():
        assert not memograd.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert memograd.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator():
    x = memograd.ones(2, requires_grad=True)

    @memograd.no_grad()
    def infer(t):
        return t * 2

    assert infer(x).grad_fn is None
    assert memograd.is_grad_enabled()
    assert (x * 2).grad_fn is not None


def test_enable_grad_inside_no_grad():
    x = memograd.ones(2, requires_grad=True)
    with memograd.no_grad():
        with memograd.enable_grad():
            assert memograd.is_grad_enabled()
            y = x * 2
        z = x * 2
    assert y.grad_fn is not None and z.grad_fn is None

    @memograd.enable_grad()
    def record(t):
        return t * 3

    with memograd.no_grad():
        assert record(x).grad_fn is not None
        assert not memograd.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator():
    x = memograd.ones(2, requires_grad=True)
    with memograd.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
    assert memograd.is_grad_enabled()
    memograd.set_grad_enabled(False)
    try:
        assert not memograd.is_grad_enabled()
        assert (x * 2).grad_fn is None
    finally:
        memograd.set_grad_enabled(True)

    @memograd.set_grad_enabled(False)
    def off(t):
        return t * 2

    assert memograd.is_grad_enabled()
    assert off(x).grad_fn is None and memograd.is_grad_enabled()


def test_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with memograd.no_grad():
            raise ValueError("boom")
    assert memograd.is_grad_enabled()


def test_no_grad_keeps_no_saved_arrays():
    x = memograd.ones(1000, requires_grad=True)
    with memograd.no_grad():
        y = x.exp()
    assert y.grad_fn is None  # nothing holds the exp output for a backward


def test_no_grad_works_as_a_bare_decorator_too():
    @memograd.no_grad
    def double(t):
        return t * 2

    x = memograd.ones(2, requires_grad=True)
    assert double(x).grad_fn is None
    assert double.__name__ == "double"
    assert (x * 2).grad_fn is not None
