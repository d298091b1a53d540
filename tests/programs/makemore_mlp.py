"""A makemore-style character MLP: hand-made parameters, F.cross_entropy, `p.data += -lr * p.grad`.

Parameters come from `torch.randn(..., generator=g)` as in the notebooks (the harness then
overwrites them with shared values); minibatch indices come from NumPy so both libraries train
on the same rows. Sampling draws names with `torch.multinomial`.
"""
import numpy as np

from programs import keep

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]


def program(torch, init=keep, steps=6):
    F = torch.nn.functional
    chars = sorted(set("".join(WORDS)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    vocab_size, block_size = len(itos), 3

    def build_dataset(words):
        X, Y = [], []
        for w in words:
            context = [0] * block_size
            for ch in w + ".":
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]
        return torch.tensor(X), torch.tensor(Y)

    Xtr, Ytr = build_dataset(WORDS[:16])
    Xdev, Ydev = build_dataset(WORDS[16:])

    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, 4), generator=g)
    W1 = torch.randn((block_size * 4, 32), generator=g) * 0.2
    b1 = torch.randn(32, generator=g) * 0.01
    W2 = torch.randn((32, vocab_size), generator=g) * 0.01
    b2 = torch.randn(vocab_size, generator=g) * 0
    parameters = init([C, W1, b1, W2, b2])
    assert sum(p.nelement() for p in parameters) == vocab_size * 4 + 12 * 32 + 32 + 32 * vocab_size + vocab_size
    for p in parameters:
        p.requires_grad = True

    rng = np.random.default_rng(0)
    losses, lossi = [], []
    for i in range(steps):
        ix = torch.from_numpy(rng.integers(0, Xtr.shape[0], (16,)))
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, block_size * 4) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())
        lossi.append(loss.log10().item())
    assert np.allclose(lossi, np.log10(losses), rtol=1e-5)

    @torch.no_grad()
    def split_loss(X, Y):
        emb = C[X]
        h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
        return F.cross_entropy(h @ W2 + b2, Y).item()

    g = torch.Generator().manual_seed(2147483647 + 10)
    names = []
    for _ in range(3):
        out, context = [], [0] * block_size
        while len(out) < 20:
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append("".join(itos[i] for i in out))
    assert all(0 < len(name) <= 20 and set(name) <= set(stoi) for name in names)
    return losses + [split_loss(Xtr, Ytr), split_loss(Xdev, Ydev)]
