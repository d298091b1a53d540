"""W6's step written by hand in NumPy (the floor): the GPT of gpt.py, forward, backward and
AdamW, with every rule written for this network (no graph, no dispatch).

Attention keeps the (B, heads, T, T) probabilities for the backward and works on the
q, k, v views of the packed projection; LayerNorm keeps the normalised input and 1/std;
GELU keeps its input and Phi(x). Phi is memograd's float32 one (`erf_float32.normal_cdf`), so
that this floor measures the framework around the arithmetic rather than two erf codes."""
from __future__ import annotations

import math

import numpy as np

from memograd.ops.erf_float32 import normal_cdf

from .gpt import EMBED, HEADS, LAYERS, LR
from .numpy_mlp import cross_entropy_backward, cross_entropy_forward

EPS = 1e-5
BETAS, ADAM_EPS, WEIGHT_DECAY = (0.9, 0.999), 1e-8, 0.01


def layer_norm(x, w, b):
    mean = x.mean(axis=-1, keepdims=True)
    xc = x - mean
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + EPS)
    xc *= rstd
    out = xc * w
    out += b
    return out, (xc, rstd, w)


def layer_norm_backward(dy, saved):
    xhat, rstd, w = saved
    dw = (dy * xhat).reshape(-1, xhat.shape[-1]).sum(axis=0)
    db = dy.reshape(-1, dy.shape[-1]).sum(axis=0)
    dxhat = dy * w
    dx = dxhat - dxhat.mean(axis=-1, keepdims=True)
    dx -= xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
    dx *= rstd
    return dx, dw, db


def gelu(x):
    cdf = normal_cdf(x)
    return x * cdf, (x, cdf)


def gelu_backward(dy, saved):
    x, cdf = saved
    pdf = np.exp(x * x * np.float32(-0.5))
    pdf *= np.float32(1 / math.sqrt(2 * math.pi))
    pdf *= x
    pdf += cdf
    pdf *= dy
    return pdf


