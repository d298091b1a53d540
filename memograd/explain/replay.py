"""Replaying a trace: the state of every node after each step, as the page shows it.

The page (explain/assets/page.js) computes the same states in the browser; the browser test
compares the two after every step, and the static SVG draws the state after the last step.
Position 0 is before anything ran; position k is the state after steps[k - 1].

>>> import memograd as mg
>>> from memograd.explain.trace import record
>>> x = mg.tensor(3.0, requires_grad=True)
>>> trace = record(x * x, names={x: "x"})
>>> [s.phase for s in states(trace)]   # x, x * x, seed d(x*x)/d(x*x) = 1, Mul runs, x "runs"
['start', 'forward', 'forward', 'backward', 'backward', 'backward']
>>> x_slot = [(s.nodes[0].slot, s.nodes[0].count) for s in states(trace)][4]
>>> x_slot[0]["text"], x_slot[1]          # both of Mul's edges added 3 into x's slot
('6', 2)
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass
class NodeState:
    computed: bool = False     # the forward pass has produced this node's value
    slot: dict | None = None   # summary of the node's memo slot (its gradient so far)
    count: int = 0             # contributions summed into the slot
    left: int = 0              # consumers that have not added their share yet
    ran: bool = False          # the engine ran this node's rule (its gradient was complete)
    released: bool = False     # the engine freed what it had saved for backward


@dataclass
class State:
    position: int
    phase: str                 # "start", "forward" or "backward"
    active: int | None         # the node of the latest step
    nodes: list = field(default_factory=list)
    vjps: int = 0              # backprop's VJPs so far
    naive: int = 0             # naive VJPs for the parameter gradients finished so far
    sent_to: tuple = ()        # nodes whose slot received a gradient in the latest step


def states(trace) -> list[State]:
    """One State per position, 0 .. len(trace.steps)."""
    nodes = [NodeState(left=n["consumers"]) for n in trace.nodes]
    current = State(0, "start", None, nodes)
    found = [current]
    for position, step in enumerate(trace.steps, start=1):
        nodes = [replace(n) for n in current.nodes]
        current = State(position, step["phase"], step["node"], nodes, current.vjps, current.naive)
        here = nodes[step["node"]]
        if step["phase"] == "forward":
            here.computed = True
        elif step["kind"] == "seed":
            here.slot, here.count = step["slot"], 1
        else:
            here.ran = True
            here.slot = step["grad"]
            here.released = here.released or step["released"]
            current.vjps, current.naive = step["vjps"], step["naive"]
            sent = []
            for send in step["sends"]:
                child = nodes[send["to"]]
                child.left = send["left"]
                if "total" in send:
                    child.slot, child.count = send["total"], send["count"]
                    sent.append(send["to"])
            current.sent_to = tuple(sent)
        found.append(current)
    return found


def backward_start(trace) -> int:
    """The position right before the seed step: the forward pass is complete."""
    return next(i for i, step in enumerate(trace.steps) if step["phase"] == "backward")
