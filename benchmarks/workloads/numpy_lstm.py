"""W7's step written by hand in NumPy (the floor): the LSTM language model of lstm_lm.py.

Per layer, the input projection of the whole sequence is one matmul (both biases folded in),
each time step one (N, H) x (H, 4H) matmul and the gate arithmetic on the (N, 4H) block.
Backward through time keeps the pre-activation gradients of every step in one (L, N, 4H)
array, so the weight gradients and the input gradient are each one matmul over the
sequence. Then global-norm clipping and SGD in place. Sigmoid is written through tanh as
memograd and PyTorch compute it."""
from __future__ import annotations

import numpy as np

from .numpy_mlp import cross_entropy_backward, cross_entropy_forward


def sigmoid_(x):
    """In place: 1/(1+e^-x) = 0.5 + 0.5 tanh(x/2)."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


class NumpyLSTM:
    def __init__(self, arrays: dict, x: np.ndarray, y: np.ndarray, layers: int, hidden: int, lr: float, clip: float):
        self.p = {k: v.copy() for k, v in arrays.items()}
        self.x, self.y, self.layers, self.hidden, self.lr, self.clip = x, y.reshape(-1), layers, hidden, lr, clip
        self.rows = np.arange(self.y.size)
        self.h = np.zeros((layers, x.shape[1], hidden), np.float32)
        self.c = np.zeros_like(self.h)

    def layer_forward(self, k: int, seq: np.ndarray, h, c) -> tuple:
        p, H = self.p, self.hidden
        length, n = seq.shape[:2]
        gates = seq.reshape(length * n, -1) @ p[f"rnn.weight_ih_l{k}"].T
        gates += p[f"rnn.bias_ih_l{k}"] + p[f"rnn.bias_hh_l{k}"]
        gates = gates.reshape(length, n, 4 * H)
        w_hh_t = p[f"rnn.weight_hh_l{k}"].T
        hs = np.empty((length + 1, n, H), np.float32)  # hs[0] = h0, hs[t + 1] = h_t
        cs = np.empty((length + 1, n, H), np.float32)
        tcs = np.empty((length, n, H), np.float32)     # tanh(c_t)
        hs[0], cs[0] = h, c
        for t in range(length):
            a = gates[t]  # becomes the activated gates i, f, g, o
            a += hs[t] @ w_hh_t
            sigmoid_(a[:, :2 * H])
            np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            sigmoid_(a[:, 3 * H:])
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g
            np.tanh(cs[t + 1], out=tcs[t])
            np.multiply(o, tcs[t], out=hs[t + 1])
        return hs, cs, tcs, gates

    def layer_backward(self, k: int, seq, saved, d_out) -> np.ndarray:
        """d_out (L, N, H): the gradient of the layer's outputs; returns the input's gradient."""
        p, H = self.p, self.hidden
        hs, cs, tcs, gates = saved
        length, n = d_out.shape[:2]
        w_hh = p[f"rnn.weight_hh_l{k}"]
        d_gates = np.empty_like(gates)
        dh = np.zeros((n, H), np.float32)
        dc = np.zeros((n, H), np.float32)
        for t in range(length - 1, -1, -1):
            a = gates[t]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            dh += d_out[t]
            tc = tcs[t]
            dc += dh * o * (1 - tc * tc)
            d = d_gates[t]
            np.multiply(dc, g * i * (1 - i), out=d[:, :H])
            np.multiply(dc, cs[t] * f * (1 - f), out=d[:, H:2 * H])
            np.multiply(dc, i * (1 - g * g), out=d[:, 2 * H:3 * H])
            np.multiply(dh, tc * o * (1 - o), out=d[:, 3 * H:])
            dc *= f
            dh = d @ w_hh
        flat = d_gates.reshape(length * n, 4 * H)
        self.g[f"rnn.weight_hh_l{k}"] = flat.T @ hs[:-1].reshape(length * n, H)
        self.g[f"rnn.weight_ih_l{k}"] = flat.T @ seq.reshape(length * n, -1)
        bias = flat.sum(axis=0)
        self.g[f"rnn.bias_ih_l{k}"], self.g[f"rnn.bias_hh_l{k}"] = bias, bias.copy()
        return (flat @ p[f"rnn.weight_ih_l{k}"]).reshape(length, n, -1)

    def __call__(self) -> float:
        p = self.p
        self.g = {}
        seq = p["encoder.weight"][self.x]  # (L, N, H)
        inputs, saved, hn, cn = [], [], [], []
        for k in range(self.layers):
            inputs.append(seq)
            s = self.layer_forward(k, seq, self.h[k], self.c[k])
            saved.append(s)
            hn.append(s[0][-1])
            cn.append(s[1][-1])
            seq = s[0][1:]
        flat = seq.reshape(-1, self.hidden)
        logits = flat @ p["decoder.weight"].T
        logits += p["decoder.bias"]
        loss, probs = cross_entropy_forward(logits, self.y, self.rows)
        g = cross_entropy_backward(probs, self.y, self.rows)
        self.g["decoder.weight"], self.g["decoder.bias"] = g.T @ flat, g.sum(axis=0)
        d = (g @ p["decoder.weight"]).reshape(seq.shape)
        for k in range(self.layers - 1, -1, -1):
            d = self.layer_backward(k, inputs[k], saved[k], d)
        emb = np.zeros_like(p["encoder.weight"])
        np.add.at(emb, self.x.reshape(-1), d.reshape(-1, self.hidden))
        self.g["encoder.weight"] = emb
        # clip_grad_norm_ (each gradient's squared norm one float32 dot, summed as Python floats), then SGD
        total = sum(float(np.dot(v.reshape(-1), v.reshape(-1))) for v in self.g.values()) ** 0.5
        coef = self.clip / (total + 1e-6)
        for name, grad in self.g.items():
            if coef < 1.0:
                grad *= np.float32(coef)
            grad *= self.lr
            p[name] -= grad
        self.h, self.c = np.stack(hn), np.stack(cn)
        return float(loss)

    def loss_value(self, loss) -> float:
        return float(loss)
