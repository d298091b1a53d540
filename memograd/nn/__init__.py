"""memograd.nn: Module, layers, losses, init and functional, with PyTorch's names.

    import memograd.nn as nn
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    loss = nn.CrossEntropyLoss()(model(x), y)
"""
from . import functional, init, utils
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (
    GELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, Identity, LayerNorm, LeakyReLU,
    Linear, LogSoftmax, MaxPool2d, ReLU, Sigmoid, Softmax, Softplus, Tanh, Unflatten,
)
from .loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss,
)
from .module import Module
from .parameter import Buffer, Parameter

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict",
    "Linear", "Identity", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Unflatten", "ReLU", "LeakyReLU", "GELU",
    "Softplus", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "Embedding", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss",
    "BCEWithLogitsLoss",
]
