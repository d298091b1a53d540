"""ConvTranspose2d and F.conv_transpose2d: finite differences (float64), PyTorch parity of outputs
and gradients, output_size, and a few DCGAN training steps run in both libraries."""
import math

import numpy as np
import pytest
from helpers import check_grad, check_gradgrad, const

import memograd as mg
import memograd.nn as nn
import memograd.nn.functional as F

# (input shape, weight shape, keyword arguments): strides, paddings, output paddings, dilations,
# rectangular kernels, one output channel.
GEOMETRIES = [
    ((2, 3, 4, 4), (3, 2, 3, 3), dict()),
    ((1, 2, 3, 4), (2, 3, 3, 3), dict(stride=2)),
    ((2, 2, 3, 3), (2, 2, 4, 4), dict(stride=2, padding=1)),
    ((1, 2, 3, 3), (2, 2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 3, 3, 2), (3, 1, 2, 3), dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1))),
    ((1, 2, 3, 3), (2, 2, 3, 2), dict(padding=1, dilation=2)),
    ((1, 1, 2, 3), (1, 2, 3, 3), dict(stride=2, dilation=(2, 1), output_padding=(1, 0))),
]
IDS = [str(kw) for _, _, kw in GEOMETRIES]


@pytest.mark.parametrize("x_shape, w_shape, kw", GEOMETRIES, ids=IDS)
def test_gradients_match_finite_differences(x_shape, w_shape, kw):
    check_grad(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), x_shape, w_shape, (w_shape[1],))


@pytest.mark.parametrize("x_shape, w_shape, kw", GEOMETRIES[2:5], ids=IDS[2:5])
def test_gradients_for_one_input_at_a_time(x_shape, w_shape, kw):
    # an input that needs no gradient gets none computed (GAN noise, a frozen weight)
    check_grad(lambda x, w: F.conv_transpose2d(x, w, **kw), const(x_shape), w_shape)
    check_grad(lambda x, w: F.conv_transpose2d(x, w, **kw), x_shape, const(w_shape))


def test_second_derivatives():
    check_gradgrad(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1) ** 2,
                   (1, 2, 3, 3), (2, 2, 3, 3))


def test_output_shapes_and_unbatched_input():
    up = nn.ConvTranspose2d(8, 4, kernel_size=4, stride=2, padding=1)
    assert up(mg.randn(2, 8, 5, 5)).shape == (2, 4, 10, 10)
    assert up(mg.randn(8, 5, 5)).shape == (4, 10, 10)
    assert up(mg.randn(2, 8, 5, 5), output_size=(11, 11)).shape == (2, 4, 11, 11)
    assert up(mg.randn(2, 8, 5, 5), output_size=[2, 4, 10, 11]).shape == (2, 4, 10, 11)
    assert up(mg.randn(8, 5, 5), output_size=(4, 11, 10)).shape == (4, 11, 10)


def test_errors_name_the_problem():
    up = nn.ConvTranspose2d(3, 2, 3, stride=2)
    with pytest.raises(ValueError, match="valid sizes range from"):
        up(mg.randn(1, 3, 4, 4), output_size=(12, 9))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        up(mg.randn(1, 3, 4, 4), output_size=(2, 9, 9))
    with pytest.raises(ValueError, match="conv_transpose2d"):
        up(mg.randn(1, 4, 4, 4))  # 4 channels for a layer made for 3
    with pytest.raises(ValueError, match="smaller than either stride or dilation"):
        F.conv_transpose2d(mg.randn(1, 3, 4, 4), up.weight, stride=2, output_padding=2)
    with pytest.raises(NotImplementedError, match="conv_transpose2d"):
        F.conv_transpose2d(mg.randn(1, 3, 4, 4), up.weight, stride=1, dilation=3, output_padding=2)
    with pytest.raises(NotImplementedError, match="ConvTranspose2d"):
        nn.ConvTranspose2d(4, 4, 3, groups=2)
    with pytest.raises(NotImplementedError, match="conv_transpose2d"):
        F.conv_transpose2d(mg.randn(1, 4, 4, 4), mg.randn(4, 2, 3, 3), groups=2)


def test_parameters_and_init_as_pytorch():
    up = nn.ConvTranspose2d(4, 8, 3, bias=True)
    assert [(k, v.shape) for k, v in up.state_dict().items()] == [("weight", (4, 8, 3, 3)), ("bias", (8,))]
    bound = 1 / math.sqrt(8 * 9)  # fan_in is computed from weight.shape[1]: out_channels * kh * kw
    for p in (up.weight, up.bias):
        assert np.abs(p.detach().numpy()).max() <= bound
    assert np.abs(up.weight.detach().numpy()).max() > 0.9 * bound
    assert nn.ConvTranspose2d(2, 3, 3, bias=False).bias is None


