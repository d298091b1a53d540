"""grad_fn.next_functions as PyTorch gives it: (node, index) pairs, (None, 0) for inputs
without gradient, () for a leaf's AccumulateGrad; walking it reaches the leaves."""
import pytest

import memograd

torch = pytest.importorskip("torch")


def shape_of(node) -> tuple:
    """The pairs' structure with names replaced by kinds: 'leaf', 'op' or None."""
    kinds = []
    for child, index in node.next_functions:
        kind = None if child is None else ("leaf" if type(child).__name__ == "AccumulateGrad" else "op")
        kinds.append((kind, index))
    return tuple(kinds)


@pytest.mark.parametrize("make", [
    lambda lib, x: x * 2,
    lambda lib, x: x * x,
    lambda lib, x: (x * 2).sum(),
    lambda lib, x: x.exp() + lib.ones(2),
    lambda lib, x: lib.ones(2) - x.tanh(),
], ids=lambda f: "")
def test_next_functions_pairs_as_torch(make):
    ours = make(memograd, memograd.tensor([1.0, 2.0], requires_grad=True)).grad_fn
    theirs = make(torch, torch.tensor([1.0, 2.0], requires_grad=True)).grad_fn
    assert shape_of(ours) == shape_of(theirs)


def test_accumulate_grad_has_no_next_functions_and_leads_to_the_leaf():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    (node, index), _ = (x * 3).grad_fn.next_functions
    assert index == 0 and node.next_functions == () and node.variable is x
