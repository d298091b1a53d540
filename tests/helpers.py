"""One-line gradient checks for the op tests.

`check_grad(fn, *specs)` builds float64 inputs from `specs` and compares backprop's
gradients of `fn` with central finite differences (`memograd.autograd.gradcheck`).
A spec is a shape tuple (a random input that requires grad), `const(shape)` (a random
input that does not), or any other value (passed through unchanged: a Python scalar, a
NumPy array, an index...). Random values keep away from non-differentiable points:
|x| is in [0.3, 2] with a random sign ("real"), or x is in [0.5, 2] ("positive")."""
from __future__ import annotations

import numpy as np

import memograd
from memograd.autograd import gradcheck


class const(tuple):  # noqa: N801 - reads like a spec, not a class
    """A shape whose random input does not require grad."""


def random_array(shape, domain: str = "real", rng=None) -> np.ndarray:
    rng = rng if rng is not None else np.random.default_rng(0)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain == "unit":  # inside (-1, 1), e.g. for log1p
        return rng.uniform(-0.6, 0.6, size=shape)
    magnitude = rng.uniform(0.3, 2.0, size=shape)
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def make_inputs(specs, domain: str = "real", seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    inputs = []
    for spec in specs:
        if isinstance(spec, tuple):
            data = random_array(spec, domain, rng)
            inputs.append(memograd.tensor(data, dtype=memograd.float64, requires_grad=not isinstance(spec, const)))
        else:
            inputs.append(spec)
    return inputs


def check_grad(fn, *specs, domain: str = "real", seed: int = 0, atol: float = 1e-5, rtol: float = 1e-3,
               eps: float = 1e-6) -> None:
    """Assert that backprop through `fn` matches float64 central differences (steps of `eps`)."""
    inputs = make_inputs(specs, domain, seed)
    assert gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol)


def check_gradgrad(fn, *specs, domain: str = "real", seed: int = 0, atol: float = 1e-5, rtol: float = 1e-3,
                   eps: float = 1e-6) -> None:
    """Assert that the gradient of `fn`, taken with create_graph=True, is itself correctly
    differentiated: second derivatives against finite differences of first ones."""
    inputs = make_inputs(specs, domain, seed)
    wanted = [x for x in inputs if isinstance(x, memograd.Tensor) and x.requires_grad]

    def first_derivatives(*args):
        with memograd.enable_grad():
            out = fn(*args)
            weights = np.random.default_rng(seed + 1).standard_normal(out.shape)
            grads = memograd.autograd.grad((out * memograd.tensor(weights)).sum(), wanted, create_graph=True)
        return memograd.cat([g.reshape(-1) for g in grads])

    assert gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol)


def run_with(lib, shapes, domain: str, fn, seed: int = 0) -> tuple:
    """`fn(lib, *inputs)` under `lib` (memograd, or torch for a parity check) on float64 inputs
    that require grad, drawn as `make_inputs` draws them: the output and each input's
    gradient of sum(output * fixed random weights), as NumPy arrays."""
    rng = np.random.default_rng(seed)
    arrays = [random_array(shape, domain, rng) for shape in shapes]
    inputs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    out = fn(lib, *inputs)
    weights = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape))
    (out * lib.tensor(weights)).sum().backward()
    return out.detach().numpy(), [x.grad.numpy() for x in inputs]


def check_parity(torch, shapes, domain: str, fn, torch_fn=None, seed: int = 0) -> None:
    """Assert that `fn(memograd, *inputs)` gives the values and gradients that
    `torch_fn(torch, *inputs)` (by default the same `fn`) gives, to float64 round-off."""
    ours, our_grads = run_with(memograd, shapes, domain, fn, seed)
    theirs, their_grads = run_with(torch, shapes, domain, torch_fn or fn, seed)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for mine, reference in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def leaf(*shape, domain: str = "real", seed: int = 0, dtype=memograd.float64) -> memograd.Tensor:
    """One random input that requires grad."""
    data = random_array(shape, domain, np.random.default_rng(seed))
    return memograd.tensor(data, dtype=dtype, requires_grad=True)


# Shapes that exercise broadcasting in both directions: (left, right, output).
BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), ()),
    ((), (3, 4)),
    ((3, 4), (1, 4)),
    ((3, 1), (1, 4)),
    ((4,), (3, 4)),
    ((2, 3, 4), (3, 1)),
    ((1, 3, 1), (2, 1, 4)),
]


def graph_nodes(out) -> set:
    """Every node of the graph behind `out`, found by walking it from the output."""
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(child for child, _ in node.next_functions)
    return seen
