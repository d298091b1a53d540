"""A small ONNX graph builder: unique names, nodes, initializers and the few helpers whose
form depends on the opset (reductions took their axes as an attribute before opset 18).

Every value name carries the NumPy dtype it will have at run time (`dtypes`), because ONNX
operators insist that both operands of Mul or Add have the same element type: a constant
next to a float32 value must itself be float32."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

MIN_OPSET = 17  # LayerNormalization first appears in opset 17
DEFAULT_OPSET = 18


class GraphBuilder:
    """Collects nodes and initializers in the order they are added (a topological order,
    because the exporter adds each op after its inputs)."""

    def __init__(self, opset: int):
        self.opset = opset
        self.nodes: list = []
        self.initializers: dict = {}  # name -> TensorProto
        self.dtypes: dict = {}        # value name -> numpy dtype
        self.used: set = set()
        self.scope = ""               # prefix for node names: the module being translated

    # ---- names ----------------------------------------------------------------------------

    def fresh(self, hint: str) -> str:
        """A name no other value or node has: `hint`, or `hint_1`, `hint_2`, ..."""
        name, k = hint, 0
        while name in self.used:
            k += 1
            name = f"{hint}_{k}"
        self.used.add(name)
        return name

    # ---- nodes ----------------------------------------------------------------------------

    def node(self, op_type: str, inputs: list, dtype=None, **attrs) -> str:
        """Add one node with one output and return the output's name. The output's dtype is
        `dtype`, or that of the first input (right for every elementwise op)."""
        prefix = f"{self.scope}/" if self.scope else ""
        out = self.fresh(f"{prefix}{op_type}_out")
        name = self.fresh(f"{prefix}{op_type}")
        self.nodes.append(helper.make_node(op_type, [i or "" for i in inputs], [out], name=name, **attrs))
        first = next((i for i in inputs if i), None)
        self.dtypes[out] = np.dtype(dtype) if dtype is not None else self.dtypes.get(first)
        return out

    def initializer(self, array, hint: str) -> str:
        """Store `array` in the file under (a fresh variant of) `hint`."""
        array = np.ascontiguousarray(array)
        name = self.fresh(hint)
        self.initializers[name] = numpy_helper.from_array(array, name)
        self.dtypes[name] = array.dtype
        return name

    def constant(self, value, dtype, hint: str = "const") -> str:
        """A constant (a scalar or an array) cast to `dtype`, the dtype of the value it meets."""
        return self.initializer(np.asarray(value, dtype=dtype), hint)

    def ints(self, values, hint: str = "shape") -> str:
        """A 1-D int64 constant: the shape, axes or pads input of Reshape, Unsqueeze, Pad..."""
        return self.initializer(np.asarray(list(values), dtype=np.int64).reshape(-1), hint)

    # ---- helpers whose form depends on the opset -------------------------------------------

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:  # axes became an input (ReduceSum: opset 13)
            return self.node(op_type, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.node(op_type, [x], axes=axes, keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes) -> str:
        return self.node("Unsqueeze", [x, self.ints(axes, "axes")])

    def squeeze(self, x: str, axes) -> str:
        return self.node("Squeeze", [x, self.ints(axes, "axes")])

    def scaled(self, x: str, factor: float) -> str:
        """x * factor, skipping the node when factor is 1."""
        if factor == 1.0:
            return x
        return self.node("Mul", [x, self.constant(factor, self.dtypes[x], "scale")])

    # ---- the model ---------------------------------------------------------------------------

    def model(self, inputs: list, outputs: list, extra_inputs: list, export_params: bool) -> onnx.ModelProto:
        """`inputs`/`outputs`: ValueInfoProtos; `extra_inputs`: initializer names also listed as
        graph inputs (keep_initializers_as_inputs, or every parameter when not exporting them)."""
        listed = {vi.name for vi in inputs}
        graph_inputs = list(inputs)
        for name in extra_inputs:
            if name not in listed:
                tensor = self.initializers[name]
                graph_inputs.append(helper.make_tensor_value_info(name, tensor.data_type, list(tensor.dims)))
        initializers = list(self.initializers.values())
        if not export_params:
            initializers = [t for t in initializers if t.name not in set(extra_inputs)]
        graph = helper.make_graph(self.nodes, "memograd", graph_inputs, outputs, initializer=initializers)
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="memograd",
                                  ir_version=helper.find_min_ir_version_for(opsets))
        return model


def value_info(name: str, dtype, shape, dynamic: dict) -> onnx.ValueInfoProto:
    """A graph input or output: `dynamic` maps axis -> symbolic name for the axes left free."""
    dims = [dynamic.get(axis, n) for axis, n in enumerate(shape)]
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), dims)
