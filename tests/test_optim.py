"""The Optimizer contract: parameter groups, zero_grad, state_dict, validation, dtypes, no graph."""
import copy

import numpy as np
import pytest

import memograd
from memograd.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

ALL = [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (Adam, dict(lr=0.01, amsgrad=True)),
    (AdamW, dict(lr=0.01)),
    (RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (Adagrad, dict(lr=0.1, lr_decay=0.01)),
]
IDS = [cls.__name__ for cls, _ in ALL]


def param(values, dtype=np.float64):
    return memograd.tensor(np.array(values, dtype=dtype), requires_grad=True)


def grad_sequence(steps, shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]


def take_steps(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = memograd.tensor(g)
        opt.step()


# ---- parameter groups --------------------------------------------------------------------

def test_param_groups_take_defaults_and_their_own_options():
    w, b = param([1.0, 2.0]), param([0.0])
    opt = SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    assert opt.param_groups[1]["params"][0] is b  # a lone tensor becomes a one-element list
    w.grad, b.grad = memograd.tensor([1.0, 1.0]), memograd.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(w._data, [0.9, 1.9])
    np.testing.assert_allclose(b._data, [-0.5])


def test_add_param_group_and_overlap_error():
    w, b = param([1.0]), param([2.0])
    opt = Adam([w], lr=0.01)
    opt.add_param_group({"params": [b], "lr": 0.1})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_params_can_be_a_generator_or_named_pairs():
    w, b = param([1.0]), param([2.0])
    assert SGD((p for p in [w, b]), lr=0.1).param_groups[0]["params"][1] is b
    opt = SGD([("weight", w), ("bias", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_bad_params_are_rejected():
    w = param([1.0, 2.0])
    for params, error, match in [
        ([], ValueError, "empty parameter list"),
        (w, TypeError, "iterable of Tensors"),
        ([{"params": {w}}], TypeError, "ordered collections"),
        ([np.ones(2)], TypeError, "can only optimize Tensors"),
        ([w * 2], ValueError, "non-leaf"),
        ([{"lr": 0.1}], ValueError, "needs a 'params' entry"),
    ]:
        with pytest.raises(error, match=match):
            SGD(params, lr=0.1)


def test_duplicate_parameters_in_a_group_warn():
    w = param([1.0])
    with pytest.warns(UserWarning, match="duplicate"):
        SGD([w, w], lr=0.1)


# ---- validation --------------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "options", "message"), [
    (SGD, dict(lr=-1), "SGD: invalid learning rate -1"),
    (SGD, dict(lr=0.1, momentum=-0.5), "SGD: invalid momentum value -0.5"),
    (SGD, dict(lr=0.1, weight_decay=-1e-4), "SGD: invalid weight_decay value"),
    (SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
    (SGD, dict(lr=float("nan")), "SGD: invalid learning rate nan"),
    (Adam, dict(lr=-0.1), "Adam: invalid learning rate -0.1"),
    (Adam, dict(betas=(1.0, 0.999)), "Adam: invalid beta parameter at index 0 1.0"),
    (Adam, dict(betas=(0.9, -0.1)), "Adam: invalid beta parameter at index 1"),
    (Adam, dict(eps=-1e-8), "Adam: invalid epsilon value"),
    (Adam, dict(weight_decay=-1), "Adam: invalid weight_decay value -1"),
    (AdamW, dict(lr=-1), "AdamW: invalid learning rate -1"),
    (RMSprop, dict(alpha=-0.1), "RMSprop: invalid alpha value"),
    (RMSprop, dict(momentum=-1), "RMSprop: invalid momentum value"),
    (RMSprop, dict(eps=-1), "RMSprop: invalid epsilon value"),
    (Adagrad, dict(lr_decay=-1), "Adagrad: invalid lr_decay value"),
    (Adagrad, dict(initial_accumulator_value=-1), "Adagrad: invalid initial_accumulator_value value"),
])
def test_invalid_hyper_parameters_fail_up_front(cls, options, message):
    with pytest.raises(ValueError, match=message):
        cls([param([1.0])], **options)


def test_group_options_are_validated_too():
    with pytest.raises(ValueError, match="SGD: invalid learning rate -2"):
        SGD([{"params": [param([1.0])], "lr": -2}], lr=0.1)
    opt = Adam([param([1.0])])
    with pytest.raises(ValueError, match="Adam: invalid learning rate -3"):
        opt.add_param_group({"params": [param([2.0])], "lr": -3})


# ---- zero_grad, skipping, closures -------------------------------------------------------

def test_zero_grad_sets_to_none_or_zero():
    w = param([1.0, 2.0])
    (w * w).sum().backward()
    opt = SGD([w], lr=0.1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad._data, [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize(("cls", "options"), ALL, ids=IDS)
def test_params_without_grad_are_left_alone(cls, options):
    w, b = param([1.0, 2.0]), param([3.0])
    opt = cls([w, b], **options)
    w.grad = memograd.tensor([1.0, -1.0])
    opt.step()
    np.testing.assert_array_equal(b._data, [3.0])
    assert not np.array_equal(w._data, [1.0, 2.0])


def test_step_with_closure_returns_the_loss():
    w = param([3.0])
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(w._data, [1.5])  # 3 - 0.25 · 6


def test_the_base_class_names_the_missing_update_rule():
    with pytest.raises(NotImplementedError, match="Bare"):
        type("Bare", (Optimizer,), {})([param([1.0])], {"lr": 0.1}).step()


# ---- no graph, in place, dtypes ----------------------------------------------------------

@pytest.mark.parametrize(("cls", "options"), ALL, ids=IDS)
def test_steps_record_no_graph_and_write_in_place(cls, options):
    w = param([1.0, -2.0, 3.0])
    array = w._data
    view = w.detach()
    opt = cls([w], **options)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w._data is array  # updated in place: views and aliases see the new values
    np.testing.assert_array_equal(view._data, w._data)
    assert memograd.is_grad_enabled()


def test_a_step_between_forward_and_backward_is_detected():
    w = param([1.0, 2.0])
    loss = (w * w).sum()  # saves w for backward
    w.grad = memograd.tensor([1.0, 1.0])
    SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError):
        loss.backward()


@pytest.mark.parametrize(("cls", "options"), ALL, ids=IDS)
def test_float32_params_and_state_stay_float32(cls, options):
    w = param([[1.0, -2.0], [0.5, 0.25]], dtype=np.float32)
    options = dict(options, lr=np.float64(options["lr"]))  # a float64 scalar must not upcast either
    opt = cls([w], **options)
    take_steps(opt, [w], grad_sequence(3, [(2, 2)], dtype=np.float32))
    assert w.dtype == np.float32
    for value in opt.state[w].values():
        if hasattr(value, "dtype"):
            assert value.dtype == np.float32


def test_a_gradient_of_another_dtype_is_cast_to_the_parameter_dtype():
    w = param([1.0, 2.0], dtype=np.float32)
    opt = Adam([w], lr=0.1)
    w.grad = memograd.tensor(np.array([1.0, 1.0], dtype=np.float64))
    opt.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32


# ---- state_dict --------------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "options"), ALL, ids=IDS)
def test_state_dict_round_trip_continues_exactly(cls, options):
    shapes = [(2, 3), (3,)]
    starts = [np.arange(6.0).reshape(2, 3) / 7, np.array([0.5, -1.0, 2.0])]
    grads = grad_sequence(8, shapes)

    params = [param(s) for s in starts]
    take_steps(cls(params, **options), params, grads)
    uninterrupted = [p._data.copy() for p in params]

    params = [param(s) for s in starts]
    first = cls(params, **options)
    take_steps(first, params, grads[:4])
    saved = copy.deepcopy(first.state_dict())
    resumed_params = [param(p._data.copy()) for p in params]
    second = cls(resumed_params, lr=123.0)  # hyper-parameters come back from the state dict
    second.load_state_dict(saved)
    assert second.param_groups[0]["lr"] == options["lr"]
    take_steps(second, resumed_params, grads[4:])
    for p, expected in zip(resumed_params, uninterrupted):
        np.testing.assert_array_equal(p._data, expected)


def test_state_dict_layout_is_pytorchs():
    w, b, c = param([1.0]), param([2.0]), param([3.0])
    opt = Adam([{"params": [w, b]}, {"params": [c], "lr": 0.1}])
    for p in (w, c):
        p.grad = memograd.tensor([1.0])
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.1 and "params" not in opt.defaults
    assert sorted(sd["state"]) == [0, 2]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"] == 1


def test_loaded_state_is_a_copy_in_the_parameter_dtype():
    w = param([1.0, 2.0])
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = memograd.tensor([1.0, 1.0])
    opt.step()
    sd = opt.state_dict()
    w32 = param([1.0, 2.0], dtype=np.float32)
    other = SGD([w32], lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    buf = other.state[w32]["momentum_buffer"]
    assert buf.dtype == np.float32
    buf._data[...] = 7.0
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"]._data, [1.0, 1.0])


def test_state_dict_survives_save_and_load(tmp_path):
    w = param([1.0, 2.0], dtype=np.float32)
    opt = Adam([w], lr=0.1, amsgrad=True)
    w.grad = memograd.tensor(np.array([1.0, 2.0], dtype=np.float32))
    opt.step()
    memograd.save(opt.state_dict(), tmp_path / "opt.safetensors")
    fresh = Adam([param([1.0, 2.0], dtype=np.float32)])
    fresh.load_state_dict(memograd.load(tmp_path / "opt.safetensors"))
    assert fresh.param_groups[0]["amsgrad"] is True
    loaded = fresh.state_dict()["state"][0]
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        np.testing.assert_array_equal(loaded[key]._data, opt.state[w][key]._data)
    assert loaded["step"] == 1


def test_load_state_dict_checks_group_and_parameter_counts():
    a, b, c = param([1.0]), param([2.0]), param([3.0])
    opt = SGD([param([1.0]), param([2.0])], lr=0.1)
    two_groups = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer has 1"):
        opt.load_state_dict(two_groups.state_dict())
    three_params = SGD([a, b, c], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 3 parameters, the optimizer's has 2"):
        opt.load_state_dict(three_params.state_dict())


def test_load_state_dict_checks_buffer_shapes():
    w = param([1.0, 2.0])
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = memograd.tensor([1.0, 1.0])
    opt.step()
    other = SGD([param([1.0, 2.0, 3.0])], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="momentum_buffer.*shape"):
        other.load_state_dict(opt.state_dict())


def test_repr_lists_the_groups():
    text = repr(SGD([param([1.0])], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "momentum: 0.9" in text and "Parameter Group 0" in text
