"""memograd.loops: every op that takes a compiled loop gives what its NumPy path gives (GELU bit
for bit; LayerNorm and attention, whose sums run in another order, to float32 rounding), values
and gradients, and the NumPy path is what runs without Numba."""
import numpy as np
import pytest

import memograd
from memograd import blockwise, loops, settings
from memograd.ops import attention, gelu, linear

pytest.importorskip("numba")
pytestmark = pytest.mark.skipif(not loops.available(), reason="MEMOGRAD_JIT=0: the loops are off")


@pytest.fixture
def without_numba(monkeypatch):
    """The process as it is without Numba (or with MEMOGRAD_JIT=0)."""
    monkeypatch.setattr(loops, "_numba", None)
    monkeypatch.setattr(loops, "_checked", True)


def _run(fn, arrays, seed=1):
    tensors = [memograd.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    grad = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(out.detach().numpy().dtype)
    out.backward(memograd.tensor(grad))
    return [out.detach().numpy()] + [t.grad.numpy() for t in tensors]


def _both_paths(fn, arrays, monkeypatch):
    assert loops.available()
    compiled = _run(fn, arrays)
    with monkeypatch.context() as m:
        m.setattr(loops, "_numba", None)
        m.setattr(loops, "_checked", True)
        assert not loops.available()
        reference = _run(fn, arrays)
    return compiled, reference


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # nan and inf on purpose
def test_gelu_loops_give_the_numpy_passes_bits_including_nan_and_inf(monkeypatch):
    x = (np.random.default_rng(0).standard_normal((67, 129)) * 4).astype(np.float32)
    x.flat[:7] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e-30]
    compiled, reference = _both_paths(gelu.gelu, [x], monkeypatch)
    for a, b in zip(compiled, reference):
        assert np.array_equal(a, b, equal_nan=True)


def test_gelu_loops_are_called_when_numba_is_there(monkeypatch):
    calls = []
    original = gelu._forward_loop

    def counting(*arrays):
        calls.append(len(arrays[0]))
        return original(*arrays)

    monkeypatch.setattr(gelu, "_forward_loop", counting)
    gelu.gelu(memograd.ones(10, 10))
    assert sum(calls) == 100


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_loops_match_the_numpy_path(affine, monkeypatch):
    rng = np.random.default_rng(2)
    arrays = [(rng.standard_normal((5, 7, 48)) * 3 + 10).astype(np.float32)]
    if affine:
        arrays += [rng.standard_normal(48).astype(np.float32), rng.standard_normal(48).astype(np.float32)]

    def fn(x, *params):
        return memograd.nn.functional.layer_norm(x, (48,), *params)

    compiled, reference = _both_paths(fn, arrays, monkeypatch)
    for a, b in zip(compiled, reference):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_layer_norm_loops_over_two_normalised_dims(monkeypatch):
    x = np.random.default_rng(3).standard_normal((4, 6, 5)).astype(np.float32)
    w, b = np.random.default_rng(4).standard_normal((2, 6, 5)).astype(np.float32)
    compiled, reference = _both_paths(lambda *t: memograd.nn.functional.layer_norm(t[0], (6, 5), t[1], t[2]),
                                      [x, w, b], monkeypatch)
    for a, b_ in zip(compiled, reference):
        np.testing.assert_allclose(a, b_, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 9, 5), (4, 7, 6), (6, 4)])
def test_attention_loops_match_the_numpy_path(causal, shape, monkeypatch):
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    if len(shape) > 2:  # keys longer than queries: the causal mask is not square
        k, v = (np.concatenate([a, a[..., :2, :]], axis=-2) for a in (k, v))
    compiled, reference = _both_paths(
        lambda *t: memograd.nn.functional.scaled_dot_product_attention(*t, is_causal=causal), [q, k, v], monkeypatch)
    for a, b in zip(compiled, reference):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_attention_softmax_rows_sum_to_one_and_mask_the_future():
    scores = np.random.default_rng(6).standard_normal((3, 5, 7)).astype(np.float32) * 30
    attention._shift_rows(scores, True)
    np.exp(scores, out=scores)
    attention._normalize_rows(scores)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-6)
    assert not scores[:, np.triu_indices(5, 1, 7)[0], np.triu_indices(5, 1, 7)[1]].any()


def test_loops_give_the_same_bits_on_any_number_of_threads(monkeypatch):
    x = np.random.default_rng(7).standard_normal((41, 77)).astype(np.float32)
    monkeypatch.setattr(blockwise, "MIN_PARALLEL", 10)
    monkeypatch.setattr(blockwise, "SHARED_BLOCK", 333)
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setitem(settings._state, "threads", threads)
        results.append(_run(gelu.gelu, [x]))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


def test_without_numba_a_loop_says_so(without_numba):
    @loops.loop
    def double(x, out):
        for i in range(x.size):
            out[i] = 2 * x[i]

    with pytest.raises(RuntimeError, match="double called without Numba"):
        double(np.ones(3), np.empty(3))


