"""`torch.backends`: the switches programs set for cuDNN, TF32 and MPS. They are plain
settable attributes with PyTorch's defaults; memograd (NumPy on the CPU) reads none of
them, so setting them changes nothing, as setting them does in PyTorch's CPU build."""
from __future__ import annotations


class _Flags:
    """A namespace of settable flags that prints them."""

    def __init__(self, **flags):
        self.__dict__.update(flags)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if not callable(v))
        return f"{type(self).__name__}({shown})"


class _CuDNN(_Flags):
    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def version():
        return None


class _Cuda(_Flags):
    @staticmethod
    def is_built() -> bool:
        return False


class _Mps(_Flags):
    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


cudnn = _CuDNN(enabled=True, benchmark=False, deterministic=False, allow_tf32=True)
cuda = _Cuda(matmul=_Flags(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                           allow_bf16_reduced_precision_reduction=True))
mps = _Mps()
mkldnn = _Flags(enabled=True)
