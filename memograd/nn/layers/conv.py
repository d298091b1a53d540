"""Conv2d: a learnable 2-D cross-correlation (im2col + one tensordot, see memograd.ops.conv),
and ConvTranspose2d, its adjoint in the input (the upsampling layer of decoders and GANs)."""
from __future__ import annotations


from ... import creation
from ...ops.conv import pair, transposed_out_size
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Conv2d(Module):
    """(N, in_channels, H, W) -> (N, out_channels, OH, OW); weight (out, in, kh, kw), bias (out,).

    Initialised as PyTorch: kaiming_uniform_(a=sqrt(5)) for the weight and
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias, fan_in = in_channels * kh * kw."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        if groups != 1:
            raise NotImplementedError("Conv2d: groups != 1 is not supported")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode {padding_mode!r} is not supported (only 'zeros')")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding")
        self.dilation = pair(dilation, "dilation")
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(creation.empty(out_channels, in_channels, *self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_affine_init_(self.weight, self.bias)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose2d(Module):
    """(N, in_channels, H, W) -> (N, out_channels, OH, OW); weight (in, out, kh, kw), bias (out,).

    OH = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1, and
    `forward(input, output_size)` picks the output_padding that gives `output_size` (a stride
    above 1 maps several sizes to the same H). Initialised as PyTorch, by the same rule as
    Conv2d applied to this weight: fan_in = weight.shape[1] * kh * kw = out_channels * kh * kw.

    >>> up = memograd.nn.ConvTranspose2d(8, 4, kernel_size=4, stride=2, padding=1)
    >>> up(memograd.zeros(1, 8, 5, 5)).shape
    (1, 4, 10, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__()
        if groups != 1:
            raise NotImplementedError("torch.nn.ConvTranspose2d: groups != 1 is not supported")
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for ConvTranspose2d, got {padding_mode!r}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.output_padding = pair(output_padding, "output_padding")
        self.dilation = pair(dilation, "dilation")
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, True
        self.weight = Parameter(creation.empty(in_channels, out_channels, *self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_affine_init_(self.weight, self.bias)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)

    def _output_padding(self, input, output_size) -> tuple:
        """The output_padding that makes the output `output_size` ((OH, OW), or the full shape)."""
        if output_size is None:
            return self.output_padding
        spatial = tuple(int(n) for n in output_size)
        if len(spatial) == input.ndim:  # the whole shape: drop the batch and channel sizes
            spatial = spatial[-2:]
        if len(spatial) != 2:
            raise ValueError(f"ConvTranspose2D: for {input.ndim}D input, output_size must have 2 or "
                             f"{input.ndim} elements (got {len(output_size)})")
        smallest = tuple(transposed_out_size(n, k, s, p, d, 0) for n, k, s, p, d in
                         zip(input.shape[-2:], self.kernel_size, self.stride, self.padding, self.dilation))
        largest = tuple(low + s - 1 for low, s in zip(smallest, self.stride))
        if any(not low <= n <= high for n, low, high in zip(spatial, smallest, largest)):
            raise ValueError(f"requested an output size of {list(spatial)}, but valid sizes range from "
                             f"{list(smallest)} to {list(largest)} (for an input of {tuple(input.shape[-2:])})")
        return tuple(n - low for n, low in zip(spatial, smallest))

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.bias is None:
            text += ", bias=False"
        return text
