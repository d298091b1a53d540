"""Shapes and views: reshape, permute, indexing and their relatives."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import inplace
from ..ops import indexing, layout
from ..ops import shape as shape_ops

if TYPE_CHECKING:
    from ..tensor import Tensor


class ShapeMethods:
    __slots__ = ()

    reshape = shape_ops.reshape
    view = shape_ops.reshape
    flatten = shape_ops.flatten
    squeeze = shape_ops.squeeze
    unsqueeze = shape_ops.unsqueeze
    permute = shape_ops.permute
    transpose = shape_ops.transpose
    expand = shape_ops.expand
    repeat = shape_ops.repeat

    t = layout.t
    narrow = layout.narrow
    flip = layout.flip
    fliplr = layout.fliplr
    flipud = layout.flipud
    roll = layout.roll
    tril = layout.tril
    triu = layout.triu
    outer = ger = layout.outer
    swapaxes = swapdims = shape_ops.transpose

    def ravel(self) -> Tensor:
        return shape_ops.reshape(self, -1)

    def view_as(self, other: Tensor) -> Tensor:
        return shape_ops.reshape(self, other.shape)

    reshape_as = view_as

    def expand_as(self, other: Tensor) -> Tensor:
        return shape_ops.expand(self, other.shape)

    @property
    def T(self) -> Tensor:
        return shape_ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return shape_ops.transpose(self, -2, -1)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return shape_ops.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple:
        lead = (slice(None),) * (dim % self.ndim)
        return shape_ops.several_views(tuple(self[lead + (i,)] for i in range(self.shape[dim])))

    def __getitem__(self, index):
        return indexing.getitem(self, index)

    def __setitem__(self, index, value):
        inplace.setitem(self, index, value)
