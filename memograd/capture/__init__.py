"""Capture and replay (`memograd.compile`): one training step recorded as a flat list of
array-level calls with names for its values, then replayed without Tensor objects or graph.

    recorder.py   listens to an eager step through `memograd.autograd.compile_hooks` and writes the program
    program.py    the program: its lines, what two recordings must agree on, the generated function
    runtime.py    the few helpers a replay calls besides NumPy (putting gradients into .grad)
    compiled.py   `compile(fn)`: guards, recording twice, replaying, falling back to eager
"""
from .compiled import CompiledStep, compile

__all__ = ["CompiledStep", "compile"]
