"""Small models built from memograd tensors directly (x @ W + b), for the reports, the
command line and the tests. They do not depend on `memograd.nn`, but they follow its
duck-typed contract: layers are callables, containers iterate over their layers and have
`named_parameters()`, so every report accepts them and a real `nn.Sequential` alike."""
from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

import memograd as mg


class Affine:
    """x @ weight + bias with weight of shape (n_in, n_out). `init="uniform"` draws
    U(-1/sqrt(n_in), 1/sqrt(n_in)) like PyTorch's Linear default; `init="he"` draws
    N(0, 2/n_in) (Kaiming), which keeps ReLU activations at a steady scale."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, init: str = "uniform",
                 dtype=np.float64):
        if init == "uniform":
            bound = 1 / math.sqrt(n_in)
            weight = rng.uniform(-bound, bound, size=(n_in, n_out))
            bias = rng.uniform(-bound, bound, size=n_out)
        elif init == "he":
            weight = rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))
            bias = np.zeros(n_out)
        else:
            raise ValueError(f"Affine: unknown init {init!r}; use 'uniform' or 'he'")
        self.weight = mg.tensor(weight.astype(dtype), requires_grad=True)
        self.bias = mg.tensor(bias.astype(dtype), requires_grad=True)

    def __call__(self, x):
        return x @ self.weight + self.bias

    def named_parameters(self):
        yield "weight", self.weight
        yield "bias", self.bias

    def __repr__(self) -> str:
        n_in, n_out = self.weight.shape
        return f"Affine({n_in}, {n_out})"


class Activation:
    """tanh, relu or sigmoid as a layer."""

    def __init__(self, name: str):
        if name not in ("tanh", "relu", "sigmoid"):
            raise ValueError(f"Activation: unknown activation {name!r}; use tanh, relu or sigmoid")
        self.name = name

    def __call__(self, x):
        return getattr(x, self.name)()

    def named_parameters(self):
        return iter(())

    def __repr__(self) -> str:
        return self.name.capitalize()


class Residual:
    """x + f(x): a skip connection, which doubles the number of paths through the block."""

    def __init__(self, *layers):
        self.body = Stack(*layers)

    def __call__(self, x):
        return x + self.body(x)

    def named_parameters(self):
        return self.body.named_parameters()

    def __repr__(self) -> str:
        return f"Residual({', '.join(map(repr, self.body))})"


class Stack:
    """Layers applied in order, like nn.Sequential; parameters are named '<index>.<name>'."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            for name, tensor in layer.named_parameters():
                yield f"{i}.{name}", tensor

    def parameters(self):
        return [tensor for _, tensor in self.named_parameters()]


def mlp(sizes: list[int], activation: str = "tanh", init: str = "uniform", skip: bool = False,
        seed: int = 0, dtype=np.float64) -> Stack:
    """Affine layers of `sizes` with `activation` between them (none after the last one).
    With `skip=True`, each hidden block whose input and output widths match becomes
    Residual(Affine, activation).

    >>> model = mlp([4, 8, 8, 1])
    >>> [name for name, _ in model.named_parameters()][:3]
    ['0.weight', '0.bias', '2.weight']
    """
    rng = np.random.default_rng(seed)
    layers: list = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        affine = Affine(n_in, n_out, rng, init, dtype)
        if i == len(sizes) - 2:
            layers.append(affine)
        elif skip and n_in == n_out:
            layers.append(Residual(affine, Activation(activation)))
        else:
            layers.extend([affine, Activation(activation)])
    return Stack(*layers)


def mse(prediction, target):
    """Mean squared error, written with plain ops: ((prediction - target) ** 2).mean()."""
    return ((prediction - target) ** 2).mean()


def regression_batch(batch: int, n_in: int, n_out: int = 1, seed: int = 0, dtype=np.float64):
    """A random input batch and target, neither of which requires grad."""
    rng = np.random.default_rng(seed + 1)
    x = mg.tensor(rng.normal(size=(batch, n_in)).astype(dtype))
    y = mg.tensor(rng.normal(size=(batch, n_out)).astype(dtype))
    return x, y


def mlp_loss(depth: int, width: int = 16, batch: int = 8, skip: bool = False, activation: str = "tanh",
             seed: int = 0):
    """(loss, model) for a regression MLP with `depth` hidden layers of `width` units and a
    one-unit output layer.

    >>> loss, model = mlp_loss(2)
    >>> loss.shape, len(list(model.named_parameters()))
    (torch.Size([]), 6)
    """
    x, y = regression_batch(batch, width, seed=seed)
    model = mlp([width] * (depth + 1) + [1], activation=activation, skip=skip, seed=seed)
    return mse(model(x), y), model
