"""Each op's local rule (its vector-Jacobian product) written as a formula, for people.

`g` is the gradient arriving at the op's output (d loss / d output), `y` the op's output and
`a`, `b`, `c` its inputs in order; the formula for input i is what the op's backward sends to
that input. The engine then sums it back to the input's shape when the forward broadcast it.
These strings only label drawings: the numbers always come from the ops' real backward.

>>> rule_for("Mul", 2)
['g · b', 'g · a']
>>> rule_for("Tanh", 1)
['g · (1 − y²)']
>>> rule_for("SomethingNew", 2)
['VJP of SomethingNew, input 0', 'VJP of SomethingNew, input 1']
"""
from __future__ import annotations

RULES: dict[str, tuple[str, ...]] = {
    # arith
    "Add": ("g", "g"),
    "Sub": ("g", "−g"),
    "Neg": ("−g",),
    "Mul": ("g · b", "g · a"),
    "Div": ("g / b", "−g · a / b²"),
    "Pow": ("g · b · a^(b−1)", "g · y · ln a"),
    "Maximum": ("g · [a ≥ b]", "g · [b > a]"),
    "Minimum": ("g · [a ≤ b]", "g · [b < a]"),
    "MatMul": ("g @ bᵀ", "aᵀ @ g"),
    # unary
    "Exp": ("g · y",),
    "Log": ("g / a",),
    "Log1p": ("g / (1 + a)",),
    "Sqrt": ("g / (2y)",),
    "Rsqrt": ("−g · y³ / 2",),
    "Reciprocal": ("−g · y²",),
    "Sin": ("g · cos a",),
    "Cos": ("−g · sin a",),
    "Tanh": ("g · (1 − y²)",),
    "Sigmoid": ("g · y · (1 − y)",),
    "Relu": ("g · [a > 0]",),
    "Abs": ("g · sign a",),
    "Sign": ("0",),
    "Clamp": ("g · [lo ≤ a ≤ hi]",),
    "Erf": ("g · 2/√π · exp(−a²)",),
    "Gelu": ("g · gelu′(a)",),
    "LeakyRelu": ("g · (1 if a > 0 else slope)",),
    "Softplus": ("g · sigmoid(a)",),
    # reductions: the gradient is spread back over what was reduced
    "Sum": ("g spread over the summed axes",),
    "Mean": ("g / N spread over the averaged axes",),
    "Prod": ("g · y / a",),
    "Amax": ("g to the maximum (shared by ties)",),
    "Amin": ("g to the minimum (shared by ties)",),
    "SelectAlong": ("g to the selected positions",),
    "Var": ("g · 2(a − mean) / (N − correction)",),
    "Std": ("g · (a − mean) / ((N − correction) · y)",),
    "LogSumExp": ("g · softmax(a)",),
    "Norm": ("g · a / y",),
    # shape and indexing: the gradient is moved back, never changed
    "Reshape": ("reshape g back",),
    "View": ("reshape g back",),
    "Permute": ("inverse permutation of g",),
    "Expand": ("sum g over the expanded axes",),
    "Repeat": ("sum g over the copies",),
    "Cat": ("g[piece {i}]",),
    "Stack": ("g[{i}]",),
    "Pad": ("g without the padding",),
    "GetItem": ("g scattered back to the indexed places",),
    "IndexAdd": ("g", "g gathered at the index"),
    "IndexPut": ("g with the written places zeroed", "g gathered at the written places"),
    "Where": ("0 (the condition)", "g · [cond]", "g · [not cond]"),
    "Softmax": ("y · (g − Σ g·y)",),
    "LogSoftmax": ("g − softmax(a) · Σ g",),
    "Clone": ("g",),
    "Cast": ("g cast back",),
    "Assign": ("g",),
    # layers and losses
    "Linear": ("g @ W", "gᵀ @ x", "Σ g over the batch"),
    "Conv2d": ("transposed convolution of g with W", "correlation of x with g", "Σ g"),
    "ConvGradInput": ("convolution of g with b", "correlation of g with a"),
    "ConvGradWeight": ("transposed convolution of b with g", "convolution of a with g"),
    "MaxPool2d": ("g to each window's maximum",),
    "WindowSum": ("g spread over each window",),
    "WindowSpread": ("Σ g over each window",),
    "CrossEntropy": ("g · (softmax(a) − target) / N",),
    "ClassCrossEntropy": ("g · (softmax(a) − one_hot) / N",),
    "BinaryCrossEntropy": ("g · (a − target) / (a(1 − a)) / N",),
}


def rule_for(op: str, inputs: int) -> list[str]:
    """One formula per input of `op` (a generic label for ops not in the table)."""
    known = RULES.get(op, ())
    if op in ("Cat", "Stack") and known:
        return [known[0].format(i=i) for i in range(inputs)]
    return [known[i] if i < len(known) else f"VJP of {op}, input {i}" for i in range(inputs)]
