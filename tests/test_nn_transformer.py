"""nn.TransformerEncoderLayer/Encoder, DecoderLayer/Decoder and Transformer: float64 finite
differences, values and every gradient against PyTorch from the same weights, and a tiny
character-level GPT trained for a few AdamW steps in both libraries from the same start."""
import math

import numpy as np
import pytest
from helpers import check_gradgrad
from module_parity import assert_same_as_torch, copy_weights, module_pair

import memograd as mg
from memograd import nn

# PyTorch's own warnings about its inference fast paths and about bool padding masks next to
# float attention masks (which both libraries accept and merge the same way).
pytestmark = [pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")]


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def causal(size):
    return np.triu(np.full((size, size), -np.inf), 1)


def grad_check(module, *inputs, **kwargs):
    """gradcheck a module's output w.r.t. its float inputs and all its parameters, in float64."""
    module.double()
    params = list(module.parameters())
    assert mg.autograd.gradcheck(lambda *xs: module(*xs[:len(inputs)], **kwargs), list(inputs) + params)


# ---- generate_square_subsequent_mask, construction ---------------------------------------------------


def test_square_subsequent_mask_is_minus_inf_above_the_diagonal():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == mg.float32 and mask.shape == (4, 4)
    np.testing.assert_array_equal(mask.numpy(), causal(4))
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=mg.float64).dtype == mg.float64
    bool_mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=mg.bool).numpy()
    np.testing.assert_array_equal(bool_mask, np.triu(np.ones((3, 3), dtype=bool), 1))


def test_encoder_deep_copies_its_layer_and_activation_names_are_checked():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert len(encoder.layers) == 3 and all(copy is not layer for copy in encoder.layers)
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second and np.array_equal(first.detach().numpy(), second.detach().numpy())
    assert layer.activation is nn.functional.relu and layer.activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_transformer_parameters_and_init_follow_pytorch():
    torch = pytest.importorskip("torch")
    kwargs = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 16}
    ours, theirs = nn.Transformer(**kwargs), torch.nn.Transformer(**kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    for name, p in ours.named_parameters():  # xavier_uniform_ on every matrix
        w = p.detach().numpy()
        if w.ndim > 1:
            assert np.abs(w).max() <= math.sqrt(6 / sum(w.shape)), name


# ---- finite differences --------------------------------------------------------------------------------


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradients_match_finite_differences(norm_first):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu", norm_first=norm_first)
    grad_check(layer, mg.tensor(randn(3, 2, 4), requires_grad=True), src_mask=causal(3))


def test_encoder_layer_second_derivatives_match_finite_differences():
    # Composed from differentiable ops, so create_graph=True gradients are right too.
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu").double()
    check_gradgrad(lambda x: layer(x, src_mask=causal(3), src_key_padding_mask=np.array([[0, 0, 1]], bool)),
                   (3, 1, 4))


def test_decoder_layer_gradients_match_finite_differences():
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True)
    tgt, memory = mg.tensor(randn(1, 3, 4), requires_grad=True), mg.tensor(randn(1, 2, 4, seed=1), requires_grad=True)
    grad_check(layer, tgt, memory, tgt_mask=causal(3))


# ---- against PyTorch ---------------------------------------------------------------------------------

PADDING = np.array([[False, False, False, True], [False, False, False, False]])


def _layout(batch_first, length, seed, features=4):
    return randn(*((2, length, features) if batch_first else (length, 2, features)), seed=seed)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu-module"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first):
    torch = pytest.importorskip("torch")

    def make(lib):
        act = lib.nn.GELU(approximate="tanh") if activation == "gelu-module" else activation
        return lib.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation=act, batch_first=batch_first,
                                              norm_first=norm_first)  # default dropout: off in eval mode

    ours, theirs = module_pair(make(mg), make(torch))
    src = _layout(batch_first, 4, 1)
    assert_same_as_torch(ours, theirs, (src,), {"src_mask": causal(4), "src_key_padding_mask": PADDING})
    assert_same_as_torch(ours, theirs, (src,), {"src_mask": causal(4), "is_causal": True})


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(norm_first):
    torch = pytest.importorskip("torch")

    def make(lib):
        return lib.nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu",
                                              batch_first=True, norm_first=norm_first)

    ours, theirs = module_pair(make(mg), make(torch), train=True)
    tgt, memory = _layout(True, 3, 1), _layout(True, 4, 2)
    assert_same_as_torch(ours, theirs, (tgt, memory), {
        "tgt_mask": causal(3), "memory_mask": randn(3, 4, seed=3) > 1, "tgt_key_padding_mask": PADDING[:, 1:],
        "memory_key_padding_mask": PADDING})


def test_encoder_with_final_norm_matches_torch():
    torch = pytest.importorskip("torch")

    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(4), enable_nested_tensor=False)

    ours, theirs = module_pair(make(mg), make(torch), train=True)
    for p in ours.parameters():  # the layers start equal (deep copies): make them differ
        p.data.copy_(randn(*p.shape, seed=p.numel()) * 0.5)
    copy_weights(ours, theirs)
    src = _layout(False, 4, 1)
    assert_same_as_torch(ours, theirs, (src,), {"mask": causal(4), "src_key_padding_mask": PADDING})
    assert_same_as_torch(ours, theirs, (src,), {"mask": causal(4)})  # detected as causal


