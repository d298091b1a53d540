"""Layers: float64 gradient checks, PyTorch's parameter names/shapes/init, and forward
values against torch.nn with the same weights (skipped when torch is absent)."""
import math

import numpy as np
import pytest
from helpers import check_grad, check_gradgrad, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import memograd as mg
import memograd.nn.functional as F
from memograd import nn

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def module_grad_check(module, *shape, index_input=None):
    """gradcheck a module's output w.r.t. its input and every parameter, in float64."""
    module.double()
    params = list(module.parameters())
    x = leaf(*shape) if index_input is None else index_input

    def run(x, *ps):
        return module(x)

    assert mg.autograd.gradcheck(run, [x] + params)


# ---- gradient checks (float64, small shapes) ------------------------------------------------

LAYERS = [
    (lambda: nn.Linear(3, 2), (4, 3)),
    (lambda: nn.Linear(3, 2, bias=False), (2, 5, 3)),
    (lambda: nn.Linear(3, 2), (3,)),
    (lambda: nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    (lambda: nn.Conv2d(2, 2, (2, 3), stride=2, padding=1, bias=False), (1, 2, 5, 6)),
    (lambda: nn.Conv2d(1, 2, 3, padding="same", dilation=2), (1, 1, 6, 6)),
    (lambda: nn.Conv2d(2, 2, 3, stride=(1, 2)), (2, 5, 6)),  # unbatched
    (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
    (lambda: nn.MaxPool2d(2, ceil_mode=True), (1, 1, 5, 5)),
    (lambda: nn.MaxPool2d((2, 3)), (2, 3, 5, 7)),  # tiling windows; the last row and column are in none
    (lambda: nn.MaxPool2d(2), (2, 5, 4)),  # unbatched
    (lambda: nn.AvgPool2d(2), (2, 2, 4, 4)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (1, 2, 5, 5)),
    (lambda: nn.Flatten(), (2, 3, 2)),
    (lambda: nn.ReLU(), (3, 4)),
    (lambda: nn.LeakyReLU(0.2), (3, 4)),
    (lambda: nn.GELU(), (3, 4)),
    (lambda: nn.GELU("tanh"), (3, 4)),
    (lambda: nn.Softplus(beta=2.0), (3, 4)),
    (lambda: nn.Tanh(), (3, 4)),
    (lambda: nn.Sigmoid(), (3, 4)),
    (lambda: nn.Softmax(dim=1), (3, 4)),
    (lambda: nn.LogSoftmax(dim=-1), (3, 4)),
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(2), (3, 2, 4)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2)),
    (lambda: nn.BatchNorm2d(2).eval(), (3, 2, 2, 2)),
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.Identity(), (2, 3)),
]


@pytest.mark.parametrize("make, shape", LAYERS, ids=lambda v: repr(v()) if callable(v) else str(v))
def test_layer_gradients_match_finite_differences(make, shape):
    module_grad_check(make(), *shape)


def test_embedding_gradient_and_padding_idx():
    emb = nn.Embedding(5, 3, padding_idx=1).double()
    idx = mg.tensor([[0, 1, 4], [4, 4, 1]])
    assert mg.autograd.gradcheck(lambda w: F.embedding(idx, w), [emb.weight]) is True
    np.testing.assert_array_equal(emb.weight.detach().numpy()[1], 0)  # padding row starts at zero
    emb.weight.grad = None
    emb(idx).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[1], 0)  # no gradient reaches the padding row
    np.testing.assert_array_equal(grad[4], 3)  # three lookups of row 4 add up
    with pytest.raises(IndexError):
        emb(mg.tensor([5]))


def test_dropout_gradient_uses_the_same_mask():
    x = leaf(50)
    mg.manual_seed(3)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.6)


@pytest.mark.parametrize("x_shape, out_features", [
    ((3, 4), 5),
    ((7, 4), 2),
    ((2, 3, 4), 9),  # leading axes are batch axes
    ((2, 5, 4), 3),
])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_is_x_wt_plus_b_row_major(x_shape, out_features, bias):
    """The fused Linear op returns x @ W.T + b, C-contiguous, with gradients, with and without bias."""
    check_grad(lambda x, w, b: F.linear(x, w, b if bias else None), x_shape, (out_features, x_shape[-1]),
               (out_features,))
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (x_shape, (out_features, x_shape[-1]), out_features))
    out = F.linear(mg.tensor(x), mg.tensor(w), mg.tensor(b) if bias else None).numpy()
    np.testing.assert_allclose(out, x @ w.T + (b if bias else 0), rtol=1e-5, atol=1e-6)
    assert out.flags.c_contiguous and out.dtype == np.float32


