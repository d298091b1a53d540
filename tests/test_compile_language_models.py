"""memograd.compile on language-model steps (benchmarks W6 and W7 in small): a GPT block's
fused ops with AdamW, and an LSTM language model with gradient clipping and the hidden state
carried from step to step, replay bit for bit what eager computes. A replay frees its arrays
as eager does."""
import io

import numpy as np

import memograd as mg
import memograd.nn.functional as F
from memograd import nn, optim

VOCAB, EMBED, CONTEXT = 11, 8, 6


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, EMBED), nn.Embedding(CONTEXT, EMBED)
        self.ln_1, self.ln_2 = nn.LayerNorm(EMBED), nn.LayerNorm(EMBED)
        self.c_attn, self.c_proj = nn.Linear(EMBED, 3 * EMBED), nn.Linear(EMBED, EMBED)
        self.mlp = nn.Sequential(nn.Linear(EMBED, 4 * EMBED), nn.GELU(), nn.Linear(4 * EMBED, EMBED))
        self.head = nn.Linear(EMBED, VOCAB, bias=False)

    def forward(self, idx):
        b, t = idx.shape
        x = self.wte(idx) + self.wpe(mg.arange(t))
        q, k, v = self.c_attn(self.ln_1(x)).split(EMBED, dim=2)
        q, k, v = (z.view(b, t, 2, EMBED // 2).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(b, t, EMBED)
        x = x + self.c_proj(y)
        x = x + self.mlp(self.ln_2(x))
        return self.head(x)


class TinyLSTMLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.rnn, self.decoder = nn.Embedding(VOCAB, EMBED), nn.LSTM(EMBED, EMBED, 2), nn.Linear(EMBED, VOCAB)

    def forward(self, idx, state):
        out, state = self.rnn(self.encoder(idx), state)
        return self.decoder(out), state


def token_batches(n, shape, seed=3):
    rng = np.random.default_rng(seed)
    return [(mg.tensor(rng.integers(0, VOCAB, shape)), mg.tensor(rng.integers(0, VOCAB, shape))) for _ in range(n)]


def train_gpt(compiled):
    mg.manual_seed(0)
    model = TinyGPT()
    opt = optim.AdamW(model.parameters(), lr=1e-2)

    def step(x, y):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, VOCAB), y.view(-1))
        loss.backward()
        opt.step()
        return loss

    run = mg.compile(step) if compiled else step
    losses = [run(x, y)._data.copy() for x, y in token_batches(6, (3, CONTEXT))]
    return losses, model, run


def train_lstm(compiled):
    mg.manual_seed(0)
    model = TinyLSTMLM()
    opt = optim.SGD(model.parameters(), lr=1.0)

    def step(x, y, h, c):
        opt.zero_grad()
        out, (h, c) = model(x, (h, c))
        loss = F.cross_entropy(out.view(-1, VOCAB), y.view(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        opt.step()
        return loss, h.detach(), c.detach()

    run = mg.compile(step) if compiled else step
    h = c = mg.zeros(2, 3, EMBED)
    losses = []
    for x, y in token_batches(6, (5, 3)):
        loss, h, c = run(x, y, h, c)
        losses.append(loss._data.copy())
    return losses + [h._data.copy(), c._data.copy()], model, run


def assert_bit_for_bit(train):
    eager, eager_model, _ = train(False)
    replayed, model, run = train(True)
    assert run.replaying
    assert [a.tobytes() for a in replayed] == [a.tobytes() for a in eager]
    for p, q in zip(model.parameters(), eager_model.parameters()):
        assert p._data.tobytes() == q._data.tobytes()
        assert p.grad._data.tobytes() == q.grad._data.tobytes()
    return run


def test_gpt_step_with_fused_ops_replays_bit_for_bit():
    run = assert_bit_for_bit(train_gpt)
    assert {"ScaledDotProductAttention", "LayerNorm", "FusedGelu"} <= set(run.programs[0].names)


def test_lstm_step_with_clipping_and_carried_state_replays_bit_for_bit():
    run = assert_bit_for_bit(train_lstm)
    buffer = io.StringIO()
    run.print_program(file=buffer)
    assert "_scale_to_norm(" in buffer.getvalue()  # clipping is one step of the program, rerun on each replay


def test_replay_deletes_arrays_after_their_last_use_and_drops_saved_values():
    *_, run = train_gpt(True)
    source = run.programs[0].source()
    assert "\n    del v" in source
    ctxs = [value for name, value in run.programs[0].names.items() if name.startswith("c") and name[1:].isdigit()]
    assert ctxs and all(not ctx.saved for ctx in ctxs if hasattr(ctx, "saved"))
