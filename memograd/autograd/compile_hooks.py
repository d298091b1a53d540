"""The switch that `memograd.compile` uses to listen to one eager training step.

`modes.recorder` (per thread) is the active recorder (a `memograd.capture.recorder.Recorder`) or None. The hot
paths check it once and tell the recorder what they just did, in array terms:

    Op.apply            an op's forward ran                 -> recorder.op(...)
    engine.run_backward a rule ran, a gradient arrived,     -> recorder.backward_begins /
                        a gradient went into .grad             rule / arrive / deposit
    inplace.update/...  a tensor was written in place       -> recorder.inplace / setitem
    Optimizer.step      an optimizer stepped                -> recorder.optimizer_step
    Tensor.item/...     Python looked at a value, or NumPy  -> recorder.not_replayable
                        changed gradients outside the ops

When nothing is recording, each of these costs one `is not None` check."""
from __future__ import annotations

import functools

from .modes import modes


def not_replayable(what: str) -> None:
    """Python is about to look at a tensor's values (`.item()`, `bool()`, ...), which may send
    the next call down another path, or to change arrays behind the recorder's back (gradient
    clipping in NumPy): a step that does this cannot be replayed, only run eagerly."""
    recorder = modes.recorder
    if recorder is not None:
        recorder.not_replayable(what)


def array_step(fn):
    """Mark a function that computes arrays outside the ops (say, a loss's target encoding
    from the labels): while recording, its call becomes one step of the program, so that a
    replay recomputes it from the new inputs instead of reusing the recorded result."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        recorder = modes.recorder
        if recorder is None:
            return fn(*args, **kwargs)
        return recorder.array_step(fn, args, kwargs)

    return wrapper
