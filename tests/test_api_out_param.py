"""`out=` on torch.add/sub/mul/div/matmul and torch.equal, against PyTorch."""
import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name, kwargs", [("add", {}), ("add", {"alpha": 2}), ("sub", {"alpha": 3}), ("mul", {}),
                                          ("div", {}), ("matmul", {})])
def test_out_writes_into_the_given_tensor(name, kwargs):
    a, b = np.arange(1.0, 5.0).reshape(2, 2), np.full((2, 2), 2.0)
    results = []
    for lib in (torch, memograd):
        out = lib.zeros(2, 2, dtype=lib.float64)
        alias = out.view(4)
        got = getattr(lib, name)(lib.tensor(a), lib.tensor(b), out=out, **kwargs)
        assert got is out
        results.append((out.numpy().copy(), alias.numpy().copy(), out._version))
    np.testing.assert_allclose(results[1][0], results[0][0])
    np.testing.assert_allclose(results[1][1], results[0][1])
    assert results[1][2] == results[0][2]


def test_out_refuses_autograd_and_takes_a_new_shape():
    for lib in (torch, memograd):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="out="):
            lib.mul(x, 2.0, out=lib.zeros(3))
        out = lib.zeros(0)
        lib.add(lib.ones(2, 2), 1.0, out=out)
        assert tuple(out.shape) == (2, 2) and out.sum().item() == 8.0


def test_equal():
    for lib in (torch, memograd):
        assert lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0]))
        assert not lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 3.0]))
        assert not lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([[1.0, 2.0]]))
