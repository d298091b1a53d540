"""Per-thread switches, as in PyTorch: whether ops record a graph (grad mode), whether NaN and
Inf are hunted down (anomaly mode), and which `memograd.compile` recorder, if any, listens to
this thread's ops. A new thread starts with grad mode on and the others off, so one thread's
`no_grad()` never stops another thread's recording."""
from __future__ import annotations

import threading

DEPARTED: set = set()
"""The threads whose grad mode, anomaly mode or recorder is not at the default. Reading a
per-thread switch is a threading.local lookup (about three times a plain attribute's cost), and
Op.apply, the hottest path of the library, needs three of them per op: while this set is empty,
every thread is at the defaults and Op.apply reads none. A thread adds or removes only its own
id, and set.add/discard are atomic, so no lock is needed; a thread that ends while away from
the defaults leaves its id behind, which costs speed, never correctness."""


class ThreadModes(threading.local):
    # Class attributes are the values every thread starts from.
    grad_enabled = True
    inference = False
    anomaly = False
    recorder = None  # a memograd.capture.recorder.Recorder while a step is being recorded

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if self.grad_enabled and not self.anomaly and self.recorder is None:
            DEPARTED.discard(threading.get_ident())
        else:
            DEPARTED.add(threading.get_ident())


modes = ThreadModes()
