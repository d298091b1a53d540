"""Version counters: how many times a storage was changed in place (PyTorch's `_version`).

A base tensor, its views and its `detach()`es share one counter. Each change also stamps the
counter with a tick of one process-wide clock, and each node remembers the tick at which it
was made: a value the node saved was changed afterwards exactly when that value's counter
carries a later stamp. Nodes look at counters only when the clock moved since they were made,
so the check costs one integer comparison per node in the common case."""
from __future__ import annotations


class Clock:
    """Ticks once per in-place change anywhere in the process."""

    __slots__ = ("now",)

    def __init__(self):
        self.now = 0


CLOCK = Clock()


class VersionCounter:
    __slots__ = ("stamp", "value")

    def __init__(self):
        self.value = 0
        self.stamp = 0

    def bump(self) -> None:
        self.value += 1
        CLOCK.now += 1
        self.stamp = CLOCK.now
