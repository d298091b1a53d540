"""memograd.Tensor(...) follows PyTorch's legacy constructor (memograd.creation.constructor_array)."""
import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("args", [(), (2, 3), (memograd.Size([2, 3]),), ([1, 2],), ((1.5, 2.0),),
                                  (np.array([1.0, 2.0]),), (np.array([1, 2]),), ([[1, 2], [3, 4]],)], ids=str)
def test_shapes_and_dtypes_as_torch_Tensor(args):
    targs = tuple(torch.Size(a) if isinstance(a, memograd.Size) else a for a in args)
    ours, theirs = memograd.Tensor(*args), torch.Tensor(*targs)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_tensor_argument_is_shared_and_numbers_refused():
    t = memograd.tensor([1, 2])
    alias = memograd.Tensor(t)
    assert alias.dtype == memograd.int64 and alias._data is t._data
    with pytest.raises(TypeError):
        memograd.Tensor(3.5)


def test_parameters_and_optimizer_state_keep_their_dtype():
    p = memograd.nn.Parameter(memograd.zeros(2, dtype=memograd.float64))
    assert p.dtype == memograd.float64 and memograd.nn.Parameter(np.zeros(2)).dtype == memograd.float64
    p.grad = memograd.ones(2, dtype=memograd.float64)
    opt = memograd.optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert opt.state[p]["momentum_buffer"].dtype == memograd.float64
