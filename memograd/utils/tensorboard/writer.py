"""SummaryWriter: PyTorch's logger of training curves, writing TensorBoard event files
through the `tensorboard` package's own event file writer."""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import summary


class SummaryWriter:
    """Write scalars, histograms and text to event files in `log_dir`, for TensorBoard.

    >>> with SummaryWriter("runs/demo") as writer:
    ...     for step in range(3):
    ...         writer.add_scalar("loss", 1.0 / (step + 1), step)

    log_dir defaults to runs/<date>_<host><comment>. Events are queued and written by a
    background thread every `flush_secs` seconds or when `max_queue` are waiting; `flush()`
    and `close()` write them now. `purge_step`: a run resumed at step k marks the events of
    step >= k written by its crashed predecessor as discarded, so the curves do not fold back.
    After `close()` the writer may be used again: it starts a new event file."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = ""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self._writers: dict | None = None  # log folder -> EventFileWriter; None once closed
        self._file_writer()

    def get_logdir(self) -> str:
        return self.log_dir

    # ---- writing ------------------------------------------------------------------------------

    def _file_writer(self, folder: str | None = None) -> EventFileWriter:
        """The writer of `folder` (default: log_dir), opened on first use."""
        if self._writers is None:
            self._writers = {}
        folder = folder or self.log_dir
        writer = self._writers.get(folder)
        if writer is None:
            writer = EventFileWriter(folder, self.max_queue, self.flush_secs, self.filename_suffix)
            self._writers[folder] = writer
            if folder == self.log_dir and self.purge_step is not None:
                step = int(self.purge_step)
                writer.add_event(Event(step=step, file_version="brain.Event:2"))
                writer.add_event(Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                writer.flush()
                self.purge_step = None  # purge once, at the start of this writer's life
        return writer

    def _add(self, proto, global_step, walltime, folder: str | None = None) -> None:
        event = Event(summary=proto, wall_time=time.time() if walltime is None else float(walltime))
        if global_step is not None:
            event.step = int(summary.scalar_value(global_step))
        self._file_writer(folder).add_event(event)

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One point of the curve `tag`: a number, or a tensor or array holding one."""
        self._add(summary.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        """Several curves in one chart: each goes to its own folder `log_dir/<main_tag>_<tag>`
        under the tag `main_tag`, so TensorBoard draws them as runs of one plot."""
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            self._add(summary.scalar(main_tag, value), global_step, walltime, folder)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins: int | None = None) -> None:
        """The distribution of `values` (say a layer's weights) at this step."""
        self._add(summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        self._add(summary.text(tag, text_string), global_step, walltime)

    # ---- life cycle ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every queued event to disk now."""
        for writer in (self._writers or {}).values():
            writer.flush()

    def close(self) -> None:
        if self._writers is None:
            return  # closing twice is fine
        for writer in self._writers.values():
            writer.flush()
            writer.close()
        self._writers = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
