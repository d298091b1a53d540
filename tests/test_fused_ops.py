"""Speed never changes meaning: every fused op gives the values and gradients of the
composition of ordinary ops it replaces (float64 to round-off, float32 to float32 round-off),
including under create_graph=True, where its graph rule differentiates that composition.
Also the array-level speed-ups (channels-last convolution, max-pooling in the input's memory
order, row gradients by sorted reduceat, the float32 erf) against their references."""
import numpy as np
import pytest
from helpers import check_gradgrad, graph_nodes

import memograd as mg
from memograd.ops import attention, conv_gemm, erf_float32, gelu, indexing, normalization, recurrent, tanh_float32

F = mg.nn.functional


def values_and_grads(fn, arrays, dtype, seed=1):
    """fn(*tensors) on leaves made from `arrays`; (output, gradients of sum(output * w))."""
    leaves = [mg.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    (out * mg.tensor(weights, dtype=dtype)).sum().backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def assert_same(fused, composed, arrays, dtype=mg.float64, rtol=1e-10, atol=1e-12):
    out_f, grads_f = values_and_grads(fused, arrays, dtype)
    out_c, grads_c = values_and_grads(composed, arrays, dtype)
    np.testing.assert_allclose(out_f, out_c, rtol=rtol, atol=atol)
    for g_f, g_c in zip(grads_f, grads_c):
        np.testing.assert_allclose(g_f, g_c, rtol=rtol, atol=atol)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


FLOAT32 = {"dtype": mg.float32, "rtol": 2e-5, "atol": 2e-6}


# ---- attention -----------------------------------------------------------------------------------

MASKS = {
    "none": None,
    "bool": np.array([[True, False, True, True], [True, True, False, False], [False, True, True, True]]),
    "float": randn(3, 4, seed=5),
    "dead row": np.array([[True, True, False, False], [False, False, False, False], [True, False, False, True]]),
    "per batch": randn(2, 1, 3, 4, seed=6),
}


@pytest.mark.parametrize("mask", list(MASKS), ids=list(MASKS))
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_attention_equals_its_composition(mask, precision):
    mask_array = MASKS[mask]
    kw = FLOAT32 if precision == "float32" else {}
    if mask_array is not None and mask_array.dtype.kind == "f":
        mask_array = mask_array.astype(np.float32 if precision == "float32" else np.float64)
    arrays = [randn(2, 2, 3, 5, seed=1), randn(2, 2, 4, 5, seed=2), randn(2, 2, 4, 6, seed=3)]
    assert_same(lambda q, k, v: attention.attention(q, k, v, mask_array, scale=0.4),
                lambda q, k, v: attention.composed_attention(q, k, v, mask_array, scale=0.4), arrays, **kw)


def test_attention_causal_and_broadcast_key_equal_the_composition():
    arrays = [randn(2, 3, 5, 4, seed=1), randn(5, 4, seed=2), randn(1, 1, 5, 3, seed=3)]
    assert_same(lambda q, k, v: attention.attention(q, k, v, causal=True, scale=0.5),
                lambda q, k, v: attention.composed_attention(q, k, v, causal=True, scale=0.5), arrays)


def test_sdpa_records_one_fused_node_and_dead_rows_are_zero():
    q = mg.tensor(randn(1, 2, 3), requires_grad=True)
    mask = np.array([[True, True], [False, False]])
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    assert type(out.grad_fn).__name__ == "ScaledDotProductAttention"
    assert np.all(out.detach().numpy()[:, 1] == 0.0)
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all()


def test_sdpa_takes_the_composition_for_dropout_and_learnt_masks():
    q = mg.tensor(randn(1, 2, 3), requires_grad=True)
    bias = mg.tensor(randn(2, 2), requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=bias)
    assert type(out.grad_fn).__name__ != "ScaledDotProductAttention"
    out.sum().backward()
    assert bias.grad is not None


def test_sdpa_scale_as_numpy_float_keeps_float32():
    q = mg.randn(1, 2, 3)
    assert F.scaled_dot_product_attention(q, q, q, scale=np.float64(0.5)).dtype == mg.float32


# ---- layer_norm -------------------------------------------------------------------------------------


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_layer_norm_equals_its_composition(affine, precision):
    kw = FLOAT32 if precision == "float32" else {}
    arrays = [randn(3, 2, 4, 5, seed=1)] + ([randn(4, 5, seed=2), randn(4, 5, seed=3)] if affine else [])

    def fused(x, w=None, b=None):
        return normalization.layer_norm(x, w, b, 1e-5, ndim=2)

    def composed(x, w=None, b=None):
        return normalization.composed_layer_norm(x, w, b, 1e-5, ndim=2)

    assert_same(fused, composed, arrays, **kw)


def test_layer_norm_second_derivatives():
    check_gradgrad(lambda x, w, b: F.layer_norm(x, (4,), w, b), (2, 4), (4,), (4,))


# ---- GELU ----------------------------------------------------------------------------------------------


def test_gelu_equals_its_composition():
    arrays = [randn(4, 7) * 3]
    assert_same(gelu.gelu, gelu.composed_gelu, arrays)
    assert_same(gelu.gelu, gelu.composed_gelu, arrays, **FLOAT32)


def test_gelu_second_derivatives():
    check_gradgrad(lambda x: F.gelu(x), (3, 4))


def test_float32_erf_and_normal_cdf_are_within_their_stated_error():
    from memograd.ops.activation import erf_array

    x = np.linspace(-7, 7, 200001).astype(np.float32)
    exact = erf_array(x.astype(np.float64))
    fast = erf_float32.erf(x)
    assert fast.dtype == np.float32 and np.abs(fast - exact).max() < 5e-7 and np.abs(fast).max() <= 1.0
    cdf = erf_float32.normal_cdf(x)
    exact_cdf = 0.5 * (1 + erf_array(x.astype(np.float64) / np.sqrt(2)))
    assert np.abs(cdf - exact_cdf).max() < 3e-7 and cdf.min() >= 0.0 and cdf.max() <= 1.0
    assert np.isnan(erf_float32.erf(np.array([np.nan], np.float32)))[0]
    np.testing.assert_array_equal(erf_float32.erf(np.array([-np.inf, np.inf], np.float32)), [-1.0, 1.0])


def test_float32_tanh_and_sigmoid_are_within_their_stated_error():
    x = np.concatenate([np.linspace(-20, 20, 400001), np.geomspace(1e-30, 1, 1000)]).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    fast = tanh_float32.tanh(x)
    assert fast.dtype == np.float32 and np.abs(fast - exact).max() < 3.5e-7 and np.abs(fast).max() <= 1.0
    tiny = np.abs(x) < 1e-3  # odd, and relative error ~1e-7 near 0, where tanh(x) ~ x
    assert np.all(np.abs(fast[tiny] - exact[tiny]) <= 2.5e-7 * np.abs(exact[tiny]))
    sig = tanh_float32.sigmoid(x)
    exact_sig = 1 / (1 + np.exp(-x.astype(np.float64)))
    assert np.abs(sig - exact_sig).max() < 2.1e-7 and sig.min() >= 0.0 and sig.max() <= 1.0
    special = np.array([np.nan, -np.inf, np.inf], np.float32)
    np.testing.assert_array_equal(tanh_float32.tanh(special), [np.nan, -1.0, 1.0])
    np.testing.assert_array_equal(tanh_float32.sigmoid(special), [np.nan, 0.0, 1.0])
    y = x.copy()
    assert tanh_float32.tanh(y, out=y) is y and np.array_equal(y, fast)


# ---- LSTM ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_lstm_sequence_equals_the_stepwise_composition(reverse, precision):
    kw = FLOAT32 if precision == "float32" else {}
    hidden = 3
    arrays = [randn(5, 2, 6, seed=1), randn(2, hidden, seed=2), randn(2, hidden, seed=3),
              randn(4 * hidden, 6, seed=6) * 0.5, randn(4 * hidden, hidden, seed=4) * 0.5, randn(4 * hidden, seed=5),
              randn(4 * hidden, seed=7)]

    def fused(*a):
        return recurrent.LSTMSequence.apply(*a, reverse=reverse)

    def composed(*a):
        return recurrent.composed_lstm(*a, reverse=reverse)

    assert_same(fused, composed, arrays, **kw)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_sequence_with_constant_start_states_equals_the_composition(reverse):
    """h0 and c0 without gradients (nn.LSTM's zero states): the walk back skips its last
    recurrent product, and every other step must still get it."""
    hidden = 3
    h0, c0 = (mg.tensor(randn(2, hidden, seed=s)) for s in (2, 3))
    arrays = [randn(4, 2, 5, seed=1), randn(4 * hidden, 5, seed=6) * 0.5, randn(4 * hidden, hidden, seed=4) * 0.5,
              randn(4 * hidden, seed=5), randn(4 * hidden, seed=7)]

    def fused(x, w_ih, w_hh, b_ih, b_hh):
        return recurrent.LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)

    def composed(x, w_ih, w_hh, b_ih, b_hh):
        return recurrent.composed_lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)

    assert_same(fused, composed, arrays)