class _DoubledReLU(nn.ReLU):
    def forward(self, input):
        return super().forward(input) * 2


def test_sequential_calls_every_module_whatever_its_neighbours():
    """A plain loop, as PyTorch's: a ReLU after a Linear or Conv2d is called like any module,
    so an overridden forward runs and the graph shows the ReLU's own op."""
    mg.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), _DoubledReLU(), nn.Tanh(), nn.Linear(8, 3))
    x = mg.randn(5, 6)
    out = net(x)
    names = []
    node = out.grad_fn
    while node is not None:
        names.append(node.name)
        node = next((n for n in node.next if n is not None and n.name != "AccumulateGrad"), None)
    assert names == ["Linear", "Tanh", "Mul", "Relu", "Linear", "Relu", "Linear"]
    h = x
    for layer in net:
        h = layer(h)
    assert h.detach().numpy().tobytes() == out.detach().numpy().tobytes()
    conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), _DoubledReLU())
    image = mg.randn(1, 2, 4, 4)
    np.testing.assert_array_equal(conv(image).detach().numpy(), 2 * np.maximum(conv[0](image).detach().numpy(), 0))


@pytest.mark.parametrize("fn, shapes", [
    (lambda x, w: F.conv2d(x, w, stride=2, padding=1), [(1, 2, 5, 5), (2, 2, 3, 3)]),
    (lambda x: F.max_pool2d(x, 2) * F.max_pool2d(x, 2), [(1, 1, 4, 4)]),
    (lambda x: F.avg_pool2d(x, 2, padding=1) ** 2, [(1, 1, 3, 3)]),
    (lambda x, w, b: F.linear(x, w, b) ** 2, [(2, 3), (2, 3), (2,)]),
    (lambda x: F.gelu(x), [(5,)]),
    (lambda x: F.softplus(x) ** 2, [(5,)]),
])
def test_second_derivatives(fn, shapes):
    check_gradgrad(fn, *shapes)


def test_functional_layer_norm_and_batch_norm_direct():
    check_grad(lambda x, w, b: F.layer_norm(x, (3,), w, b), (2, 3), (3,), (3,))
    rm, rv = mg.zeros(2, dtype=mg.float64), mg.ones(2, dtype=mg.float64)
    check_grad(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (4, 2), (2,), (2,))
    check_grad(lambda x: F.batch_norm(x, rm, rv, training=False), (4, 2))


def test_conv_and_pool_shapes_and_errors():
    conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    assert conv(mg.randn(2, 3, 9, 9)).shape == (2, 8, 5, 5)
    assert nn.MaxPool2d(2)(mg.randn(2, 3, 9, 9)).shape == (2, 3, 4, 4)
    assert nn.MaxPool2d(2, ceil_mode=True)(mg.randn(2, 3, 9, 9)).shape == (2, 3, 5, 5)
    assert nn.AvgPool2d(3, stride=1, padding=1)(mg.randn(1, 1, 4, 4)).shape == (1, 1, 4, 4)
    with pytest.raises(ValueError, match="conv2d"):
        conv(mg.randn(2, 4, 9, 9))
    with pytest.raises(ValueError):
        nn.Conv2d(1, 1, 5)(mg.randn(1, 1, 3, 3))


def test_float32_end_to_end():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2, 3),
                        nn.LayerNorm(3), nn.GELU())
    out = net(mg.randn(2, 1, 4, 4))
    assert out.dtype == mg.float32
    out.sum().backward()
    assert all(p.grad.dtype == mg.float32 for p in net.parameters())


# ---- batch norm and dropout behaviour ----------------------------------------------------------


