"""memograd.onnx.export: the exported file, run by onnxruntime, computes what memograd's
forward computes (to 1e-5), also at batch sizes other than the traced one."""
import io

import numpy as np
import pytest

import memograd
from memograd import nn
from memograd.nn import functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def export_and_load(model, x, **options):
    """Export with a free batch axis; return (ModelProto, onnxruntime session)."""
    buffer = io.BytesIO()
    options.setdefault("dynamic_axes", {"x": {0: "batch"}, "y": {0: "batch"}})
    proto = memograd.onnx.export(model, (x,), buffer, input_names=["x"], output_names=["y"], **options)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    return proto, session


def assert_same_outputs(model, session, *inputs):
    model.eval()
    for x in inputs:
        with memograd.no_grad():
            expected = model(x).numpy()
        (got,) = session.run(None, {"x": x.numpy()})
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def warm_up(model, x):
    """One training-mode forward, so batch norms hold running statistics other than 0 and 1."""
    model.train()
    model(x)


def test_mlp_with_every_activation_matches_onnxruntime():
    model = nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.BatchNorm1d(16),
        nn.Linear(16, 12), nn.GELU(), nn.Linear(12, 12), nn.GELU(approximate="tanh"), nn.Linear(12, 10), nn.Tanh(),
        nn.Linear(10, 10), nn.Sigmoid(), nn.Linear(10, 6), nn.Softplus(beta=2.0, threshold=1.0), nn.Identity(),
        nn.Linear(6, 5), nn.LogSoftmax(dim=1),
    )
    warm_up(model, memograd.randn(32, 8) * 3)
    proto, session = export_and_load(model, memograd.randn(4, 8))
    assert_same_outputs(model, session, memograd.randn(4, 8) * 3, memograd.randn(11, 8) * 3)
    ops = {n.op_type for n in proto.graph.node}
    assert {"Gemm", "Relu", "LeakyRelu", "BatchNormalization", "Erf", "Tanh", "Sigmoid", "Softplus",
            "LogSoftmax"} <= ops
    assert "Dropout" not in ops  # identity in eval: nothing recorded


def test_cnn_with_pooling_and_batchnorm_matches_onnxruntime():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding="same", bias=False), nn.BatchNorm2d(6, affine=False), nn.ReLU(),
        nn.AvgPool2d(2), nn.Dropout(0.5), nn.Flatten(), nn.Linear(6 * 2 * 2, 5), nn.Softmax(dim=1),
    )
    warm_up(model, memograd.randn(16, 1, 8, 8))
    proto, session = export_and_load(model, memograd.randn(3, 1, 8, 8))
    assert_same_outputs(model, session, memograd.randn(3, 1, 8, 8), memograd.randn(7, 1, 8, 8))
    assert [n.op_type for n in proto.graph.node].count("Conv") == 2
    (x_in,) = proto.graph.input
    assert x_in.type.tensor_type.shape.dim[0].dim_param == "batch"


def test_pooling_settings_match_onnxruntime():
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1), nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        nn.Conv2d(3, 3, 2, dilation=2, padding=2), nn.MaxPool2d(2, stride=1, dilation=2),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), nn.AvgPool2d(2, divisor_override=3),
    )
    _, session = export_and_load(model, memograd.randn(2, 2, 13, 13))
    assert_same_outputs(model, session, memograd.randn(2, 2, 13, 13), memograd.randn(5, 2, 13, 13))


