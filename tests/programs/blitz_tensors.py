"""The 60-minute blitz, part 1: making tensors, their attributes, indexing, arithmetic, NumPy bridge."""
import numpy as np

from programs import keep


def program(torch, init=keep):
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_np = torch.from_numpy(np.array(data))
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    assert x_data.dtype == x_np.dtype == x_ones.dtype == torch.int64 and x_rand.dtype == torch.float32

    shape = (2, 3,)
    for made in (torch.rand(shape), torch.ones(shape), torch.zeros(shape)):
        assert made.shape == shape and made.dtype == torch.float32

    tensor = torch.rand(3, 4)
    assert tensor.shape == (3, 4) and tensor.dtype == torch.float32 and str(tensor.device) == "cpu"
    if torch.cuda.is_available():
        tensor = tensor.to("cuda")

    tensor = torch.ones(4, 4)
    tensor[:, 1] = 0
    assert tensor[0].tolist() == [1, 0, 1, 1] and tensor[:, 0].sum().item() == 4
    assert tensor[..., -1].tolist() == [1, 1, 1, 1]
    t1 = torch.cat([tensor, tensor, tensor], dim=1)

    # Matrix product and element-wise product, three ways each.
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    assert torch.equal(y1, y2) and torch.equal(y1, y3) and torch.equal(z1, z2) and torch.equal(z1, z3)

    agg = tensor.sum()
    agg_item = agg.item()
    assert isinstance(agg_item, float)
    tensor.add_(5)

    # The NumPy bridge shares memory in both directions.
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    assert n.tolist() == [2.0] * 5
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    assert t.tolist() == [2.0] * 5 and t.dtype == torch.float64

    return [float(t1.shape[1]), y1.sum().item(), z1.sum().item(), agg_item, tensor.sum().item()]