class NumpyGPT:
    def __init__(self, arrays: dict, x: np.ndarray, y: np.ndarray, lr: float = LR):
        self.p = {k: v.copy() for k, v in arrays.items()}
        self.m = {k: np.zeros_like(v) for k, v in arrays.items()}
        self.v = {k: np.zeros_like(v) for k, v in arrays.items()}
        self.x, self.y, self.lr, self.t = x, y.reshape(-1), lr, 0
        self.rows = np.arange(self.y.size)
        batch, context = x.shape
        causal = np.triu(np.ones((context, context), dtype=bool), k=1)
        self.masked = np.broadcast_to(causal, (batch, HEADS, context, context))

    def attention(self, k: int, x):
        p, (B, T), C = self.p, self.x.shape, EMBED
        hd = C // HEADS
        qkv = x @ p[f"h.{k}.attn.c_attn.weight"].T
        qkv += p[f"h.{k}.attn.c_attn.bias"]
        heads = qkv.reshape(B, T, 3, HEADS, hd).transpose(2, 0, 3, 1, 4)  # (3, B, heads, T, hd) view
        q, kk, v = heads[0], heads[1], heads[2]
        s = q @ kk.transpose(0, 1, 3, 2)
        s *= np.float32(1 / math.sqrt(hd))
        s[self.masked] = -np.inf
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=-1, keepdims=True)
        y = (s @ v).transpose(0, 2, 1, 3).reshape(B * T, C)
        out = y @ p[f"h.{k}.attn.c_proj.weight"].T
        out += p[f"h.{k}.attn.c_proj.bias"]
        return out.reshape(B, T, C), (x, q, kk, v, s, y)

    def attention_backward(self, k: int, d, saved):
        p, g, (B, T), C = self.p, self.g, self.x.shape, EMBED
        hd = C // HEADS
        x, q, kk, v, probs, y = saved
        d = d.reshape(B * T, C)
        g[f"h.{k}.attn.c_proj.weight"], g[f"h.{k}.attn.c_proj.bias"] = d.T @ y, d.sum(axis=0)
        dout = (d @ p[f"h.{k}.attn.c_proj.weight"]).reshape(B, T, HEADS, hd).transpose(0, 2, 1, 3)
        dqkv = np.empty((B, T, 3, HEADS, hd), np.float32)
        dheads = dqkv.transpose(2, 0, 3, 1, 4)
        np.matmul(probs.transpose(0, 1, 3, 2), dout, out=dheads[2])
        dp = dout @ v.transpose(0, 1, 3, 2)
        dp -= (dp * probs).sum(axis=-1, keepdims=True)
        dp *= probs
        dp *= np.float32(1 / math.sqrt(hd))
        np.matmul(dp, kk, out=dheads[0])
        np.matmul(dp.transpose(0, 1, 3, 2), q, out=dheads[1])
        dqkv = dqkv.reshape(B * T, 3 * C)
        g[f"h.{k}.attn.c_attn.weight"] = dqkv.T @ x.reshape(B * T, C)
        g[f"h.{k}.attn.c_attn.bias"] = dqkv.sum(axis=0)
        return (dqkv @ p[f"h.{k}.attn.c_attn.weight"]).reshape(B, T, C)

    def mlp(self, k: int, x):
        p = self.p
        h = x @ p[f"h.{k}.mlp.c_fc.weight"].T
        h += p[f"h.{k}.mlp.c_fc.bias"]
        a, gsaved = gelu(h)
        out = a @ p[f"h.{k}.mlp.c_proj.weight"].T
        out += p[f"h.{k}.mlp.c_proj.bias"]
        return out, (x, a, gsaved)

    def mlp_backward(self, k: int, d, saved):
        p, g = self.p, self.g
        x, a, gsaved = saved
        d2, a2 = d.reshape(-1, d.shape[-1]), a.reshape(-1, a.shape[-1])
        g[f"h.{k}.mlp.c_proj.weight"], g[f"h.{k}.mlp.c_proj.bias"] = d2.T @ a2, d2.sum(axis=0)
        da = gelu_backward(d @ p[f"h.{k}.mlp.c_proj.weight"], gsaved)
        da2 = da.reshape(-1, da.shape[-1])
        g[f"h.{k}.mlp.c_fc.weight"] = da2.T @ x.reshape(-1, x.shape[-1])
        g[f"h.{k}.mlp.c_fc.bias"] = da2.sum(axis=0)
        return da @ p[f"h.{k}.mlp.c_fc.weight"]

    def __call__(self) -> float:
        p, (B, T) = self.p, self.x.shape
        self.g = g = {}
        x = p["wte.weight"][self.x] + p["wpe.weight"][:T]
        tape = []
        for k in range(LAYERS):
            ln1, s1 = layer_norm(x, p[f"h.{k}.ln_1.weight"], p[f"h.{k}.ln_1.bias"])
            a, sa = self.attention(k, ln1)
            x = x + a
            ln2, s2 = layer_norm(x, p[f"h.{k}.ln_2.weight"], p[f"h.{k}.ln_2.bias"])
            m, sm = self.mlp(k, ln2)
            x = x + m
            tape.append((s1, sa, s2, sm))
        xf, sf = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"])
        xf = xf.reshape(B * T, EMBED)
        logits = xf @ p["lm_head.weight"].T
        loss, probs = cross_entropy_forward(logits, self.y, self.rows)
        # backward
        d = cross_entropy_backward(probs, self.y, self.rows)
        g["lm_head.weight"] = d.T @ xf
        d, g["ln_f.weight"], g["ln_f.bias"] = layer_norm_backward((d @ p["lm_head.weight"]).reshape(B, T, EMBED), sf)
        for k in range(LAYERS - 1, -1, -1):
            s1, sa, s2, sm = tape.pop()
            dm, g[f"h.{k}.ln_2.weight"], g[f"h.{k}.ln_2.bias"] = layer_norm_backward(self.mlp_backward(k, d, sm), s2)
            d = d + dm
            da, g[f"h.{k}.ln_1.weight"], g[f"h.{k}.ln_1.bias"] = layer_norm_backward(
                self.attention_backward(k, d, sa), s1)
            d = d + da
        g["wpe.weight"] = np.zeros_like(p["wpe.weight"])
        g["wpe.weight"][:T] = d.sum(axis=0)
        g["wte.weight"] = np.zeros_like(p["wte.weight"])
        np.add.at(g["wte.weight"], self.x.reshape(-1), d.reshape(-1, EMBED))
        self.adamw()
        return float(loss)

    def adamw(self) -> None:
        """PyTorch's AdamW: decoupled decay, then m, v and the bias-corrected step."""
        self.t += 1
        (b1, b2), lr = BETAS, self.lr
        correction2 = math.sqrt(1 - b2 ** self.t)
        step = lr / (1 - b1 ** self.t)
        for name, grad in self.g.items():
            p, m, v = self.p[name], self.m[name], self.v[name]
            p *= 1 - lr * WEIGHT_DECAY
            m += (1 - b1) * (grad - m)
            v *= b2
            v += (1 - b2) * grad * grad
            denom = np.sqrt(v)
            denom /= correction2
            denom += ADAM_EPS
            np.divide(m, denom, out=denom)
            denom *= step
            p -= denom

    def loss_value(self, loss) -> float:
        return float(loss)
