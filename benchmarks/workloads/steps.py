"""One SGD training step written as a PyTorch user writes it; memograd and torch run this
same code (`lib` is either module). CompiledStep runs it through `memograd.compile`."""
from __future__ import annotations

import statistics
import time


class FrameworkStep:
    def __init__(self, lib, model, x, y, lr: float):
        self.lib, self.model, self.x, self.y = lib, model, x, y
        self.loss_fn = lib.nn.functional.cross_entropy
        self.opt = lib.optim.SGD(model.parameters(), lr=lr)

    def __call__(self):
        return self.run(self.x, self.y)

    def run(self, x, y):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(x), y)
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


class CompiledStep(FrameworkStep):
    """FrameworkStep.run through `lib.compile` (memograd only): call warm_up() first, so that
    every later call replays the recorded program. A replay is one flat program, so there is
    no forward/backward/update split to time: phases is None."""

    phases = None

    def __init__(self, lib, model, x, y, lr: float):
        super().__init__(lib, model, x, y, lr)
        self.compiled = lib.compile(self.run)

    def __call__(self):
        return self.compiled(self.x, self.y)

    def warm_up(self) -> None:
        """Record (twice) and check that it replays; these calls train the model, so reload the
        initial weights afterwards where the losses are compared with other implementations."""
        compile_warm_up(self, self.compiled)


def compile_warm_up(run, compiled, calls: int = 3) -> None:
    """Call `run` until `compiled` (a memograd.compile step) has recorded twice and replays;
    a step that falls back to eager would otherwise be timed as "compiled"."""
    for _ in range(calls):
        run()
    if not compiled.replaying:
        raise RuntimeError(f"memograd.compile did not replay {getattr(compiled, '__name__', 'the step')}")
