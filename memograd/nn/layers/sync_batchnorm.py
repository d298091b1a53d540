"""SyncBatchNorm: BatchNorm whose training statistics are those of the whole batch, across all
processes of a data-parallel job (each process holds only its share of the examples).

Per channel, every process sums its (x - k) and (x - k)^2 and counts its values; one
differentiable all-reduce (memograd.distributed.nn) adds those up, and the mean and biased
variance of the whole batch follow. k is the running mean (the same on every process, since
the running statistics are updated from the same global statistics): shifting by it keeps the
sum of squares from cancelling badly when the data sit far from zero. Because the all-reduce's
backward is an all-reduce of the gradients, backward is exact too: with DDP averaging the
parameter gradients, N processes with b examples each compute what one BatchNorm computes on
all N*b examples. Outside training, without an initialised process group, or with one process,
it is plain BatchNorm."""
from __future__ import annotations

from ... import creation
from ...autograd.grad_mode import no_grad
from ...ops.shape import cat
from .. import functional as F
from ..module import Module
from .normalization import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Input (N, C, ...) of any rank >= 2; statistics over every process of `process_group`.

    >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # before wrapping it in DDP
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def forward(self, input):
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm: expected {self.num_features} channels in dim 1, "
                             f"got input of shape {tuple(input.shape)}")
        if not (self.training and self._group_size() > 1):
            return self._plain(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        out = self._synced(input, factor)
        per_channel = (1, self.num_features) + (1,) * (input.ndim - 2)
        if self.weight is not None:
            out = out * self.weight.reshape(per_channel)
        if self.bias is not None:
            out = out + self.bias.reshape(per_channel)
        return out

    def _plain(self, input):
        """Ordinary BatchNorm on this process's examples (also what eval() uses)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats,
                            factor, self.eps)

    def _group_size(self) -> int:
        from ... import distributed as dist

        return dist.get_world_size(self.process_group) if dist.is_initialized() else 1

    def _synced(self, input, factor: float):
        """(x - mean) / sqrt(var + eps) with the whole batch's statistics; updates the running ones."""
        from ... import distributed as dist

        channels = self.num_features
        axes = (0,) + tuple(range(2, input.ndim))
        per_channel = (1, channels) + (1,) * (input.ndim - 2)
        shift = self.running_mean.detach().clone() if self.running_mean is not None else \
            creation.zeros(channels, dtype=input.dtype)
        centered = input - shift.reshape(per_channel)
        count = creation.full((1,), float(input.numel() // channels), dtype=input.dtype)
        local = cat([centered.sum(dim=axes), (centered * centered).sum(dim=axes), count])
        total = dist.nn.functional.all_reduce(local, group=self.process_group)
        n = float(total[2 * channels].item())
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got {int(n)} over all processes")
        offset = total[:channels] / n                                   # mean - shift
        var = (total[channels:2 * channels] / n - offset * offset).clamp(min=0.0)
        if self.track_running_stats:
            with no_grad():
                mean = shift._data + offset._data
                self.running_mean.mul_(1 - factor).add_(mean * factor)
                self.running_var.mul_(1 - factor).add_(var._data * (n / (n - 1)) * factor)
        return (centered - offset.reshape(per_channel)) * (var + self.eps).rsqrt().reshape(per_channel)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """`module` with every BatchNorm*d replaced by a SyncBatchNorm holding the same
        parameters and running statistics (the module itself if it is a BatchNorm)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                converted.weight = module.weight
                converted.bias = module.bias
            if module.track_running_stats:
                converted.running_mean = module.running_mean
                converted.running_var = module.running_var
                converted.num_batches_tracked = module.num_batches_tracked
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            module.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return module