class TokenClassifier(nn.Module):
    """Embedding + LayerNorm, then mean pooling over the tokens and a residual MLP head."""

    def __init__(self, vocab=20, dim=8, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.norm = nn.LayerNorm(dim)
        self.block = nn.Sequential(nn.Linear(dim, dim), nn.GELU())
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.norm(self.embed(tokens))   # (N, L, D)
        h = h + self.block(h)               # a Linear on a 3-D input, and a residual add
        return self.head(h.mean(dim=1))


def test_embedding_layernorm_model_matches_onnxruntime():
    model = TokenClassifier()
    tokens = memograd.randint(0, 20, (4, 6))
    proto, session = export_and_load(model, tokens)
    assert_same_outputs(model, session, memograd.randint(0, 20, (4, 6)), memograd.randint(0, 20, (9, 6)))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Gather", "LayerNormalization", "MatMul", "ReduceMean"} <= ops
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


class Glue(nn.Module):
    """A forward made of functional calls and tensor methods between layers."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.scale = nn.Parameter(memograd.ones(4, 1, 1) * 0.5)
        self.unflatten = nn.Unflatten(1, (4, 4))
        self.fc = nn.Linear(32, 6)

    def forward(self, x):
        h = F.relu(self.conv(x)) * self.scale                  # a parameter in the glue
        h = F.max_pool2d(h, 2) + F.avg_pool2d(h, 2) / 2.0      # functional pooling, a constant divisor
        h = h.view(h.shape[0], -1)                             # (N, 16): the traced batch size must not stick
        h = self.unflatten(h).permute(0, 2, 1)                 # (N, 4, 4)
        h = memograd.cat([h, h[:, 1:3].sum(dim=1, keepdim=True).exp().sqrt().expand(-1, 4, 4)], dim=1)
        y = self.fc(h.reshape(h.shape[0], -1))
        return F.log_softmax(F.gelu(y) - y.amax(dim=1, keepdim=True), dim=-1)


@pytest.mark.parametrize("opset", [17, 18, 20])
def test_glue_between_layers_matches_onnxruntime(opset):
    model = Glue()
    _, session = export_and_load(model, memograd.randn(3, 2, 4, 4), opset_version=opset)
    assert_same_outputs(model, session, memograd.randn(3, 2, 4, 4), memograd.randn(6, 2, 4, 4))


class DoubledLinear(nn.Linear):
    """A layer subclass with its own forward: traced op by op, not translated whole."""

    def forward(self, input):
        return super().forward(input) * 2.0


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = DoubledLinear(5, 4)
        self.left, self.right = nn.Linear(4, 2), nn.Linear(4, 3)

    def forward(self, x):
        h = F.tanh(self.body(x))
        return self.left(h), F.softmax(self.right(h), dim=1)


def test_subclass_forward_and_several_outputs():
    model = TwoHeads()
    buffer = io.BytesIO()
    memograd.onnx.export(model, (memograd.randn(2, 5),), buffer, output_names=["a", "b"],
                         dynamic_axes={"input": [0], "a": [0], "b": [0]})
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    x = memograd.randn(7, 5)
    got = session.run(["a", "b"], {"input": x.numpy()})
    with memograd.no_grad():
        expected = model(x)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-5, atol=1e-6)


def test_initializers_carry_state_dict_names(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    path = tmp_path / "model.onnx"
    memograd.onnx.export(model, memograd.randn(2, 4), str(path))
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    for name, value in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        np.testing.assert_array_equal(stored[name], value.numpy())
    assert [i.name for i in proto.graph.input] == ["input"] and [o.name for o in proto.graph.output] == ["output"]


def test_parameters_as_inputs_when_asked():
    model = nn.Sequential(nn.Linear(4, 3))
    kept = memograd.onnx.export(model, memograd.randn(2, 4), keep_initializers_as_inputs=True)
    assert [i.name for i in kept.graph.input] == ["input", "0.weight", "0.bias"]
    assert len(kept.graph.initializer) == 2
    bare = memograd.onnx.export(model, memograd.randn(2, 4), export_params=False)
    assert [i.name for i in bare.graph.input] == ["input", "0.weight", "0.bias"]
    assert len(bare.graph.initializer) == 0


def test_export_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Dropout(), nn.Linear(3, 2))
    model[0].weight.requires_grad_(False)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    memograd.onnx.export(model, memograd.randn(5, 4))
    assert model.training and all(m.training for m in model.modules())
    assert not model[0].weight.requires_grad and model[3].weight.requires_grad
    assert not model[1].running_mean.requires_grad
    assert all(p.grad is None for p in model.parameters())
    assert all(np.array_equal(before[k], v.numpy()) for k, v in model.state_dict().items())
    assert "forward" not in model[0].__dict__


class WithProd(nn.Module):
    def forward(self, x):
        return x.prod(dim=1)


class WithConstantAdd(nn.Module):
    def forward(self, x):
        return x + 1.0


class WithFunctionalLeakyRelu(nn.Module):
    def forward(self, x):
        return F.leaky_relu(x, 0.3)


@pytest.mark.parametrize("model, op", [(WithProd(), "Prod"), (WithConstantAdd(), "Add"),
                                       (WithFunctionalLeakyRelu(), "LeakyRelu")])
def test_an_op_without_translation_is_named(model, op):
    with pytest.raises(NotImplementedError, match=f"the op {op} "):
        memograd.onnx.export(model, memograd.randn(2, 3))


def test_bad_opset_is_refused():
    with pytest.raises(ValueError, match="opset_version"):
        memograd.onnx.export(nn.Linear(2, 2), memograd.randn(1, 2), opset_version=11)


def test_onnx_is_an_attribute_of_memograd():
    assert memograd.onnx.export is not None


class FunctionalAttentionBlock(nn.Module):
    """layer_norm, causal scaled_dot_product_attention and GELU called as functions: each is one
    fused op in memograd's graph, translated to ONNX nodes."""

    def __init__(self):
        super().__init__()
        self.weight, self.bias = nn.Parameter(memograd.rand(8) + 0.5), nn.Parameter(memograd.randn(8))
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        n, t, c = x.shape
        q, k, v = self.qkv(F.layer_norm(x, (8,), self.weight, self.bias)).split(8, dim=2)
        q, k, v = (z.reshape(n, t, 2, 4).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(n, t, c)
        return F.gelu(y) + x


def test_fused_functional_ops_match_onnxruntime():
    model = FunctionalAttentionBlock()
    _, session = export_and_load(model, memograd.randn(2, 5, 8), dynamic_axes={})
    assert_same_outputs(model, session, memograd.randn(2, 5, 8))
