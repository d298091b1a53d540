"""The training loop behind `memograd train | evaluate | predict`: the chapter's whole cycle.
Forward inference gives the loss at the current parameters, backprop its derivative with
respect to every parameter, gradient descent updates them; after training, the model is
used by forward inference alone."""
from .config import TrainConfig
from .runner import train

__all__ = ["TrainConfig", "train"]
