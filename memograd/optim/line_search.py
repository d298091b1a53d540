"""The strong Wolfe line search LBFGS uses (Nocedal & Wright, Algorithms 3.5 and 3.6), with the
choices PyTorch makes (those of minFunc's and torch7's ports), so the steps match PyTorch's.

Along a descent direction d from x, with φ(t) = f(x + t·d) and φ'(t) = ∇f(x + t·d)·d, a step
t satisfies the strong Wolfe conditions when

    φ(t) <= φ(0) + c1 · t · φ'(0)      (sufficient decrease, "Armijo")
    |φ'(t)| <= -c2 · φ'(0)             (curvature: the slope has flattened)

The search first walks outwards until an interval is known to hold such a t (a bracket), then
shrinks the bracket by cubic interpolation ("zoom"). Every trial costs one evaluation."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Trial:
    """One evaluated step: t, φ(t), the flat gradient there, and φ'(t)."""

    __slots__ = ("t", "f", "grad", "slope")

    def __init__(self, t, f, grad, slope):
        self.t, self.f, self.grad, self.slope = t, f, grad, slope


def cubic_minimum(a: Trial, b: Trial, bounds: tuple | None = None):
    """The minimiser of the cubic through (a.t, a.f) and (b.t, b.f) with slopes a.slope and
    b.slope, clipped to `bounds` (by default the interval between the two points). Without a
    real minimiser (the cubic is monotone) it falls back to the middle of the bounds."""
    low, high = bounds if bounds is not None else (min(a.t, b.t), max(a.t, b.t))
    d1 = a.slope + b.slope - 3 * (a.f - b.f) / (a.t - b.t)
    d2_square = d1 * d1 - a.slope * b.slope
    if not d2_square >= 0:  # also NaN
        return (low + high) / 2.0
    d2 = np.sqrt(d2_square)
    near, far = (a, b) if a.t <= b.t else (b, a)  # the formula measures back from the farther point
    t = far.t - (far.t - near.t) * ((far.slope + d2 - d1) / (far.slope - near.slope + 2 * d2))
    return min(max(t, low), high)


def strong_wolfe(evaluate: Callable, t, d: np.ndarray, f: float, grad: np.ndarray, slope, c1: float = 1e-4,
                 c2: float = 0.9, tolerance_change: float = 1e-9, max_ls: int = 25):
    """Search along `d` from the point where the loss is `f`, the flat gradient `grad` and the
    slope `grad · d` = `slope` (< 0), starting with step `t`. `evaluate(t)` returns (loss, flat
    gradient) at x + t·d. Returns (loss, gradient, t, evaluations) of the step chosen."""
    start = Trial(0, f, grad, slope)
    d_norm = np.abs(d).max()

    def trial(step):
        f_new, g_new = evaluate(step)
        return Trial(step, f_new, g_new, g_new.dot(d))

    # ---- bracketing: walk outwards until [prev, new] holds a point satisfying both conditions
    new, prev = trial(t), start
    evals, iters = 1, 0
    bracket, done = None, False
    while iters < max_ls:
        if new.f > f + c1 * new.t * slope or (iters > 1 and new.f >= prev.f):
            bracket = [prev, new]  # too far: the loss went up
            break
        if abs(new.slope) <= -c2 * slope:
            bracket, done = [new], True  # both conditions hold already
            break
        if new.slope >= 0:
            bracket = [prev, new]  # walked past a minimum
            break
        # still descending: extrapolate, between 1.01 and 10 times the current step
        step = cubic_minimum(prev, new, bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev, new = new, trial(step)
        evals += 1
        iters += 1
    if iters >= max_ls:
        bracket = [start, new]  # gave up walking (the zoom below will not run either)

    # ---- zoom: shrink the bracket around a point satisfying both conditions
    insufficient = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and iters < max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break  # the bracket is too small to matter
        step = cubic_minimum(bracket[0], bracket[1])
        # A step at or very near an end of the bracket makes little progress: when that happens
        # twice running (or the step is outside), move it 10% of the bracket inwards.
        left, right = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:
            if insufficient or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        new = trial(step)
        evals += 1
        iters += 1
        if new.f > f + c1 * new.t * slope or new.f >= bracket[low].f:
            bracket[high] = new  # not low enough: it replaces the high end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.slope) <= -c2 * slope:
                done = True
            elif new.slope * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # the minimum lies on the other side of the new point
            bracket[low] = new
    best = bracket[low]
    return best.f, best.grad, best.t, evals
