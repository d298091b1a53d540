"""Every differentiable op of memograd, in one list: ALL_OPS.

Each op is a class with `forward`, `backward` and the backward's FLOP count side by side, in
the file of its family. The count is `backward_flops_per_element` (operations per element of
the larger of input and output) or, where it depends on shapes, a static method
`backward_flops(ctx, i)` giving the FLOPs of input i's gradient; `explain` reads it from there.
tests/test_op_table.py checks that every op of ALL_OPS states a count and has a
finite-difference check and a PyTorch parity case (tests/op_cases.py).

    arith     Add Sub Neg Mul Div Pow Maximum Minimum MatMul
    unary     Exp Log Log1p Sqrt Rsqrt Reciprocal Sin Cos Tanh Sigmoid Relu Abs Sign Clamp
    elementwise Log10 Log2 Exp2 Expm1 Tan Asin Acos Atan Sinh Atan2 (composed: cosh lerp addcmul addcdiv)
    rounding  Floor Ceil Trunc Round Fmod Remainder (composed: frac, div with a rounding mode)
    reduce    Sum Mean Prod Amax Amin SelectAlong(max/min with dim) Var Std LogSumExp Norm
    shape     Reshape Permute Expand Repeat Cat Stack Pad
    cumulative Cumsum Cumprod (diff is composed of slices)
    indexing  GetItem View IndexAdd IndexPut
    select    Where
    softmax   Softmax LogSoftmax
    convert   Clone Cast Assign
    linear    Linear (x @ W.T + b, fused)
    conv      Conv2d ConvGradInput (also conv_transpose2d's forward) ConvGradWeight
    pool      MaxPool2d WindowSum WindowSpread (average pooling and its gradient)
    activation Erf Gelu LeakyRelu Softplus
    losses    CrossEntropy (softmax + cross-entropy, fused) ClassCrossEntropy (the same, class
              indices without weights or smoothing) BinaryCrossEntropy
    fused     (one op for what a composition of the ops above computes, with the same values
              and gradients; the composition is their graph rule, see fused.py)
      gelu           FusedGelu (GELU keeping Phi(x) for the backward)
      attention      ScaledDotProductAttention
      normalization  LayerNorm
      recurrent      LSTMSequence (an LSTM layer's run over a sequence)

Each op has one rule per mode: `backward` works on arrays (NumPy through `xp`) and is what
plain backprop runs; `graph_backward`, the same derivative written with tensor ops, is what
`create_graph=True` runs, so that it records and gradients of any order work. Every op listed
here has both (tests/test_op_table.py checks the second derivatives of each); an op without a
graph rule would stop create_graph with an error naming it. `gradients` holds the engine's
bookkeeping that rules leave out: summing a broadcast input's gradient back to its shape, and
casting it to its dtype.

Composed of the ops above, with no rule of their own (so their gradients of every order come
from those): layout (flip roll narrow t tril triu outer meshgrid hstack vstack dstack
column_stack), sorting (sort argsort topk kthvalue median: an index picks the values), einsum
(permute, reshape, batched matmul, sum). counting (all any histc histogram bincount) has no
gradient.
"""
from .activation import Erf, Gelu, LeakyRelu, Softplus
from .attention import ScaledDotProductAttention
from .arith import Add, Div, MatMul, Maximum, Minimum, Mul, Neg, Pow, Sub
from .conv import Conv2d, ConvGradInput, ConvGradWeight
from .convert import Assign, Cast, Clone
from .cumulative import Cumprod, Cumsum
from .elementwise import Acos, Asin, Atan, Atan2, Exp2, Expm1, Log2, Log10, Sinh, Tan
from .gelu import FusedGelu
from .indexing import GetItem, IndexAdd, IndexPut, View
from .linear import Linear
from .losses import BinaryCrossEntropy, ClassCrossEntropy, CrossEntropy
from .normalization import LayerNorm
from .pool import MaxPool2d, WindowSpread, WindowSum
from .rounding import Ceil, Floor, Fmod, Remainder, Round, Trunc
from .recurrent import LSTMSequence
from .reduce import Amax, Amin, LogSumExp, Mean, Norm, Prod, SelectAlong, Std, Sum, Var
from .select import Where
from .shape import Cat, Expand, Pad, Permute, Repeat, Reshape, Stack
from .softmax import LogSoftmax, Softmax
from .unary import (
    Abs, Clamp, Cos, Exp, Log, Log1p, Reciprocal, Relu, Rsqrt, Sigmoid, Sign, Sin, Sqrt,
    Tanh,
)

ALL_OPS = (
    Add, Sub, Neg, Mul, Div, Pow, Maximum, Minimum, MatMul,
    Exp, Log, Log1p, Sqrt, Rsqrt, Reciprocal, Sin, Cos, Tanh, Sigmoid, Relu, Abs, Sign, Clamp,
    Log10, Log2, Exp2, Expm1, Tan, Asin, Acos, Atan, Sinh, Atan2, Floor, Ceil, Trunc, Round, Fmod, Remainder,
    Sum, Mean, Prod, Amax, Amin, SelectAlong, Var, Std, LogSumExp, Norm,
    Reshape, Permute, Expand, Repeat, Cat, Stack, Pad, Cumsum, Cumprod,
    GetItem, View, IndexAdd, IndexPut, Where, Softmax, LogSoftmax, Clone, Cast, Assign,
    Linear, Conv2d, ConvGradInput, ConvGradWeight, MaxPool2d, WindowSum, WindowSpread,
    Erf, Gelu, LeakyRelu, Softplus, CrossEntropy, ClassCrossEntropy, BinaryCrossEntropy,
    FusedGelu, ScaledDotProductAttention, LayerNorm, LSTMSequence,
)
