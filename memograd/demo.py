"""A tiny network trained by backprop, by hand: `python -m memograd.demo` prints its loss falling."""
from __future__ import annotations

import numpy as np

import memograd as mg


def two_spirals(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    arm = rng.integers(0, 2, n)
    sign = np.where(arm == 0, 1.0, -1.0)
    x = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / 10 + rng.normal(0, 0.02, (n, 2))
    return x.astype(np.float32), arm


def main(steps: int = 2000, lr: float = 1.0) -> float:
    mg.manual_seed(0)
    x_np, y_np = two_spirals()
    x, y = mg.tensor(x_np), mg.tensor(y_np)
    w1 = (mg.randn(2, 32) * 0.7).requires_grad_()
    b1 = mg.zeros(32, requires_grad=True)
    w2 = (mg.randn(32, 2) * 0.2).requires_grad_()
    b2 = mg.zeros(2, requires_grad=True)
    params = [w1, b1, w2, b2]
    for step in range(steps + 1):
        logits = (x @ w1 + b1).tanh() @ w2 + b2          # forward inference
        loss = -logits.log_softmax(1)[mg.arange(len(y)), y].mean()
        for p in params:
            p.grad = None
        loss.backward()                                   # backprop: every d(loss)/d(param)
        with mg.no_grad():                                # gradient descent
            for p in params:
                p -= lr * p.grad
        if step % 250 == 0:
            accuracy = (logits.argmax(1) == y).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {accuracy:.1%}")
    return loss.item()


if __name__ == "__main__":
    main()
