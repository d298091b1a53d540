"""Gradients of basic-indexing views (split, chunk, slices) summed as Placed parts by the engine
(autograd/placed.py) give what full-size gradients summed one by one give, bit for bit."""
import numpy as np
import pytest

import memograd
from memograd.autograd.placed import Placed


def _grads(fn, x, observed: bool):
    t = memograd.tensor(x, requires_grad=True)
    outs = fn(t * 1.0)
    grads = [memograd.tensor(np.random.default_rng(i).standard_normal(tuple(o.shape)).astype(x.dtype))
             for i, o in enumerate(outs)]
    if observed:  # an observer turns placing off: every gradient is written out as it arrives
        with memograd.autograd.detect_anomaly():
            memograd.autograd.backward(outs, grads)
    else:
        memograd.autograd.backward(outs, grads)
    return t.grad.numpy()


CASES = {
    "split": lambda t: t.split(3, dim=1),
    "chunk of a chunk": lambda t: t.chunk(2, dim=0)[0].chunk(2, dim=1) + t.chunk(2, dim=0)[1:],
    "overlapping slices": lambda t: (t[:, 1:5], t[:, 2:7], t[1]),
    "a slice and the whole": lambda t: (t[:, :4], t * 2.0, t[0, 0]),
    "one piece": lambda t: (t[2:3],),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_placed_sums_equal_the_written_out_sums(case, dtype):
    x = np.random.default_rng(0).standard_normal((4, 9)).astype(dtype)
    placed = _grads(CASES[case], x, observed=False)
    written = _grads(CASES[case], x, observed=True)
    assert np.array_equal(placed, written)


def test_pieces_reach_their_input_as_one_placed_sum(monkeypatch):
    seen = []
    original = Placed.dense

    def counting(self):
        seen.append(len(self.parts))
        return original(self)

    monkeypatch.setattr(Placed, "dense", counting)
    x = memograd.ones(2, 6, requires_grad=True)
    y = x * 1.0
    sum(piece.sum() for piece in y.split(2, dim=1)).backward()
    assert seen == [3]  # three pieces, one zero array
    assert np.array_equal(x.grad.numpy(), np.ones((2, 6)))


def test_negative_zero_survives_as_when_written_out():
    x = memograd.zeros(3, requires_grad=True)
    y = x * 1.0
    y[0:2].backward(memograd.tensor([-0.0, -0.0]))
    assert np.signbit(x.grad.numpy()[:2]).all() and not np.signbit(x.grad.numpy()[2])


def test_a_retained_view_input_sees_an_array():
    x = memograd.ones(2, 4, requires_grad=True)
    y = x * 3.0
    y.retain_grad()
    a, b = y.split(2, dim=1)
    (a.sum() + 2 * b.sum()).backward()
    assert isinstance(y.grad.numpy(), np.ndarray)
    assert np.array_equal(y.grad.numpy(), [[1, 1, 2, 2], [1, 1, 2, 2]])
