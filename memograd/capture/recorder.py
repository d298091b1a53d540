"""The recorder: listens to one eager call of a training step (through the hooks listed in
`memograd.autograd.compile_hooks`) and writes every array-level call it makes into a Program.

Values are told apart by identity while recording: every array the step touches gets a
name (`v3`), kept alive until the recording ends so that no id is reused. An argument the
recorder has not seen before is either a tensor that outlives the step (a parameter: its
array is read at the start of each replay) or a constant (read as recorded)."""
from __future__ import annotations

import functools

import numpy as np

from ..autograd import function
from ..autograd.modes import modes
from .program import Constant, Program


def hook(method):
    """A recorder hook never breaks the eager step it listens to: once the recording has a
    problem it stops listening, and a failure of its own becomes that problem."""

    @functools.wraps(method)
    def listen(self, *args):
        if self.problem is None:
            try:
                method(self, *args)
            except Exception as err:  # noqa: BLE001 - reported as the reason to run eagerly
                self.not_replayable(f"the recorder failed ({type(err).__name__}: {err})")

    return listen


class Recorder:
    def __init__(self, inputs: list):
        self.program = Program(len(inputs))
        self.name_of: dict[int, str] = {}  # id(array, or float from an array step) -> name
        self.keep: list = []  # everything named stays alive while recording
        self.ctxs: dict = {}  # recorded node -> name of its replay ctx
        self.tensor_names: dict[int, str] = {}  # id(tensor) -> name of the tensor object itself
        self.grad_targets: list = []  # tensors whose .grad the step sets
        self.buffered: set[str] = set()  # names of values living in a reused buffer
        self.copied_grads: list = []  # (tensor, name) of .grad arrays copied on deposit, not yet named
        self.problem: str | None = None
        for i, t in enumerate(inputs):
            self.name(t._data, f"v{i}")
            self.tensor_names[id(t)] = f"a{i}"
            self.keep.append(t)
        if modes.anomaly:
            self.not_replayable("anomaly detection is on")

    # ---- naming ------------------------------------------------------------------------

    def name(self, value, name: str) -> None:
        self.name_of[id(value)] = name
        self.keep.append(value)

    def new(self, value) -> str:
        v = self.program.fresh("v")
        self.name(value, v)
        return v

    def ref(self, value) -> tuple[str, object]:
        """(code, signature entry) for a value a recorded call reads."""
        known = self.name_of.get(id(value))
        if known is not None:
            return known, known
        if isinstance(value, function.Tensor):
            known = self.name_of.get(id(value._data))
            if known is None:
                known = self.program.outlives(value, self.tensor_ref(value))
                self.name(value._data, known)
            return known, known
        if type(value) is tuple or type(value) is list:  # a tuple subclass (conv geometry) is a constant
            parts = [self.ref(x) for x in value]
            code = ", ".join(c for c, _ in parts)
            code = f"({code},)" if isinstance(value, tuple) else f"[{code}]"
            return code, (type(value), tuple(s for _, s in parts))
        if isinstance(value, slice):
            start, stop, step = (self.ref(x)[0] for x in (value.start, value.stop, value.step))
            return f"slice({start}, {stop}, {step})", Constant(value)
        if value is Ellipsis:
            return "...", Constant(value)
        code, sig = self.program.constant(value)
        if isinstance(value, np.ndarray):
            self.name(value, code)
        return code, sig

    def call_refs(self, args, kwargs: dict) -> tuple[list, list]:
        """(the argument list's code pieces, its signature entries) for a recorded call."""
        codes, sigs = [], []
        for arg in args:
            code, sig = self.ref(arg)
            codes.append(code)
            sigs.append(sig)
        for key, value in kwargs.items():
            code, sig = self.ref(value)
            codes.append(f"{key}={code}")
            sigs.append((key, sig))
        return codes, sigs

    def tensor_ref(self, tensor) -> str:
        """The name of a tensor object (for `.grad`), not of its array."""
        name = self.tensor_names.get(id(tensor))
        if name is None:
            name = self.program.bind("t", tensor)
            self.program.signature.append(("tensor", name, Constant(tensor)))
            self.tensor_names[id(tensor)] = name
            self.keep.append(tensor)
        return name

    def class_name(self, cls) -> str:
        name = cls.__name__
        while self.program.names.get(name, cls) is not cls:
            name += "_"
        return self.program.bind("", cls, name)

    def not_replayable(self, what: str) -> None:
        if self.problem is None:
            self.problem = what

    # ---- the hooks -----------------------------------------------------------------------

    def op(self, cls, ctx, args, params, out, edges):
        """An op's forward ran on the arrays of `args`: `v = Op.forward(c, ...)`."""
        generic = isinstance(out, np.generic)  # Tensor._make would wrap it; do it here, once
        if generic:
            out = np.asarray(out)
        self.record_op(cls, ctx, args, params, out, edges, generic)
        return out

    @hook
    def record_op(self, cls, ctx, args, params, out, edges, generic):
        codes, sigs = self.call_refs(args, params)
        flags = tuple(None if edge is None else True for edge in edges)
        c = self.replay_ctx(cls, ctx, flags)
        call = f"{self.class_name(cls)}.forward({c}, {', '.join(codes)})"
        v = self.new(out)
        self.program.emit(f"{v} = {f'asarray({call})' if generic else call}", describe(out),
                          ("op", cls, flags, tuple(sigs)))

    def replay_ctx(self, cls, ctx, flags) -> str:
        """A ctx of the op's class for replays: `next` says only which inputs want a gradient."""
        c = object.__new__(cls)
        c.saved, c.saved_src, c.next, c.stamp, c.retained = (), (), flags, 0, None
        name = self.program.bind("c", c)
        self.ctxs[ctx] = name
        return name

    @hook
    def begins(self, roots, root_grads, retain_graph, create_graph, targets):
        """A backward pass starts (the recorder is one of the engine's observers)."""
        if create_graph:
            self.not_replayable("backward(create_graph=True)")
        elif targets is not None:
            self.not_replayable("autograd.grad() or backward(inputs=...)")
        elif len({id(r) for r in roots}) != len(roots):
            self.not_replayable("backward from the same tensor twice")

    @hook
    def node_ran(self, node, grad, grads_in):
        """A node's backward ran: `gx, gy = Op.backward(c, g)`; `_` for gradients already named."""
        if type(node) is function.AccumulateGrad:  # its gradient is written by grad_writer (see deposit)
            return
        if node.tensor_io:
            return self.not_replayable("the backward of a custom autograd.Function")
        if node.retained is not None:
            return self.not_replayable("retain_grad()")
        c = self.ctxs.get(node)
        if c is None:
            return self.not_replayable("backward through a graph built before the step")
        g, g_sig = self.ref(grad)
        outs = ["_" if x is None or id(x) in self.name_of else self.new(x) for x in grads_in]
        call = f"{self.class_name(type(node))}.backward({c}, {g})"
        if len(node.next) == 1:  # a one-input rule may return the gradient bare or in a 1-tuple
            call = f"first({call})"
        self.program.emit(f"{', '.join(outs)} = {call}", "", ("rule", c, g_sig, tuple(outs)))

    @hook
    def slot_added(self, child, raw, previous, total):
        """A gradient reached `child`: summed to its shape, cast to its dtype, added to its slot."""
        name, _ = self.ref(raw)
        if raw.shape != child.shape:
            v = self.program.fresh("v")
            self.program.emit(f"{v} = sum_to({name}, {child.shape!r})", "undo broadcasting",
                              ("sum_to", name, child.shape))
            name = v
        if raw.dtype is not child.dtype and child.dtype is not None and raw.dtype != child.dtype:
            v = self.program.fresh("v")
            dtype, _ = self.program.constant(child.dtype)
            self.program.emit(f"{v} = cast({name}, {dtype})", "", ("cast", name, str(child.dtype)))
            name = v
        if previous is not None:
            prev = self.name_of[id(previous)]
            v = self.program.fresh("v")
            if isinstance(total, np.ndarray):  # written into a buffer kept between replays
                b = self.program.bind("b", np.empty_like(total))
                self.program.emit(f"{v} = np.add({prev}, {name}, out={b})", "sum of two paths", ("add", prev, name))
                self.buffered.add(v)
            else:
                self.program.emit(f"{v} = {prev} + {name}", "sum of two paths", ("add", prev, name))
            name = v
        self.name(total, name)

    @hook
    def deposit(self, tensor, arrived, copied, existing):
        """The gradient `arrived` went into `tensor.grad` (the branch eager took is replayed)."""
        target = self.tensor_ref(tensor)
        name, _ = self.ref(arrived)
        if copied:
            v = self.program.fresh("v")
            self.program.emit(f"{v} = {name}.copy()", "shared with another .grad")
            name = v
            self.copied_grads.append((tensor, v))  # the copy is made after this hook: named later
        if existing is None:
            helper = "set_grad"
        elif not existing._requires_grad and existing._data.flags.writeable and existing.shape == arrived.shape:
            helper = "add_to_grad"
        else:
            helper = "sum_into_grad"
        self.program.emit(f"{helper}({target}, {name})", "", (helper, target, name))
        if all(t is not tensor for t in self.grad_targets):
            self.grad_targets.append(tensor)

    @hook
    def inplace(self, ufunc, tensor, value):
        target, _ = self.ref(tensor)
        val, sig = self.ref(value)
        self.program.emit(f"np.{ufunc.__name__}({target}, {val}, out={target}, casting='same_kind')",
                          "in place", ("inplace", ufunc, target, sig))

    @hook
    def setitem(self, tensor, index, value):
        target, _ = self.ref(tensor)
        idx, idx_sig = self.ref(index)
        val, sig = self.ref(value)
        self.program.emit(f"{target}[{idx}] = {val}", "in place", ("setitem", target, idx_sig, sig))

    def optimizer_step(self, optimizer, closure):
        """The update runs as the optimizer's own code on every replay: its per-step values
        (Adam's bias corrections, a scheduler's learning rate) are read fresh each time."""
        if closure is not None:
            self.not_replayable("optimizer.step(closure)")
        name = self.program.bind("opt", optimizer)
        self.program.emit(f"{name}.step()", f"{type(optimizer).__name__}, run as written",
                          ("optimizer", Constant(optimizer)))
        return self.paused(optimizer.step, (closure,), {})

    def array_step(self, fn, args, kwargs):
        """A function marked `compile_hooks.array_step` ran: one step, its outputs named."""
        for tensor, name in self.copied_grads:  # gradient clipping reads (and writes) .grad arrays
            if tensor.grad is not None:
                self.name(tensor.grad._data, name)
        self.copied_grads.clear()
        result = self.paused(fn, args, kwargs)
        codes, sigs = self.call_refs(args, kwargs)
        parts = result if isinstance(result, tuple) else (result,)
        outs = []
        for x in parts:
            if not isinstance(x, np.ndarray | float):
                self.not_replayable(f"{fn.__name__} returned a {type(x).__name__}")
                return result
            outs.append(self.new(x))
        lhs = ", ".join(outs) + ("," if isinstance(result, tuple) and len(outs) == 1 else "")
        self.program.emit(f"{lhs} = {self.class_name(fn)}({', '.join(codes)})", "",
                          ("call", fn, tuple(sigs), len(outs)))
        return result

    def paused(self, fn, args, kwargs):
        modes.recorder = None
        try:
            return fn(*args, **kwargs)
        finally:
            modes.recorder = self

    # ---- the end -----------------------------------------------------------------------

    def finish(self, result) -> Program:
        """Close the program: leave `.grad` as eager left it, return what the step returned."""
        for tensor in self.grad_targets:
            if tensor.grad is None:
                target = self.tensor_ref(tensor)
                self.program.emit(f"clear_grad({target})", "", ("clear_grad", target))
        self.program.finish(self.result_code(result))
        return self.program

    def result_code(self, value) -> str:
        if value is None:
            return "None"
        if isinstance(value, function.Tensor):
            name = self.name_of.get(id(value._data))
            if name is None or not name.startswith("v"):
                self.not_replayable("the step returns a tensor it did not compute")
                return "None"
            return f"Tensor._make({name}{'.copy()' if name in self.buffered else ''}, None)"
        if type(value) is tuple or type(value) is list:  # a tuple subclass (conv geometry) is a constant
            parts = ", ".join(self.result_code(x) for x in value)
            return f"({parts},)" if isinstance(value, tuple) else f"[{parts}]"
        self.not_replayable(f"the step returns a {type(value).__name__}")
        return "None"


def describe(array) -> str:
    return f"{tuple(array.shape)} {array.dtype}"