def test_a_loop_compiles_what_is_written():
    @loops.loop(reorder_sums=True)
    def row_sums(x, out):
        for i in range(x.shape[0]):
            total = 0.0
            for j in range(x.shape[1]):
                total += x[i, j]
            out[i] = total

    x = np.random.default_rng(10).standard_normal((5, 300))
    out = np.empty(5)
    row_sums(x, out)
    np.testing.assert_allclose(out, x.sum(1), rtol=1e-12)
    assert row_sums.python.__name__ == "row_sums"


def test_a_loop_calls_other_loops_compiled():
    @loops.loop
    def square(x, i):
        return x[i] * x[i]

    @loops.loop
    def sum_of_squares(x, out):
        for i in range(x.size):
            out[0] += square(x, i)

    x, out = np.arange(5.0), np.zeros(1)
    sum_of_squares(x, out)
    assert out[0] == 30.0
    assert square.dispatcher() is square.dispatcher()


def test_without_numba_the_ops_take_their_numpy_path(without_numba):
    x = np.random.default_rng(8).standard_normal((3, 4, 8)).astype(np.float32)
    out = _run(lambda t: memograd.nn.functional.layer_norm(gelu.gelu(t), (8,)), [x])
    assert np.isfinite(out[1]).all()


def test_linear_on_a_batch_of_sequences_is_the_rowwise_product():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((3, 5, 4)), rng.standard_normal((6, 4)), rng.standard_normal(6)
    out, gx, gw, gb = _run(linear.linear, [x, w, b])
    g = np.random.default_rng(1).standard_normal((3, 5, 6))
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(gx, g @ w, rtol=1e-12)
    np.testing.assert_allclose(gw, g.reshape(-1, 6).T @ x.reshape(-1, 4), rtol=1e-12)
    np.testing.assert_allclose(gb, g.sum((0, 1)), rtol=1e-12)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 0, 1), ((2, 1), (1, 2), (1, 2))])
def test_convolution_loops_match_the_numpy_path(stride, padding, dilation, monkeypatch):
    rng = np.random.default_rng(11)
    x, w, b = (rng.standard_normal((3, 4, 9, 8)).astype(np.float32), rng.standard_normal((5, 4, 3, 2)).astype(
        np.float32), rng.standard_normal(5).astype(np.float32))
    compiled, reference = _both_paths(
        lambda x, w, b: memograd.nn.functional.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation),
        [x, w, b], monkeypatch)
    for a, b_ in zip(compiled, reference):
        np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 5, 8, 6), (2, 4, 7, 9)])
def test_max_pool_loops_match_the_numpy_path(shape, monkeypatch):
    x = np.random.default_rng(12).standard_normal(shape).astype(np.float32)
    x[0, 0, :2, :2] = 1.5  # a tie: the first position wins
    x[1, 1, 2, 3] = np.nan
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)  # as after a conv
    compiled, reference = _both_paths(lambda t: memograd.nn.functional.max_pool2d(t, 2), [channels_last],
                                      monkeypatch)
    for a, b in zip(compiled, reference):
        assert np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("bidirectional, bias", [(False, True), (True, True), (False, False)])
def test_lstm_loops_give_the_numpy_passes_bits(bidirectional, bias, monkeypatch):
    memograd.manual_seed(0)
    lstm = memograd.nn.LSTM(6, 10, 2, bias=bias, bidirectional=bidirectional)
    x = np.random.default_rng(13).standard_normal((7, 3, 6)).astype(np.float32) * 3

    def fn(x):
        out, (h, c) = lstm(x)
        return out.sum() + (h * h).sum() + c.sum()

    compiled, reference = [], []
    for results, off in ((compiled, False), (reference, True)):
        with monkeypatch.context() as m:
            if off:
                m.setattr(loops, "_numba", None)
                m.setattr(loops, "_checked", True)
            lstm.zero_grad()
            results.extend(_run(fn, [x]) + [p.grad.numpy().copy() for p in lstm.parameters()])
    for a, b in zip(compiled, reference):
        assert np.array_equal(a, b)


