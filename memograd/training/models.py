"""The two model families of `memograd train`: an MLP and a small CNN."""
from __future__ import annotations

import math

from .. import nn
from .config import TrainConfig


def activation(name: str) -> nn.Module:
    return {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "gelu": nn.GELU,
        "leaky_relu": nn.LeakyReLU,
    }[name]()


def build_model(config: TrainConfig, input_shape: tuple, num_classes: int) -> nn.Sequential:
    if config.model == "cnn":
        return cnn(config, input_shape, num_classes)
    return mlp(config, math.prod(input_shape), num_classes)


def mlp(config: TrainConfig, n_inputs: int, num_classes: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    width = n_inputs
    for hidden in config.hidden:
        layers += [nn.Linear(width, hidden), activation(config.activation)]
        if config.dropout:
            layers.append(nn.Dropout(config.dropout))
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def cnn(config: TrainConfig, input_shape: tuple, num_classes: int) -> nn.Sequential:
    """Two 3x3 convolutions, one 2x2 max-pool, then the MLP head of `--hidden`."""
    if len(input_shape) != 3:
        raise ValueError(f"--model cnn needs image data (channels, height, width); this dataset has inputs of shape {input_shape}")
    channels, height, width = input_shape
    layers: list[nn.Module] = [
        nn.Conv2d(channels, 32, 3, padding=1), activation(config.activation),
        nn.Conv2d(32, 64, 3, padding=1), activation(config.activation),
        nn.MaxPool2d(2),
        nn.Flatten(),
    ]
    size = 64 * (height // 2) * (width // 2)
    for hidden in config.hidden[:1]:
        layers += [nn.Linear(size, hidden), activation(config.activation)]
        if config.dropout:
            layers.append(nn.Dropout(config.dropout))
        size = hidden
    layers.append(nn.Linear(size, num_classes))
    return nn.Sequential(*layers)
