"""The MNIST example's CNN on MNIST-shaped random data: Adadelta, StepLR, nll_loss, a test pass."""
import numpy as np

from programs import keep


def program(torch, init=keep, epochs=2):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    from_loader = torch.utils.data

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.0)
            self.dropout2 = nn.Dropout(0.0)
            self.fc1 = nn.Linear(8 * 12 * 12, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    def train(model, device, train_loader, optimizer, losses):
        model.train()
        for data, target in train_loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

    def test(model, device, test_loader):
        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            for data, target in test_loader:
                data, target = data.to(device), target.to(device)
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        return test_loss / len(test_loader.dataset), correct

    rng = np.random.default_rng(0)
    images = rng.random((24, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, size=24)
    normalized = (images - 0.1307) / 0.3081
    train_set = from_loader.TensorDataset(torch.from_numpy(normalized[:16]), torch.from_numpy(labels[:16]))
    test_set = from_loader.TensorDataset(torch.from_numpy(normalized[16:]), torch.from_numpy(labels[16:]))
    train_loader = from_loader.DataLoader(train_set, batch_size=8, shuffle=False)
    test_loader = from_loader.DataLoader(test_set, batch_size=4)

    device = torch.device("cpu")
    model = init(Net()).to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    losses = []
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, losses)
        test_loss, correct = test(model, device, test_loader)
        losses += [test_loss, float(correct)]
        scheduler.step()
    assert abs(scheduler.get_last_lr()[0] - 0.7 ** epochs) < 1e-9
    return losses
