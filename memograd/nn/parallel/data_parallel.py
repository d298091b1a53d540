"""DataParallel on a machine without GPUs: PyTorch then keeps the module as it is and calls
it on the whole batch, and so does memograd. The wrapped module is the child `module`, so
parameter and state_dict names carry the `module.` prefix, as in PyTorch."""
from __future__ import annotations

from ..module import Module


class DataParallel(Module):
    """`DataParallel(model)`: calls `model` unchanged (no devices to split the batch over).

    >>> model = memograd.nn.DataParallel(memograd.nn.Linear(4, 2))
    >>> model.state_dict().keys()    # module.weight, module.bias
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if device_ids:
            raise RuntimeError(f"DataParallel: device_ids {list(device_ids)} given, but memograd runs on the "
                               "CPU only; leave device_ids out")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """The functional form: `module(*inputs, **module_kwargs)` on the CPU."""
    if device_ids:
        raise RuntimeError("data_parallel: memograd runs on the CPU only; leave device_ids out")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*inputs, **(module_kwargs or {}))
