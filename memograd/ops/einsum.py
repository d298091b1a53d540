"""einsum: Einstein summation written with the differentiable ops memograd already has.

Every einsum is a sequence of three moves: take a diagonal where a letter repeats inside
one operand (`ii->i`), sum away a letter no one else needs, and contract two operands. A
contraction of A and B sorts the letters into batch (in both, kept), contracted (in both,
summed), A-only and B-only, then is one batched matrix product:

    A -> (batch, a_only, contracted)    B -> (batch, contracted, b_only)    A @ B

So `bij,bjk->bik`, `ij,kj->ik`, `bhqd,bhkd->bhqk`, `i,i->`, `i,j->ij`, `ii->`, `...ij->...ji`
all run as permute/reshape/matmul/sum, with their gradients (of every order) from those ops."""
from __future__ import annotations

import math
import string

import numpy as np

from ..autograd import function
from . import arith, reduce, shape


def einsum(equation: str, *operands):
    """Einstein summation, as `torch.einsum`: `einsum("ij,jk->ik", a, b)` is a @ b; without
    `->` the output is the letters used once, in alphabetical order.

    >>> memograd.einsum("i,i->", memograd.tensor([1.0, 2.0]), memograd.tensor([3.0, 4.0]))
    tensor(11.)
    """
    if not isinstance(equation, str):
        from ..unsupported import unsupported

        raise unsupported("torch.einsum's sublist format einsum(op, [0, 1], ...)",
                          "write the subscripts as a string, einsum('ij,jk->ik', a, b)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse(equation.replace(" ", ""), operands)
    terms = [_diagonals(x, letters, equation) for x, letters in zip(operands, inputs)]
    sizes = _letter_sizes(terms, equation)
    while len(terms) > 1:
        later = set("".join(letters for _, letters in terms[2:])) | set(output)
        terms = [_contract(terms[0], terms[1], later, sizes)] + terms[2:]
    x, letters = terms[0]
    x, letters = _sum_away(x, letters, set(output))
    if not letters:
        return x
    return shape.permute(x, tuple(letters.index(c) for c in output)) if letters != output else x


def _parse(equation: str, operands) -> tuple:
    """The letters of each operand and of the output, with `...` spelled out as capitals."""
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise RuntimeError(f"einsum(): {equation!r} names {len(inputs)} operands but {len(operands)} were given")
    for x in operands:
        if not isinstance(x, function.Tensor):
            raise TypeError(f"einsum(): operands must be tensors, got {type(x).__name__}")
    if len({x.dtype for x in operands}) > 1:
        raise RuntimeError(f"einsum(): operands must share one dtype, got {[str(x.dtype) for x in operands]}")
    spare = iter(c for c in string.ascii_uppercase if c not in equation)
    ellipsis_width = max([x.ndim - (len(s) - 3) for x, s in zip(operands, inputs) if "..." in s], default=0)
    broadcast = "".join(next(spare) for _ in range(ellipsis_width))
    spelled = []
    for x, letters in zip(operands, inputs):
        if "..." in letters:
            own = x.ndim - (len(letters) - 3)
            letters = letters.replace("...", broadcast[ellipsis_width - own:] if own else "")
        if not all(c.isalpha() for c in letters):
            raise RuntimeError(f"einsum(): invalid subscript in {equation!r}: use letters and '...'")
        if len(letters) != x.ndim:
            raise RuntimeError(f"einsum(): the subscript {letters!r} has {len(letters)} letters for an operand "
                               f"with {x.ndim} dimensions (shape {tuple(x.shape)})")
        spelled.append(letters)
    if arrow:
        output = rhs.replace("...", broadcast)
        for c in output:
            if not any(c in s for s in spelled):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
        if len(set(output)) != len(output):
            raise RuntimeError(f"einsum(): output subscript {output!r} repeats a letter")
    else:
        counts = {c: "".join(spelled).count(c) for c in set("".join(spelled))}
        output = broadcast + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in broadcast))
    return spelled, output


def _diagonals(x, letters: str, equation: str) -> tuple:
    """Resolve a letter that repeats within one operand by taking that diagonal (`ii` -> `i`)."""
    while len(set(letters)) != len(letters):
        c = next(c for c in letters if letters.count(c) > 1)
        first = letters.index(c)
        second = letters.index(c, first + 1)
        if x.shape[first] != x.shape[second]:
            raise RuntimeError(f"einsum(): {equation!r}: subscript {c} is repeated for dimensions of sizes "
                               f"{x.shape[first]} and {x.shape[second]}")
        rest = [i for i in range(x.ndim) if i not in (first, second)]
        x = shape.permute(x, (first, second) + tuple(rest))
        along = np.arange(x.shape[0])
        x = x[along, along]
        letters = c + "".join(letters[i] for i in rest)
    return x, letters


def _letter_sizes(terms, equation: str) -> dict:
    """Each letter's size; size 1 broadcasts against any other, as in PyTorch."""
    sizes = {}
    for x, letters in terms:
        for c, n in zip(letters, x.shape):
            known = sizes.get(c, 1)
            if n != 1 and known != 1 and n != known:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: subscript {c} "
                                   f"has sizes {known} and {n} in {equation!r}")
            sizes[c] = max(known, n) if n else 0
    return sizes


def _sum_away(x, letters: str, keep: set) -> tuple:
    gone = tuple(i for i, c in enumerate(letters) if c not in keep)
    if not gone:
        return x, letters
    return reduce.sum(x, gone), "".join(c for c in letters if c in keep)


def _contract(a_term, b_term, later: set, sizes: dict) -> tuple:
    (a, la), (b, lb) = a_term, b_term
    a, la = _sum_away(a, la, later | set(lb))
    b, lb = _sum_away(b, lb, later | set(la))
    batch = [c for c in la if c in lb and c in later]
    summed = [c for c in la if c in lb and c not in later]
    a_only = [c for c in la if c not in lb]
    b_only = [c for c in lb if c not in la]
    a = _arranged(a, la, batch + a_only + summed, sizes)
    b = _arranged(b, lb, batch + summed + b_only, sizes)
    n_batch, m, k, n = (math.prod(sizes[c] for c in group) for group in (batch, a_only, summed, b_only))
    product = arith.matmul(shape.reshape(a, (n_batch, m, k)), shape.reshape(b, (n_batch, k, n)))
    letters = batch + a_only + b_only
    return shape.reshape(product, tuple(sizes[c] for c in letters)), "".join(letters)


def _arranged(x, letters: str, wanted: list, sizes: dict):
    """x with its axes in the order `wanted`, size-1 axes broadcast to the letter's size."""
    x = shape.permute(x, tuple(letters.index(c) for c in wanted)) if list(letters) != wanted else x
    full = tuple(sizes[c] for c in wanted)
    return shape.expand(x, full) if tuple(x.shape) != full else x
