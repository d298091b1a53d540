"""Graph nodes. Every recorded operation becomes one node that remembers where its
inputs came from (`next`) and what its backward needs (`saved`). Built-in ops and user
`Function`s share this class; they differ only in what their forward sees (arrays for the
built-ins, which is faster; tensors for user code, as in PyTorch)."""
from __future__ import annotations

import weakref

import numpy as np

from . import anomaly, grad_mode
from .modes import DEPARTED, modes
from .version import CLOCK


class Node:
    """One recorded op. `next[i]` is the node that receives the gradient of input i
    (the input's own grad_fn, or its AccumulateGrad when it is a leaf), or None when that
    input needs no gradient. `shape`/`dtype` describe the op's output: gradients arriving
    here are reduced and cast to them in exactly one place, the engine."""

    __slots__ = ("__weakref__", "dtype", "next", "out_counter", "retained", "saved", "saved_src", "shape", "stamp")

    tensor_io = False  # True for user Functions: their backward sees tensors, not arrays
    saves_inputs = False
    saves_output = False
    guards_output = False
    places_gradient = False  # has placed_backward: its input's gradient as a Placed (autograd/placed.py)

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"

    @property
    def next_functions(self) -> tuple:
        """One (node, output index) pair per input, as PyTorch: (None, 0) where the input
        needs no gradient. memograd's nodes have one output, so the index is always 0."""
        return tuple((edge, 0) for edge in self.next)

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(edge is not None for edge in self.next)

    def save_for_backward(self, *values) -> None:
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        if self.saved is None:
            raise_freed(self)
        return self.saved

    def saved_as_tensors(self) -> tuple:
        """The saved values as tensors connected to the graph, for a `graph_backward` rule: a
        saved input array becomes that input tensor; the saved output becomes a tensor made
        by this very node; constants stay as they are. Ops save their inputs in argument
        order, so the match is by position: two inputs may share one array (`x * x.detach()`)
        and must still map to their own tensors."""
        values = list(self.saved)
        for i, (value, src) in enumerate(zip(values, self.saved_src)):
            if isinstance(src, Tensor) and src._data is value:
                values[i] = src
        if self.saves_output:
            values[-1] = Tensor._make(values[-1], self)
        return tuple(values)

    def check_versions(self) -> None:
        """Refuse to run if a value saved for this rule was changed in place since (see version.py)."""
        if CLOCK.now <= self.stamp:
            return
        for i, src in enumerate(self.saved_src):
            counter = getattr(src, "_counter", None)
            if counter is not None and counter.stamp > self.stamp:
                raise_modified(self, f"input {i}, of shape {tuple(src.shape)},", counter.value)
        # The output's counter exists only once the output was changed in place, viewed or
        # detached (Tensor._shared_counter gives it to the node then).
        out_counter = getattr(self, "out_counter", None) if self.guards_output else None
        if out_counter is not None and out_counter.stamp > self.stamp:
            raise_modified(self, f"its output, of shape {self.shape},", out_counter.value)


def raise_freed(node: Node):
    raise RuntimeError(
        f"{node.name}: trying to backward through the graph a second time (or to use saved "
        "values after they were freed). Pass retain_graph=True to the first backward() "
        "if you need to go through the graph again."
    )


def raise_modified(node: Node, what: str, version: int):
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an in-place "
        f"operation: {what} saved by {node.name}, is at version {version}, a later version than "        "the one saved (an in-place change after the forward pass), so the gradient would be wrong. "
        "Clone the tensor before changing it in place, or change it after backward()."
    )


class AccumulateGrad(Node):
    """The node behind a leaf tensor: adds the arriving gradient into `leaf.grad`.
    Holds the leaf weakly, so a graph never keeps a dead leaf alive."""

    __slots__ = ("leaf_ref",)

    def __init__(self, leaf):
        self.leaf_ref = weakref.ref(leaf)
        self.next = ()
        self.saved = ()
        self.saved_src = ()
        self.stamp = 0
        self.shape = leaf._data.shape
        self.dtype = leaf._data.dtype
        self.retained = None

    @property
    def variable(self):
        return self.leaf_ref()


