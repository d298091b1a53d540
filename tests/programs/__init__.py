"""Small PyTorch programs, each written once as `program(torch, init=...)`.

Every file here is an ordinary PyTorch program that receives the library as an argument: it
reaches `torch.nn`, `torch.nn.functional`, `torch.optim` and `torch.utils.data` through that
object, exactly as a script does after `import torch`. `tests/test_programs.py` runs each one with
PyTorch and with memograd and compares what they return.

The contract each program keeps, so that two libraries can be compared step for step:
- data and any noise come from a seeded NumPy generator (the two libraries' random streams
  differ), and dropout is off;
- every model (or list of parameter tensors) passes through `init(...)` right after it is built;
  the harness records its starting weights in the first run and loads them in the second;
- it returns a list of floats (losses, in order, and a few final figures) to be compared.
"""


def keep(obj):
    """The default `init`: keep the library's own initial weights."""
    return obj
