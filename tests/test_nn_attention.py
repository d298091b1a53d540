"""scaled_dot_product_attention and nn.MultiheadAttention: float64 finite-difference checks,
and values, attention weights and all gradients against PyTorch from the same weights."""
import math

import numpy as np
import pytest
from helpers import check_grad, check_gradgrad, const, leaf
from module_parity import assert_same_as_torch, module_pair

import memograd as mg
import memograd.nn.functional as F
from memograd import nn

sdpa = F.scaled_dot_product_attention


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def lower_triangle(rows, cols):
    return np.tril(np.ones((rows, cols), dtype=bool))


# ---- scaled_dot_product_attention: finite differences -------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {},
    {"is_causal": True},
    {"scale": 0.3},
    {"attn_mask": lower_triangle(3, 5)[::-1].copy()},  # bool: True = take part
    {"attn_mask": randn(1, 3, 5, seed=4)},  # float: added
], ids=["plain", "causal", "scale", "bool-mask", "float-mask"])
def test_sdpa_gradients_match_finite_differences(kwargs):
    check_grad(lambda q, k, v: sdpa(q, k, v, **kwargs), (2, 3, 4), (2, 5, 4), (2, 5, 3))


def test_sdpa_gradient_reaches_a_float_mask_that_requires_grad():
    check_grad(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m), (2, 3, 4), const((2, 5, 4)), const((2, 5, 3)), (3, 5))


def test_sdpa_grouped_query_heads_and_second_derivatives():
    check_grad(lambda q, k, v: sdpa(q, k, v, enable_gqa=True), (1, 4, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2))
    check_gradgrad(lambda q, k, v: sdpa(q, k, v, is_causal=True), (2, 3, 2), (2, 3, 2), (2, 3, 2))


def test_sdpa_query_with_every_key_masked_gets_zero_output_and_gradient():
    q, k, v = leaf(2, 3, 4, seed=1), leaf(2, 5, 4, seed=2), leaf(2, 5, 3, seed=3)
    allowed = np.ones((3, 5), dtype=bool)
    allowed[1] = False
    out = sdpa(q, k, v, attn_mask=allowed)
    assert np.all(out.detach().numpy()[:, 1] == 0) and np.isfinite(out.detach().numpy()).all()
    out.sum().backward()
    assert np.all(q.grad.numpy()[:, 1] == 0) and np.isfinite(k.grad.numpy()).all()


def test_sdpa_dropout_zeroes_or_rescales_each_attention_weight():
    # With value = identity, the output *is* the attention weight matrix.
    q, k = mg.tensor(randn(2, 4, 6, seed=1)), mg.tensor(randn(2, 6, 6, seed=2))
    eye = mg.tensor(np.eye(6))
    weights = sdpa(q, k, eye).numpy()
    dropped = sdpa(q, k, eye, dropout_p=0.5).numpy()
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], weights[kept] * 2, rtol=1e-12)
    assert np.all(sdpa(q, k, eye, dropout_p=1.0).numpy() == 0)