def test_lstm_sequence_second_derivatives():
    check_gradgrad(lambda x, h, c, w_ih, w_hh: recurrent.LSTMSequence.apply(x, h, c, w_ih, w_hh),
                   (3, 2, 3), (2, 2), (2, 2), (8, 3), (8, 2))


def test_nn_lstm_runs_the_fused_op_and_matches_the_cell_step_by_step():
    mg.manual_seed(0)
    lstm, cell = mg.nn.LSTM(3, 4).double(), mg.nn.LSTMCell(3, 4).double()
    with mg.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(lstm, f"{name}_l0"))
    x = mg.tensor(randn(5, 2, 3))
    out, (h_n, c_n) = lstm(x)
    assert any(type(n).__name__ == "LSTMSequence" for n in graph_nodes(out))
    h = c = mg.zeros(2, 4, dtype=mg.float64)
    steps = []
    for t in range(5):
        h, c = cell(x[t], (h, c))
        steps.append(h)
    np.testing.assert_allclose(out.detach().numpy(), mg.stack(steps).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_n[0].detach().numpy(), c.detach().numpy(), rtol=1e-12)




# ---- array-level speed-ups ----------------------------------------------------------------------------------

GEOMETRIES = [dict(stride=1, padding=1), dict(stride=2, padding=0), dict(stride=(2, 1), padding=(1, 2), dilation=2),
              dict(stride=1, padding="same", dilation=(1, 2))]


