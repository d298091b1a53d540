"""A physics-informed network for Burgers' equation u_t + u u_x = nu u_xx on x in [-1, 1].

The residual needs u_x, u_t and u_xx of the network u(x, t): `torch.autograd.grad` with
`create_graph=True`, twice for the second derivative, and the loss backpropagates through them.
"""
import math

import numpy as np

from programs import keep


def program(torch, init=keep, steps=4):
    nn = torch.nn
    rng = np.random.default_rng(0)
    nu = 0.01 / math.pi

    class PINN(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))

        def forward(self, x, t):
            return self.net(torch.cat([x, t], dim=1))

    def column(values):
        return torch.tensor(values, dtype=torch.float32).reshape(-1, 1)

    def residual(model, x, t):
        u = model(x, t)
        ones = torch.ones_like(u)
        u_x = torch.autograd.grad(u, x, grad_outputs=ones, create_graph=True)[0]
        u_t = torch.autograd.grad(u, t, grad_outputs=ones, create_graph=True)[0]
        u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), create_graph=True)[0]
        return u_t + u * u_x - nu * u_xx

    # Collocation points inside, the initial condition u(x, 0) = -sin(pi x), and u(+-1, t) = 0.
    x_f = column(rng.uniform(-1, 1, 32)).requires_grad_(True)
    t_f = column(rng.uniform(0, 1, 32)).requires_grad_(True)
    x_0 = column(rng.uniform(-1, 1, 16))
    t_0 = torch.zeros_like(x_0)
    u_0 = -torch.sin(math.pi * x_0)
    x_b = column(np.repeat([-1.0, 1.0], 8))
    t_b = column(rng.uniform(0, 1, 16))

    model = init(PINN())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    mse = nn.MSELoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        f = residual(model, x_f, t_f)
        loss = mse(f, torch.zeros_like(f)) + mse(model(x_0, t_0), u_0) + (model(x_b, t_b) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    # The residual's size on the collocation points after training, and one prediction.
    f = residual(model, x_f, t_f).detach()
    with torch.no_grad():
        u_mid = model(column([0.5]), column([0.5])).item()
    return losses + [f.abs().mean().item(), u_mid]
