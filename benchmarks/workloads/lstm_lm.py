"""W7: an LSTM language model's training step, written as PyTorch's word_language_model
example writes it: embedding, nn.LSTM, linear decoder, cross-entropy over every position,
truncated backprop through time (the hidden state carried, detached, from one batch to the
next), gradient clipping, SGD. memograd and torch run this same code.

    2 layers, embedding and hidden 256, sequence 35, batch 20, vocabulary 1,000, float32,
    clip_grad_norm_ 0.25, SGD lr 20 (the example's settings)

Weights: memograd's own init (seeded), copied by name into the torch model."""
from __future__ import annotations

import numpy as np

from .steps import TrainStep

LAYERS, HIDDEN, SEQ, BATCH, VOCAB = 2, 256, 35, 20, 1000
LR, CLIP = 20.0, 0.25


def lstm_model(lib, vocab: int = VOCAB, hidden: int = HIDDEN, layers: int = LAYERS):
    nn = lib.nn

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(vocab, hidden)
            self.rnn = nn.LSTM(hidden, hidden, layers)
            self.decoder = nn.Linear(hidden, vocab)

        def forward(self, input, state):
            output, state = self.rnn(self.encoder(input), state)
            return self.decoder(output), state

    return RNNModel()


def lstm_weights(mg) -> dict:
    mg.manual_seed(0)
    return {name: p.detach().numpy().copy() for name, p in lstm_model(mg).named_parameters()}


def lstm_data(rng, seq: int = SEQ, batch: int = BATCH, vocab: int = VOCAB) -> tuple:
    """(seq, batch) input ids and the next-token targets, sequence-first as the example."""
    stream = rng.integers(0, vocab, (seq + 1, batch)).astype(np.int64)
    return stream[:-1].copy(), stream[1:].copy()


class LSTMStep(TrainStep):
    """One batch of truncated BPTT; the detached final state is the next call's start."""

    clip = CLIP

    def __init__(self, lib, model, x, y, lr: float = LR):
        super().__init__(lib, model, x, y, lib.optim.SGD(model.parameters(), lr=lr))
        self.reset_state()

    def reset_state(self) -> None:
        zeros = self.lib.zeros(LAYERS, self.x.shape[1], HIDDEN)
        self.h, self.c = zeros, zeros.clone()

    def inputs(self) -> tuple:
        return self.x, self.y, self.h, self.c

    def loss(self, x, y, h, c):
        output, (h, c) = self.model(x, (h, c))
        self.state = h.detach(), c.detach()
        return self.lib.nn.functional.cross_entropy(output.view(-1, output.size(-1)), y.view(-1))

    def run(self, x, y, h, c):
        loss = TrainStep.run(self, x, y, h, c)
        return loss, self.state[0], self.state[1]

    def carry(self, result):
        loss, self.h, self.c = result
        return loss
