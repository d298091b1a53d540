"""Reading files that someone else made, without hanging, running out of memory or failing
with a traceback: regular files only (a FIFO or a device is refused before anything is read
from it), sizes bounded before allocating, and JSON nesting bounded before parsing.

Each function takes `error`, the exception type to raise (the caller's own: CheckpointError,
IDXError, ValueError), and names the file in the message.

    with open_regular("data/train.gz", "MNIST file") as f: ...
    config = load_json("runs/x/config.json", max_bytes=1 << 20, max_depth=4)
"""
from __future__ import annotations

import json
import os
import re
import stat

import numpy as np

# A JSON string token ("..." with backslash escapes), unrolled so that long strings match fast.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_DEPTH_STEP = np.zeros(256, np.int8)
_DEPTH_STEP[[ord("["), ord("{")]] = 1
_DEPTH_STEP[[ord("]"), ord("}")]] = -1


def describe_kind(mode: int) -> str:
    """What a stat mode says a path is ("a FIFO", "a character device", ...)."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path, what: str = "file", error: type = ValueError):
    """`path` opened for binary reading, if it is a regular file. Opened without blocking, so a
    FIFO with no writer is refused at once instead of hanging; a symlink is followed."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path} is a directory, not {_a(what)}") from None
    except PermissionError:
        raise PermissionError(f"{path}: permission denied (cannot read the {what})") from None
    except OSError as err:  # a symlink loop, a name too long, a device that refuses to open...
        raise error(f"{path}: cannot open the {what} ({err.strerror or err})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise error(f"{path} is {describe_kind(mode)}, not a regular file; refusing to read it as {_a(what)}")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def file_size(f) -> int:
    return os.fstat(f.fileno()).st_size


def read_regular(path, max_bytes: int, what: str = "file", error: type = ValueError) -> bytes:
    """All bytes of the regular file `path`, refusing files over `max_bytes`."""
    with open_regular(path, what, error) as f:
        size = file_size(f)
        if size > max_bytes:
            raise error(f"{path}: {size:,} bytes is more than {_a(what)} may hold ({max_bytes:,} bytes)")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew while being read
        raise error(f"{path}: more than {_a(what)} may hold ({max_bytes:,} bytes)")
    return data


def json_depth(text: str | bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not count).
    Linear time, no recursion: safe to run before json.loads on any input."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    steps = _DEPTH_STEP[np.frombuffer(_JSON_STRING.sub(b'""', data), np.uint8)]
    steps = steps[steps != 0]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def loads_json(text: str | bytes, max_depth: int, where: str, error: type = ValueError):
    """json.loads, refusing nesting deeper than `max_depth` (the parser and every walker of the
    result would otherwise recurse once per level) and reporting bad JSON as `error`."""
    depth = json_depth(text)
    if depth > max_depth:
        raise error(f"{where}: its JSON nests {depth} levels deep; at most {max_depth} are allowed")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, ints of over 4300 digits
        raise error(f"{where}: not valid JSON ({err})") from None


def load_json(path, max_bytes: int, max_depth: int, what: str = "JSON file", error: type = ValueError):
    """The parsed JSON file `path`, bounded in size and nesting."""
    return loads_json(read_regular(path, max_bytes, what, error), max_depth, str(path), error)


def available_memory() -> int | None:
    """Bytes of memory this process could still allocate (Linux's MemAvailable, else the
    physical memory), or None when the system does not say."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KB' (decimal units, as disks and most tools print them)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # pragma: no cover - the loop always returns