# ---- against PyTorch --------------------------------------------------------------------------

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("x_shape, w_shape, kw", GEOMETRIES, ids=IDS)
def test_functional_matches_torch(x_shape, w_shape, kw):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, (w_shape[1],))]
    ours = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_m, out_t = F.conv_transpose2d(*ours, **kw), torch.nn.functional.conv_transpose2d(*theirs, **kw)
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out_t.shape)
    out_m.backward(mg.tensor(g))
    out_t.backward(torch.tensor(g))
    for name, a, b in zip(("input", "weight", "bias"), ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


MODULES = [
    (dict(in_channels=3, out_channels=2, kernel_size=3, stride=2), (2, 3, 4, 5), (9, 12)),
    (dict(in_channels=2, out_channels=4, kernel_size=(4, 3), stride=(2, 3), padding=(1, 1), bias=False),
     (1, 2, 3, 3), [1, 4, 7, 9]),
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, dilation=2, output_padding=1, stride=2),
     (2, 3, 3), None),  # unbatched
]


@pytest.mark.parametrize("options, x_shape, output_size", MODULES, ids=[str(m[0]) for m in MODULES])
def test_module_matches_torch(options, x_shape, output_size):
    ours, theirs = nn.ConvTranspose2d(**options).double(), torch.nn.ConvTranspose2d(**options).double()
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal(x_shape)
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_m, out_t = ours(xm, output_size=output_size), theirs(xt, output_size=output_size)
    assert out_m.shape == tuple(out_t.shape)
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out_m**2).sum().backward()
    (out_t**2).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


# ---- a DCGAN, three steps in both libraries ------------------------------------------------------

NZ, BATCH = 8, 4


def dcgan(lib):
    nn_ = lib.nn
    generator = nn_.Sequential(
        nn_.ConvTranspose2d(NZ, 16, 4, 1, 0, bias=False), nn_.BatchNorm2d(16), nn_.ReLU(True),   # 4x4
        nn_.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn_.BatchNorm2d(8), nn_.ReLU(True),     # 8x8
        nn_.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn_.Tanh(),                              # 16x16
    )
    discriminator = nn_.Sequential(
        nn_.Conv2d(1, 8, 4, 2, 1, bias=False), nn_.LeakyReLU(0.2, inplace=True),                 # 8x8
        nn_.Conv2d(8, 16, 4, 2, 1, bias=False), nn_.BatchNorm2d(16), nn_.LeakyReLU(0.2, inplace=True),  # 4x4
        nn_.Conv2d(16, 1, 4, 1, 0, bias=False), nn_.Sigmoid(),                                   # 1x1
    )
    return generator, discriminator


def train_dcgan(lib, generator, discriminator, reals, noises):
    """The PyTorch DCGAN example's inner loop, unchanged but for the data source."""
    criterion = lib.nn.BCELoss()
    opt_d = lib.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = lib.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    losses = []
    for real, noise in zip(reals, noises):
        real, noise = lib.tensor(real), lib.tensor(noise)
        discriminator.zero_grad()
        label = lib.full((BATCH,), 1.0)
        err_real = criterion(discriminator(real).view(-1), label)
        err_real.backward()
        fake = generator(noise)
        label.fill_(0.0)
        err_fake = criterion(discriminator(fake.detach()).view(-1), label)
        err_fake.backward()
        opt_d.step()
        generator.zero_grad()
        label.fill_(1.0)
        err_g = criterion(discriminator(fake).view(-1), label)
        err_g.backward()
        opt_g.step()
        losses.append([(err_real + err_fake).item(), err_g.item()])
    return np.array(losses)


def test_dcgan_steps_match_torch():
    rng = np.random.default_rng(0)
    reals = [np.tanh(rng.standard_normal((BATCH, 1, 16, 16))).astype(np.float32) for _ in range(3)]
    noises = [rng.standard_normal((BATCH, NZ, 1, 1)).astype(np.float32) for _ in range(3)]
    ours, theirs = dcgan(mg), dcgan(torch)
    for a, b in zip(ours, theirs):
        b.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in a.state_dict().items()})
    loss_m = train_dcgan(mg, *ours, reals, noises)
    loss_t = train_dcgan(torch, *theirs, reals, noises)
    np.testing.assert_allclose(loss_m, loss_t, rtol=1e-4, atol=1e-4)
    assert not np.allclose(loss_m[0], loss_m[-1])  # the weights did move
    for a, b in zip(ours, theirs):
        for k, v in b.state_dict().items():
            np.testing.assert_allclose(a.state_dict()[k].numpy(), v.numpy(), rtol=1e-3, atol=1e-4, err_msg=k)