@pytest.mark.parametrize("padding", [PADDING, PADDING[:, ::-1].copy()], ids=["trailing", "leading"])
def test_encoder_inference_with_padding_matches_torch_nested_tensor_path(padding):
    # PyTorch packs the sequences without padding here (eval, no grad, batch_first, post-norm):
    # padded positions come out of the layers as 0, unless the padding is not at the end.
    torch = pytest.importorskip("torch")

    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, batch_first=True)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(4))

    ours, theirs = module_pair(make(mg), make(torch))
    src = _layout(True, 4, 1)
    with torch.no_grad():
        expected = theirs(torch.tensor(src), src_key_padding_mask=torch.tensor(padding)).numpy()
    with mg.no_grad():
        out = ours(mg.tensor(src), src_key_padding_mask=padding).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-10)


def test_unbatched_transformer_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = module_pair(nn.Transformer(4, 2, 1, 1, 6), torch.nn.Transformer(4, 2, 1, 1, 6))
    assert_same_as_torch(ours, theirs, (randn(5, 4, seed=1), randn(3, 4, seed=2)),
                         {"src_key_padding_mask": np.array([0, 0, 0, 1, 1], dtype=bool), "tgt_mask": causal(3)})


def test_decoder_stack_matches_torch():
    torch = pytest.importorskip("torch")

    def make(lib):
        layer = lib.nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=True)
        return lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(4))

    ours, theirs = module_pair(make(mg), make(torch))
    assert_same_as_torch(ours, theirs, (_layout(False, 3, 1), _layout(False, 4, 2)),
                         {"tgt_mask": causal(3), "memory_key_padding_mask": PADDING})


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    torch = pytest.importorskip("torch")

    def make(lib):
        return lib.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=6,
                                  dropout=0.1, batch_first=batch_first)

    ours, theirs = module_pair(make(mg), make(torch))
    src, tgt = _layout(batch_first, 4, 1), _layout(batch_first, 3, 2)
    assert_same_as_torch(ours, theirs, (src, tgt), {
        "tgt_mask": nn.Transformer.generate_square_subsequent_mask(3, dtype=mg.float64).numpy(),
        "src_key_padding_mask": PADDING, "memory_key_padding_mask": PADDING})


def test_transformer_checks_batch_and_feature_sizes():
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=6)
    with pytest.raises(RuntimeError, match="batch number"):
        model(mg.randn(3, 2, 4), mg.randn(3, 1, 4))
    with pytest.raises(RuntimeError, match="feature number"):
        model(mg.randn(3, 2, 4), mg.randn(3, 2, 5))


# ---- a tiny GPT, trained in both libraries ------------------------------------------------------------


def make_gpt(lib, vocab, block, d_model=16):
    """Token and position embeddings, a causal TransformerEncoder (pre-norm) and a Linear head;
    the same code builds it with memograd or with PyTorch."""

    class TinyGPT(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = lib.nn.Embedding(vocab, d_model)
            self.pos = lib.nn.Embedding(block, d_model)
            layer = lib.nn.TransformerEncoderLayer(d_model, 2, dim_feedforward=32, dropout=0.0, activation="gelu",
                                                   batch_first=True, norm_first=True)
            self.blocks = lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(d_model),
                                                    enable_nested_tensor=False)
            self.head = lib.nn.Linear(d_model, vocab)

        def forward(self, idx):
            length = idx.shape[1]
            x = self.tok(idx) + self.pos(lib.arange(length))
            mask = lib.nn.Transformer.generate_square_subsequent_mask(length)
            return self.head(self.blocks(x, mask=mask, is_causal=True))

    return TinyGPT()


def train_gpt(lib, model, batches, vocab):
    optimizer = lib.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    losses = []
    for x, y in batches:
        logits = model(lib.tensor(x))
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, vocab), lib.tensor(y).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_char_gpt_trains_like_torch():
    torch = pytest.importorskip("torch")
    text = "hello memograd, hello backprop; the chain rule, stored once, runs backwards. "
    chars = sorted(set(text))
    data = np.array([chars.index(c) for c in text])
    vocab, block = len(chars), 8
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(5):
        starts = rng.integers(0, len(data) - block - 1, size=4)
        batches.append((np.stack([data[s:s + block] for s in starts]),
                        np.stack([data[s + 1:s + block + 1] for s in starts])))
    ours, theirs = make_gpt(mg, vocab, block), make_gpt(torch, vocab, block)
    copy_weights(ours, theirs)
    losses_ours = train_gpt(mg, ours, batches, vocab)
    losses_theirs = train_gpt(torch, theirs, batches, vocab)
    np.testing.assert_allclose(losses_ours, losses_theirs, atol=1e-4)
    assert losses_ours[-1] < losses_ours[0]