class Op(Node):
    """Base of the built-in ops. Subclasses define

        @staticmethod
        def forward(ctx, *arrays, **params) -> array
        @staticmethod
        def backward(ctx, grad_out) -> gradient, or a tuple with one per input (None: none)

    `forward` sees the inputs' arrays and keeps what backward needs with
    `ctx.save_for_backward(...)`; backward reads it back as `ctx.saved`. Two class flags say
    what was saved, so the engine can check versions and rebuild tensors for
    `create_graph=True` without searching: `saves_inputs` (some saved values are the inputs'
    arrays) and `saves_output` (the last saved value is the op's output). Anything else saved
    is a constant (a mask, an index).

    `backward` works on arrays only (NumPy calls through `xp`). An op that supports gradients
    of gradients also defines

        @staticmethod
        def graph_backward(ctx, grad_out, *saved) -> tensors, as backward returns arrays

    the same rule written with tensor ops, which the engine runs instead under
    `create_graph=True`: `grad_out` is a tensor, and `saved` are the saved values as tensors
    connected to the graph (`saved_as_tensors`), so the rule records and every order works.
    Without it, create_graph stops at the op with an error naming it."""

    __slots__ = ()
    saves_inputs = False
    saves_output = False
    guards_output = False  # backward needs the output as it was (saved, or as a mask of it)
    is_view = False  # the output shares memory with input 0
    vjp_formula: tuple = ()  # the rule written for people, one string per input (explain's page)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.saves_output:
            cls.guards_output = True

    @classmethod
    def apply(cls, *args, **params):
        ctx = _new(cls)
        ctx.saved = ()
        arrays = []
        edges = []
        record = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                if arg._view is not None:
                    views.refresh(arg)
                if arg._requires_grad:
                    record = True
                    edges.append(arg._grad_fn or arg._accumulator())
                else:
                    edges.append(None)
            else:
                arrays.append(arg)
                edges.append(None)
        try:
            out = cls.forward(ctx, *arrays, **params)
        except (ValueError, TypeError, IndexError) as err:
            raise error_type(err)(describe_failure(cls, args, err)) from None
        if DEPARTED:  # some thread is away from the default modes: read this one's (see modes.py)
            recording, hunting, recorder = modes.grad_enabled, modes.anomaly, modes.recorder
        else:
            recording, hunting, recorder = True, False, None
        if hunting:
            anomaly.check_forward(cls.__name__, out, args)
        if recorder is not None:  # memograd.compile is recording this step
            out = recorder.op(cls, ctx, args, params, out, edges)
        if not (record and recording) or out.dtype.kind not in "fc":
            result = Tensor._make(out, None)
        else:  # finish_node, written out: this is the hottest path of the library
            ctx.next = tuple(edges)
            ctx.stamp = CLOCK.now
            ctx.shape = out.shape
            ctx.dtype = out.dtype
            ctx.retained = None
            ctx.saved_src = args if cls.saves_inputs else ()
            result = Tensor._make(out, ctx)
            if hunting:
                anomaly.remember_origin(ctx)
        if cls.is_view and np.may_share_memory(out, arrays[0]):
            views.record_view(result, args[0], cls, params)
        return result

    @staticmethod
    def graph_backward(ctx, grad_out, *saved):
        raise NotImplementedError(
            f"{ctx.name}: gradients of gradients (create_graph=True) through this op are not supported")


def finish_node(ctx: Node, edges, out) -> None:
    ctx.next = tuple(edges)
    ctx.stamp = CLOCK.now
    ctx.shape = out.shape
    ctx.dtype = out.dtype
    ctx.retained = None


def make_node(cls, edge, array, params: dict):
    """A node of the one-input op `cls` taking `array` (whose gradient goes to `edge`), and
    the op's output: how a view rebuilds its node from its base's history."""
    ctx = _new(cls)
    ctx.saved = ()
    out = cls.forward(ctx, array, **params)
    finish_node(ctx, (edge,), out)
    ctx.saved_src = ()
    return ctx, out


_new = object.__new__
Tensor = None  # set by memograd.tensor once the class exists (the modules import each other)


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit an op. A RuntimeError as in PyTorch, and a ValueError as in NumPy."""


def error_type(err: Exception) -> type:
    return ShapeError if isinstance(err, ValueError) and not isinstance(err, ShapeError) else type(err)


def describe_failure(cls, args, err) -> str:
    shapes = ", ".join(str(tuple(getattr(a, "shape", ()))) if hasattr(a, "shape") else type(a).__name__ for a in args)
    return f"{cls.__name__}: {err} (inputs: {shapes})"


class FunctionCtx(Node):
    """`ctx` of a user Function: any attribute may be set on it."""

    tensor_io = True


class Function:
    """A user-defined differentiable op, written as in PyTorch:

        class Cube(memograd.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3
            @staticmethod
            def backward(ctx, grad_out):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * grad_out

        y = Cube.apply(x)

    `forward` runs without recording and may return a tensor or a tuple of tensors;
    `backward` gets one gradient per output and returns one per input (None for none)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must define backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor

        ctx = _UserNode(cls)
        with grad_mode.no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        record = modes.grad_enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        if not record:
            return outputs
        ctx.next = tuple(
            (a.grad_fn or a._accumulator()) if isinstance(a, Tensor) and a._requires_grad else None for a in args
        )
        ctx.stamp = CLOCK.now
        ctx.retained = None
        ctx.saved_src = tuple(v if isinstance(v, Tensor) else None for v in ctx.saved)
        ctx.n_outputs = len(outs)
        ctx.shape = outs[0].shape if ctx.n_outputs == 1 else None
        ctx.dtype = outs[0].dtype if ctx.n_outputs == 1 else None
        if ctx.n_outputs != 1:
            raise NotImplementedError(f"{cls.__name__}: Functions with several outputs are not supported yet")
        out = outs[0]
        result = Tensor._make(out._data, ctx)
        return result if single else (result,)


class _UserNode(FunctionCtx):
    """The node (and ctx) of one call of a user Function."""

    def __init__(self, fn_cls):
        self.fn_cls = fn_cls
        self.saved = ()

    @property
    def name(self) -> str:
        return self.fn_cls.__name__ + "Backward"

    def run_backward(self, grad_out):
        """Call the user's backward with tensors, whatever the engine's mode."""
        from ..tensor import Tensor

        if not isinstance(grad_out, Tensor):
            grad_out = Tensor._make(grad_out, None)
        grads = self.fn_cls.backward(self, grad_out)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if modes.grad_enabled:  # create_graph: the engine works on tensors
            return grads
        # plain backprop: the engine and the built-in rules after this node work on arrays
        return tuple(g._data if isinstance(g, Tensor) else g for g in grads)


# views.py builds on the classes above (CopySlices is a Node), so it is imported last.
from . import views
