"""Edge cases of the library that once raised the wrong error or returned a wrong answer:
each is run in memograd and in PyTorch 2.13 and must give the same value and dtype, or an
error of the same kind (issue 11)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")


def run(lib, fn):
    """(kind, value): ("value", (array, dtype name)) or ("error", the exception's category)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn(lib)
        except Exception as err:  # noqa: BLE001 - the kind of error is what is compared
            for kind in (IndexError, NotImplementedError, RuntimeError, TypeError, ValueError):
                if isinstance(err, kind):
                    return "error", kind.__name__
            return "error", type(err).__name__
    if isinstance(out, tuple):
        return "value", tuple(run(lib, lambda _, o=o: o)[1] for o in out)
    if out is None:
        return "value", None
    return "value", (np.asarray(out.detach().numpy() if hasattr(out, "detach") else out),
                     str(out.dtype).replace("torch.", "").replace("memograd.", ""))


def grad_of(fn):
    """fn(lib, x) -> a scalar; returns a function giving x.grad after backward."""
    def make(shape):
        def body(lib):
            x = lib.zeros(*shape, dtype=lib.float32, requires_grad=True)
            fn(lib, x).backward()
            return x.grad
        return body
    return make


CASES = {
    # Library edge cases named in the issue.
    "int_tensor_floordiv_zero": lambda lib: lib.tensor([1]) // lib.tensor([0]),
    "int_tensor_mod_zero": lambda lib: lib.tensor([1, 2]) % lib.tensor([1, 0]),
    "int_floordiv_python_zero": lambda lib: lib.tensor([4]) // 0,
    "python_floordiv_int_zero": lambda lib: 5 // lib.tensor([0]),
    "float_floordiv_zero_is_inf": lambda lib: lib.tensor([1.0, -1.0]) // lib.tensor([0.0, 0.0]),
    "int_floordiv_float_scalar": lambda lib: lib.tensor([1, 2, 7]) // 1.5,
    "int_mod_float_scalar": lambda lib: lib.tensor([1, 2, 7]) % 1.5,
    "prod_of_nothing": lambda lib: lib.zeros(0).prod(),
    "prod_of_nothing_int": lambda lib: lib.zeros(0, dtype=lib.int64).prod(),
    "prod_empty_dim": lambda lib: lib.zeros(2, 0).prod(1),
    "prod_over_full_dim_of_empty": lambda lib: lib.zeros(0, 2).prod(1),
    "prod_keepdim_empty": lambda lib: lib.zeros(0, 2).prod(0, keepdim=True),
    "softmax_empty_dim": lambda lib: lib.zeros(2, 0).softmax(1),
    "softmax_other_dim_empty": lambda lib: lib.zeros(0, 3).softmax(1),
    "softmax_first_dim_empty": lambda lib: lib.zeros(0, 3).softmax(0),
    "log_softmax_empty_dim": lambda lib: lib.zeros(2, 0).log_softmax(1),
    "functional_softmax_empty": lambda lib: lib.nn.functional.softmax(lib.zeros(3, 0), dim=-1),
    "amax_over_full_dim_of_empty": lambda lib: lib.zeros(3, 0).amax(0),
    "amax_keepdim_of_empty": lambda lib: lib.zeros(0, 3).amax(1, keepdim=True),
    "amin_over_full_dim_of_empty": lambda lib: lib.zeros(0, 3).amin(1),
    "amax_of_empty_dim": lambda lib: lib.zeros(2, 0).amax(1),
    "amin_of_empty_dim": lambda lib: lib.zeros(0, 3).amin(0),
    "amax_of_empty_all": lambda lib: lib.zeros(0).amax(),
    "max_of_empty_all": lambda lib: lib.zeros(0, 2).max(),
    "max_dim_of_empty_dim": lambda lib: lib.zeros(0, 3).max(0),
    "max_dim_over_full_dim_of_empty": lambda lib: lib.zeros(0, 3).max(1),
    "argmax_of_empty": lambda lib: lib.zeros(0).argmax(),
    "argmax_empty_dim": lambda lib: lib.zeros(2, 0).argmax(1),
    "mean_of_nothing_is_nan": lambda lib: lib.zeros(0).mean(),
    "mean_dim_of_nothing": lambda lib: lib.zeros(2, 0).mean(1),
    "sum_of_nothing": lambda lib: lib.zeros(0, 4).sum(0),
    "mean_backward_of_nothing": grad_of(lambda lib, x: x.mean())((0,)),
    "mean_dim_backward_of_nothing": grad_of(lambda lib, x: x.mean(1).sum())((2, 0)),
    "prod_backward_of_nothing": grad_of(lambda lib, x: x.prod())((0,)),
    "softmax_backward_of_nothing": grad_of(lambda lib, x: x.softmax(1).sum())((2, 0)),
    # 0-dim tensors do not promote within a category; other ranks and categories do.
    "zero_dim_f64_plus_f32": lambda lib: lib.tensor(1.0, dtype=lib.float64) + lib.ones(2),
    "f32_plus_zero_dim_f64": lambda lib: lib.ones(2) + lib.tensor(1.5, dtype=lib.float64),
    "f32_times_zero_dim_f64": lambda lib: lib.ones(2) * lib.tensor(3.0, dtype=lib.float64),
    "f32_div_zero_dim_f64": lambda lib: lib.ones(2) / lib.tensor(3.0, dtype=lib.float64),
    "f32_pow_zero_dim_f64": lambda lib: lib.full((2,), 2.0) ** lib.tensor(3.0, dtype=lib.float64),
    "f16_plus_zero_dim_f64": lambda lib: lib.ones(2, dtype=lib.float16) + lib.tensor(1.0, dtype=lib.float64),
    "int_plus_zero_dim_f64": lambda lib: lib.tensor([1, 2]) + lib.tensor(1.5, dtype=lib.float64),
    "int32_plus_zero_dim_int64": lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor(5),
    "uint8_plus_zero_dim_negative": lambda lib: lib.tensor([1], dtype=lib.uint8) + lib.tensor(-5),
    "bool_plus_zero_dim_int": lambda lib: lib.tensor([True]) + lib.tensor(2),
    "zero_dim_pair_promotes": lambda lib: lib.tensor(1.0, dtype=lib.float64) + lib.tensor(2.0),
    "zero_dim_int_plus_python_float": lambda lib: lib.tensor(1) + 2.5,
    "zero_dim_f64_plus_python_float": lambda lib: lib.tensor(1.0, dtype=lib.float64) + 2.5,
    "zero_dim_f32_times_f64": lambda lib: lib.tensor(2.0) * lib.ones(2, dtype=lib.float64),
    "int_div_int": lambda lib: lib.tensor([1]) / lib.tensor([2]),
    "int_div_zero_dim_f64": lambda lib: lib.tensor([1]) / lib.tensor(2.0, dtype=lib.float64),
    "f32_plus_numpy_f64_scalar": lambda lib: lib.ones(2) + np.float64(2.5),
    # Zero-sized layers.
    "linear_with_no_inputs": lambda lib: lib.nn.Linear(0, 3)(lib.zeros(2, 0)),
    "linear_with_no_outputs": lambda lib: lib.nn.Linear(3, 0)(lib.zeros(2, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_case_matches_pytorch(name):
    fn = CASES[name]
    mine, theirs = run(memograd, fn), run(torch, fn)
    assert mine[0] == theirs[0], f"memograd gives {mine}, PyTorch {theirs}"
    if mine[0] == "error":
        assert mine[1] == theirs[1]
        return
    flat_mine = mine[1] if isinstance(mine[1], tuple) and isinstance(mine[1][0], tuple) else (mine[1],)
    flat_theirs = theirs[1] if isinstance(theirs[1], tuple) and isinstance(theirs[1][0], tuple) else (theirs[1],)
    for (a, a_dtype), (b, b_dtype) in zip(flat_mine, flat_theirs, strict=True):
        assert a_dtype == b_dtype
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, equal_nan=True)


def test_linear_with_no_inputs_is_initialised_as_pytorch():
    """nn.Linear(0, 3): an empty weight (initialising it is a no-op that warns), a zero bias."""
    with pytest.warns(UserWarning, match="zero-element"):
        layer = memograd.nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias.detach().numpy(), [0.0, 0.0, 0.0])


def test_linear_with_no_inputs_has_torch_gradients():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = memograd.nn.Linear(0, 3)
    layer(memograd.zeros(2, 0)).sum().backward()
    assert layer.weight.grad.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(layer.bias.detach().numpy(), [0.0, 0.0, 0.0])


def test_integer_division_by_zero_raises_before_computing():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        memograd.tensor([3, 4]) % 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a float division by zero is silent, as in PyTorch
        assert memograd.tensor([1.0]) // 0.0 == float("inf")


INPLACE = {
    "int_iadd_float": lambda lib: lib.tensor([1, 2]).__iadd__(1.5),
    "int_idiv_int": lambda lib: lib.tensor([1, 2]).__itruediv__(2),
    "bool_iadd_int": lambda lib: lib.tensor([True]).__iadd__(1),
    "int_iadd_float_tensor": lambda lib: lib.tensor([1]).__iadd__(lib.ones(1)),
    "int_iadd_zero_dim_float": lambda lib: lib.tensor([1]).__iadd__(lib.tensor(1.0)),
    "int_imul_int": lambda lib: lib.tensor([1, 2]).__imul__(3),
    "int32_iadd_int64": lambda lib: lib.tensor([1], dtype=lib.int32).__iadd__(lib.tensor([1])),
    "f32_iadd_f64": lambda lib: lib.ones(2).__iadd__(lib.ones(2, dtype=lib.float64)),
    "float_isub_int": lambda lib: lib.ones(2).__isub__(lib.tensor([1, 2])),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_result_dtype_matches_pytorch(name):
    """`int_tensor += 1.5` is refused as in PyTorch."""
    fn = INPLACE[name]
    mine, theirs = run(memograd, fn), run(torch, fn)
    assert mine[0] == theirs[0], f"memograd gives {mine}, PyTorch {theirs}"
    if mine[0] == "value":
        assert mine[1][1] == theirs[1][1]
        np.testing.assert_array_equal(mine[1][0], theirs[1][0])
    else:
        assert mine[1] == theirs[1]


def test_inplace_refusal_is_one_clear_message():
    t = memograd.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output type int64"):
        t += 1.5
    np.testing.assert_array_equal(t.numpy(), [1, 2])  # unchanged
