"""A PyTorch program of the kind tutorials and scripts are made of, run unchanged with
`torch` bound to memograd and to PyTorch: it must run, and print the same lines up to the
digits (random streams differ between the libraries)."""
import contextlib
import io
import re
import warnings

import pytest

import memograd

PROGRAM = '''
import numpy as np
device = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
torch.backends.cudnn.benchmark = True
torch.manual_seed(0)
torch.cuda.manual_seed_all(0)
print(f"using {device}, seed {torch.initial_seed()}")

rng = np.random.default_rng(0)
x = torch.tensor(rng.normal(size=(64, 3)), dtype=torch.float32)
y = torch.randint(0, 3, (64,))
print(x.shape, x.size(1), x.nelement(), x.is_cuda, y.dtype == torch.int64)

weights = torch.bincount(y, minlength=3).float()
sampler = torch.utils.data.WeightedRandomSampler(1.0 / weights[y], num_samples=64)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16, sampler=sampler)

model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).to(device)
model = torch.nn.DataParallel(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
scaler = torch.amp.GradScaler(enabled=False)
for epoch in range(2):
    total = 0.0
    for xb, yb in loader:
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        total += loss.item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}")

with torch.inference_mode():
    logits = model(x)
    probs = logits.softmax(dim=1)
    top = probs.topk(2, dim=1)
    pred = torch.multinomial(probs, 1).squeeze(1)
    print(top.values.shape, top.indices.dtype == torch.long, pred.shape, probs.requires_grad)
    print("accuracy", f"{(logits.argmax(1) == y).float().mean():.3f}")

a = torch.arange(12.0).reshape(3, 4)
print(torch.tril(a), a.t().shape, a.narrow(1, 1, 2).shape, torch.flip(a, [0])[0])
print(torch.cumsum(a, dim=1)[-1], torch.einsum("ij,kj->ik", a, a).shape)
print(torch.log(torch.tensor([0.0, 1.0])), torch.sort(torch.tensor([3.0, 1.0, 2.0])).indices)
print(torch.histc(torch.tensor([1.0, 2.0, 2.0, 4.0]), bins=3), torch.all(a > -1, dim=1))
counts, edges = np.histogram(torch.tensor([1.0, 2.0, 2.0]), bins=2)
print(counts.tolist(), np.asarray(a).shape, a.new_zeros(2))
grid_x, grid_y = torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")
print(grid_x.shape, torch.hstack([a[0], a[1]]).shape, torch.outer(a[0], a[1]).shape)
w = torch.autograd.Variable(torch.ones(2), requires_grad=True)
(w * 3).sum().backward()
print(w.grad, torch.log10(torch.tensor([100.0])), torch.remainder(torch.tensor([-3.0]), 2))
'''


def digits_masked(text: str) -> list:
    """The printed lines with every number replaced, so the libraries' streams can differ."""
    return [re.sub(r"-?\d+(\.\d*)?(e[+-]\d+)?", "#", line) for line in text.splitlines()]


def run(lib) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(PROGRAM, {"torch": lib})  # noqa: S102 - the test's own program text
    return out.getvalue()


def test_the_program_runs_unchanged_and_prints_like_torch():
    torch = pytest.importorskip("torch")
    ours = run(memograd)
    theirs = run(torch)
    assert digits_masked(ours) == digits_masked(theirs), ours
