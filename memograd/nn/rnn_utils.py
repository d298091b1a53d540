"""`torch.nn.utils.rnn` (reached as memograd.nn.utils.rnn): padding a batch of sequences.

Packed sequences are not supported: the recurrent layers run every sequence of a batch to
the full length, so pad the batch with `pad_sequence` (and mask the loss) instead.

    >>> memograd.nn.utils.rnn.pad_sequence([memograd.ones(3), memograd.ones(1)]).shape
    (3, 2)
"""
from __future__ import annotations

from .. import creation
from ..ops.shape import cat, stack


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):
    """Tensors (L_i, *) -> (L_max, B, *), or (B, L_max, *) with batch_first, filled with
    `padding_value` after (or, with padding_side="left", before) each sequence."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = creation.full((missing,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def _packed_not_supported(api: str):
    raise NotImplementedError(f"torch.nn.utils.rnn.{api} is not supported by memograd (no packed sequences); "
                              "pad the batch with pad_sequence instead")


class PackedSequence:
    def __init__(self, *args, **kwargs):
        _packed_not_supported("PackedSequence")


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True):
    _packed_not_supported("pack_padded_sequence")


def pad_packed_sequence(sequence, batch_first: bool = False, padding_value: float = 0.0, total_length=None):
    _packed_not_supported("pad_packed_sequence")


def pack_sequence(sequences, enforce_sorted: bool = True):
    _packed_not_supported("pack_sequence")
