"""One small case per op of `memograd.ops.ALL_OPS`, the registry tests/test_op_table.py checks.

A case is an expression written once against PyTorch's API, `fn(lib, *inputs)`, whose graph
under memograd holds a node of its op. It runs with lib = memograd for the float64
finite-difference check and with lib = torch for the parity check (values and gradients).
Where memograd spells the call differently, `torch_fn` is PyTorch's spelling.

The ops that exist only to differentiate other ops' gradients (ConvGradInput, ConvGradWeight,
WindowSpread, IndexAdd) are reached the way a program reaches them: through a backward pass
recorded with create_graph=True, which PyTorch runs too, so they have parity cases as well."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from memograd import ops
from memograd.ops.activation import erf
from memograd.ops.activation import gelu as unfused_gelu


@dataclass(frozen=True)
class Case:
    shapes: list                      # one float64 input that requires grad per shape
    fn: Callable                      # fn(lib, *inputs) -> a tensor
    domain: str = "real"              # how inputs are drawn: "real", "positive" or "unit" (tests/helpers.py)
    torch_fn: Callable | None = None  # PyTorch's spelling where memograd's differs
    eps: float = 1e-6                 # finite-difference step


def vjp(lib, f, x, g):
    """The gradient of <f(x), g> with respect to x, recorded (create_graph=True): the graph of a
    backward pass, as a double-backward program builds it. Recording stays on even inside the
    finite-difference loop, which runs under no_grad."""
    with lib.enable_grad():
        return lib.autograd.grad(f(x), x, g, create_graph=True)[0]


def F(lib):  # reads as the usual `F.`
    return lib.nn.functional


def index_put(lib, a, b):
    """`t[rows] = b` on a recorded tensor: IndexPut (PyTorch's index_put_)."""
    t = a * 2.0
    t[[0, 2]] = b
    return t * a


def lstm_packed(lib, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """An LSTM's run over x (L, N, I), step by step from ordinary ops, packed as
    LSTMSequence's output: the hidden states, then the last cell state."""
    outputs = []
    x_proj = F(lib).linear(x, w_ih, b_ih)
    for t in range(x_proj.shape[0]):
        i, f, g, o = (x_proj[t] + F(lib).linear(h, w_hh, b_hh)).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        outputs.append(h)
    return lib.stack(outputs + [c])


IMAGE, KERNEL = (2, 2, 5, 5), (3, 2, 3, 3)  # a small batch of 2-channel images; 3 output channels

CASES = {
    # arith
    ops.Add: Case([(3, 4), (4,)], lambda lib, a, b: a + b),
    ops.Sub: Case([(3, 1), (1, 4)], lambda lib, a, b: a - b),
    ops.Neg: Case([(5,)], lambda lib, a: -a),
    ops.Mul: Case([(3, 4), (3, 1)], lambda lib, a, b: a * b),
    ops.Div: Case([(3, 4), (4,)], lambda lib, a, b: a / b),
    ops.Pow: Case([(3, 4), (3, 4)], lambda lib, a, b: a**b, domain="positive"),
    ops.Maximum: Case([(3, 4), (4,)], lambda lib, a, b: lib.maximum(a, b)),
    ops.Minimum: Case([(3, 4), (3, 1)], lambda lib, a, b: lib.minimum(a, b)),
    ops.MatMul: Case([(2, 3, 4), (4, 5)], lambda lib, a, b: a @ b),
    # unary
    ops.Exp: Case([(3, 4)], lambda lib, a: a.exp()),
    ops.Log: Case([(3, 4)], lambda lib, a: a.log(), domain="positive"),
    ops.Log1p: Case([(3, 4)], lambda lib, a: a.log1p(), domain="unit"),
    ops.Sqrt: Case([(3, 4)], lambda lib, a: a.sqrt(), domain="positive"),
    ops.Rsqrt: Case([(3, 4)], lambda lib, a: a.rsqrt(), domain="positive"),
    ops.Reciprocal: Case([(3, 4)], lambda lib, a: a.reciprocal()),
    ops.Sin: Case([(3, 4)], lambda lib, a: a.sin()),
    ops.Cos: Case([(3, 4)], lambda lib, a: a.cos()),
    ops.Tanh: Case([(3, 4)], lambda lib, a: a.tanh()),
    ops.Sigmoid: Case([(3, 4)], lambda lib, a: a.sigmoid()),
    ops.Relu: Case([(3, 4)], lambda lib, a: a.relu()),
    ops.Abs: Case([(3, 4)], lambda lib, a: a.abs()),
    ops.Sign: Case([(3, 4)], lambda lib, a: a.sign() * a),
    ops.Clamp: Case([(3, 4)], lambda lib, a: a.clamp(-0.5, 1.0)),
    # reduce
    ops.Sum: Case([(2, 3, 4)], lambda lib, a: a.sum((0, -1), keepdim=True)),
    ops.Mean: Case([(2, 3, 4)], lambda lib, a: a.mean(1)),
    ops.Prod: Case([(3, 4)], lambda lib, a: a.prod(-1)),
    ops.Amax: Case([(3, 4)], lambda lib, a: a.amax(0)),
    ops.Amin: Case([(2, 3, 4)], lambda lib, a: a.amin((1, 2))),
    ops.SelectAlong: Case([(3, 4)], lambda lib, a: a.max(1)[0]),
    ops.Var: Case([(3, 4)], lambda lib, a: a.var(1)),
    ops.Std: Case([(3, 5)], lambda lib, a: a.std(0)),
    ops.LogSumExp: Case([(3, 4)], lambda lib, a: a.logsumexp(1)),
    ops.Norm: Case([(3, 4)], lambda lib, a: a.norm(dim=1)),
    # shape
    ops.Reshape: Case([(3, 4)], lambda lib, a: a.reshape(2, 6)),
    ops.Permute: Case([(2, 3, 4)], lambda lib, a: a.permute(2, 0, 1)),
    ops.Expand: Case([(3, 1)], lambda lib, a: a.expand(3, 4)),
    ops.Repeat: Case([(2, 3)], lambda lib, a: a.repeat(2, 2)),
    ops.Cat: Case([(2, 3), (1, 3)], lambda lib, a, b: lib.cat([a, b, a], 0)),
    ops.Stack: Case([(2, 3), (2, 3)], lambda lib, a, b: lib.stack([a, b], 1)),
    ops.Pad: Case([(2, 3)], lambda lib, a: F(lib).pad(a, (1, 2, 0, 1))),
    # indexing and selection
    ops.GetItem: Case([(4, 5)], lambda lib, a: a[[0, 0, 3]]),
    ops.View: Case([(4, 5)], lambda lib, a: a[1:, ::2]),
    ops.IndexAdd: Case([(4, 3), (3, 3)], lambda lib, a, g: vjp(lib, lambda x: x[[0, 0, 2]], a, g) * a),
    ops.Where: Case([(3, 4), (3, 4)], lambda lib, a, b: lib.where(a > 0, a, b)),
    ops.Softmax: Case([(3, 4)], lambda lib, a: a.softmax(1)),
    ops.LogSoftmax: Case([(3, 4)], lambda lib, a: a.log_softmax(0)),
    # conversions: the float32 round trip needs a coarser step than float64 round-off allows
    ops.Clone: Case([(3,)], lambda lib, a: a.clone()),
    ops.Log10: Case([(3, 4)], lambda lib, a: a.log10(), domain="positive"),
    ops.Log2: Case([(3, 4)], lambda lib, a: a.log2(), domain="positive"),
    ops.Exp2: Case([(3, 4)], lambda lib, a: a.exp2()),
    ops.Expm1: Case([(3, 4)], lambda lib, a: a.expm1()),
    ops.Tan: Case([(3, 4)], lambda lib, a: a.tan(), domain="unit"),
    ops.Asin: Case([(3, 4)], lambda lib, a: a.asin(), domain="unit"),
    ops.Acos: Case([(3, 4)], lambda lib, a: a.acos(), domain="unit"),
    ops.Atan: Case([(3, 4)], lambda lib, a: a.atan()),
    ops.Sinh: Case([(3, 4)], lambda lib, a: a.sinh()),
    ops.Atan2: Case([(3, 4), (4,)], lambda lib, a, b: lib.atan2(a, b)),
    ops.Floor: Case([(3, 4)], lambda lib, a: a.floor() * a),
    ops.Ceil: Case([(3, 4)], lambda lib, a: a.ceil() * a),
    ops.Trunc: Case([(3, 4)], lambda lib, a: a.trunc() * a),
    ops.Round: Case([(3, 4)], lambda lib, a: a.round() * a),
    ops.Fmod: Case([(3, 4), (4,)], lambda lib, a, b: lib.fmod(a, b), domain="positive"),
    ops.Remainder: Case([(3, 4), (4,)], lambda lib, a, b: lib.remainder(a, b), domain="positive"),
    ops.Cumsum: Case([(3, 4)], lambda lib, a: a.cumsum(1)),
    ops.Cumprod: Case([(3, 4)], lambda lib, a: a.cumprod(1)),
    ops.Assign: Case([(2, 3), (3,)], lambda lib, a, b: (a * 2.0).copy_(b) * a),
    ops.IndexPut: Case([(4, 3), (3,)], index_put),
    ops.Cast: Case([(3, 4)], lambda lib, a: a.to(lib.float32), eps=1e-2),
    # layers
    ops.Linear: Case([(5, 4), (3, 4), (3,)], lambda lib, x, w, b: F(lib).linear(x, w, b)),
    ops.Conv2d: Case([IMAGE, KERNEL, (3,)], lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2, padding=1)),
    ops.ConvGradInput: Case(
        [IMAGE, KERNEL, (2, 3, 3, 3)],
        lambda lib, x, w, g: vjp(lib, lambda x: F(lib).conv2d(x, w, stride=2, padding=1), x, g) * x),
    ops.ConvGradWeight: Case(
        [IMAGE, KERNEL, (2, 3, 3, 3)],
        lambda lib, x, w, g: vjp(lib, lambda w: F(lib).conv2d(x, w, stride=2, padding=1), w, g) * w),
    ops.MaxPool2d: Case([(2, 3, 5, 5)], lambda lib, x: F(lib).max_pool2d(x, 3, stride=2, padding=1)),
    ops.WindowSum: Case([(2, 3, 4, 4)], lambda lib, x: F(lib).avg_pool2d(x, 2)),
    ops.WindowSpread: Case([(2, 3, 4, 4), (2, 3, 2, 2)],
                           lambda lib, x, g: vjp(lib, lambda x: F(lib).avg_pool2d(x, 2), x, g) * x),
    # activations
    ops.Erf: Case([(3, 4)], lambda lib, a: erf(a), torch_fn=lambda lib, a: lib.erf(a)),
    ops.Gelu: Case([(3, 4)], lambda lib, a: unfused_gelu(a), torch_fn=lambda lib, a: F(lib).gelu(a)),
    ops.LeakyRelu: Case([(3, 4)], lambda lib, a: F(lib).leaky_relu(a, 0.1)),
    ops.Softplus: Case([(3, 4)], lambda lib, a: F(lib).softplus(a, beta=2.0)),
    # fused
    ops.FusedGelu: Case([(3, 4)], lambda lib, a: F(lib).gelu(a)),
    ops.ScaledDotProductAttention: Case(
        [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
        lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v, is_causal=True)),
    ops.LayerNorm: Case([(3, 4), (4,), (4,)], lambda lib, x, w, b: F(lib).layer_norm(x, (4,), w, b)),
    ops.LSTMSequence: Case([(3, 2, 5), (2, 2), (2, 2), (8, 5), (8, 2), (8,), (8,)],
                           lambda lib, *a: ops.LSTMSequence.apply(*a),
                           torch_fn=lstm_packed),
    # losses
    ops.CrossEntropy: Case([(4, 3)], lambda lib, x: F(lib).cross_entropy(x, lib.tensor([0, 2, 1, 1]),
                                                                          label_smoothing=0.1)),
    ops.ClassCrossEntropy: Case([(4, 3)], lambda lib, x: F(lib).cross_entropy(x, lib.tensor([0, 2, 1, 1]))),
    ops.BinaryCrossEntropy: Case([(3, 4), (3, 4)],
                                 lambda lib, a, b: F(lib).binary_cross_entropy(a.sigmoid(), b.sigmoid())),
}
