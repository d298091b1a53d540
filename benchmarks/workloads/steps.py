"""One SGD training step written as a PyTorch user writes it; memograd and torch run this
same code (`lib` is either module)."""
from __future__ import annotations

import statistics
import time


class FrameworkStep:
    def __init__(self, lib, model, x, y, lr: float):
        self.lib, self.model, self.x, self.y = lib, model, x, y
        self.loss_fn = lib.nn.functional.cross_entropy
        self.opt = lib.optim.SGD(model.parameters(), lr=lr)

    def __call__(self):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def loss_value(self, loss) -> float:
        return float(loss.item())

    def clear(self) -> None:
        """Drop the gradients (between steps, for memory baselines)."""
        self.opt.zero_grad()

    def phases(self, repeats: int) -> dict:
        """Median seconds of the forward (model + loss), the backward and the update."""
        samples = {"forward": [], "backward": [], "update": []}
        for _ in range(repeats):
            self.opt.zero_grad()
            t0 = time.perf_counter()
            loss = self.loss_fn(self.model(self.x), self.y)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            self.opt.step()
            t3 = time.perf_counter()
            samples["forward"].append(t1 - t0)
            samples["backward"].append(t2 - t1)
            samples["update"].append(t3 - t2)
        return {k: statistics.median(v) for k, v in samples.items()}
