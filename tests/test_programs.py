"""Small PyTorch programs run end to end by import swap: once with PyTorch, once with memograd.

Each program in tests/programs/ is written once, as a function of the library's module object.
The parity tests run it with PyTorch, record every model's initial weights, run it again with
memograd from those same weights (data and noise come from NumPy in both runs) and compare the
returned losses. The torch-free tests run memograd alone with `import torch` made to fail, so a
program that works only because PyTorch is importable cannot pass.
"""
import sys

import numpy as np
import pytest
from programs import (
    blitz_autograd,
    blitz_cifar,
    blitz_nn,
    blitz_tensors,
    char_gpt,
    dcgan,
    gan_1d,
    lstm_lm,
    makemore_mlp,
    mnist_cnn,
    pinn,
    time_sequence,
    vae,
)

import memograd


class SharedWeights:
    """`init` for two runs: the first records each model's starting weights, the second loads them.

    Models are matched by the order in which the program passes them to `init`. A module is
    copied through its `state_dict`; a list of tensors (hand-made parameters) is copied in place.
    """

    def __init__(self):
        self.recorded = []

    def recorder(self, torch):
        def init(obj):
            tensors = obj.state_dict() if isinstance(obj, torch.nn.Module) else dict(enumerate(obj))
            self.recorded.append({k: v.detach().cpu().numpy().copy() for k, v in tensors.items()})
            return obj
        return init

    def loader(self, torch):
        calls = iter(self.recorded)

        def init(obj):
            arrays = next(calls)
            if isinstance(obj, torch.nn.Module):
                obj.load_state_dict({k: torch.tensor(a) for k, a in arrays.items()})
                return obj
            with torch.no_grad():
                for i, p in enumerate(obj):
                    p.copy_(torch.tensor(arrays[i]))
            return obj
        return init


def without_torch(monkeypatch):
    """Make `import torch` (and its submodules) fail for the rest of the test."""
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)


# (id, program, keyword arguments, rtol, marks): rtol is for float32 unless the program says so.
PROGRAMS = [
    ("char_gpt_tril", char_gpt.program, {"attention": "tril"}, 1e-4, []),
    ("char_gpt_sdpa", char_gpt.program, {"attention": "sdpa"}, 1e-4, []),
    ("lstm_lm", lstm_lm.program, {}, 1e-4, []),
    ("mnist_cnn", mnist_cnn.program, {}, 1e-4, []),
    ("vae", vae.program, {}, 1e-4, []),
    ("dcgan", dcgan.program, {}, 1e-4, []),
    ("pinn", pinn.program, {}, 1e-4, []),
    ("time_sequence", time_sequence.program, {}, 1e-9, []),
    ("gan_1d", gan_1d.program, {}, 1e-4, []),
    ("makemore_mlp", makemore_mlp.program, {}, 1e-4, []),
    ("blitz_tensors", blitz_tensors.program, {}, 1e-6, []),
    ("blitz_autograd", blitz_autograd.program, {}, 1e-4, []),
    ("blitz_nn", blitz_nn.program, {}, 1e-4, []),
    ("blitz_cifar", blitz_cifar.program, {}, 1e-4, []),
]

CASES = [pytest.param(program, kwargs, rtol, id=name, marks=marks)
         for name, program, kwargs, rtol, marks in PROGRAMS]


@pytest.mark.parametrize("program, kwargs, rtol", CASES)
def test_program_matches_pytorch(program, kwargs, rtol, monkeypatch):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    weights = SharedWeights()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these sizes are tiny: more threads only contend for the cores
    try:
        expected = program(torch, init=weights.recorder(torch), **kwargs)
    finally:
        torch.set_num_threads(threads)
    without_torch(monkeypatch)
    got = program(memograd, init=weights.loader(memograd), **kwargs)
    assert len(got) == len(expected)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("program, kwargs, rtol", CASES)
def test_program_runs_without_torch(program, kwargs, rtol, monkeypatch):
    without_torch(monkeypatch)
    losses = program(memograd, **kwargs)
    assert losses and np.all(np.isfinite(losses))
