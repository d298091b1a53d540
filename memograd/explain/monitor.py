"""Watching gradients flow during training, with plain-language diagnoses.

Attach a `GradientMonitor` to a model, call `step()` after each backward() (and
`after_update()` after the optimizer step). It records, per layer, the gradient norm, the
weight norm and the size of the update relative to the weights; `watch(name, activation)`
adds the fraction of ReLU units that are dead on the batch. `diagnose()` turns the numbers
into warnings a person can act on.

    monitor = GradientMonitor(model)
    for x, y in loader:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(); loss.backward()
        monitor.step()
        optimizer.step(); monitor.after_update()
    print("\\n".join(monitor.diagnose()))
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .table import render


@dataclass
class LayerStats:
    grad_norm: float
    weight_norm: float
    update_ratio: float | None = None   # ||w_after - w_before|| / ||w_before||, after `after_update()`


class GradientMonitor:
    """Per-layer gradient statistics for anything with `named_parameters()`. Parameters are
    grouped into layers by their name without the last part ('3.weight' and '3.bias' form
    layer '3'), in the order the model lists them: input side first.

    >>> from memograd.explain.demo import mlp, regression_batch, mse
    >>> model = mlp([8, 8, 8, 1], activation="relu", init="he")
    >>> x, y = regression_batch(16, 8)
    >>> mse(model(x), y).backward()
    >>> monitor = GradientMonitor(model); _ = monitor.step()
    >>> monitor.diagnose()
    []
    """

    def __init__(self, model, vanishing: float = 1e-3, exploding: float = 1e3):
        if not callable(getattr(model, "named_parameters", None)):
            raise TypeError(f"GradientMonitor: {type(model).__name__} has no named_parameters()")
        self.model = model
        self.vanishing = vanishing
        self.exploding = exploding
        self.history: list[dict[str, LayerStats]] = []
        self.dead: list[dict[str, float]] = []   # per step: activation name -> dead fraction
        self._pending_dead: dict[str, float] = {}
        self._before: dict = {}

    def layers(self) -> dict:
        """{layer name: [parameter tensors]} in the model's order."""
        groups: dict = {}
        for name, tensor in self.model.named_parameters():
            groups.setdefault(name.rsplit(".", 1)[0] if "." in name else name, []).append(tensor)
        return groups

    def layer_names(self) -> list[str]:
        return list(self.layers())

    def watch(self, name: str, activation) -> None:
        """Record, for the coming `step()`, the fraction of units of `activation` (a ReLU
        output, batch first) that are zero for every example of the batch: dead units."""
        data = np.asarray(getattr(activation, "_data", activation))
        units = data.reshape(data.shape[0], -1) if data.ndim > 1 else data.reshape(-1, 1)
        self._pending_dead[name] = float(np.mean(np.all(units <= 0, axis=0)))

    def step(self) -> dict[str, LayerStats]:
        """Record the current gradients (call after backward())."""
        stats = {}
        self._before = {}
        for layer, tensors in self.layers().items():
            grads = [np.asarray(t.grad._data if hasattr(t.grad, "_data") else t.grad, dtype=np.float64)
                     for t in tensors if t.grad is not None]
            stats[layer] = LayerStats(
                grad_norm=math.sqrt(sum(float(np.sum(g * g)) for g in grads)) if grads else 0.0,
                weight_norm=math.sqrt(sum(float(np.sum(np.asarray(t._data, dtype=np.float64) ** 2)) for t in tensors)),
            )
            self._before[layer] = [np.array(t._data, dtype=np.float64) for t in tensors]
        self.history.append(stats)
        self.dead.append(self._pending_dead)
        self._pending_dead = {}
        return stats

    def after_update(self) -> None:
        """Record how far the optimizer moved each layer's weights since `step()`."""
        if not self.history:
            raise RuntimeError("GradientMonitor.after_update: call step() after backward() first")
        for layer, tensors in self.layers().items():
            before = self._before.get(layer)
            if before is None:
                continue
            moved = math.sqrt(sum(float(np.sum((np.asarray(t._data, dtype=np.float64) - b) ** 2))
                                  for t, b in zip(tensors, before)))
            size = math.sqrt(sum(float(np.sum(b * b)) for b in before))
            self.history[-1][layer].update_ratio = moved / size if size > 0 else None

    # ---- reading the numbers ----------------------------------------------------------------

    def diagnose(self) -> list[str]:
        """Warnings about the last recorded step, in plain language ([] when all looks healthy)."""
        if not self.history:
            return ["no data: call monitor.step() after loss.backward()"]
        last = self.history[-1]
        names = list(last)
        norms = [last[n].grad_norm for n in names]
        warnings = []
        broken = [n for n in names if not math.isfinite(last[n].grad_norm)]
        if broken:
            warnings.append(
                f"exploding gradients: layer {broken[0]}'s gradient is NaN/Inf; lower the learning rate, "
                "clip gradients (clip_grad_norm_) and look for log(0) or division by zero "
                "(memograd.autograd.detect_anomaly() names the op)")
        elif len(names) >= 2 and norms[-1] > 0:
            ratio = norms[0] / norms[-1]
            first, final = names[0], names[-1]
            if ratio < self.vanishing:
                warnings.append(
                    f"vanishing gradients: layer {first}'s gradient is {ratio:.1g} times layer {final}'s; "
                    "sigmoid/tanh saturate, try ReLU with He init, normalisation or residual connections")
            elif ratio > self.exploding:
                warnings.append(
                    f"exploding gradients: layer {first}'s gradient is {ratio:.1g} times layer {final}'s; "
                    "lower the learning rate, clip gradients, use a smaller init or normalisation")
        if len(names) >= 1 and all(n == 0 for n in norms):
            warnings.append("no gradient reached any layer: was backward() called, and do the "
                            "parameters require grad?")
        ratios = {n: last[n].update_ratio for n in names if last[n].update_ratio is not None}
        large = [n for n, r in ratios.items() if r > 0.1]
        tiny = [n for n, r in ratios.items() if 0 < r < 1e-7]
        if large:
            worst = max(large, key=ratios.get)
            warnings.append(f"large updates: layer(s) {', '.join(large)} moved by up to {ratios[worst]:.1g} of "
                            "their weight norm in one step (about 1e-3 is typical); lower the learning rate")
        if tiny:
            least = min(tiny, key=ratios.get)
            warnings.append(f"tiny updates: layer(s) {', '.join(tiny)} moved by as little as {ratios[least]:.1g} "
                            "of their weight norm; the learning rate may be too low, or their gradient vanished")
        for name, fraction in (self.dead[-1] if self.dead else {}).items():
            if fraction > 0.5:
                warnings.append(f"dead ReLUs: {fraction:.0%} of the units of {name} output 0 for the whole "
                                "batch; lower the learning rate, use He init or LeakyReLU")
        return warnings

    def report(self) -> str:
        """The last step as an aligned table, followed by the diagnosis."""
        if not self.history:
            return "no data: call monitor.step() after loss.backward()"
        last = self.history[-1]
        rows = [[name, s.grad_norm, s.weight_norm, s.update_ratio] for name, s in last.items()]
        dead = self.dead[-1] if self.dead else {}
        footer = [f"dead ReLU fraction of {k}: {v:.0%}" for k, v in dead.items()]
        footer += [""] + (self.diagnose() or ["no problems found"])
        return render(["layer", "|grad|", "|weight|", "update/weight"], rows,
                      title=f"Gradient flow at step {len(self.history) - 1} (input side first)", footer=footer)

    def plot(self, path="gradflow.png") -> str:
        """Save per-layer gradient norms (last step, and over steps) as a PNG; returns the path."""
        from .plots import save_gradflow_plot

        return save_gradflow_plot(self, path)
