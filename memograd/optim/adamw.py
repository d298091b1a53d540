"""AdamW: Adam with weight decay applied to the parameters, not added to the gradient."""
from __future__ import annotations

from collections.abc import Iterable

from .adam import Adam


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    Each step first shrinks the parameter, then takes the plain Adam step (see `Adam`):

        θ ← θ · (1 - lr · weight_decay)
        θ ← θ - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps)

    The decay is scaled by lr (PyTorch's convention), so a schedule on lr schedules the decay
    too. Default weight_decay is 1e-2.

    >>> opt = memograd.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)
