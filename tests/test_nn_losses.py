"""Losses: hand-computed values, the fused cross-entropy backward, gradient checks, and
agreement with torch.nn.functional (skipped without torch)."""
import math

import numpy as np
import pytest
from helpers import check_grad, check_gradgrad, const, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import memograd as mg
import memograd.nn.functional as F
from memograd import nn

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


# ---- hand-computed values ------------------------------------------------------------------


def test_cross_entropy_hand_values_and_output_layer_derivative():
    logits = mg.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], requires_grad=True)
    target = mg.tensor([2, 0])
    loss = nn.CrossEntropyLoss()(logits, target)
    p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    expected = (-math.log(p[2]) + math.log(3)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    onehot = np.array([[0, 0, 1], [1, 0, 0]])
    softmax = np.stack([p, np.full(3, 1 / 3)])
    np.testing.assert_allclose(logits.grad.numpy(), (softmax - onehot) / 2, rtol=1e-6)  # (softmax - onehot) / N
    assert logits.grad_fn is None and type(loss.grad_fn).__name__ == "ClassCrossEntropy"  # one fused node


@settings(deadline=None, max_examples=60)
@given(n=st.integers(0, 6), n_classes=st.sampled_from([1, 2, 5, 129, 200]), seed=st.integers(0, 2**16),
       reduction=st.sampled_from(["mean", "sum", "none"]), ignore_index=st.sampled_from([-100, 0, 3]))
def test_class_index_path_agrees_with_the_target_matrix_path(n, n_classes, seed, reduction, ignore_index):
    """Plain labels take ClassCrossEntropy; all-ones class weights force the general op with its
    target matrix. Losses and gradients must agree, ignored samples, empty batches and 'mean'
    over nothing (NaN) included."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_classes)) * 4
    labels = rng.integers(0, n_classes, n)
    labels[rng.random(n) < 0.3] = ignore_index  # ignored, whether or not it names a class
    results = []
    for weight in (None, mg.ones(n_classes, dtype=mg.float64)):
        logits = mg.tensor(x, requires_grad=True)
        loss = F.cross_entropy(logits, mg.tensor(labels), weight=weight, ignore_index=ignore_index,
                               reduction=reduction)
        loss.sum().backward()
        results.append((type(loss.grad_fn).__name__ if reduction != "none" or n else "", loss.detach().numpy(),
                        logits.grad.numpy()))
    (fast_name, fast_loss, fast_grad), (_, loss, grad) = results
    assert fast_name in ("ClassCrossEntropy", "")
    np.testing.assert_allclose(fast_loss, loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast_grad, grad, rtol=1e-12, atol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = mg.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([1]))
    assert loss.item() == pytest.approx(1000.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), [[1.0, -1.0, 0.0]], atol=1e-6)


def test_cross_entropy_reductions_ignore_index_and_all_ignored():
    logits = mg.zeros(3, 4)
    target = mg.tensor([1, -100, 3])
    assert F.cross_entropy(logits, target).item() == pytest.approx(math.log(4))
    assert F.cross_entropy(logits, target, reduction="sum").item() == pytest.approx(2 * math.log(4))
    np.testing.assert_allclose(F.cross_entropy(logits, target, reduction="none").numpy(),
                               [math.log(4), 0, math.log(4)], rtol=1e-6)
    assert math.isnan(F.cross_entropy(logits, mg.tensor([-100, -100, -100])).item())
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(logits, mg.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(logits, target, reduction="avg")


def test_mse_l1_huber_bce_hand_values():
    x, y = mg.tensor([0.0, 2.0, -1.0]), mg.tensor([1.0, 0.0, -1.0])
    assert F.mse_loss(x, y).item() == pytest.approx(5 / 3)
    assert F.l1_loss(x, y, reduction="sum").item() == pytest.approx(3.0)
    # d = (-1, 2, 0): huber(delta=1) = 0.5, 1 * (2 - 0.5) = 1.5, 0
    np.testing.assert_allclose(F.huber_loss(x, y, reduction="none").numpy(), [0.5, 1.5, 0.0])
    assert nn.HuberLoss(delta=2.0)(x, y).item() == pytest.approx((0.5 + 2.0 + 0) / 3)
    p, t = mg.tensor([0.5, 0.9]), mg.tensor([1.0, 0.0])
    assert nn.BCELoss()(p, t).item() == pytest.approx((math.log(2) - math.log(0.1)) / 2, rel=1e-6)
    # p = 0 with t = 1 is clamped at 100 (PyTorch's rule), never inf.
    assert F.binary_cross_entropy(mg.tensor([0.0]), mg.tensor([1.0])).item() == pytest.approx(100.0)
    z = mg.tensor([0.0, 100.0, -100.0])
    bce = F.binary_cross_entropy_with_logits(z, mg.tensor([1.0, 1.0, 1.0]), reduction="none").numpy()
    np.testing.assert_allclose(bce, [math.log(2), 0.0, 100.0], rtol=1e-6, atol=1e-30)
    pw = F.binary_cross_entropy_with_logits(mg.tensor([0.0]), mg.tensor([1.0]), pos_weight=mg.tensor([3.0]))
    assert pw.item() == pytest.approx(3 * math.log(2))


def test_nll_loss_hand_values():
    logp = mg.tensor([[-1.0, -2.0], [-3.0, -4.0]], requires_grad=True)
    loss = nn.NLLLoss(weight=mg.tensor([1.0, 3.0]))(logp, mg.tensor([1, 0]))
    assert loss.item() == pytest.approx((3 * 2.0 + 1 * 3.0) / 4)
    loss.backward()
    np.testing.assert_allclose(logp.grad.numpy(), [[0, -0.75], [-0.25, 0]])


# ---- gradient checks --------------------------------------------------------------------------

TARGET = mg.tensor([0, 2, 1, 2])
TARGET_ND = mg.tensor([[0, 2], [1, -100]])
TARGET_IGNORED = mg.tensor([0, -100, 1, 2])
TARGET_MANY = mg.tensor([0, 129, -100, 64])  # more classes than ClassCrossEntropy reduces column-wise
WEIGHT = mg.tensor([0.5, 2.0, 1.0], dtype=mg.float64)


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: F.cross_entropy(x, TARGET), [(4, 3)]),
    (lambda x: F.cross_entropy(x, TARGET, reduction="sum", label_smoothing=0.2), [(4, 3)]),
    (lambda x: F.cross_entropy(x, TARGET, weight=WEIGHT, label_smoothing=0.1), [(4, 3)]),
    (lambda x: F.cross_entropy(x, TARGET_ND, reduction="none", weight=WEIGHT), [(2, 3, 2)]),
    (lambda x: F.cross_entropy(x, TARGET, reduction="sum"), [(4, 3)]),
    (lambda x: F.cross_entropy(x, TARGET, reduction="none"), [(4, 3)]),
    (lambda x: F.cross_entropy(x, TARGET_IGNORED), [(4, 3)]),
    (lambda x: F.cross_entropy(x, TARGET_MANY, reduction="sum"), [(4, 130)]),
    (lambda x: F.cross_entropy(x, TARGET, ignore_index=2, reduction="none"), [(4, 3)]),
    (lambda x: F.cross_entropy(x, mg.tensor(2)), [(3,)]),
    (lambda x, t: F.cross_entropy(x, t.softmax(1), label_smoothing=0.3), [(4, 3), const((4, 3))]),
    (lambda x, t: F.cross_entropy(x, t.softmax(1), weight=WEIGHT, label_smoothing=0.3), [(4, 3), (4, 3)]),
    (lambda x: F.nll_loss(x.log_softmax(1), TARGET_ND, weight=WEIGHT), [(2, 3, 2)]),
    (lambda x, y: F.mse_loss(x, y), [(3, 2), (3, 2)]),
    (lambda x, y: F.l1_loss(x, y, reduction="sum"), [(3, 2), (3, 2)]),
    (lambda x, y: F.huber_loss(x, y, delta=0.7), [(3, 2), (3, 2)]),
    (lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), [(3, 2), (3, 2)]),
    (lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()), [(3, 2), (3, 2)]),
    (lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=mg.tensor([2.0, 0.5])),
     [(3, 2), (3, 2)]),
])
def test_loss_gradients(fn, shapes):
    check_grad(fn, *shapes)


def test_cross_entropy_second_derivative():
    # The fused backward recomputes softmax with ops under create_graph: Hessian-vector products work.
    check_gradgrad(lambda x: F.cross_entropy(x, TARGET, weight=WEIGHT, label_smoothing=0.1), (4, 3))
    check_gradgrad(lambda x: F.cross_entropy(x, TARGET, reduction="none"), (4, 3))
    check_gradgrad(lambda x: F.cross_entropy(x, TARGET_IGNORED), (4, 3))
    check_gradgrad(lambda x: F.cross_entropy(x, TARGET, ignore_index=0, reduction="sum"), (4, 3))


def test_bce_second_derivative():
    check_gradgrad(lambda x: F.binary_cross_entropy_with_logits(x, mg.tensor([[1.0, 0.0]] * 3)), (3, 2))


# ---- against PyTorch ------------------------------------------------------------------------------


def _pair(fn_m, fn_t, x, *rest):
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_m = fn_m(xm, *[mg.tensor(r) for r in rest])
    out_t = fn_t(xt, *[torch.tensor(r) for r in rest])
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-7, atol=1e-12)
    g = np.random.default_rng(2).standard_normal(out_t.shape)
    out_m.backward(mg.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-12)


R = np.random.default_rng(0)
X = R.standard_normal((6, 4)) * 3
Y = np.array([0, 3, -100, 1, 1, 2])
Y_ND = np.array([[0, 3, 1], [-100, 2, 2]])
X_ND = R.standard_normal((2, 4, 3))
W = np.array([0.2, 1.0, 3.0, 0.7])
PROBS = R.dirichlet(np.ones(4), size=6)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(reduction, smoothing, weighted):
    w = W if weighted else None

    def ours(x, y):
        return F.cross_entropy(x, y, weight=None if w is None else mg.tensor(w), reduction=reduction,
                               label_smoothing=smoothing)

    def theirs(x, y):
        return TF.cross_entropy(x, y, weight=None if w is None else torch.tensor(w), reduction=reduction,
                                label_smoothing=smoothing)

    _pair(ours, theirs, X, Y)
    _pair(ours, theirs, X_ND, Y_ND)
    _pair(ours, theirs, X, PROBS)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 1, 3])
def test_class_index_cross_entropy_matches_torch(reduction, ignore_index):
    """Plain class indices take ClassCrossEntropy; an ignore_index inside [0, C) must still ignore."""
    def ours(x, y):
        return F.cross_entropy(x, y, ignore_index=ignore_index, reduction=reduction)

    def theirs(x, y):
        return TF.cross_entropy(x, y, ignore_index=ignore_index, reduction=reduction)

    _pair(ours, theirs, X, np.where(Y == -100, ignore_index, Y))
    _pair(ours, theirs, X, np.array([0, 3, 2, 1, 1, 2]))
    _pair(ours, theirs, R.standard_normal((5, 300)), np.array([0, 299, ignore_index, 7, 100]))


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_other_losses_match_torch(reduction):
    t = R.standard_normal((6, 4))
    p, q = 1 / (1 + np.exp(-X)), 1 / (1 + np.exp(-t))
    _pair(lambda a, b: F.nll_loss(a, b, weight=mg.tensor(W), reduction=reduction),
          lambda a, b: TF.nll_loss(a, b, weight=torch.tensor(W), reduction=reduction), X, Y)
    _pair(lambda a, b: F.mse_loss(a, b, reduction=reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction), X, t)
    _pair(lambda a, b: F.l1_loss(a, b, reduction=reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction), X, t)
    _pair(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=1.5),
          lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=1.5), X, t)
    _pair(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5),
          lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.5), X, t)
    _pair(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, q)
    _pair(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction, pos_weight=mg.tensor(W)),
          lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction, pos_weight=torch.tensor(W)),
          X, q)


def test_loss_modules_hold_options():
    loss = nn.CrossEntropyLoss(weight=mg.tensor([1.0, 2.0]), ignore_index=0, label_smoothing=0.1)
    assert list(loss.state_dict()) == ["weight"]
    assert loss.ignore_index == 0 and loss.reduction == "mean"
    assert nn.MSELoss(reduction="sum")(mg.ones(2), mg.zeros(2)).item() == 2.0
    assert nn.L1Loss(size_average=False)(mg.ones(2), mg.zeros(2)).item() == 2.0  # legacy flags still map
    x = leaf(3, 2)
    nn.BCEWithLogitsLoss()(x, mg.ones(3, 2, dtype=mg.float64)).backward()
    assert x.grad.shape == (3, 2)