def test_sdpa_rejects_what_pytorch_rejects():
    q = mg.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="is_causal"):
        sdpa(q, q, q, attn_mask=np.ones((3, 3), dtype=bool), is_causal=True)
    with pytest.raises(RuntimeError, match="dropout probability"):
        sdpa(q, q, q, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="bool or float"):
        sdpa(q, q, q, attn_mask=np.ones((3, 3), dtype=np.int64))
    with pytest.raises(RuntimeError, match="bool or float"):  # float64 mask, float32 query (PyTorch raises too)
        sdpa(q, q, q, attn_mask=mg.zeros(3, 3, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="at least 2-D"):
        sdpa(mg.randn(4), mg.randn(4), mg.randn(4))
    with pytest.raises(RuntimeError, match="must divide"):
        sdpa(mg.randn(1, 3, 2, 4), mg.randn(1, 2, 2, 4), mg.randn(1, 2, 2, 4), enable_gqa=True)


# ---- scaled_dot_product_attention: against PyTorch -----------------------------------------------------

FULLY_MASKED_ROW = np.ones((3, 5), dtype=bool)
FULLY_MASKED_ROW[2] = False

SDPA_CASES = {
    "plain": ((2, 3, 4), (2, 5, 4), (2, 5, 6), {}),
    "unbatched": ((3, 4), (5, 4), (5, 2), {}),
    "causal-L<S": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"is_causal": True}),
    "causal-L>S": ((2, 5, 4), (2, 3, 4), (2, 3, 4), {"is_causal": True}),
    "scale": ((2, 3, 4), (2, 5, 4), (2, 5, 4), {"scale": 0.7}),
    "bool-mask": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"attn_mask": randn(3, 5, seed=7) > 0}),
    "bool-mask-per-batch": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"attn_mask": randn(2, 1, 3, 5, seed=8) > -1}),
    "float-mask": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"attn_mask": randn(2, 2, 3, 5, seed=9)}),
    "masked-row": ((2, 3, 4), (2, 5, 4), (2, 5, 4), {"attn_mask": FULLY_MASKED_ROW}),
    "five-dims": ((2, 1, 2, 3, 4), (2, 1, 2, 5, 4), (2, 1, 2, 5, 3), {}),
    "gqa": ((2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"enable_gqa": True}),
}


@pytest.mark.parametrize("case", SDPA_CASES)
def test_sdpa_matches_torch(case):
    torch = pytest.importorskip("torch")
    q_shape, k_shape, v_shape, kwargs = SDPA_CASES[case]
    args = [randn(*q_shape, seed=1), randn(*k_shape, seed=2), randn(*v_shape, seed=3)]
    assert_same_as_torch(sdpa, torch.nn.functional.scaled_dot_product_attention, args, kwargs)


# ---- MultiheadAttention -------------------------------------------------------------------------------


def test_mha_parameters_and_init_follow_pytorch():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, {"kdim": 3, "vdim": 5}, {"bias": False}, {"add_bias_kv": True}):
        ours, theirs = nn.MultiheadAttention(8, 2, **kwargs), torch.nn.MultiheadAttention(8, 2, **kwargs)
        assert [(k, tuple(v.shape)) for k, v in ours.named_parameters()] == [
            (k, tuple(v.shape)) for k, v in theirs.named_parameters()]
    mha = nn.MultiheadAttention(16, 4)
    bound = math.sqrt(6 / (16 + 48))  # xavier_uniform_ on the packed (3E, E) weight
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.all(mha.in_proj_bias.detach().numpy() == 0) and np.all(mha.out_proj.bias.detach().numpy() == 0)
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(mha.out_proj, nn.Linear)
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(10, 3)


def _mha_grad_check(mha, *inputs, **kwargs):
    mha.double()
    params = list(mha.parameters())

    def run(*tensors):
        out, weights = mha(*tensors[:3], **kwargs)
        return out if weights is None else mg.cat([out.reshape(-1), weights.reshape(-1)])

    assert mg.autograd.gradcheck(run, list(inputs) + params)


def test_mha_self_attention_gradients_match_finite_differences():
    x = leaf(2, 3, 4)
    padding = np.array([[False, False, True], [False, False, False]])
    _mha_grad_check(nn.MultiheadAttention(4, 2, batch_first=True), x, x, x, key_padding_mask=padding,
                    attn_mask=np.triu(np.ones((3, 3), dtype=bool), 1))


def test_mha_cross_attention_gradients_match_finite_differences():
    mha = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True, add_zero_attn=True)
    _mha_grad_check(mha, leaf(2, 1, 4, seed=1), leaf(3, 1, 3, seed=2), leaf(3, 1, 2, seed=3), need_weights=False)


def _mha_case(batch_first=False, kdim=None, vdim=None, self_attention=True, **module_kwargs):
    """Inputs for (L=3, S=4 or 3, N=2, E=4) attention in the module's layout."""
    def layout(length, features, seed):
        shape = (2, length, features) if batch_first else (length, 2, features)
        return randn(*shape, seed=seed)
    if self_attention:
        x = layout(3, 4, 1)
        return (x, x, x), dict(batch_first=batch_first, **module_kwargs)
    q, k, v = layout(3, 4, 1), layout(4, kdim or 4, 2), layout(4, vdim or 4, 3)
    return (q, k, v), dict(batch_first=batch_first, kdim=kdim, vdim=vdim, **module_kwargs)


