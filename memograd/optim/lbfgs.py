"""L-BFGS: quasi-Newton steps from a short memory of past steps and gradient changes."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..autograd.modes import modes
from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Optimizer, check_range

LINE_SEARCHES = (None, "strong_wolfe")


class LBFGS(Optimizer):
    r"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989), with PyTorch's conventions.

    One `step(closure)` runs up to `max_iter` iterations on the flat vector x of all
    parameters; `closure()` re-evaluates the loss f and its gradient g (it calls backward).
    With s_i = x_{i+1} - x_i and y_i = g_{i+1} - g_i kept for the last `history_size`
    iterations (a pair is kept only when y·s > 1e-10, which keeps the estimate positive
    definite), each iteration moves along

        d = -H g                                (the first iteration ever: d = -g)

    where H, the inverse-Hessian estimate, is applied by the two-loop recursion starting from
    H_0 = (y·s) / (y·y) of the newest pair, and takes a step of length

        t = lr · min(1, 1 / |g|_1)              the first iteration ever
        t = lr                                  after that
        t from the strong Wolfe line search     if line_search_fn="strong_wolfe" (starting there)

    An iteration stops the step early when |g|_max <= tolerance_grad, when g·d > -tolerance_change,
    when |t·d|_max or the change of f is below tolerance_change, or after `max_eval`
    evaluations (default max_iter * 5 // 4). The memory carries over from one step to the next.
    `step` returns the loss of its first evaluation. There is one parameter group only.

    State, kept with the first parameter as PyTorch does: `func_evals`, `n_iter`, the last
    direction `d` and step `t`, the pairs `old_dirs` (y) and `old_stps` (s) with `ro` (1 / y·s),
    `H_diag`, `prev_flat_grad`, `prev_loss`, and `al` (the two-loop recursion's scratch).

    >>> opt = memograd.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
    >>> opt.step(closure)
    """

    def __init__(self, params: Iterable, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _check(self, options: dict) -> None:
        check_range("LBFGS", "learning rate", options["lr"])
        check_range("LBFGS", "max_iter value", options["max_iter"], 1)
        check_range("LBFGS", "max_eval value", options["max_eval"], 1)
        check_range("LBFGS", "tolerance_grad value", options["tolerance_grad"])
        check_range("LBFGS", "tolerance_change value", options["tolerance_change"])
        check_range("LBFGS", "history_size value", options["history_size"], 1)
        if options["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(f"LBFGS: only 'strong_wolfe' is supported as line_search_fn, "
                             f"got {options['line_search_fn']!r}")

    # ---- the flat vector of all parameters ----------------------------------------------

    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient in one vector (zeros for a parameter without one)."""
        parts = [np.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.reshape(-1)
                 for p in self._params]
        return np.concatenate(parts)

    def _move(self, t, d: np.ndarray) -> None:
        """x <- x + t * d."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p.add_(t * d[offset:offset + n].reshape(p.shape))
            offset += n

    def _evaluate(self, closure: Callable):
        with enable_grad():
            return closure()

    # ---- the update ----------------------------------------------------------------------

    def step(self, closure: Callable):
        """Run up to max_iter L-BFGS iterations; return the loss `closure()` gave at the start."""
        if modes.recorder is not None:  # memograd.compile: a closure's step cannot be replayed
            return modes.recorder.optimizer_step(self, closure)
        with no_grad():
            return self._minimize(closure)

    def _minimize(self, closure: Callable):
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._evaluate(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        grad = self._flat_grad()
        if np.abs(grad).max() <= tolerance_grad:  # already at a stationary point
            return first_loss

        d, t = _array(state.get("d")), state.get("t")
        dirs = [_array(y) for y in state.get("old_dirs", [])]
        steps = [_array(s) for s in state.get("old_stps", [])]
        ro, h_diag = list(state.get("ro", [])), state.get("H_diag")
        prev_grad, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")
        optimal = False

        for n_iter in range(1, max_iter + 1):
            state["n_iter"] += 1
            # -- the direction
            if state["n_iter"] == 1:
                d = -grad
                dirs, steps, ro, h_diag = [], [], [], 1
            else:
                y, s = grad - prev_grad, d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only if it keeps H positive definite
                    if len(dirs) == history_size:  # forget the oldest pair
                        del dirs[0], steps[0], ro[0]
                    dirs.append(y)
                    steps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                al = state.setdefault("al", [None] * history_size)
                d = _two_loop(grad, dirs, steps, ro, h_diag, al)
            prev_grad, prev_loss = grad.copy(), loss

            # -- the step length
            t = min(1.0, 1.0 / np.abs(grad).sum()) * lr if state["n_iter"] == 1 else lr
            slope = grad.dot(d)
            if slope > -tolerance_change:  # not (enough of) a descent direction
                break
            if group["line_search_fn"] == "strong_wolfe":
                start = [p._data.copy() for p in self._params]

                def evaluate_at(step, start=start, d=d):
                    self._move(step, d)
                    f_new = float(self._evaluate(closure))
                    g_new = self._flat_grad()
                    for p, x in zip(self._params, start):
                        p.copy_(x)
                    return f_new, g_new

                # PyTorch leaves the search's own tolerance_change at its default: so do we.
                loss, grad, t, used = strong_wolfe(evaluate_at, t, d, loss, grad, slope, max_ls=max_eval - evals)
                self._move(t, d)
                optimal = np.abs(grad).max() <= tolerance_grad
            else:
                self._move(t, d)
                used = 0
                if n_iter != max_iter:  # the last iteration's loss would go unused: skip it
                    loss = float(self._evaluate(closure))
                    grad = self._flat_grad()
                    optimal = np.abs(grad).max() <= tolerance_grad
                    used = 1
            evals += used
            state["func_evals"] += used

            # -- stop?
            if n_iter == max_iter or evals >= max_eval or optimal:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # no progress

        state["d"], state["t"] = _tensor(d), t
        state["old_dirs"], state["old_stps"] = [Tensor._make(y, None) for y in dirs], [Tensor._make(s, None) for s in steps]
        state["ro"], state["H_diag"] = ro, h_diag
        state["prev_flat_grad"], state["prev_loss"] = _tensor(prev_grad), prev_loss
        return first_loss

    # ---- saving and loading --------------------------------------------------------------

    def load_state_dict(self, state_dict: dict) -> None:
        """As Optimizer's, but the state holds flat vectors and lists, not per-parameter buffers."""
        saved = dict(state_dict["state"])
        super().load_state_dict({**state_dict, "state": {}})
        extra = [i for i in saved if int(i) != 0]
        if extra:
            raise ValueError(f"LBFGS: loaded state refers to parameter {extra[0]}; LBFGS keeps its state "
                             "with parameter 0 only")
        if saved:
            dtype = self._params[0]._data.dtype
            self.state[self._params[0]] = {key: _copy(value, dtype) for key, value in next(iter(saved.values())).items()}


def _two_loop(grad: np.ndarray, dirs: list, steps: list, ro: list, h_diag, al: list) -> np.ndarray:
    """-H g by the two-loop recursion: H is the inverse-Hessian estimate built from H_0 = h_diag
    by one BFGS update per stored pair (s_i, y_i), oldest first."""
    q = -grad
    for i in range(len(dirs) - 1, -1, -1):
        al[i] = steps[i].dot(q) * ro[i]
        q += -al[i] * dirs[i]
    r = q * h_diag
    for i in range(len(dirs)):
        be_i = dirs[i].dot(r) * ro[i]
        r += (al[i] - be_i) * steps[i]
    return r


def _array(value):
    return value._data if isinstance(value, Tensor) else value


def _tensor(array):
    return None if array is None else Tensor._make(array, None)


def _copy(value, dtype):
    """A loaded state entry, its tensors copied (and cast to the parameters' dtype)."""
    if isinstance(value, (Tensor, np.ndarray)):
        return Tensor._make(np.array(_array(value), dtype=dtype), None)
    if isinstance(value, (list, tuple)):
        return [_copy(v, dtype) for v in value]
    return value
