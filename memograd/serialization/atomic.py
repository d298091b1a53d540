"""Write a file so that readers see the old content or the new one, never a half-written file,
and so that temporary files left by writers that were killed do not pile up.

The temporary file is `.NAME.PID.RANDOM.tmp` beside the target. A process killed while saving
(kill -9, power loss) cannot remove its own; the next save of the same target removes every one
whose process no longer runs (same machine: a writer on another host sharing the folder, or a
reused PID, keeps its file until a later save)."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

# Temporary files of older memograd versions carry no PID; they are removed once this old.
_LEGACY_AGE_S = 3600


def _default_mode() -> int:
    # mkstemp creates 0600 files; give new checkpoints the mode open() would (0666 minus umask).
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`.

    On any failure the temporary file is removed and an existing `path` is left untouched.
    """
    path = Path(path)
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"save: cannot write {path}: directory {directory} does not exist")
    remove_stale_temporaries(path)
    mode = path.stat().st_mode & 0o777 if path.is_file() else _default_mode()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """The temporary files beside `path` left by saves of it whose process has ended."""
    path = Path(path)
    prefix = f".{path.name}."
    found = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        middle = name[len(prefix):-len(".tmp")]
        pid, dot, random_part = middle.partition(".")
        if dot and pid.isdigit() and random_part and "." not in random_part:
            if not _process_alive(int(pid)):
                found.append(Path(entry.path))
        elif not dot and len(middle) == 8 and _older_than(entry, _LEGACY_AGE_S):
            found.append(Path(entry.path))
    return found


def remove_stale_temporaries(path: str | os.PathLike) -> None:
    for leftover in stale_temporaries(path):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving the same file right now
    if os.name != "posix":
        return True  # no cheap, harmless liveness test: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _older_than(entry: os.DirEntry, seconds: float) -> bool:
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > seconds
    except OSError:
        return False


def _fsync_directory(directory: Path) -> None:
    # The rename itself is durable only once the directory entry is flushed (POSIX only).
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