@pytest.mark.parametrize("geo", GEOMETRIES, ids=[str(g) for g in GEOMETRIES])
def test_conv_gemm_matches_torch_in_every_layout(geo):
    torch = pytest.importorskip("torch")
    x, w, b = randn(2, 3, 7, 6, seed=1), randn(4, 3, 3, 2, seed=2), randn(4, seed=3)
    # a channels-last input (as a previous convolution's output is) must give the same numbers
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    expected = [None] * 3
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out_t = torch.nn.functional.conv2d(xt, wt, bt, **geo)
    weights = randn(*out_t.shape, seed=4)
    (out_t * torch.tensor(weights)).sum().backward()
    expected = out_t.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
    for array in (x, x_last):
        xm, wm, bm = (mg.tensor(a, requires_grad=True) for a in (array, w, b))
        out = F.conv2d(xm, wm, bm, **geo)
        (out * mg.tensor(weights)).sum().backward()
        for got, want in zip((out.detach().numpy(), xm.grad.numpy(), wm.grad.numpy(), bm.grad.numpy()), expected):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_conv_output_is_channels_last_in_memory():
    out = F.conv2d(mg.randn(2, 3, 5, 5), mg.randn(4, 3, 3, 3), padding=1)
    assert out.shape == (2, 4, 5, 5) and out._data.transpose(0, 2, 3, 1).flags.c_contiguous
    assert conv_gemm.rows_of(out._data).base is not None  # the (N*H*W, O) rows are a view, no copy


def test_max_pool_on_channels_last_input_matches_torch():
    torch = pytest.importorskip("torch")
    x = randn(2, 8, 6, 6)
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    xm = mg.tensor(x_last, requires_grad=True)
    out = F.max_pool2d(xm, 2)
    weights = randn(*out.shape, seed=1)
    (out * mg.tensor(weights)).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch.nn.functional.max_pool2d(xt, 2)
    (out_t * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(xm.grad.numpy(), xt.grad.numpy())


def test_row_gradients_by_sorted_reduceat_equal_add_at():
    rows = np.random.default_rng(0).integers(-5, 5, (6, 7))
    values = randn(6, 7, 3)
    expected = np.zeros((5, 3))
    np.add.at(expected, rows, values)
    np.testing.assert_allclose(indexing.add_rows((5, 3), rows, values), expected, rtol=1e-12)
    np.testing.assert_allclose(indexing.scatter_add((5, 3), rows, values), expected, rtol=1e-12)


def test_retain_freed_memory_reports_whether_it_could():
    assert mg.backend.retain_freed_memory() in (True, False)