def test_batchnorm_running_stats_update_and_eval():
    bn = nn.BatchNorm1d(2)
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]], dtype=np.float32)
    out = bn(mg.tensor(x))
    np.testing.assert_allclose(out.detach().numpy().mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-6)  # unbiased
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    y = bn(mg.tensor(x)).detach().numpy()
    expected = (x - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1  # eval changes no statistics


def test_batchnorm_cumulative_average_and_errors():
    bn = nn.BatchNorm1d(1, momentum=None)
    for batch in ([[0.0], [2.0]], [[4.0], [6.0]]):
        bn(mg.tensor(batch))
    np.testing.assert_allclose(bn.running_mean.numpy(), [3.0])  # mean of the batch means
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(mg.randn(1, 3))
    plain = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(plain.state_dict()) == []
    assert plain.eval()(mg.randn(4, 2, 2, 2)).shape == (4, 2, 2, 2)  # batch stats even in eval


def test_dropout_train_and_eval():
    drop = nn.Dropout(0.25)
    x = mg.ones(20000)
    out = drop(x).numpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02
    assert abs(out.mean() - 1.0) < 0.03
    drop.eval()
    assert drop(x) is x
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)
    with pytest.raises(ValueError):
        nn.Dropout(1.5)
    mg.manual_seed(7)
    a = F.dropout(x, 0.5).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5).numpy())  # the global generator drives it


# ---- parameter names, shapes and default init (no torch needed) -----------------------------------

EXPECTED_PARAMS = [
    (lambda: nn.Linear(4, 3), {"weight": (3, 4), "bias": (3,)}),
    (lambda: nn.Conv2d(2, 5, 3), {"weight": (5, 2, 3, 3), "bias": (5,)}),
    (lambda: nn.BatchNorm2d(4), {"weight": (4,), "bias": (4,), "running_mean": (4,), "running_var": (4,),
                                 "num_batches_tracked": ()}),
    (lambda: nn.LayerNorm(6), {"weight": (6,), "bias": (6,)}),
    (lambda: nn.Embedding(7, 2), {"weight": (7, 2)}),
]


@pytest.mark.parametrize("make, expected", EXPECTED_PARAMS)
def test_state_dict_names_and_shapes(make, expected):
    assert {k: tuple(v.shape) for k, v in make().state_dict().items()} == expected


