"""The backward pass made visible (the chapter's dynamic programming, shown and measured).

    memo_table(loss)            the engine's gradient slots, in the order it fills them
    naive_vs_backprop(loss)     the chain rule per path, without reuse, run next to backprop
    cost_table(depths)          how both costs grow with depth (plot_cost draws them)
    to_dot(t) / draw(t, path)   the recorded graph with values and gradients (Graphviz, or
                                memograd's own SVG when Graphviz is not installed)
    record(loss)                a trace: one forward and backward pass as a JSON document
    show(loss, path)            the interactive page: step through the pass in a browser
    layer_derivatives(model, x, y, loss_fn)   what each layer's derivative needs and reuses
    memory_report(loss)         what backward will hold, before it runs
    GradientMonitor(model)      gradient flow during training, vanishing/exploding diagnoses

Every report runs memograd's own engine (through its observer hook) or reads the recorded
graph; none of them re-implements backprop. Matplotlib is imported only to plot."""
from __future__ import annotations

from .compare import Comparison, naive_vs_backprop
from .cost import CostRecord, cost_table, format_cost_table, plot_cost
from .dot import draw, to_dot
from .layers import LayerReport, layer_derivatives
from .memo import MemoRow, format_table, memo_table, print_memo_table
from .memory import MemoryReport, memory_report, print_memory_report
from .monitor import GradientMonitor
from .naive import NaiveTooExpensive, backprop_gradients, naive_gradients, predict
from .page import Page, show
from .trace import Trace, record

__all__ = [
    "Comparison", "CostRecord", "GradientMonitor", "LayerReport", "MemoRow", "MemoryReport",
    "NaiveTooExpensive", "Page", "Trace", "backprop_gradients", "cost_table", "draw", "format_cost_table",
    "format_table",
    "layer_derivatives", "memo_table", "memory_report", "naive_gradients", "naive_vs_backprop", "plot_cost",
    "predict", "print_memo_table", "print_memory_report", "record", "show", "to_dot",
]
