"""The summaries a SummaryWriter writes, as TensorBoard's protocol buffers: a scalar, a
histogram, a text. Values may be memograd tensors, NumPy arrays or Python numbers."""
from __future__ import annotations

import math

import numpy as np
from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData


def to_numpy(value) -> np.ndarray:
    """A NumPy array holding `value`'s numbers (a tensor is detached and copied to the host)."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach()
        value = value.cpu().numpy() if hasattr(value, "cpu") else value.numpy()
    return np.asarray(value)


def scalar_value(value) -> float:
    array = to_numpy(value)
    if array.size != 1:
        raise ValueError(f"add_scalar: expected a single number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def scalar(tag: str, value, new_style: bool = False, double_precision: bool = False) -> Summary:
    """The classic form (`simple_value`), or with new_style the tensor form of the scalars plugin."""
    number = scalar_value(value)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[number])
    else:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[number])
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


# ---- histograms ------------------------------------------------------------------------------


def tensorflow_bins() -> np.ndarray:
    """TensorFlow's default bucket edges: 0, and +-1e-12 growing by 10% up to 1e20 (so the
    buckets are finest near zero, where weights and gradients live)."""
    count = math.ceil(math.log(1e20 / 1e-12) / math.log(1.1))
    positive = 1e-12 * 1.1 ** np.arange(count)
    return np.concatenate([-positive[::-1], [0.0], positive])


def histogram(tag: str, values, bins="tensorflow", max_bins: int | None = None) -> Summary:
    """Counts of `values` in `bins` ('tensorflow', a bin count, edges, or a NumPy rule such as
    'auto'). Only the span from the first to the last non-empty bucket is stored; each bucket
    is given by its right edge (`bucket_limit`), led by an empty one whose limit is the left
    edge of the first."""
    flat = to_numpy(values).astype(np.float64).reshape(-1)
    if flat.size == 0:
        raise ValueError(f"add_histogram: {tag!r} has no values")
    counts, edges = np.histogram(flat, bins=tensorflow_bins() if isinstance(bins, str) and bins == "tensorflow"
                                 else bins)
    filled = np.flatnonzero(counts)
    first, last = (filled[0], filled[-1]) if filled.size else (0, len(counts) - 1)
    limits = list(edges[first:last + 2])
    buckets = [0.0] + list(counts[first:last + 1].astype(np.float64))
    if max_bins is not None and len(buckets) > max_bins:
        group = math.ceil(len(buckets) / max_bins)  # merge neighbours; a group keeps its right edge
        limits = [limits[min(i + group, len(limits)) - 1] for i in range(0, len(limits), group)]
        buckets = [sum(buckets[i:i + group]) for i in range(0, len(buckets), group)]
    proto = HistogramProto(min=float(flat.min()), max=float(flat.max()), num=float(flat.size),
                           sum=float(flat.sum()), sum_squares=float(flat @ flat),
                           bucket_limit=[float(v) for v in limits], bucket=buckets)
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


# ---- text ------------------------------------------------------------------------------------


def text(tag: str, text_string: str) -> Summary:
    """A string for the text plugin, under `tag/text_summary` as PyTorch writes it."""
    plugin = SummaryMetadata.PluginData(plugin_name="text", content=TextPluginData(version=0).SerializeToString())
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)])
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[str(text_string).encode("utf-8")],
                                    tensor_shape=shape)
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=SummaryMetadata(plugin_data=plugin),
                                        tensor=tensor)])