def test_default_init_bounds():
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    for p in (lin.weight, lin.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    conv = nn.Conv2d(4, 8, 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(36)
    emb = nn.Embedding(1000, 10).weight.detach().numpy()
    assert abs(emb.std() - 1) < 0.05 and abs(emb.mean()) < 0.05
    mg.manual_seed(1)
    a = nn.Linear(3, 3).weight.detach().numpy()
    mg.manual_seed(1)
    np.testing.assert_array_equal(a, nn.Linear(3, 3).weight.detach().numpy())


def test_layer_reprs():
    assert repr(nn.Conv2d(1, 8, 3)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(1, 8, 3, 2, 1, bias=False)) == (
        "Conv2d(1, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)")
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.LayerNorm(10)) == "LayerNorm((10,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_functional_helpers():
    np.testing.assert_array_equal(F.one_hot(mg.tensor([0, 2])).numpy(), [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(mg.tensor([1]), num_classes=4).dtype == mg.int64
    assert F.pad(mg.ones(2, 2), (1, 1)).shape == (2, 4)
    assert F.softmax(mg.randn(2, 3)).shape == (2, 3)  # PyTorch's implicit dim (1 for 2-D)


def test_erf_fallback_matches_math():
    from memograd.ops.activation import erf_array

    x = np.linspace(-6, 6, 1001)
    np.testing.assert_allclose(erf_array(x), [math.erf(v) for v in x], atol=1e-14)


@settings(deadline=None, max_examples=40)
@given(kh=st.integers(1, 3), kw=st.integers(1, 3), h=st.integers(3, 7), w=st.integers(3, 7),
       seed=st.integers(0, 2**16), channels_outermost=st.booleans())
def test_tiling_max_pool_agrees_with_the_general_path(kh, kw, h, w, seed, channels_outermost):
    from memograd.ops import pool

    x = np.maximum(np.random.default_rng(seed).standard_normal((2, 3, h, w)), 0).round(1)  # ties
    if channels_outermost:
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    results = []
    for tiling in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            if not tiling:
                patch.setattr(pool, "tiles", lambda *args: False)
            xm = mg.tensor(x, requires_grad=True)
            out = F.max_pool2d(xm, (kh, kw))
            out.backward(mg.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape)))
            results.append((out.detach().numpy(), xm.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@needs_torch
@pytest.mark.parametrize("kernel", [2, 3, (2, 3)])
@pytest.mark.parametrize("case", ["ties", "nan", "channels_outermost"])
def test_tiling_max_pool_matches_torch_at_ties_nan_and_any_layout(kernel, case):
    """ReLU outputs tie at 0 in whole windows: the first maximum takes the gradient, as in
    PyTorch; a NaN wins its window; a conv-style (C, N, H, W)-ordered input pools the same."""
    rng = np.random.default_rng(2)
    x = np.maximum(rng.standard_normal((3, 4, 6, 6)), 0).round(1)  # many ties
    if case == "nan":
        x[0, 1, 2, 3] = np.nan
    data = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3) if case == "channels_outermost" else x
    xm, xt = mg.tensor(data, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_m, out_t = F.max_pool2d(xm, kernel), torch.nn.functional.max_pool2d(xt, kernel)
    np.testing.assert_array_equal(out_m.detach().numpy(), out_t.detach().numpy())
    g = rng.standard_normal(out_t.shape)
    out_m.backward(mg.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(xm.grad.numpy(), xt.grad.numpy())


# ---- against PyTorch ----------------------------------------------------------------------------------

TORCH_PAIRS = [
    (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (5, 4)),
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), lambda: torch.nn.Conv2d(2, 3, 3, stride=2, padding=1),
     (2, 2, 7, 7)),
    (lambda: nn.Conv2d(2, 3, (3, 2), padding="same", dilation=2, bias=False),
     lambda: torch.nn.Conv2d(2, 3, (3, 2), padding="same", dilation=2, bias=False), (1, 2, 6, 5)),
    (lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1), (2, 3, 7, 7)),
    (lambda: nn.MaxPool2d(2, ceil_mode=True), lambda: torch.nn.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 7)),
    (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 3, 7, 9)),  # tiling windows, floor mode
    (lambda: nn.MaxPool2d((2, 3)), lambda: torch.nn.MaxPool2d((2, 3)), (1, 2, 6, 6)),
    (lambda: nn.AvgPool2d(3, 2, 1), lambda: torch.nn.AvgPool2d(3, 2, 1), (2, 3, 7, 7)),
    (lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 7, 7)),
    (lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (6, 3)),
    (lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (4, 3, 2, 2)),
    (lambda: nn.LayerNorm((2, 3)), lambda: torch.nn.LayerNorm((2, 3)), (4, 2, 3)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU(), (4, 5)),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (4, 5)),
    (lambda: nn.LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1), (4, 5)),
    (lambda: nn.Softplus(2.0, 5.0), lambda: torch.nn.Softplus(2.0, 5.0), (4, 5)),
    (lambda: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1), (4, 5)),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 4)),
]


@needs_torch
@pytest.mark.parametrize("make, make_torch, shape", TORCH_PAIRS)
def test_forward_and_gradients_match_torch(make, make_torch, shape):
    ours, theirs = make().double(), make_torch().double()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape) * 3
    for train in (True, False):
        ours.train(train), theirs.train(train)
        xm = mg.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        out_m, out_t = ours(xm), theirs(xt)
        np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-7, atol=1e-10)
        g = np.random.default_rng(1).standard_normal(out_t.shape)
        out_m.backward(mg.tensor(g))
        out_t.backward(torch.tensor(g))
        np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-10)
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-10, err_msg=name)
            p.grad, q.grad = None, None
    for k, v in theirs.state_dict().items():  # running statistics moved the same way
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-7, err_msg=k)


@needs_torch
def test_state_dict_loads_into_torch_model_and_back():
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(8, 3))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    back = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 1, 4, 4)).astype(np.float32)
    ours.eval(), theirs.eval(), back.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(mg.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back(mg.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@needs_torch
def test_embedding_matches_torch():
    ours = nn.Embedding(6, 3, padding_idx=2).double()
    theirs = torch.nn.Embedding(6, 3, padding_idx=2).double()
    theirs.load_state_dict({"weight": torch.from_numpy(ours.weight.detach().numpy().copy())})
    idx = np.array([[0, 2, 5], [2, 1, 1]])
    out_m, out_t = ours(mg.tensor(idx)), theirs(torch.from_numpy(idx))
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy())
    out_m.sum().backward(), out_t.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
