"""nn.SyncBatchNorm in one process (no process group) is BatchNorm, as PyTorch's is there; the
statistics across processes are tested under MPI in tests/distributed."""
import numpy as np
import pytest

import memograd
import memograd.nn as nn
from helpers import check_grad


def test_without_a_process_group_it_is_batchnorm_with_gradients_checked():
    x = memograd.tensor(np.random.default_rng(0).standard_normal((5, 3, 2)), requires_grad=True)
    sync = nn.SyncBatchNorm(3).double()
    plain = nn.BatchNorm1d(3).double()
    np.testing.assert_allclose(sync(x).detach().numpy(), plain(x).detach().numpy())
    np.testing.assert_allclose(sync.running_var.numpy(), plain.running_var.numpy())
    check_grad(lambda t: nn.SyncBatchNorm(3).double()(t), x)


def test_matches_pytorch_syncbatchnorm_on_cpu_without_a_process_group():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((4, 3, 5, 2)).astype(np.float32) * 2 + 1
    ours = nn.SyncBatchNorm(3, momentum=None)
    theirs = torch.nn.SyncBatchNorm(3, momentum=None)
    x = memograd.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    for _ in range(2):
        out, tout = ours(x), theirs(tx)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, err_msg=key)


def test_convert_sync_batchnorm_matches_pytorch_structure():
    torch = pytest.importorskip("torch")
    ours = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)))
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(torch.nn.Linear(2, 3),
                                                                               torch.nn.BatchNorm1d(3)))
    assert type(ours[1]).__name__ == type(theirs[1]).__name__ == "SyncBatchNorm"
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with pytest.raises(ValueError, match="2D"):
        nn.SyncBatchNorm(3)(memograd.ones(3))
