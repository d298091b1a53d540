"""Each op's local rule (its vector-Jacobian product) written as a formula, for people.

`g` is the gradient arriving at the op's output (d loss / d output), `y` the op's output and
`a`, `b`, `c` its inputs in order; the formula for input i is what the op's backward sends to
that input. The engine then sums it back to the input's shape when the forward broadcast it.
The strings live beside each op's backward (`vjp_formula`) and only label drawings: the numbers
always come from the ops' real backward.

>>> rule_for("Mul", 2)
['g · b', 'g · a']
>>> rule_for("Tanh", 1)
['g · (1 − y²)']
>>> rule_for("SomethingNew", 2)
['VJP of SomethingNew, input 0', 'VJP of SomethingNew, input 1']
"""
from __future__ import annotations

def _formulas() -> dict[str, tuple[str, ...]]:
    """{op name: its `vjp_formula`}, read from the op table (memograd.ops.ALL_OPS)."""
    from ..ops import ALL_OPS

    return {cls.__name__: cls.vjp_formula for cls in ALL_OPS}


def rule_for(op: str, inputs: int) -> list[str]:
    """One formula per input of `op` (a generic label for ops not in the table)."""
    known = _formulas().get(op, ())
    if op in ("Cat", "Stack") and known:
        return [known[0].format(i=i) for i in range(inputs)]
    return [known[i] if i < len(known) else f"VJP of {op}, input {i}" for i in range(inputs)]
