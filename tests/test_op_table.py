"""The op table, checked. `memograd.ops.ALL_OPS` is the one list of ops: every op class is in
it, states its backward's FLOP count, and has a case in tests/op_cases.py whose call records a
node of that very class; every case passes the float64 finite-difference check, matches
PyTorch's values and gradients, and, for an op with a graph rule (`graph_backward`), has
second derivatives that pass the finite-difference check too. The tests are parametrized by
ALL_OPS, not by the cases, so an op without a case fails instead of going untested."""
import pytest
from helpers import check_grad, check_gradgrad, check_parity, make_inputs
from helpers import graph_nodes
from op_cases import CASES

import memograd
import memograd.ops
from memograd.autograd.function import Op
from memograd.ops import ALL_OPS

NAMES = [op.__name__ for op in ALL_OPS]


def recorded_ops(out) -> set:
    return {type(node) for node in graph_nodes(out)}


def op_classes() -> set:
    """Every concrete op class defined in memograd (the classes under Op with no subclass,
    and those that ALL_OPS lists although they have one)."""
    found, stack = set(), [Op]
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        if cls is not Op and cls.__module__.startswith("memograd.") and (not subclasses or cls in ALL_OPS):
            found.add(cls)
        stack.extend(subclasses)
    return found


def test_all_ops_lists_every_op_once():
    assert len(set(ALL_OPS)) == len(ALL_OPS)
    unlisted = sorted(cls.__name__ for cls in op_classes() - set(ALL_OPS))
    assert not unlisted, f"op classes missing from memograd.ops.ALL_OPS: {unlisted}"


def test_every_case_belongs_to_a_listed_op():
    assert not [op.__name__ for op in CASES if op not in ALL_OPS]


@pytest.mark.parametrize("op", ALL_OPS, ids=NAMES)
def test_op_states_its_flop_count(op):
    per_element = getattr(op, "backward_flops_per_element", None)
    assert callable(getattr(op, "backward_flops", None)) or (isinstance(per_element, int) and per_element >= 0)


@pytest.mark.parametrize("op", ALL_OPS, ids=NAMES)
def test_explain_reads_the_flop_count_of_each_node(op):
    from memograd.explain.flops import vjp_flops

    case = CASES[op]
    out = case.fn(memograd, *make_inputs(case.shapes, case.domain))
    counts = [(type(node), vjp_flops(node, i)) for node in graph_nodes(out) for i, edge in enumerate(node.next) if edge]
    assert all(isinstance(flops, int) and flops >= 0 for _, flops in counts)
    if getattr(op, "backward_flops_per_element", 1):  # an op whose rule does arithmetic costs something
        assert any(flops > 0 for kind, flops in counts if kind is op)


@pytest.mark.parametrize("op", ALL_OPS, ids=NAMES)
def test_case_records_its_op(op):
    assert op in CASES, f"{op.__name__} has no case in tests/op_cases.py"
    case = CASES[op]
    out = case.fn(memograd, *make_inputs(case.shapes, case.domain))
    assert op in recorded_ops(out), f"the case of {op.__name__} records {sorted(c.__name__ for c in recorded_ops(out))}"


@pytest.mark.parametrize("op", ALL_OPS, ids=NAMES)
def test_finite_differences(op):
    case = CASES[op]
    check_grad(lambda *inputs: case.fn(memograd, *inputs), *case.shapes, domain=case.domain, eps=case.eps)


@pytest.mark.parametrize("op", ALL_OPS, ids=NAMES)
def test_matches_torch(op):
    torch = pytest.importorskip("torch")
    case = CASES[op]
    check_parity(torch, case.shapes, case.domain, case.fn, case.torch_fn)


def flop_table(loss) -> dict:
    from memograd.explain.flops import vjp_flops
    from memograd.explain.graph import Graph

    graph = Graph(loss)
    return {(node.name, i): vjp_flops(node, i) for node in graph.ops for i, edge in enumerate(node.next) if edge}


def test_flop_counts_read_from_the_ops_are_the_old_tables():
    """Explain's estimates for ops its former by-name table covered, as that table gave them
    (numbers recorded before the counts moved into the op classes)."""
    from memograd.explain.naive import predict

    F = memograd.nn.functional
    x, w, b = make_inputs([(5, 4), (3, 4), (3,)])
    loss = (F.linear(x, w, b).tanh() + (x @ w.T).exp() * b).softmax(1).sum()
    assert flop_table(loss) == {
        ("Linear", 0): 120, ("Linear", 1): 120, ("Linear", 2): 15,  # 2 * 15 outputs * 4 inputs; the bias's sum
        ("Tanh", 0): 45,                                               # 3 per element
        ("Permute", 0): 0, ("MatMul", 0): 120, ("MatMul", 1): 120,
        ("Exp", 0): 15, ("Mul", 0): 15, ("Mul", 1): 30,               # b's gradient summed over 5 rows: +15
        ("Add", 0): 0, ("Add", 1): 0, ("Softmax", 0): 60, ("Sum", 0): 0,
    }
    prediction = predict(loss)
    assert (prediction.backprop.flops, prediction.naive.flops) == (695, 1115)

    x, w, b = make_inputs([(2, 2, 5, 5), (3, 2, 3, 3), (3,)])
    loss = F.conv2d(x, w, b, padding=1).relu()[:, 1:].reshape(2, -1).to(memograd.float32).mean()
    assert flop_table(loss) == {
        ("Conv2d", 0): 5400, ("Conv2d", 1): 5400, ("Conv2d", 2): 150,  # 2 * 150 outputs * 18 weights each
        ("Relu", 0): 150, ("View", 0): 0, ("Reshape", 0): 0, ("Cast", 0): 100, ("Mean", 0): 100,
    }
    prediction = predict(loss)
    assert (prediction.backprop.flops, prediction.naive.flops) == (11300, 12000)


def has_graph_rule(op) -> bool:
    """True when `op` defines its own differentiable rule for create_graph=True."""
    return op.graph_backward is not Op.graph_backward


@pytest.mark.parametrize("op", ALL_OPS, ids=NAMES)
def test_second_derivatives(op):
    """Every op with a graph rule: the gradient of its case's output squared, taken with
    create_graph=True, is itself differentiated correctly (second derivatives against finite
    differences of first ones). Squaring makes the gradient reaching the op's graph rule depend
    on the inputs, so a linear op's rule is exercised too. An op without a graph rule must
    refuse create_graph with an error naming it."""
    case = CASES[op]

    def squared(*inputs):
        out = case.fn(memograd, *inputs)
        return out * out

    if has_graph_rule(op):
        check_gradgrad(squared, *case.shapes, domain=case.domain, eps=case.eps)
        return
    inputs = make_inputs(case.shapes, case.domain)
    with pytest.raises(NotImplementedError, match=op.__name__):
        memograd.autograd.grad(squared(*inputs).sum(), inputs, create_graph=True)