def test_lstm_step_loops_give_the_numpy_steps_bits_on_extreme_values():
    """One forward and one backward step on odd sizes, with values past the rational tanh's
    clipping, infinities and a nan: the loops' bits are the NumPy passes' (nan where they have it)."""
    from memograd.ops import recurrent

    rng = np.random.default_rng(3)
    hidden, n = 7, 3
    gates = (rng.standard_normal((4, hidden, n)) * 8).astype(np.float32)
    gates[0, 0, 0], gates[1, 1, 1], gates[2, 2, 2], gates[3, 3, 0] = np.inf, -np.inf, np.nan, 40.0
    product = (rng.standard_normal((4, hidden, n)) * 3).astype(np.float32)
    c_before = (rng.standard_normal((hidden, n)) * 5).astype(np.float32)
    dh0, dc0 = rng.standard_normal((2, hidden, n)).astype(np.float32)
    results = []
    for step, back in ((recurrent._step_forward, recurrent._step_back),
                       (recurrent._numpy_step_forward, recurrent._numpy_step_back)):
        a, c_after = gates.copy(), np.empty_like(c_before)
        tanh_c, h = np.empty_like(c_before), np.empty_like(c_before)
        dh, dc, d = dh0.copy(), dc0.copy(), np.empty_like(a)
        with np.errstate(invalid="ignore", over="ignore"):
            step(a, product, c_before, c_after, tanh_c, h)
            back(dh, dc, c_after, a, c_before, tanh_c, d)
        results.append([a, c_after, tanh_c, h, dh, dc, d])
    for compiled, reference in zip(*results):
        assert np.array_equal(compiled, reference, equal_nan=True)
    a = results[0][0]
    assert np.isnan(a[2, 2, 2]) and a[0, 0, 0] == 1.0 and a[1, 1, 1] == 0.0 and a[3, 3, 0] == 1.0


def _optimizer_steps(monkeypatch, use_loops: bool, make_optimizer, shapes: tuple, steps: int, seed: int,
                     poison_last: bool = False):
    """`steps` updates of float32 parameters of `shapes` with random gradients, with or without
    the loops; with poison_last, the last gradients start with inf and nan. -> (params, optimizer)."""
    with monkeypatch.context() as m:
        if not use_loops:
            m.setattr(loops, "_numba", None)
            m.setattr(loops, "_checked", True)
        rng = np.random.default_rng(seed)
        params = [memograd.nn.Parameter(memograd.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes]
        opt = make_optimizer(params)
        for i in range(steps):
            for p in params:
                grad = rng.standard_normal(tuple(p.shape)).astype(np.float32)
                if poison_last and i == steps - 1:
                    grad.reshape(-1)[:2] = (np.inf, np.nan)
                p.grad = memograd.tensor(grad)
            opt.step()
        return params, opt


@pytest.mark.parametrize("options", [{"weight_decay": 0.1}, {"maximize": True}, {"amsgrad": True}])
@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
def test_adam_loop_gives_the_numpy_path_bits(optimizer, options, monkeypatch):
    def train(use_loops: bool):
        params, opt = _optimizer_steps(monkeypatch, use_loops,
                                       lambda ps: getattr(memograd.optim, optimizer)(ps, lr=0.01, **options),
                                       ((5, 7), (7,)), steps=4, seed=14)
        return [p.detach().numpy().copy() for p in params] + [
            opt.state[p][k].numpy().copy() for p in params for k in ("exp_avg", "exp_avg_sq")]

    for a, b in zip(train(True), train(False)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("options", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}])
def test_sgd_loop_gives_the_numpy_path_bits(options, monkeypatch):
    """SGD's update t + (alpha * s) as one loop (optim/kernels.py) against NumPy's blocks, on
    sizes below and above a block, with inf and nan in a gradient."""
    def train(use_loops: bool):
        params, _ = _optimizer_steps(monkeypatch, use_loops, lambda ps: memograd.optim.SGD(ps, lr=0.37, **options),
                                     ((300, 257), (7,)), steps=3, seed=15, poison_last=True)
        return [p.detach().numpy().copy() for p in params]

    for a, b in zip(train(True), train(False)):
        np.testing.assert_array_equal(a, b)


def test_adam_loop_leaves_a_state_in_another_layout_to_the_numpy_path():
    """A running average that is not C-contiguous (as a loaded state may be) is updated where it
    is, by the NumPy path: the loop would update a flattened copy."""
    p = memograd.nn.Parameter(memograd.ones(3, 4))
    opt = memograd.optim.Adam([p], lr=0.1)
    p.grad = memograd.ones(3, 4)
    opt.step()
    state = opt.state[p]
    state["exp_avg"]._data = np.asfortranarray(state["exp_avg"]._data)
    before = state["exp_avg"].numpy().copy()
    opt.step()
    np.testing.assert_allclose(state["exp_avg"].numpy(), before + 0.1 * (1 - before))


@pytest.mark.parametrize("lookup", ["embedding", "negative indices"])
def test_row_gathering_gradient_loop_matches_the_numpy_path(lookup, monkeypatch):
    rng = np.random.default_rng(15)
    weight = rng.standard_normal((11, 6)).astype(np.float32)
    low = 0 if lookup == "embedding" else -11
    rows = memograd.tensor(rng.integers(low, 11, (4, 9)))

    def fn(w):
        return memograd.nn.functional.embedding(rows, w) if lookup == "embedding" else w[rows]

    compiled, reference = _both_paths(fn, [weight], monkeypatch)
    for a, b in zip(compiled, reference):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    counts = np.bincount(rows.numpy().reshape(-1) % 11, minlength=11)
    assert (np.abs(compiled[1]).sum(1) > 0).tolist() == (counts > 0).tolist()  # rows never gathered stay 0
