"""Run one module (or function) in memograd and in PyTorch from the same weights and inputs, and
compare outputs and every gradient. Each test that uses this skips when torch is absent.

Inputs are NumPy arrays: float arrays become leaves that require grad, anything else (bool or
integer masks, indices) plain tensors. The same array object passed twice becomes the same
tensor on both sides, so "query is key is value" (self-attention) holds as in user code."""
from __future__ import annotations

import numpy as np
import pytest

import memograd as mg


def copy_weights(ours, theirs) -> None:
    """Load memograd's state_dict into the PyTorch module, checking the keys and shapes agree."""
    torch = pytest.importorskip("torch")
    mine = {k: v.numpy() for k, v in ours.state_dict().items()}
    assert [(k, v.shape) for k, v in mine.items()] == [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in mine.items()})


def _convert(values, make):
    """Convert each NumPy array once (by identity), keep everything else as is."""
    made = {}
    out = []
    for v in values:
        if isinstance(v, np.ndarray):
            if id(v) not in made:
                made[id(v)] = make(v)
            out.append(made[id(v)])
        else:
            out.append(v)
    return out


def _leaves(made):
    return [t for t in made if getattr(t, "requires_grad", False)]


def _outputs(result):
    return [r for r in (result if isinstance(result, tuple) else (result,)) if r is not None]


def assert_same_as_torch(ours, theirs, args, kwargs=None, call=None, rtol=1e-7, atol=1e-10):
    """Call ours(*args, **kwargs) and theirs(...) (or call(fn, *args, **kwargs)), compare every output,
    then backpropagate the same random cotangents and compare input and parameter gradients."""
    torch = pytest.importorskip("torch")
    kwargs = kwargs or {}
    names = list(kwargs)
    values = list(args) + [kwargs[k] for k in names]
    mg_vals = _convert(values, lambda a: mg.tensor(a, requires_grad=a.dtype.kind == "f"))
    t_vals = _convert(values, lambda a: torch.tensor(a, requires_grad=a.dtype.kind == "f"))
    call = call or (lambda fn, *a, **k: fn(*a, **k))
    n = len(args)
    out_m = _outputs(call(ours, *mg_vals[:n], **dict(zip(names, mg_vals[n:]))))
    out_t = _outputs(call(theirs, *t_vals[:n], **dict(zip(names, t_vals[n:]))))
    assert len(out_m) == len(out_t)
    rng = np.random.default_rng(1)
    loss_m, loss_t = 0.0, 0.0
    for a, b in zip(out_m, out_t):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
        g = rng.standard_normal(tuple(b.shape))
        loss_m = loss_m + (a * mg.tensor(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_m.backward()
    loss_t.backward()
    for i, (a, b) in enumerate(zip(_leaves(mg_vals), _leaves(t_vals))):
        if a.grad is None and b.grad is None:  # e.g. a float mask that a causal hint replaced
            continue
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-9, err_msg=f"input {i}")
    if isinstance(theirs, torch.nn.Module):
        theirs_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            q = theirs_params[name]
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-9, err_msg=name)


def module_pair(ours, theirs, train: bool = False):
    """float64 copies of both modules with memograd's weights, in eval mode unless `train`."""
    ours.double().train(train)
    theirs.double().train(train)
    copy_weights(ours, theirs)
    return ours, theirs
