"""Views and in-place ops against PyTorch: each program below is written once against PyTorch's
API and run under both libraries; the values, `.grad`s, `_version` counts it reports and
whether each step raised must be the same."""
import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")


def run(program, lib):
    """Run `program(lib, report)`; `report(name, value)` records a tensor, number or bool, and
    `attempt(name, fn)` records whether fn() raised a RuntimeError (with the lib's own message)."""
    seen = {}

    def report(name, value):
        if hasattr(value, "detach"):
            value = value.detach().numpy().copy()
        seen[name] = value

    def attempt(name, fn):
        try:
            fn()
            seen[name] = "ok"
        except RuntimeError:
            seen[name] = "raised"

    program(lib, report, attempt)
    return seen


def leaf(lib, values, requires_grad=True):
    return lib.tensor(values, dtype=lib.float64, requires_grad=requires_grad)


PROGRAMS = {}


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


@program
def slice_mul_zero(lib, report, attempt):
    x = leaf(lib, [1.0, 1.0, 1.0, 1.0])
    h = x * 3
    h[:2].mul_(0)
    loss = h.sum()
    loss.backward()
    report("h", h), report("loss", loss), report("grad", x.grad), report("version", h._version)


@program
def view_zero(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0, 4.0])
    h = x * 3
    v = h.view(2, 2)
    v.zero_()
    (h * x).sum().backward()
    report("h", h), report("grad", x.grad), report("h_version", h._version), report("v_version", v._version)


@program
def view_copy(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0, 4.0])
    w = leaf(lib, [5.0, 6.0])
    h = x * 2
    h[1:3].copy_(w * w)
    (h * h).sum().backward()
    report("h", h), report("gx", x.grad), report("gw", w.grad)


@program
def view_clamp(lib, report, attempt):
    x = leaf(lib, [0.0, 1.0, 2.0, 3.0])
    h = x * 1
    h[1:3].clamp_(1.5, 1.8)
    (h * h).sum().backward()
    report("h", h), report("grad", x.grad)


@program
def base_change_seen_by_earlier_view(lib, report, attempt):
    x = leaf(lib, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    h = x * 2
    v = h.view(2, 3).t()
    h.add_(1)
    report("v", v), report("v_version", v._version)
    (v * v).sum().backward()
    report("grad", x.grad)


@program
def view_change_seen_by_base_and_other_view(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0, 4.0])
    h = x * 1
    a, b = h[:2], h[1:]
    a.mul_(10)
    report("b", b), report("h", h)
    (b * b).sum().backward()
    report("grad", x.grad)


@program
def transpose_inplace(lib, report, attempt):
    x = leaf(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    h = x * 1
    h.transpose(0, 1)[0].mul_(-1)
    (h * x).sum().backward()
    report("h", h), report("grad", x.grad)


@program
def permute_inplace(lib, report, attempt):
    x = leaf(lib, np.arange(24.0).reshape(2, 3, 4))
    h = x * 1
    h.permute(2, 0, 1)[1].add_(100)
    (h * h).sum().backward()
    report("h", h), report("grad", x.grad)


@program
def unsqueeze_squeeze_inplace(lib, report, attempt):
    x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
    h = x * 2
    h.unsqueeze(0).squeeze(0)[1].mul_(x[0])
    h.sum().backward()
    report("h", h), report("grad", x.grad)


@program
def narrow_inplace(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    h = x * 1
    h.narrow(0, 1, 3).mul_(2)
    (h * h).sum().backward()
    report("h", h), report("grad", x.grad), report("version", h._version)


@program
def chain_of_views(lib, report, attempt):
    x = leaf(lib, np.arange(12.0))
    h = x * 1
    v = h.view(3, 4)[1:].t()[::2]
    v.mul_(-2)
    (h * h).sum().backward()
    report("h", h), report("grad", x.grad), report("version", h._version)


@program
def reshape_view_inplace(lib, report, attempt):
    x = leaf(lib, np.arange(6.0))
    h = x * 1
    h.reshape(2, 3)[:, 1].fill_(7)
    (h * x).sum().backward()
    report("h", h), report("grad", x.grad)


@program
def single_element_view(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0])
    h = x * 1
    h[1].mul_(5)
    (h * h).sum().backward()
    report("h", h), report("grad", x.grad)


@program
def setitem_basic_and_advanced(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0, 4.0])
    w = leaf(lib, [10.0, 20.0])
    h = x * 1
    h[1:3] = w
    h[lib.tensor([0, 3])] = w * 2
    (h * h).sum().backward()
    report("h", h), report("gx", x.grad), report("gw", w.grad), report("version", h._version)


