"""A 1-D GAN: the generator learns to turn uniform noise into samples of N(4, 1.25).

The discriminator judges a whole minibatch at once (one row of samples, with their squared
distances from the row's mean appended), SGD with momentum trains both, BCELoss scores them.
"""
import numpy as np

from programs import keep


def program(torch, init=keep, epochs=6):
    nn = torch.nn
    optim = torch.optim
    rng = np.random.default_rng(0)
    data_mean, data_stddev, n = 4.0, 1.25, 16

    def real_sampler(size):
        return torch.tensor(rng.normal(data_mean, data_stddev, (1, size)), dtype=torch.float32)

    def noise_sampler(m, size):
        return torch.tensor(rng.random((m, size)), dtype=torch.float32)

    def with_moments(data):
        mean = torch.mean(data, 1, keepdim=True)
        diffs = torch.pow(data - mean, 2.0)
        return torch.cat([data, diffs], 1)

    class Generator(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super().__init__()
            self.map1 = nn.Linear(input_size, hidden_size)
            self.map2 = nn.Linear(hidden_size, hidden_size)
            self.map3 = nn.Linear(hidden_size, output_size)

        def forward(self, x):
            x = torch.tanh(self.map1(x))
            x = torch.tanh(self.map2(x))
            return self.map3(x)

    class Discriminator(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super().__init__()
            self.map1 = nn.Linear(input_size, hidden_size)
            self.map2 = nn.Linear(hidden_size, hidden_size)
            self.map3 = nn.Linear(hidden_size, output_size)

        def forward(self, x):
            x = torch.sigmoid(self.map1(x))
            x = torch.sigmoid(self.map2(x))
            return torch.sigmoid(self.map3(x))

    G = init(Generator(1, 5, 1))
    D = init(Discriminator(2 * n, 10, 1))
    criterion = nn.BCELoss()
    d_optimizer = optim.SGD(D.parameters(), lr=1e-3, momentum=0.9)
    g_optimizer = optim.SGD(G.parameters(), lr=1e-3, momentum=0.9)

    losses = []
    for epoch in range(epochs):
        for _ in range(2):
            D.zero_grad()
            d_real_decision = D(with_moments(real_sampler(n)))
            d_real_error = criterion(d_real_decision, torch.ones([1, 1]))
            d_real_error.backward()
            d_gen_input = noise_sampler(n, 1)
            d_fake_data = G(d_gen_input).detach()
            d_fake_decision = D(with_moments(d_fake_data.t()))
            d_fake_error = criterion(d_fake_decision, torch.zeros([1, 1]))
            d_fake_error.backward()
            d_optimizer.step()
        G.zero_grad()
        gen_input = noise_sampler(n, 1)
        g_fake_data = G(gen_input)
        dg_fake_decision = D(with_moments(g_fake_data.t()))
        g_error = criterion(dg_fake_decision, torch.ones([1, 1]))
        g_error.backward()
        g_optimizer.step()
        losses += [d_real_error.item(), d_fake_error.item(), g_error.item()]

    with torch.no_grad():
        samples = G(noise_sampler(64, 1)).view(-1)
    return losses + [samples.mean().item(), samples.std().item()]
