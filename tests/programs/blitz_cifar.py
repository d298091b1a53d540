"""The 60-minute blitz, part 4: a CIFAR-10 classifier on CIFAR-shaped random data, trained with
CrossEntropyLoss and SGD with momentum from a DataLoader, then scored per class."""
import numpy as np

from programs import keep


def program(torch, init=keep, epochs=2):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

    rng = np.random.default_rng(0)
    images = ((rng.random((24, 3, 32, 32)) - 0.5) / 0.5).astype(np.float32)
    labels = rng.integers(0, 10, size=24)
    trainset = torch.utils.data.TensorDataset(torch.from_numpy(images[:16]), torch.from_numpy(labels[:16]))
    testset = torch.utils.data.TensorDataset(torch.from_numpy(images[16:]), torch.from_numpy(labels[16:]))
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=False, num_workers=0)
    testloader = torch.utils.data.DataLoader(testset, batch_size=4, shuffle=False, num_workers=0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = init(Net())
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    losses = []
    for epoch in range(epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        losses.append(running_loss / len(trainloader))

    correct, total = 0, 0
    correct_pred = {classname: 0 for classname in classes}
    with torch.no_grad():
        for images, labels in testloader:
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            for label, prediction in zip(labels, predicted):
                if label == prediction:
                    correct_pred[classes[label]] += 1
    assert total == 8 and sum(correct_pred.values()) == correct
    return losses + [float(correct)]
