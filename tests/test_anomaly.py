"""detect_anomaly: the first NaN/Inf, in forward or backward, named by op, shapes and line."""
from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.autograd import anomaly
from memograd.autograd.anomaly import AnomalyError


@pytest.fixture(autouse=True)
def quiet_numpy():
    with np.errstate(all="ignore"):
        yield


def test_nan_made_in_forward_names_the_op_and_the_line():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, mg.autograd.detect_anomaly():
        y = x * 2
        z = y.log()  # the culprit: log of a negative number  # noqa: F841
    message = str(info.value)
    assert message.startswith("forward: Log produced 1 NaN/Inf")
    assert "(2,)" in message
    assert "test_anomaly.py" in message and "the culprit" in message


def test_nan_made_only_in_backward_names_the_op_where_it_was_created():
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = x.sqrt()  # finite in forward; its derivative 1/(2 sqrt x) is inf at 0
        loss = y.sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("backward: Sqrt returned NaN/Inf")
    assert "y = x.sqrt()" in message
    assert x.grad is None  # a failed pass writes no .grad


def test_off_by_default_nan_follows_numpy():
    assert not anomaly.is_anomaly_enabled()
    y = mg.tensor([-1.0, 0.0]).log()
    assert np.isnan(y.numpy()[0]) and np.isneginf(y.numpy()[1])


def test_mode_is_restored_after_the_block_even_on_error():
    with pytest.raises(AnomalyError), mg.autograd.detect_anomaly():
        mg.tensor([-1.0]).sqrt()
    assert not anomaly.is_anomaly_enabled()


def test_clean_computation_passes_and_gradients_are_unchanged():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        (x.exp() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])), rtol=1e-6)


def test_observer_and_anomaly_check_run_together():
    from memograd.autograd.engine import Observer, run_backward

    seen = []

    class Names(Observer):
        def node_ran(self, node, grad, grads_in):
            seen.append(node.name)

    x = mg.tensor([0.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(AnomalyError):
            run_backward([y.grad_fn], [np.ones((), np.float32)], observers=[Names()])
    assert seen == ["Sum"]  # the observer saw the nodes before the faulty one
