"""Reverse-mode automatic differentiation: graph nodes, the engine, and the entry points
`backward` and `grad`."""
from __future__ import annotations

import numpy as np

from ..backend import array_module
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .grad_writer import write_grads
from .gradcheck import gradcheck
from .inference_mode import inference_mode, is_inference_mode_enabled
from .variable import Variable

__all__ = ["Function", "Variable", "backward", "grad", "gradcheck", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled"]


def _root_gradients(outputs, grad_outputs, create_graph: bool) -> list:
    """One gradient per output: ones for a scalar, else the one given (checked and copied)."""
    from ..tensor import Tensor

    grads = []
    for i, out in enumerate(outputs):
        given = None if grad_outputs is None else grad_outputs[i]
        if given is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs; this output "
                    f"has shape {out.shape}, so pass `gradient` of that shape"
                )
            g = array_module(out._data).ones(out.shape, dtype=out.dtype)
        else:
            g_data = given._data if isinstance(given, Tensor) else np.asarray(given)
            if g_data.shape != out.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {g_data.shape} but the output has shape {out.shape}"
                )
            if create_graph and isinstance(given, Tensor):
                grads.append(given)
                continue
            g = g_data.astype(out.dtype, copy=True)
        grads.append(Tensor._make(g, None) if create_graph else g)
    return grads


def _as_list(tensors) -> list:
    from ..tensor import Tensor

    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """Accumulate into `.grad` of the leaves the gradient of `tensors` (see Tensor.backward)."""
    outputs = _as_list(tensors)
    if grad_tensors is not None:
        grad_tensors = _as_list(grad_tensors) if not isinstance(grad_tensors, (list, tuple)) else list(grad_tensors)
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError(
                "backward: the tensor does not require grad and has no grad_fn; "
                "create the inputs with requires_grad=True (or call requires_grad_())"
            )
    if retain_graph is None:
        retain_graph = create_graph
    roots = [out._node for out in outputs]
    owners = None if inputs is None else {t._node: t for t in _as_list(inputs)}
    kept = run_backward(roots, _root_gradients(outputs, grad_tensors, create_graph), retain_graph, create_graph,
                        owners)
    write_grads(kept, create_graph, owners)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Gradients of `outputs` with respect to `inputs`, returned (not stored in `.grad`).

    >>> x = memograd.tensor(3.0, requires_grad=True)
    >>> (dx,) = memograd.autograd.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
    >>> (dxx,) = memograd.autograd.grad(dx, x)                          # 6x = 18
    """
    from ..tensor import Tensor

    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if grad_outputs is not None:
        grad_outputs = _as_list(grad_outputs) if not isinstance(grad_outputs, (list, tuple)) else list(grad_outputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"grad: an input of shape {t.shape} does not require grad")
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError("grad: an output does not require grad and has no grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    nodes = [t._node for t in inputs]
    got = run_backward([out._node for out in outputs], _root_gradients(outputs, grad_outputs, create_graph),
                       retain_graph, create_graph, targets=set(nodes))
    result = []
    for t, node in zip(inputs, nodes):
        g = got.get(node)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: an input of shape {t.shape} was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(None)
        else:
            result.append(g if isinstance(g, Tensor) else Tensor._make(g, None))
    return tuple(result)


def __getattr__(name: str):
    """A PyTorch name memograd.autograd lacks (torch.autograd.functional...) raises
    NotImplementedError naming it (memograd.unsupported)."""
    from ..unsupported import missing

    raise missing("torch.autograd", name)
