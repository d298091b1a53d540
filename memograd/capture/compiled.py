"""`memograd.compile(step)`: a training step recorded once, then replayed as a flat program.

Life of a compiled step, per combination of argument shapes and dtypes (and grad mode):

    call 1   runs eagerly while the recorder writes down every array-level call: a program
    call 2   runs eagerly and records again; if both programs agree (same calls, same wiring,
             same constants) the program is trusted. Two recordings catch state created on
             the first call (an optimizer's buffers) and values computed outside the ops that
             change from call to call (a dropout mask): such a step keeps running eagerly.
    call 3+  replays the program: NumPy calls only, no Tensor objects, no graph.

A step that looks at values (`.item()`, `bool(t)`, `.numpy()`), uses a custom
autograd.Function's backward, `create_graph`, `retain_grad` or
`optimizer.step(closure)` runs eagerly, with one warning. New argument shapes or dtypes
are recorded again (with one warning); up to 8 such programs are kept per step."""
from __future__ import annotations

import functools
import warnings

from ..autograd.modes import modes
from ..tensor import Tensor
from .program import Program
from .recorder import Recorder

MAX_RECORDINGS = 3  # recordings that must agree before giving up on a step
MAX_PROGRAMS = 8  # argument signatures kept per step


class Pending:
    """A recording not yet confirmed by a second one."""

    def __init__(self, program: Program, count: int):
        self.program, self.count = program, count


class CompiledStep:
    """A step function that replays its recorded program when it can (see the module docstring).

    >>> step = memograd.compile(train_step)     # train_step(x, y) -> loss
    >>> loss = step(x, y)                        # records; later calls replay
    >>> step.print_program()
    """

    def __init__(self, fn):
        self.fn = fn
        self.entries: dict = {}  # guard key -> Program (trusted) | Pending | str (why eager)
        self.warned: set[str] = set()
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        key = guard_key(args, kwargs)
        entry = self.entries.get(key)
        if type(entry) is Program:
            if entry.guards_hold():
                return entry.fn(*tensor_inputs(args, kwargs))
            del self.entries[key]
            self.warn("a parameter's shape, dtype or requires_grad changed since the step was recorded; "
                      "running it eagerly and recording it again")
            entry = None
        if key is None:
            self.warn("an argument that is neither a tensor nor hashable; the step runs eagerly")
            return self.fn(*args, **kwargs)
        if type(entry) is str:
            return self.fn(*args, **kwargs)
        if entry is None and self.entries:
            if len(self.entries) >= MAX_PROGRAMS:
                self.warn(f"more than {MAX_PROGRAMS} argument shapes; new ones run eagerly")
                return self.fn(*args, **kwargs)
            self.warn("the arguments' shapes, dtypes or values changed; running the step eagerly "
                      "and recording it again for them")
        return self.record(key, entry, args, kwargs)

    def record(self, key, entry, args, kwargs):
        result, program, problem = record(self.fn, args, kwargs)
        if problem is not None:
            self.entries[key] = problem
            self.warn(f"{problem}: the step cannot be replayed and runs eagerly")
        elif entry is not None and program.same_as(entry.program):
            self.entries[key] = program
        elif entry is not None and entry.count + 1 >= MAX_RECORDINGS:
            self.entries[key] = reason = ("each call records a different program (its Python control flow, "
                                          "or values it computes outside the ops, change)")
            self.warn(f"{reason}: the step runs eagerly")
        else:
            self.entries[key] = Pending(program, 1 if entry is None else entry.count + 1)
        return result

    def warn(self, message: str) -> None:
        if message not in self.warned:
            self.warned.add(message)
            warnings.warn(f"memograd.compile({getattr(self.fn, '__name__', 'step')}): {message}",
                          RuntimeWarning, stacklevel=3)

    @property
    def programs(self) -> list[Program]:
        """The trusted programs, one per argument signature."""
        return [e for e in self.entries.values() if type(e) is Program]

    @property
    def replaying(self) -> bool:
        return bool(self.programs)

    def print_program(self, file=None) -> None:
        """Print each program as the Python source that a replay runs."""
        for entry in self.entries.values():
            program = entry if type(entry) is Program else getattr(entry, "program", None)
            state = "replayed" if type(entry) is Program else "eager: " + entry if type(entry) is str else "recorded once"
            print(f"# {state}; {len(program) if program else 0} steps", file=file)
            if program is not None:
                print(program.source(), file=file)

    def reset(self) -> None:
        """Forget every program (say, after replacing a parameter object)."""
        self.entries.clear()


def record(fn, args, kwargs):
    """Run `fn` eagerly while recording: (its result, the program or None, why not replayable)."""
    if modes.recorder is not None:
        return fn(*args, **kwargs), None, "a compiled step called while another one records"
    recorder = Recorder(tensor_inputs(args, kwargs))
    modes.recorder = recorder
    try:
        result = fn(*args, **kwargs)
    finally:
        modes.recorder = None
    program = recorder.finish(result) if recorder.problem is None else None
    return result, program, recorder.problem


def tensor_inputs(args, kwargs) -> list:
    inputs = [a for a in args if isinstance(a, Tensor)]
    if kwargs:
        inputs += [kwargs[k] for k in sorted(kwargs) if isinstance(kwargs[k], Tensor)]
    return inputs


def guard_key(args, kwargs):
    """What must match for a program to apply: each tensor's shape, dtype and grad flag, every
    other argument's value, and grad mode. None when some argument cannot be compared."""
    parts = [modes.grad_enabled]
    for a in args:
        parts.append((a._data.shape, a._data.dtype, a._requires_grad) if isinstance(a, Tensor) else (type(a), a))
    for k in sorted(kwargs):
        a = kwargs[k]
        parts.append((k, (a._data.shape, a._data.dtype, a._requires_grad) if isinstance(a, Tensor) else (type(a), a)))
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def compile(fn=None):
    """Record `fn` (a training step taking tensors) and replay it as a flat program of NumPy
    calls; see `memograd.capture.compiled` for when it records, replays or runs eagerly.
    Usable as a decorator."""
    if fn is None:
        return CompiledStep
    return CompiledStep(fn)
