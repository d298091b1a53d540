"""Per-thread switches, as in PyTorch: whether ops record a graph (grad mode), whether NaN and
Inf are hunted down (anomaly mode), and which `memograd.compile` recorder, if any, listens to
this thread's ops. A new thread starts with grad mode on and the others off, so one thread's
`no_grad()` never stops another thread's recording."""
from __future__ import annotations

import threading


class ThreadModes(threading.local):
    # Class attributes are the values every thread starts from.
    grad_enabled = True
    inference = False
    anomaly = False
    recorder = None  # a memograd.capture.recorder.Recorder while a step is being recorded


modes = ThreadModes()