PADDING = np.array([[False, False, True, True], [False, False, False, False]])
MHA_CASES = {
    "self": ({}, {}),
    "self-batch-first": ({"batch_first": True}, {}),
    "self-no-weights": ({"batch_first": True}, {"need_weights": False}),
    "per-head-weights": ({}, {"average_attn_weights": False}),
    "causal-bool-mask": ({"batch_first": True}, {"attn_mask": np.triu(np.ones((3, 3), dtype=bool), 1)}),
    "causal-hint": ({"batch_first": True}, {"attn_mask": np.triu(np.full((3, 3), -np.inf), 1),
                                            "is_causal": True, "need_weights": False}),
    "float-3d-mask": ({}, {"attn_mask": randn(4, 3, 3, seed=5)}),
    "cross-kdim-vdim": ({"self_attention": False, "kdim": 3, "vdim": 5}, {}),
    "cross-padding": ({"self_attention": False, "batch_first": True}, {"key_padding_mask": PADDING}),
    "cross-padding-no-weights": ({"self_attention": False}, {"key_padding_mask": PADDING, "need_weights": False}),
    "padding-and-mask": ({"self_attention": False, "kdim": 3, "vdim": 3},
                         {"key_padding_mask": PADDING, "attn_mask": randn(3, 4, seed=6) > 1,
                          "need_weights": False}),
    "no-bias": ({"bias": False}, {}),
    "bias-kv-zero-attn": ({"self_attention": False, "add_bias_kv": True, "add_zero_attn": True},
                          {"key_padding_mask": PADDING}),
}


@pytest.mark.parametrize("case", MHA_CASES)
def test_mha_matches_torch(case):
    torch = pytest.importorskip("torch")
    case_kwargs, call_kwargs = MHA_CASES[case]
    inputs, module_kwargs = _mha_case(**case_kwargs)
    ours, theirs = module_pair(nn.MultiheadAttention(4, 2, **module_kwargs),
                               torch.nn.MultiheadAttention(4, 2, **module_kwargs))
    assert_same_as_torch(ours, theirs, inputs, call_kwargs)


def test_mha_unbatched_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = module_pair(nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2))
    q, kv = randn(3, 4, seed=1), randn(5, 4, seed=2)
    assert_same_as_torch(ours, theirs, (q, kv, kv), {"key_padding_mask": np.array([0, 0, 0, 1, 1], dtype=bool)})


def test_mha_dropout_only_in_training():
    torch = pytest.importorskip("torch")
    ours = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    theirs = torch.nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    ours, theirs = module_pair(ours, theirs)  # eval(): no dropout, so the same as PyTorch
    x = randn(2, 3, 4)
    assert_same_as_torch(ours, theirs, (x, x, x))
    ours.train()
    xt = mg.tensor(x)
    train_weights = ours(xt, xt, xt)[1]
    eval_weights = ours.eval()(xt, xt, xt)[1]
    assert not np.allclose(train_weights.detach().numpy(), eval_weights.detach().numpy())


def test_mha_state_dict_round_trips_through_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=2, batch_first=True).double()
    ours = nn.MultiheadAttention(6, 3, kdim=4, vdim=2, batch_first=True).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    q, k, v = randn(2, 3, 6, seed=1), randn(2, 4, 4, seed=2), randn(2, 4, 2, seed=3)
    with torch.no_grad():
        expected = theirs(torch.tensor(q), torch.tensor(k), torch.tensor(v))[0].numpy()
    np.testing.assert_allclose(ours(mg.tensor(q), mg.tensor(k), mg.tensor(v))[0].detach().numpy(), expected,
                               rtol=1e-10, atol=1e-12)


def test_mha_is_causal_needs_a_mask():
    x = mg.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        nn.MultiheadAttention(4, 2)(x, x, x, is_causal=True)
