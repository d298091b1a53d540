"""The 60-minute blitz, part 2: autograd on a tiny logistic model, gradients of vector outputs,
turning recording off, accumulation of .grad, and freezing parameters for fine-tuning."""
import numpy as np

from programs import keep


def program(torch, init=keep):
    nn = torch.nn
    F = torch.nn.functional

    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    init([w, b])
    z = torch.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    assert z.grad_fn is not None and loss.grad_fn is not None
    loss.backward()
    figures = [loss.item(), w.grad.sum().item(), b.grad.sum().item()]

    assert z.requires_grad
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    assert not z.requires_grad
    assert not (torch.matmul(x, w) + b).detach().requires_grad

    # Q = 3a^3 - b^2: backward with an explicit gradient for a vector output.
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a ** 3 - b ** 2
    Q.backward(gradient=torch.tensor([1.0, 1.0]))
    assert (9 * a ** 2 == a.grad).all() and (-2 * b == b.grad).all()

    # Vector-Jacobian products accumulate in .grad until it is zeroed.
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out), retain_graph=True)
    assert torch.allclose(inp.grad, 2 * first)
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    assert torch.allclose(inp.grad, first)
    figures.append(first.sum().item())

    # Freeze a model and replace its head: only the new head learns.
    model = init(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4)))
    for param in model.parameters():
        param.requires_grad = False
    model[2] = init(nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    data = torch.from_numpy(np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32))
    for _ in range(3):
        optimizer.zero_grad()
        loss = model(data).pow(2).mean()
        loss.backward()
        optimizer.step()
        figures.append(loss.item())
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    return figures
