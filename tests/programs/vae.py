"""A variational autoencoder: reparameterization trick, BCE + KL loss, Adam, decoding samples.

The noise of the reparameterization comes from NumPy so both libraries draw the same eps;
a user would write `torch.randn_like(std)` there.
"""
import numpy as np

from programs import keep


def program(torch, init=keep, epochs=2):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    rng = np.random.default_rng(0)
    image_size, hidden, latent = 64, 32, 4

    def randn_like(t):
        return torch.from_numpy(rng.standard_normal(tuple(t.shape)).astype(np.float32))

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(image_size, hidden)
            self.fc21 = nn.Linear(hidden, latent)
            self.fc22 = nn.Linear(hidden, latent)
            self.fc3 = nn.Linear(latent, hidden)
            self.fc4 = nn.Linear(hidden, image_size)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            eps = randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, image_size))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, image_size), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    images = torch.from_numpy((rng.random((24, 1, 8, 8)) > 0.6).astype(np.float32))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images[:16]), batch_size=8)
    model = init(VAE())
    optimizer = optim.Adam(model.parameters(), lr=1e-2)

    losses = []
    for epoch in range(epochs):
        model.train()
        train_loss = 0.0
        for (data,) in loader:
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        losses.append(train_loss / len(loader.dataset))

        model.eval()
        with torch.no_grad():
            recon, mu, logvar = model(images[16:])
            losses.append(loss_function(recon, images[16:], mu, logvar).item() / 8)
            sample = model.decode(randn_like(torch.zeros(4, latent)))
            assert tuple(sample.view(4, 1, 8, 8).shape) == (4, 1, 8, 8)
            losses.append(sample.sum().item())
    return losses