@program
def setitem_mask(lib, report, attempt):
    x = leaf(lib, [-1.0, 2.0, -3.0, 4.0])
    h = x * 2
    h[h < 0] = 0.0
    (h * x).sum().backward()
    report("h", h), report("grad", x.grad)


@program
def setitem_broadcast(lib, report, attempt):
    w = leaf(lib, [1.0, 2.0, 3.0])
    buf = lib.zeros(4, 3, dtype=lib.float64)
    buf[1:3] = w
    report("requires", buf.requires_grad)
    (buf * buf).sum().backward()
    report("buf", buf), report("grad", w.grad)


@program
def base_without_grad_gets_history(lib, report, attempt):
    w = leaf(lib, [1.0, 2.0])
    base = lib.zeros(4, dtype=lib.float64)
    v = base[1:3]
    v.add_(w)
    report("base_requires", base.requires_grad), report("base_leaf", base.is_leaf)
    (base * base).sum().backward()
    report("base", base), report("grad", w.grad)


@program
def other_view_follows_new_history(lib, report, attempt):
    w = leaf(lib, [1.0, 2.0])
    base = lib.zeros(4, dtype=lib.float64)
    early = base[:3]
    base[2:].copy_(w)
    report("early_requires", early.requires_grad)
    (early * 3).sum().backward()
    report("grad", w.grad)


@program
def inplace_on_base_then_view_used(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0])
    h = x * 1
    v = h[1:]
    h.mul_(h.detach() + 1)
    v.sum().backward()
    report("v", v), report("grad", x.grad)


@program
def leaf_inplace_raises(lib, report, attempt):
    w = leaf(lib, [1.0, 2.0])
    attempt("add_", lambda: w.add_(1))
    attempt("view_mul_", lambda: w[0].mul_(2))
    attempt("setitem", lambda: w.__setitem__(0, 3.0))
    with lib.no_grad():
        attempt("no_grad_add_", lambda: w.add_(1))
        w[0] = 5.0
    report("w", w), report("version", w._version), report("leaf", w.is_leaf)


@program
def expand_inplace_raises(lib, report, attempt):
    e = lib.ones(1, 3, dtype=lib.float64).expand(2, 3)
    attempt("expand_add_", lambda: e.add_(1))
    with lib.no_grad():
        attempt("expand_no_grad", lambda: e.mul_(2))
    c = e.clone()
    c.add_(1)
    report("clone", c)


@program
def multi_output_views_raise(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0, 4.0])
    h = x * 1
    a, b = h.split(2)
    attempt("split", lambda: a.mul_(2))
    c, _ = h.chunk(2)
    attempt("chunk", lambda: c.add_(1))
    u = h.unbind(0)
    attempt("unbind", lambda: u[0].add_(1))
    with lib.no_grad():
        a.mul_(2)
    report("h", h)


@program
def saved_input_modified_raises(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0])
    h = x * 2
    y = h * h
    h.add_(1)
    attempt("backward", lambda: y.sum().backward())
    report("version", h._version)


@program
def saved_output_modified_raises(lib, report, attempt):
    x = leaf(lib, [0.5, 1.0])
    y = x.exp()
    y.add_(1)
    attempt("exp", lambda: y.sum().backward())
    z = x.tanh()
    z[0].mul_(2)
    attempt("tanh_view", lambda: z.sum().backward())
    r = x.relu()
    r.mul_(2)
    attempt("relu", lambda: r.sum().backward())


@program
def inplace_activation_then_modify_raises(lib, report, attempt):
    x = leaf(lib, [-1.0, 2.0])
    h = x * 1
    h.relu_()
    h.mul_(2)
    attempt("relu_then_mul", lambda: h.sum().backward())
    s = x * 1
    s.sigmoid_()
    report("sigmoid_version", s._version)
    s.add_(1)
    attempt("sigmoid_then_add", lambda: s.sum().backward())


