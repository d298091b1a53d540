"""Module: registration, naming, state_dict round trips and errors, modes, conversion, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import memograd as mg
from memograd import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(mg.ones(1))
        self.register_buffer("steps", mg.zeros(1))
        self.register_buffer("cache", mg.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.block(x))


def test_parameter_defaults_and_repr():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, mg.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    assert not nn.Parameter(mg.zeros(1), requires_grad=False).requires_grad
    assert type(p * 2) is mg.Tensor  # results of ops are plain tensors


def test_registration_and_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # Own parameters first (in assignment order), then children's, as PyTorch.
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "block.bn.weight", "block.bn.bias",
                     "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "block.steps", "block.cache", "block.bn.running_mean", "block.bn.running_var", "block.bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.bn", "head", "head.0", "head.1"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert len(list(net.block.parameters(recurse=False))) == 1
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias


def test_state_dict_order_skips_non_persistent_and_shares_memory():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["block.scale", "block.steps", "block.fc.weight", "block.fc.bias", "block.bn.weight",
                        "block.bn.bias", "block.bn.running_mean", "block.bn.running_var",
                        "block.bn.num_batches_tracked", "head.1.weight", "head.1.bias"]
    assert not sd["block.fc.weight"].requires_grad
    assert np.shares_memory(sd["block.fc.weight"]._data, net.block.fc.weight._data)


def test_shared_parameter_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_load_state_dict_round_trip_with_numpy_arrays():
    src, dst = Net(), Net()
    arrays = {k: v.numpy().copy() for k, v in src.state_dict().items()}
    result = dst.load_state_dict(arrays)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), arrays[k])
    assert isinstance(dst.block.fc.weight, nn.Parameter) and dst.block.fc.weight.requires_grad


def test_load_state_dict_strict_errors_list_every_problem():
    net = nn.Linear(2, 3)
    bad = {"weight": np.zeros((3, 2), np.float32), "extra": np.zeros(1)}
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(bad)
    text = str(err.value)
    assert 'Missing key(s) in state_dict: "bias"' in text
    assert 'Unexpected key(s) in state_dict: "extra"' in text
    assert "Linear" in text
    result = net.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]


def test_load_state_dict_shape_mismatch_names_key_and_shapes_and_changes_nothing():
    net = nn.Linear(2, 3)
    before = net.weight.detach().numpy().copy()
    sd = {"weight": np.ones((2, 2), np.float32), "bias": np.ones(3, np.float32)}
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for weight.*\(2, 2\).*(\(3, 2\)|Size\(\[3, 2\]\))"):
            net.load_state_dict(sd, strict=strict)
    np.testing.assert_array_equal(net.weight.detach().numpy(), before)
    assert not np.all(net.bias.detach().numpy() == 1)


def test_train_eval_flags_propagate():
    net = Net()
    assert net.training and net.block.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not net.head[0].training


def test_zero_grad_and_requires_grad():
    net = Net()
    net(mg.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_double_keeps_parameter_objects_and_integer_buffers():
    net = Net()
    weight = net.block.fc.weight
    assert net.to(mg.float64) is net
    assert net.block.fc.weight is weight and weight.dtype == mg.float64
    assert net.block.bn.running_mean.dtype == mg.float64
    assert net.block.bn.num_batches_tracked.dtype == mg.int64
    out = net(mg.randn(4, 3, dtype=mg.float64))
    assert out.dtype == mg.float64
    out.sum().backward()
    assert weight.grad.dtype == mg.float64
    net.float()
    assert weight.dtype == mg.float32
    net.to("cpu")
    with pytest.raises(RuntimeError):
        net.to("cuda")


def test_apply_visits_children_first():
    net = Net()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Block", "ReLU", "Linear", "Sequential", "Net"]


def test_attribute_rules():
    m = nn.Module()
    m.w = nn.Parameter(mg.zeros(2))
    with pytest.raises(TypeError):
        m.w = mg.zeros(2)  # a plain tensor cannot replace a registered parameter
    m.w = None
    assert m.w is None and list(m.state_dict()) == []
    m.register_buffer("b", mg.zeros(1))
    m.b = mg.ones(1)
    assert m._buffers["b"].item() == 1
    del m.b
    assert "b" not in m._buffers
    with pytest.raises(AttributeError):
        _ = m.nothing
    with pytest.raises(KeyError):
        m.register_buffer("a.b", mg.zeros(1))

    class NoInit(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoInit()


def test_forward_missing_is_clear():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_repr_nested_like_pytorch():
    assert repr(Net()) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (bn): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )


def test_sequential_indexing_len_iteration_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    assert len(seq) == 2 and isinstance(seq[-1], nn.Tanh)
    seq.append(nn.Linear(3, 1))
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    head = seq[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert seq(mg.randn(5, 2)).shape == (5, 1)
    del seq[0]
    assert list(seq._modules) == ["0", "1"]
    named = nn.Sequential(OrderedDict([("conv", nn.Identity()), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_children()] == ["conv", "act"]
    with pytest.raises(IndexError):
        seq[5]


def test_module_list_and_dict_register_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert [n for n, _ in layers.named_parameters()][-1] == "3.bias"
    heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    heads["c"] = nn.Linear(2, 3)
    assert list(heads.keys()) == ["a", "b", "c"] and "c" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "c.weight", "c.bias"]


def test_buffer_assignment_registers():
    m = nn.Module()
    m.stats = nn.Buffer(mg.zeros(3))
    m.tmp = nn.Buffer(mg.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["stats"]
    assert [n for n, _ in m.named_buffers()] == ["stats", "tmp"]
