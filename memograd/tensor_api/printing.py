"""How a tensor prints, following PyTorch's rules so that a program prints what it printed
under PyTorch: four decimals (`tensor(1.5000)`), a trailing point for whole floats
(`tensor([1., 2.])`), scientific notation when the magnitudes span more than 1000x or leave
[1e-4, 1e8], every element padded to one width, lines of at most 80 characters, and past
1000 elements only the first and last three along each axis. `set_printoptions` changes
these as `torch.set_printoptions` does."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes


class PrintOptions:
    """The current print options (one object, changed by `set_printoptions`)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.precision, self.threshold, self.edgeitems, self.linewidth = 4, 1000, 3, 80
        self.sci_mode = None  # None: chosen from the values


OPTIONS = PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """As `torch.set_printoptions`: a profile ('default', 'short', 'full') first, then each
    option given; `sci_mode=None` lets the values decide."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for name, value in _PROFILES[profile].items():
            setattr(OPTIONS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return {name: getattr(OPTIONS, name) for name in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


class ElementFormat:
    """One format for all elements of a tensor, chosen from the values that will be shown."""

    def __init__(self, shown: np.ndarray):
        self.floating = shown.dtype.kind == "f"
        self.whole = True  # every finite non-zero value is an integer
        self.sci = False
        self.width = 1
        flat = shown.reshape(-1)
        if not self.floating:
            self.width = max([len(str(v)) for v in flat.tolist()], default=1)
            return
        values = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if values.size == 0:
            return
        magnitude = np.abs(values)
        low, high = magnitude.min(), magnitude.max()
        self.whole = bool(np.all(values == np.ceil(values)))
        self.sci = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        if OPTIONS.sci_mode is not None:
            self.sci = bool(OPTIONS.sci_mode)
        p = OPTIONS.precision
        if self.sci:
            self.width = max(len(f"{v:.{p}e}") for v in values.tolist())
        elif self.whole:
            self.width = max(len(f"{v:.0f}") + 1 for v in values.tolist())
        else:
            self.width = max(len(f"{v:.{p}f}") for v in values.tolist())

    def __call__(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci:
            text = f"{value:.{OPTIONS.precision}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{OPTIONS.precision}f}"
        return text.rjust(self.width)


def _edges(array: np.ndarray) -> np.ndarray:
    """Only the elements a summarized print shows (first and last `edgeitems` per axis)."""
    e = OPTIONS.edgeitems
    for axis in range(array.ndim):
        if array.shape[axis] > 2 * e:
            array = np.concatenate([np.take(array, range(e), axis), np.take(array, range(-e, 0), axis)], axis)
    return array


def _body(array: np.ndarray, indent: int, summarize: bool, fmt: ElementFormat) -> str:
    if array.ndim == 0:
        return fmt(array.item())
    e = OPTIONS.edgeitems
    cut = summarize and array.shape[0] > 2 * e
    if array.ndim == 1:
        items = array.tolist()
        texts = [fmt(v) for v in items[:e]] + [" ..."] + [fmt(v) for v in items[-e:]] if cut else [fmt(v) for v in items]
        per_line = max(1, (OPTIONS.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(texts[i:i + per_line]) for i in range(0, len(texts), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(e)) + [None] + list(range(array.shape[0] - e, array.shape[0])) if cut else range(array.shape[0])
    parts = ["..." if i is None else _body(array[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def dtype_name(dtype) -> str:
    """`torch.float32`, as PyTorch prints a dtype (the programs print under that name)."""
    return "torch." + np.dtype(dtype).name


# Node classes whose PyTorch backward node has another name than `<OpName>Backward0`.
_PYTORCH_NODE_NAMES = {
    "Reshape": "ViewBackward0", "View": "SliceBackward0", "GetItem": "IndexBackward0",
    "MatMul": "MmBackward0", "Linear": "AddmmBackward0", "Cast": "ToCopyBackward0",
    "SelectAlong": "MaxBackward0", "Pow": "PowBackward0", "IndexAdd": "IndexPutBackward0",
}


def node_name(node) -> str:
    """The name PyTorch gives the node that made a tensor (`MulBackward0`); user Functions
    keep their own name (`CubeBackward`)."""
    if getattr(node, "tensor_io", False):
        return node.name
    name = node.name
    return _PYTORCH_NODE_NAMES.get(name, name + "Backward0")


def tensor_repr(t) -> str:
    """`tensor([1.5000, 2.0000], requires_grad=True)`, as PyTorch prints it."""
    array = t._data
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default = array.dtype in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_)
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != dtypes.get_default_dtype():
            suffixes.append(f"dtype={dtype_name(array.dtype)}")
    else:
        summarize = array.size > OPTIONS.threshold
        fmt = ElementFormat(_edges(array) if summarize else array)
        body = _body(array, indent, summarize, fmt)
        if not default:
            suffixes.append(f"dtype={dtype_name(array.dtype)}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{node_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + _suffixes(prefix + body, suffixes, indent)


def _suffixes(text: str, suffixes: list, indent: int) -> str:
    """`, dtype=...` after the values, on a new line when it would pass the line width."""
    out = []
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > OPTIONS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(out) + ")"
