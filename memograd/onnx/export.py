"""`memograd.onnx.export`: trace the forward once, translate the trace, write the file."""
from __future__ import annotations

import os

import numpy as np

from ..tensor import Tensor
from . import ops
from .builder import DEFAULT_OPSET, MIN_OPSET, GraphBuilder, value_info
from .trace import key_of, recording, walk, watching_layers


class Exporter:
    """Names for everything the walk meets: model inputs, parameters and buffers (under their
    state_dict names), other leaves (as constants) and translated values."""

    def __init__(self, model, traced_inputs: list, input_names: list, opset: int):
        self.b = GraphBuilder(opset)
        self.inputs = {id(t): name for t, name in zip(traced_inputs, input_names) if isinstance(t, Tensor)}
        named = list(model.named_parameters()) + list(model.named_buffers())
        self.state_names = {id(t): name for name, t in named}
        self.module_names = {id(m): name or type(m).__name__ for name, m in model.named_modules()}
        self.names: dict = {}  # id(item) -> value name
        self.shapes: dict = {}  # value name -> the shape it had in the traced forward
        self.params: list = []  # initializer names of parameters and buffers
        for t, name in zip(traced_inputs, input_names):
            self.b.used.add(name)
            self.b.dtypes[name] = np.asarray(t._data if isinstance(t, Tensor) else t).dtype

    def leaf(self, tensor) -> str:
        """The name of a leaf: a model input, a parameter or buffer (stored once), or a constant."""
        if id(tensor) in self.names:
            return self.names[id(tensor)]
        if id(tensor) in self.inputs:
            name = self.inputs[id(tensor)]
        elif id(tensor) in self.state_names:
            name = self.b.initializer(tensor._data, self.state_names[id(tensor)])
            self.params.append(name)
        else:
            name = self.b.initializer(tensor._data, "const")
        self.names[id(tensor)] = name
        self.shapes[name] = tuple(tensor.shape)
        return name

    def name_of(self, value, kid) -> str | None:
        if kid is not None:
            return self.names[id(kid)]
        if isinstance(value, Tensor):  # a tensor outside the graph: a constant of the model
            return self.leaf(value)
        return None if value is None else self.b.constant(value, np.asarray(value).dtype)

    def translate(self, item, kids: list, calls: dict) -> None:
        if isinstance(item, Tensor):
            self.leaf(item)
            return
        call = calls.get(id(item))
        if call is not None:
            inputs = [self.name_of(v, k) for v, k in zip(call.inputs, kids)]
            self.b.scope = self.module_names.get(id(call.module), type(call.module).__name__)
            try:
                out = call.translate(self, call.module, inputs[0], call.inputs[0], call.output)
            finally:
                self.b.scope = ""
        else:
            inputs = [self.names[id(k)] if k is not None else None for k in kids]
            out = ops.translation_of(item)(self, item, inputs)
        self.names[id(item)] = out
        self.shapes[out] = tuple(call.output.shape) if call is not None else tuple(item.shape)


def export(model, args=(), f=None, *, kwargs=None, export_params: bool = True, verbose=None, input_names=None,
           output_names=None, opset_version: int | None = None, dynamic_axes=None,
           keep_initializers_as_inputs: bool = False, training=None, do_constant_folding: bool = True,
           dynamo=None, external_data: bool = True, **options):
    """Export `model` to ONNX, as `torch.onnx.export`: trace one forward on `args` in eval
    mode and write the ONNX model to `f` (a path or a binary file; returns the ModelProto).

    >>> memograd.onnx.export(model, (x,), "model.onnx", input_names=["x"], output_names=["logits"],
    ...                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})

    Like PyTorch's tracer, the graph is the path this input took: Python control flow is
    frozen, and only axis 0 can be left free (`dynamic_axes`) through reshapes."""
    import onnx

    if kwargs or options:
        raise NotImplementedError(f"memograd.onnx.export: options {sorted(set(options) | set(kwargs or ()))} "
                                  "are not supported")
    if training not in (None, False) and str(training).split(".")[-1] not in ("EVAL", "0"):
        raise NotImplementedError("memograd.onnx.export: only eval-mode export (training=TrainingMode.EVAL)")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"memograd.onnx.export: opset_version must be between {MIN_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()}, got {opset}")
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    args = tuple(Tensor._make(np.asarray(a), None) if isinstance(a, np.ndarray) else a for a in args)
    input_names = default_names(input_names, len(args), "input")
    calls: dict = {}
    with recording(model, list(args)) as traced, watching_layers(model, calls):
        result = model(*traced)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    output_names = default_names(output_names, len(outputs), "output")

    ex = Exporter(model, traced, input_names, opset)
    for item, kids in walk(outputs, calls):
        ex.translate(item, kids, calls)
    dynamic = dynamic_axis_names(dynamic_axes)
    graph_outputs = []
    for out, name in zip(outputs, output_names):
        kid = key_of(out)
        ex.b.used.add(name)
        source = ex.name_of(out, kid)
        ex.b.nodes.append(onnx.helper.make_node("Identity", [source], [name], name=ex.b.fresh(f"{name}/Identity")))
        graph_outputs.append(value_info(name, out.dtype, out.shape, dynamic.get(name, {})))
    graph_inputs = [value_info(name, np.asarray(t._data if isinstance(t, Tensor) else t).dtype,
                               np.shape(t._data if isinstance(t, Tensor) else t), dynamic.get(name, {}))
                    for t, name in zip(traced, input_names)]
    extra = ex.params if (keep_initializers_as_inputs or not export_params) else []
    model_proto = ex.b.model(graph_inputs, graph_outputs, extra, export_params)
    onnx.checker.check_model(model_proto)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    if f is not None:
        write(model_proto, f)
    return model_proto


def default_names(names, count: int, stem: str) -> list:
    names = list(names or [])
    if len(names) > count:
        raise ValueError(f"memograd.onnx.export: {len(names)} {stem} names given for {count} {stem}s")
    return names + [stem if count == 1 else f"{stem}_{i}" for i in range(len(names), count)]


def dynamic_axis_names(dynamic_axes) -> dict:
    """{value name: {axis: symbolic name}}; a list of axes gets PyTorch-style generated names."""
    found = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            found[name] = {int(a): str(n) for a, n in axes.items()}
        else:
            found[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return found


def write(model_proto, f) -> None:
    data = model_proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as out:
            out.write(data)
    else:
        f.write(data)
