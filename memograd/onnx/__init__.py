"""memograd.onnx: export a model to ONNX for deployment, as `torch.onnx.export`.

    import memograd as torch
    torch.onnx.export(model, (x,), "model.onnx", input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})

Needs the `onnx` package (`pip install memograd[onnx]`). How it works: one forward is traced
in eval mode; the layers in `layers.LAYERS` become their ONNX operators, read from their
attributes, and the ops recorded between them (`ops.OPS`) are translated one by one.
An op without a translation raises NotImplementedError naming it."""
from .export import export

__all__ = ["export"]
