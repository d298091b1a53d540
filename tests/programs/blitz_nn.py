"""The 60-minute blitz, part 3: a LeNet-style nn.Module, backward from a given gradient, MSELoss,
walking the graph through grad_fn, a manual SGD step on .data and then torch.optim.SGD."""
import numpy as np

from programs import keep


def program(torch, init=keep):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    rng = np.random.default_rng(0)

    def randn(*shape):
        return torch.from_numpy(rng.standard_normal(shape).astype(np.float32))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, input):
            c1 = F.relu(self.conv1(input))
            s2 = F.max_pool2d(c1, (2, 2))
            c3 = F.relu(self.conv2(s2))
            s4 = F.max_pool2d(c3, 2)
            s4 = torch.flatten(s4, 1)
            f5 = F.relu(self.fc1(s4))
            f6 = F.relu(self.fc2(f5))
            return self.fc3(f6)

    net = init(Net())
    params = list(net.parameters())
    assert len(params) == 10 and params[0].size() == (6, 1, 5, 5)

    input = randn(1, 1, 32, 32)
    out = net(input)
    net.zero_grad()
    out.backward(randn(1, 10))
    figures = [out.sum().item(), net.conv1.bias.grad.sum().item()]

    output = net(input)
    target = randn(10).view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    linear_node = loss.grad_fn.next_functions[0][0]
    assert linear_node is not None and linear_node.next_functions

    net.zero_grad()
    assert net.conv1.bias.grad is None
    loss.backward()
    figures += [loss.item(), net.conv1.bias.grad.sum().item()]

    learning_rate = 0.01
    for f in net.parameters():
        f.data.sub_(f.grad.data * learning_rate)

    optimizer = optim.SGD(net.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        figures.append(loss.item())
    return figures
