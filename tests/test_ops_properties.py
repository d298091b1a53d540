"""Property tests over random shapes: every elementwise op and every reduction has correct
gradients for whatever shapes and broadcasts hypothesis draws."""
import operator

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import memograd
from memograd.autograd import gradcheck

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**16)

UNARY = {
    "exp": (memograd.exp, "real"), "log": (memograd.log, "positive"), "log1p": (memograd.log1p, "unit"),
    "sqrt": (memograd.sqrt, "positive"), "rsqrt": (memograd.rsqrt, "positive"), "sin": (memograd.sin, "real"),
    "cos": (memograd.cos, "real"), "tanh": (memograd.tanh, "real"), "sigmoid": (memograd.sigmoid, "real"),
    "relu": (memograd.relu, "real"), "abs": (memograd.abs, "real"), "reciprocal": (memograd.reciprocal, "real"),
    "neg": (operator.neg, "real"), "square": (lambda t: t * t, "real"),
}
BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "maximum": memograd.maximum, "minimum": memograd.minimum, "pow": operator.pow,
}


def tensor_of(shape, domain, seed):
    rng = np.random.default_rng(seed)
    if domain == "positive":
        data = rng.uniform(0.5, 2.0, size=shape)
    elif domain == "unit":
        data = rng.uniform(-0.6, 0.6, size=shape)
    else:
        data = rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return memograd.tensor(data, dtype=memograd.float64, requires_grad=True)


@given(name=st.sampled_from(sorted(UNARY)), shape=shapes, seed=seeds)
def test_unary_any_shape(name, shape, seed):
    fn, domain = UNARY[name]
    assert gradcheck(fn, [tensor_of(shape, domain, seed)])


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast together: some axes of the result dropped or set to 1."""
    out = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    pair = []
    for _ in range(2):
        lead = draw(st.integers(0, len(out)))
        pair.append(tuple(1 if draw(st.booleans()) else n for n in out[lead:]))
    return pair


@given(name=st.sampled_from(sorted(BINARY)), shapes=broadcastable_pair(), seed=seeds)
def test_binary_any_broadcast(name, shapes, seed):
    domain = "positive" if name == "pow" else "real"
    a, b = tensor_of(shapes[0], domain, seed), tensor_of(shapes[1], domain, seed + 1)
    expected_shape = np.broadcast_shapes(*shapes)
    assert BINARY[name](a, b).shape == expected_shape
    assert gradcheck(BINARY[name], [a, b])


REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, k), "mean": lambda x, d, k: x.mean(d, k),
    "prod": lambda x, d, k: x.prod(d, k), "amax": lambda x, d, k: x.amax(d, k),
    "amin": lambda x, d, k: x.amin(d, k), "logsumexp": lambda x, d, k: x.logsumexp(d, k),
    "norm": lambda x, d, k: x.norm(dim=d, keepdim=k), "var0": lambda x, d, k: x.var(d, keepdim=k, correction=0),
    "std0": lambda x, d, k: x.std(d, keepdim=k, correction=0),
}


@st.composite
def shape_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    signed = tuple(a - len(shape) if draw(st.booleans()) else a for a in axes)
    dim = draw(st.sampled_from([None, signed] + ([signed[0]] if signed else [])))
    if dim == ():
        dim = None
    return shape, dim


@given(name=st.sampled_from(sorted(REDUCTIONS)), case=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_reduction_any_shape_and_dim(name, case, keepdim, seed):
    shape, dim = case
    x = tensor_of(shape, "real", seed)
    np_dim = None if dim is None else tuple(np.atleast_1d(dim))
    expected_shape = np.zeros(shape).sum(axis=np_dim, keepdims=keepdim).shape
    group = int(np.prod([shape[d] for d in (range(len(shape)) if dim is None else np.atleast_1d(dim))]))
    if name == "std0" and group == 1:
        return  # the std of one element is 0, where it has no derivative
    assert REDUCTIONS[name](x, dim, keepdim).shape == expected_shape
    assert gradcheck(lambda t: REDUCTIONS[name](t, dim, keepdim), [x])
