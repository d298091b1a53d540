"""One training step written as a PyTorch user writes it; memograd and torch run this same
code (`lib` is either module). CompiledStep runs it through `memograd.compile`.

TrainStep is the loop body (zero_grad, loss, backward, optional clipping, step); a workload
says what its loss is (FrameworkStep: a classifier's cross-entropy with SGD, the MLPs' and
the CNN's step). A step's inputs are the tensors `run` takes; a step may also carry state
from one call to the next (the LSTM's hidden state), see `carry`."""
from __future__ import annotations

import statistics
import time


class TrainStep:
    clip = None  # max gradient norm for clip_grad_norm_, or None

    def __init__(self, lib, model, x, y, optimizer):
        self.lib, self.model, self.x, self.y, self.opt = lib, model, x, y, optimizer

    def inputs(self) -> tuple:
        return self.x, self.y

    def loss(self, *inputs):
        raise NotImplementedError

    def run(self, *inputs):
        self.opt.zero_grad()
        loss = self.loss(*inputs)
        loss.backward()
        if self.clip is not None:
            self.lib.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        return loss

    def __call__(self):
        return self.carry(self.run(*self.inputs()))

    def carry(self, result):
        """What a call returns (the loss); a step that carries state keeps it here."""
        return result

    def loss_value(self, loss) -> float:
        return float(loss.item())

    def clear(self) -> None:
        """Drop the gradients (between steps, for memory baselines)."""
        self.opt.zero_grad()

    def phases(self, repeats: int) -> dict:
        """Median seconds of the forward (model + loss), the backward and the update (clipping included)."""
        samples = {"forward": [], "backward": [], "update": []}
        for _ in range(repeats):
            self.opt.zero_grad()
            t0 = time.perf_counter()
            loss = self.loss(*self.inputs())
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            if self.clip is not None:
                self.lib.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
            self.opt.step()
            t3 = time.perf_counter()
            samples["forward"].append(t1 - t0)
            samples["backward"].append(t2 - t1)
            samples["update"].append(t3 - t2)
        return {k: statistics.median(v) for k, v in samples.items()}


class FrameworkStep(TrainStep):
    """A classifier's step: cross-entropy of model(x) against class labels y, plain SGD."""

    def __init__(self, lib, model, x, y, lr: float):
        super().__init__(lib, model, x, y, lib.optim.SGD(model.parameters(), lr=lr))
        self.loss_fn = lib.nn.functional.cross_entropy

    def loss(self, x, y):
        return self.loss_fn(self.model(x), y)


def compiled(step: TrainStep) -> TrainStep:
    """The same step object with its `run` wrapped in `memograd.compile`; call warm_up() on it
    first, so that every later call replays the recorded program. A replay is one flat
    program, so there is no forward/backward/update split to time: phases is None."""
    step.compiled = step.lib.compile(step.run)
    step.run = step.compiled
    step.phases = None
    step.warm_up = lambda: compile_warm_up(step, step.compiled)
    return step


def CompiledStep(lib, model, x, y, lr: float) -> TrainStep:
    """FrameworkStep through `lib.compile` (memograd only); see `compiled`. The warm-up calls
    train the model, so reload the initial weights afterwards where losses are compared."""
    return compiled(FrameworkStep(lib, model, x, y, lr))


def compile_warm_up(run, compiled, calls: int = 3) -> None:
    """Call `run` until `compiled` (a memograd.compile step) has recorded twice and replays;
    a step that falls back to eager would otherwise be timed as "compiled"."""
    for _ in range(calls):
        run()
    if not compiled.replaying:
        raise RuntimeError(f"memograd.compile did not replay {getattr(compiled, '__name__', 'the step')}")
