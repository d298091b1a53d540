"""Reading a recorded graph without running it: which nodes exist, in which order, who
consumes whom, and what each node keeps for its backward.

Every `explain` report numbers nodes the same way (`Graph.ids`): in forward order, inputs
before the ops that use them, so node 0 is the first thing the forward pass touched and the
loss has the largest id. The backward pass then visits ids roughly from high to low."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..autograd.engine import count_consumers
from ..autograd.function import AccumulateGrad, Node


def root_of(tensor):
    """The node a backward pass from `tensor` starts at, with a clear error when there is none."""
    if not getattr(tensor, "requires_grad", False):
        raise ValueError(
            "explain: this tensor does not require grad, so no graph was recorded; create the "
            "parameters with requires_grad=True and compute it outside no_grad()"
        )
    return tensor._node


def is_leaf(node) -> bool:
    return type(node) is AccumulateGrad


def forward_order(root) -> list:
    """Every node reachable from `root`, each after all of its inputs (a post-order walk
    with an explicit stack, so any depth works)."""
    order = []
    seen = {root}
    stack = [(root, iter(root.next))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append((child, iter(child.next)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


class Graph:
    """The graph behind `tensor`: `nodes` in forward order, `ids`, `fan_out` (how many
    edges point at each node: the engine's consumer count) and `parents` (the nodes that
    consume each node, once per edge).

    >>> import memograd as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> g = Graph((x * x).sum())
    >>> [n.name for n in g.nodes], g.fan_out[g.nodes[0]]
    (['AccumulateGrad', 'Mul', 'Sum'], 2)
    """

    def __init__(self, tensor):
        self.tensor = tensor
        self.root = root_of(tensor)
        self.nodes = forward_order(self.root)
        self.ids = {node: i for i, node in enumerate(self.nodes)}
        self.fan_out = count_consumers([self.root])
        self.parents: dict = {node: [] for node in self.nodes}
        for node in self.nodes:
            for child in node.next:
                if child is not None:
                    self.parents[child].append(node)

    @property
    def leaves(self) -> list:
        return [n for n in self.nodes if is_leaf(n)]

    @property
    def ops(self) -> list:
        return [n for n in self.nodes if not is_leaf(n)]

    def backward_order(self) -> list:
        """A valid order for the backward pass: every node after all of its consumers."""
        return self.nodes[::-1]

    def reaching(self, targets: Iterable) -> set:
        """The nodes from which some target can be reached (the targets included)."""
        found = set()
        stack = [t for t in targets if t in self.ids]
        while stack:
            node = stack.pop()
            if node not in found:
                found.add(node)
                stack.extend(self.parents[node])
        return found

    def below(self, node) -> set:
        """`node` and everything it was computed from."""
        found = {node}
        stack = [node]
        while stack:
            for child in stack.pop().next:
                if child is not None and child not in found:
                    found.add(child)
                    stack.append(child)
        return found


# ---- what a node keeps for backward ------------------------------------------------------


def saved_arrays(node) -> list:
    """The arrays `node` keeps for its backward (tensors saved by user Functions count by
    their data); [] for leaves and for nodes whose saved values were already freed."""
    saved = node.saved
    if not saved:
        return []
    arrays = []
    for value in saved:
        data = getattr(value, "_data", value) if not isinstance(value, np.ndarray) else value
        if hasattr(data, "nbytes"):
            arrays.append(data)
    return arrays


def saved_bytes(node) -> int:
    """Sum of `nbytes` of everything `node` saved for backward."""
    return sum(int(a.nbytes) for a in saved_arrays(node))


def is_freed(node) -> bool:
    """True when a backward without retain_graph already released this node's saved values."""
    return node.saved is None


# ---- forward values the graph keeps ------------------------------------------------------


def known_values(graph: Graph, names=None) -> dict:
    """{node: forward value} for what the graph still holds: the output, the leaves, outputs
    saved by their op (tanh, exp...), inputs saved by the ops that consumed them, and any
    tensor named in `names`. An intermediate no rule needed is absent: the graph keeps only
    what backward needs."""
    from ..autograd.function import Tensor

    values = {graph.root: graph.tensor._data}
    for node in graph.nodes:
        if is_leaf(node):
            leaf = node.leaf_ref()
            if leaf is not None:
                values[node] = leaf._data
            continue
        saved = node.saved or ()
        if node.saves_output and saved and np.size(saved[-1]) == np.prod(node.shape, dtype=int):
            values.setdefault(node, np.reshape(saved[-1], node.shape))
        if node.saves_inputs and saved:
            for child, src in zip(node.next, node.saved_src):
                if child is not None and isinstance(src, Tensor):
                    values.setdefault(child, src._data)
    if names is not None and not hasattr(names, "named_parameters"):
        pairs = names.items() if isinstance(names, dict) else names
        for pair in pairs:  # (tensor, name) or (name, tensor)
            for tensor in pair:
                if isinstance(tensor, Tensor) and tensor.requires_grad:
                    values[tensor._node] = tensor._data
    return values


# ---- names --------------------------------------------------------------------------------


def node_names(names) -> dict:
    """{node: name} from a `{tensor: name}` mapping, a `{name: tensor}` mapping, (name, tensor)
    pairs, or anything with `named_parameters()` (a Module). Non-leaf tensors may be named
    too, and a `{node: name}` mapping passes through."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        pairs = [(tensor, name) for name, tensor in names.named_parameters()]
    elif isinstance(names, dict):
        pairs = [(k, v) if not isinstance(k, str) else (v, k) for k, v in names.items()]
    else:
        pairs = [(tensor, name) for name, tensor in names]
    found = {}
    for tensor, name in pairs:
        if isinstance(tensor, Node):  # already keyed by node (a mapping another report built)
            found[tensor] = str(name)
        elif getattr(tensor, "requires_grad", False):
            found[tensor._node] = str(name)
    return found


def describe(node, names: dict | None = None) -> str:
    """An op's name, or a leaf's parameter name ('leaf' when it has none)."""
    if names and node in names:
        return names[node]
    return "leaf" if is_leaf(node) else node.name


def shape_text(shape) -> str:
    """(8, 16) -> '8x16'; a scalar -> 'scalar'. Compact enough for table columns and drawings."""
    if shape is None:
        return "?"
    return "x".join(str(n) for n in shape) if len(shape) else "scalar"
