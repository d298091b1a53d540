"""memograd.ops.blas: NumPy's sgemm called from compiled loops gives np.matmul's bits, and the
LSTM's compiled time loops built on it give the Python time loops' bits."""
import numpy as np
import pytest

import memograd
from memograd import loops
from memograd.ops import blas, recurrent

pytest.importorskip("numba")
pytestmark = pytest.mark.skipif(not blas.available(), reason="no compiled loops, or NumPy's BLAS has no ILP64 sgemm")


@pytest.mark.parametrize("m, k, n", [(1024, 256, 20), (2, 3, 2), (33, 65, 17)])
def test_products_give_numpys_bits(m, k, n):
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.full((m, n), np.nan, np.float32)
    blas.matmul_into(a, b, out)
    assert np.array_equal(out, a @ b)
    c = rng.standard_normal((m, n)).astype(np.float32)
    out_t = np.full((k, n), np.nan, np.float32)
    blas.transposed_matmul_into(a, c, out_t)
    assert np.array_equal(out_t, a.T @ c)


def test_not_available_without_compiled_loops(monkeypatch):
    monkeypatch.setattr(loops, "_numba", None)
    monkeypatch.setattr(loops, "_checked", True)
    monkeypatch.setattr(blas, "_state", None)
    assert not blas.available()


def _lstm_results(shape, reverse: bool, h0_grad: bool) -> list:
    length, n, size, hidden = shape
    rng = np.random.default_rng(sum(shape))

    def tensor(*dims, scale=1.0, grad=True):
        return memograd.tensor((rng.standard_normal(dims) * scale).astype(np.float32), requires_grad=grad)

    x, w_ih, w_hh = tensor(length, n, size), tensor(4 * hidden, size, scale=0.4), tensor(4 * hidden, hidden, scale=0.4)
    b_ih, b_hh, h0, c0 = tensor(4 * hidden), tensor(4 * hidden), tensor(n, hidden, grad=h0_grad), tensor(n, hidden)
    out = recurrent.LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
    out.backward(memograd.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32)))
    leaves = (x, w_ih, w_hh, b_ih, b_hh, c0) + ((h0,) if h0_grad else ())
    return [out.detach().numpy().copy()] + [t.grad.numpy().copy() for t in leaves]


@pytest.mark.parametrize("shape", [(35, 20, 16, 32), (1, 2, 3, 4), (5, 1, 3, 7), (4, 3, 2, 1)])
@pytest.mark.parametrize("reverse, h0_grad", [(False, True), (True, True), (False, False)])
def test_lstm_walks_give_the_python_time_loops_bits(shape, reverse, h0_grad, monkeypatch):
    walked = _lstm_results(shape, reverse, h0_grad)
    with monkeypatch.context() as m:
        m.setattr(recurrent, "_walks", lambda w_hh, n: False)
        stepped = _lstm_results(shape, reverse, h0_grad)
    assert len(walked) == len(stepped)
    for a, b in zip(walked, stepped):
        assert np.array_equal(a, b)


def test_lstm_takes_the_walks(monkeypatch):
    calls = []
    for name in ("_forward_walk", "_backward_walk"):
        monkeypatch.setattr(recurrent, name, lambda *args, _run=getattr(recurrent, name), _name=name:
                            calls.append(_name) or _run(*args))
    _lstm_results((3, 2, 3, 4), False, True)
    assert calls == ["_forward_walk", "_backward_walk"]


def test_no_library_without_a_memory_map(monkeypatch):
    def no_maps(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr("builtins.open", no_maps)
    assert blas._numpy_sgemm_address() is None
