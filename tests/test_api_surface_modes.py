"""Switches and device namespaces programs touch: inference_mode, autograd.Variable,
torch.cuda / accelerator / backends on a machine without CUDA, amp.autocast and GradScaler,
process settings, torch.compile's options."""
import warnings

import pytest

import memograd
from memograd.unsupported import UnsupportedAPIError

torch = pytest.importorskip("torch")


def test_inference_mode_as_context_and_decorators():
    for lib in (memograd, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert not lib.is_grad_enabled() and lib.is_inference_mode_enabled()
            assert not (x * 2).requires_grad
            with lib.inference_mode(False):  # records again, as PyTorch's
                assert lib.is_grad_enabled()
        assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def called():
            return (x * 2).requires_grad, lib.is_grad_enabled()

        @lib.inference_mode
        def bare():
            return (x * 2).requires_grad

        assert called() == (False, False) and bare() is False and lib.is_grad_enabled()
        with lib.no_grad(), lib.inference_mode(False):
            assert lib.is_grad_enabled()
        assert lib.autograd.inference_mode is lib.inference_mode


def test_inference_mode_restores_grad_mode_after_an_error():
    with pytest.raises(ValueError), memograd.inference_mode():
        raise ValueError
    assert memograd.is_grad_enabled() and not memograd.is_inference_mode_enabled()


def test_variable_as_torch():
    for lib in (memograd, torch):
        x = lib.tensor([1.0, 2.0])
        v = lib.autograd.Variable(x, requires_grad=True)
        assert v is not x and v.requires_grad and not x.requires_grad and v.is_leaf
        v.data[0] = 5.0
        assert x.tolist() == [5.0, 2.0]  # shares memory
        y = lib.tensor([1.0], requires_grad=True) * 2
        w = lib.autograd.Variable(y)
        assert w.grad_fn is None and not w.requires_grad
        assert isinstance(x, lib.autograd.Variable)
        assert lib.autograd.Variable().shape == (0,)
        with pytest.raises(TypeError):
            lib.autograd.Variable([1.0, 2.0])


def test_cuda_and_accelerator_answer_as_a_cpu_build():
    for lib in (memograd, torch):
        assert lib.cuda.is_available() is False and lib.cuda.device_count() == 0
        assert lib.cuda.manual_seed(1) is None and lib.cuda.manual_seed_all(1) is None
        assert lib.cuda.is_bf16_supported() is False and lib.cuda.is_initialized() is False
        assert lib.cuda.empty_cache() is None and lib.cuda.memory_allocated() == 0
        assert lib.accelerator.is_available() is False and lib.accelerator.current_accelerator() is None
        assert lib.accelerator.device_count() == 0
        with pytest.raises(AssertionError):
            lib.cuda.current_device()


def test_backends_flags_are_settable_with_torchs_defaults():
    for lib in (memograd, torch):
        cudnn = lib.backends.cudnn
        assert (cudnn.benchmark, cudnn.deterministic, cudnn.enabled) == (False, False, True)
        assert lib.backends.cuda.matmul.allow_tf32 is False and cudnn.allow_tf32 is True
        assert lib.backends.mps.is_available() is False and lib.backends.mps.is_built() is False
        assert cudnn.is_available() is False
    memograd.backends.cudnn.benchmark = True
    memograd.backends.cudnn.deterministic = True
    memograd.backends.cuda.matmul.allow_tf32 = True
    assert memograd.backends.cudnn.benchmark and memograd.backends.cuda.matmul.allow_tf32
    memograd.backends.cudnn.benchmark = memograd.backends.cudnn.deterministic = False
    memograd.backends.cuda.matmul.allow_tf32 = False


def test_autocast_is_a_usable_no_op():
    x = memograd.ones(2, 2)
    with memograd.autocast("cpu", dtype=memograd.bfloat16):
        assert (x @ x).dtype == memograd.float32 and memograd.is_autocast_enabled("cpu")
    with memograd.amp.autocast(device_type="cpu", enabled=False):
        assert not memograd.amp.is_autocast_enabled("cpu")

    @memograd.autocast("cpu")
    def f(a):
        return a * 2

    assert f(x).tolist() == [[2.0, 2.0]] * 2
    for lib in (memograd, torch):
        with pytest.warns(UserWarning, match="CUDA is not available"), lib.autocast("cuda"):
            assert not lib.is_autocast_enabled()
        with pytest.warns(FutureWarning), pytest.warns(UserWarning), lib.cuda.amp.autocast():
            pass


def test_disabled_grad_scaler_passes_through_as_torch():
    model = memograd.nn.Linear(2, 1)
    opt = memograd.optim.SGD(model.parameters(), lr=0.1)
    for lib in (memograd, torch):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            assert lib.amp.GradScaler().is_enabled() is False
        with pytest.warns(FutureWarning), pytest.warns(UserWarning):
            assert lib.cuda.amp.GradScaler().is_enabled() is False
        s = lib.amp.GradScaler(enabled=False)
        loss = lib.tensor(2.0, requires_grad=True)
        assert s.scale(loss) is loss and s.get_scale() == 1.0 and s.state_dict() == {}
    before = model.weight.detach().clone()
    loss = model(memograd.ones(3, 2)).sum()
    scaler = memograd.amp.GradScaler(enabled=False)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    assert not memograd.allclose(model.weight, before)  # step() did call optimizer.step()


def test_cpu_grad_scaler_scales_unscales_and_skips_like_torch():
    def train(lib, poison):
        lib.manual_seed(0)
        w = lib.tensor([[0.5, -1.0]], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
        scales = []
        for step in range(4):
            opt.zero_grad()
            loss = (w * lib.tensor([[1.0, float("inf") if poison == step else 2.0]])).sum()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
        return w.detach().numpy().tolist(), scales, scaler.state_dict()

    for poison in (None, 1):
        ours, theirs = train(memograd, poison), train(torch, poison)
        assert ours[0] == theirs[0] and ours[1] == theirs[1]
        assert ours[2]["scale"] == float(theirs[2]["scale"])


def test_grad_scaler_misuse_raises_as_torch():
    for lib in (memograd, torch):
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        with pytest.raises(AssertionError):
            scaler.update()
        scaler.scale(w.sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError):
            scaler.unscale_(opt)


def test_process_settings():
    memograd.use_deterministic_algorithms(True)
    assert memograd.are_deterministic_algorithms_enabled()
    memograd.use_deterministic_algorithms(False)
    memograd.set_num_threads(2)
    assert memograd.get_num_threads() == 2
    memograd.set_float32_matmul_precision("high")
    assert memograd.get_float32_matmul_precision() == "high"
    memograd.set_float32_matmul_precision("highest")
    assert memograd.bfloat16 == memograd.float32  # bfloat16 is stored as float32 (docs/compat.md)
    assert memograd.ones(2, dtype=memograd.bfloat16).dtype == memograd.float32


def test_compile_options():
    def step(x):
        return x * 2

    assert memograd.compile(step, disable=True) is step
    assert memograd.compile(step, mode="max-autotune", fullgraph=True, dynamic=False) is not None
    with pytest.raises(UnsupportedAPIError, match="backend"):
        memograd.compile(step, backend="cudagraphs")
    with pytest.raises(NotImplementedError, match="options"):
        memograd.compile(step, options={"trace.enabled": True})


def test_no_warnings_from_plain_calls():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memograd.cuda.is_available()
        memograd.amp.GradScaler(enabled=False)
        memograd.autocast("cpu")
