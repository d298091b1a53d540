"""W6: a GPT-style language model's training step, written as nanoGPT writes it (a hand-written
pre-norm block around `F.scaled_dot_product_attention(..., is_causal=True)`, GELU MLP,
LayerNorm, AdamW). memograd and torch run this same code (`lib` is either module).

    4 layers, 4 heads, embedding 128, context 64, batch 32, vocabulary 65, float32

Weights: memograd's own init (seeded), copied by name into the torch model, so both start
from the same numbers; the data are random token ids (a fixed batch)."""
from __future__ import annotations

import numpy as np

from .steps import TrainStep

LAYERS, HEADS, EMBED, CONTEXT, BATCH, VOCAB = 4, 4, 128, 64, 32, 65
LR = 1e-3


def gpt_model(lib, layers: int = LAYERS, heads: int = HEADS, embed: int = EMBED, context: int = CONTEXT,
              vocab: int = VOCAB):
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(embed, 3 * embed)
            self.c_proj = nn.Linear(embed, embed)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(embed, dim=2)
            q = q.view(B, T, heads, C // heads).transpose(1, 2)  # (B, heads, T, head size)
            k = k.view(B, T, heads, C // heads).transpose(1, 2)
            v = v.view(B, T, heads, C // heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(embed, 4 * embed)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * embed, embed)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(embed)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(embed)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, embed)
            self.wpe = nn.Embedding(context, embed)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(embed)
            self.lm_head = nn.Linear(embed, vocab, bias=False)

        def forward(self, idx):
            T = idx.size(1)
            pos = lib.arange(0, T, dtype=lib.long)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return GPT()


def gpt_weights(mg) -> dict:
    """{name: array} from a seeded memograd model (PyTorch's default inits)."""
    mg.manual_seed(0)
    return {name: p.detach().numpy().copy() for name, p in gpt_model(mg).named_parameters()}


def gpt_data(rng, batch: int = BATCH, context: int = CONTEXT, vocab: int = VOCAB) -> tuple:
    x = rng.integers(0, vocab, (batch, context)).astype(np.int64)
    y = rng.integers(0, vocab, (batch, context)).astype(np.int64)
    return x, y


def load_named(lib, model, arrays: dict) -> None:
    params = dict(model.named_parameters())
    if set(params) != set(arrays):
        raise ValueError(f"parameter names differ: {sorted(set(params) ^ set(arrays))}")
    with lib.no_grad():
        for name, p in params.items():
            p.copy_(lib.from_numpy(arrays[name].copy()))


class GPTStep(TrainStep):
    """logits -> cross-entropy over every position, zero_grad, backward, AdamW."""

    def __init__(self, lib, model, x, y, lr: float = LR):
        super().__init__(lib, model, x, y, lib.optim.AdamW(model.parameters(), lr=lr))

    def loss(self, x, y):
        logits = self.model(x)
        return self.lib.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
