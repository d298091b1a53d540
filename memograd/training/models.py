"""The two model families of `memograd train`: an MLP and a small CNN."""
from __future__ import annotations

import math

from .. import nn
from .config import TrainConfig


def activation(name: str) -> nn.Module:
    """The layer for `--activation`. A ReLU overwrites its input (inplace=True): here it always
    follows a Linear or Conv2d, whose output nothing else uses, so the step needs one array
    fewer per layer."""
    if name == "relu":
        return nn.ReLU(inplace=True)
    return {
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "gelu": nn.GELU,
        "leaky_relu": nn.LeakyReLU,
    }[name]()


def build_model(config: TrainConfig, input_shape: tuple, num_classes: int) -> nn.Sequential:
    if config.model == "cnn":
        return cnn(config, input_shape, num_classes)
    return mlp(config, math.prod(input_shape), num_classes)


def dense_head(config: TrainConfig, n_inputs: int, hidden_sizes: tuple, num_classes: int) -> list:
    """Linear + activation (+ dropout) per hidden size, then the output layer."""
    layers: list[nn.Module] = []
    width = n_inputs
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), activation(config.activation)]
        if config.dropout:
            layers.append(nn.Dropout(config.dropout))
        width = hidden
    return layers + [nn.Linear(width, num_classes)]


def mlp(config: TrainConfig, n_inputs: int, num_classes: int) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), *dense_head(config, n_inputs, config.hidden, num_classes))


def check_cnn_input(input_shape: tuple) -> tuple:
    """(channels, height, width), if a dataset's inputs are images the CNN can take."""
    if len(input_shape) != 3:
        raise ValueError(f"--model cnn needs image data (channels, height, width); "
                         f"this dataset has inputs of shape {input_shape}")
    channels, height, width = input_shape
    if height < 2 or width < 2:
        raise ValueError(f"--model cnn needs images of at least 2x2 pixels (it max-pools 2x2); this dataset's "
                         f"images are {height}x{width}")
    return channels, height, width


def cnn(config: TrainConfig, input_shape: tuple, num_classes: int) -> nn.Sequential:
    """Two 3x3 convolutions and one 2x2 max-pool, then one hidden layer of the first `--hidden` size."""
    channels, height, width = check_cnn_input(input_shape)
    features = [
        nn.Conv2d(channels, 32, 3, padding=1), activation(config.activation),
        nn.Conv2d(32, 64, 3, padding=1), activation(config.activation),
        nn.MaxPool2d(2),
        nn.Flatten(),
    ]
    size = 64 * (height // 2) * (width // 2)
    return nn.Sequential(*features, *dense_head(config, size, config.hidden[:1], num_classes))


# ---- sizes, known before anything is allocated ------------------------------------------------

def layer_widths(config: TrainConfig, input_shape: tuple, num_classes: int) -> list[tuple[int, int]]:
    """(inputs, outputs) of each dense layer build_model would make, in order."""
    if config.model == "cnn":
        _, height, width = check_cnn_input(input_shape)
        n_inputs, hidden = 64 * (height // 2) * (width // 2), config.hidden[:1]
    else:
        n_inputs, hidden = math.prod(input_shape), config.hidden
    sizes = [n_inputs, *hidden, num_classes]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def count_parameters(config: TrainConfig, input_shape: tuple, num_classes: int) -> int:
    """How many parameters build_model would make (weights and biases)."""
    total = sum(n_in * n_out + n_out for n_in, n_out in layer_widths(config, input_shape, num_classes))
    if config.model == "cnn":
        total += input_shape[0] * 32 * 9 + 32 + 32 * 64 * 9 + 64
    return total


def activation_values(config: TrainConfig, input_shape: tuple, num_classes: int, batch: int) -> int:
    """How many values one training batch's forward pass keeps for backward (roughly: each
    layer's output, twice for the activation)."""
    per_example = sum(2 * n_out for _, n_out in layer_widths(config, input_shape, num_classes))
    if config.model == "cnn":
        _, height, width = input_shape
        per_example += 2 * (32 + 64) * height * width
    return batch * (math.prod(input_shape) + per_example)
