"""What the fused ops share (attention, layer_norm, GELU, LSTM, embedding): the rule for
gradients of gradients.

A fused op does in one forward and one backward what a composition of ordinary ops does in
many, with the same values and gradients. Its `backward` works on arrays only. Its
`graph_backward` (used under `create_graph=True`) is that composition itself, run again on
the saved inputs as tensors and differentiated with the graph recorded: every order of
derivative then comes from the ordinary ops' rules, and the fused op never needs a second
rule of its own. That recomputation only happens under create_graph.

The saved values of a fused op start with its inputs, in argument order (None where an
input is absent), so `Node.saved_as_tensors` hands them back as the graph's tensors."""
from __future__ import annotations

from ..autograd import function


def is_tensor(value) -> bool:
    return isinstance(value, function.Tensor)


def graph_by_composition(ctx, compose, grad_out, inputs) -> tuple:
    """The gradients of `compose(*inputs)` against `grad_out`, recorded (create_graph), for
    the inputs whose edge in `ctx.next` wants one; None for the others."""
    from ..autograd import grad
    from ..autograd.grad_mode import enable_grad

    wanted = [i for i, edge in enumerate(ctx.next) if edge is not None and is_tensor(inputs[i])]
    with enable_grad():
        out = compose(*inputs)
    grads = grad(out, [inputs[i] for i in wanted], grad_out, create_graph=True, allow_unused=True)
    result = [None] * len(ctx.next)
    for i, g in zip(wanted, grads):
        result[i] = g
    return tuple(result)
