"""DCGAN training steps: ConvTranspose2d generator, BatchNorm2d, LeakyReLU, BCELoss, two Adams.

Noise comes from NumPy (a user writes `torch.randn(b, nz, 1, 1)`), so both libraries see the same.
"""
import numpy as np

from programs import keep


def program(torch, init=keep, iterations=3):
    nn = torch.nn
    optim = torch.optim
    rng = np.random.default_rng(0)
    nz, ngf, ndf, nc, batch_size = 8, 4, 4, 3, 4

    def noise(b):
        return torch.from_numpy(rng.standard_normal((b, nz, 1, 1)).astype(np.float32))

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            torch.nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            torch.nn.init.normal_(m.weight, 1.0, 0.02)
            torch.nn.init.zeros_(m.bias)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),   # 4x4
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # 8x8
                nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),       # 16x16
                nn.Tanh(),
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                # 8x8
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),           # 4x4
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),             # 1x1
                nn.Sigmoid(),
            )

        def forward(self, input):
            return self.main(input).view(-1, 1).squeeze(1)

    netG = Generator()
    netG.apply(weights_init)
    netG = init(netG)
    netD = Discriminator()
    netD.apply(weights_init)
    netD = init(netD)

    criterion = nn.BCELoss()
    fixed_noise = noise(batch_size)
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    images = rng.uniform(-1, 1, size=(iterations, batch_size, nc, 16, 16)).astype(np.float32)

    losses = []
    for i in range(iterations):
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = torch.from_numpy(images[i])
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        fake = netG(noise(b_size))
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        # (2) Update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        losses += [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2]

    netG.eval()
    with torch.no_grad():
        fake = netG(fixed_noise).detach()
    assert tuple(fake.shape) == (batch_size, nc, 16, 16)
    return losses + [fake.abs().mean().item()]