@program
def inplace_activation_chain(lib, report, attempt):
    x = leaf(lib, [-1.0, 0.5, 2.0])
    h = x * 3
    h.relu_()
    g = h * 1
    g.tanh_()
    g.sum().backward()
    report("h", h), report("g", g), report("grad", x.grad), report("version", g._version)


@program
def mul_inplace_both_require_grad(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0])
    w = leaf(lib, [2.0, 3.0, 4.0])
    a = x * 1
    a.mul_(w)
    a.div_(w + 1)
    a.sub_(w, alpha=2)
    a.sum().backward()
    report("a", a), report("gx", x.grad), report("gw", w.grad), report("version", a._version)


@program
def augmented_assignment(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0])
    h = x * 1
    h += 1
    h *= x
    h -= 0.5
    h /= 2
    h.sum().backward()
    report("h", h), report("grad", x.grad), report("version", h._version)


@program
def detach_shares_memory_and_version(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0, 3.0])
    d = x.detach()
    d.add_(1)
    report("x", x), report("x_version", x._version), report("d_version", d._version)
    h = x * 2
    y = h * h
    h.detach().mul_(0)
    attempt("backward", lambda: y.sum().backward())


@program
def data_shares_memory_not_version(lib, report, attempt):
    p = leaf(lib, [1.0, 2.0, 3.0])
    p.data.mul_(2)
    p.data.copy_(lib.tensor([4.0, 5.0, 6.0], dtype=lib.float64))
    report("p", p), report("version", p._version), report("requires", p.requires_grad), report("leaf", p.is_leaf)
    p.data = lib.tensor([7.0, 8.0, 9.0], dtype=lib.float64)
    (p * p).sum().backward()
    report("after_set", p), report("grad", p.grad)


@program
def no_grad_parameter_update(lib, report, attempt):
    w = leaf(lib, [1.0, -2.0])
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with lib.no_grad():
            w -= 0.25 * w.grad
            w.grad.zero_()
    report("w", w), report("version", w._version), report("leaf", w.is_leaf), report("grad", w.grad)


@program
def view_of_leaf_under_no_grad(lib, report, attempt):
    w = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
    with lib.no_grad():
        w[0].mul_(10)
        w.t()[1].add_(1)
    report("w", w), report("version", w._version)
    (w * w).sum().backward()
    report("grad", w.grad)


@program
def version_counts(lib, report, attempt):
    t = lib.zeros(3, dtype=lib.float64)
    v = t[1:]
    report("v0", t._version)
    t.add_(1)
    v.mul_(2)
    t[0] = 5.0
    t.zero_()
    report("t", t._version), report("v", v._version), report("d", t.detach()._version)


@program
def inplace_on_view_of_view_then_grad(lib, report, attempt):
    x = leaf(lib, np.arange(1.0, 9.0).reshape(2, 4))
    h = x.exp()
    g = h * 1
    g[:, 1:3][1].mul_(x[0, :2])
    (g * g).sum().backward()
    report("g", g), report("grad", x.grad)


@program
def retain_grad_through_inplace(lib, report, attempt):
    x = leaf(lib, [1.0, 2.0])
    h = x * 2
    h.add_(1)
    h.retain_grad()
    (h * h).sum().backward()
    report("h_grad", h.grad), report("x_grad", x.grad)


@program
def inplace_random_fill_on_data(lib, report, attempt):
    p = leaf(lib, [1.0, 2.0, 3.0])
    p.data.normal_(0, 0.02)
    p.data.zero_()
    p.data.fill_(0.5)
    report("p", p), report("version", p._version)


def test_there_are_at_least_thirty_programs():
    assert len(PROGRAMS) >= 30


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_agrees_with_pytorch(name):
    theirs = run(PROGRAMS[name], torch)
    ours = run(PROGRAMS[name], memograd)
    assert ours.keys() == theirs.keys()
    for key, expected in theirs.items():
        got = ours[key]
        if isinstance(expected, np.ndarray):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=f"{name}: {key}")
        else:
            assert got == expected, f"{name}: {key}: memograd {got!r}, PyTorch {expected!r}"
