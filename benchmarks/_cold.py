"""Cold start: a fresh interpreter per run, timed from spawn to exit, with its peak memory.

Each command runs in a child of this interpreter (``sys.executable -c CODE``), started with
``posix_spawn``; the child prints its peak resident memory (``VmHWM`` of /proc/self/status)
as its last act, which costs microseconds. A console script runs as installed (its own
``#!`` line starts the interpreter), and cannot print its memory, so only its time is
known. The runs of the commands take turns, so a slow moment of the machine does not fall
on one command only.

This machine sets ``PYTHONDONTWRITEBYTECODE=1``, which would leave every import compiling
from source. Each command runs once first without it, so that the ``.pyc`` files exist as
they do on an installed system; the measured runs keep the environment as it is.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A command run cold."""

    label: str
    """How the table names it."""
    code: str
    """What ``python -c`` runs; unused when ``program`` is given."""
    program: tuple[str, ...] = ()
    """A program and its arguments (a console script), run as is instead of ``python -c``."""


@dataclass(frozen=True)
class Cold:
    """The runs of one command."""

    command: Command
    seconds: tuple[float, ...]
    """The wall time of each run, spawn to exit."""
    peak_bytes: tuple[int, ...]
    """The peak resident memory of each run; empty for a program, which cannot report it."""

    @property
    def median_ms(self) -> float:
        """The median wall time, in milliseconds."""
        return statistics.median(self.seconds) * 1e3

    @property
    def min_ms(self) -> float:
        """The fastest run, in milliseconds."""
        return min(self.seconds) * 1e3

    @property
    def peak_mb(self) -> float | None:
        """The median peak resident memory, in MB (10**6 bytes); None if not known."""
        if not self.peak_bytes:
            return None
        return statistics.median(self.peak_bytes) / 1e6

    def to_dict(self) -> dict[str, object]:
        """The runs as JSON-ready data."""
        peak = self.peak_mb
        return {
            "code": self.command.code,
            "program": list(self.command.program) or None,
            "runs": len(self.seconds),
            "median_ms": round(self.median_ms, 2),
            "min_ms": round(self.min_ms, 2),
            "peak_mb": None if peak is None else round(peak, 2),
        }


# Appended to every command: print the peak resident memory of this process image. VmHWM
# starts afresh at exec; ru_maxrss does not (Linux carries the spawning process's high-water
# mark across exec, so a child of a large benchmark process would report the benchmark's size).
_REPORT = "\nprint(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])"


def run_once(command: Command, environment: dict[str, str]) -> tuple[float, int | None]:
    """Run ``command`` once; return its wall time (s) and its peak memory (bytes, if known)."""
    if command.program:
        arguments = list(command.program)
    else:
        arguments = [sys.executable, "-c", command.code + _REPORT]
    read, write = os.pipe()
    try:
        start = time.perf_counter()
        # Our own interpreter (or console script) with fixed arguments; posix_spawn (vfork and
        # exec) adds the least.
        pid = os.posix_spawn(
            arguments[0],
            arguments,
            environment,
            file_actions=[(os.POSIX_SPAWN_DUP2, write, 1), (os.POSIX_SPAWN_CLOSE, read)],
        )
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter() - start
        os.close(write)
        write = -1
        with os.fdopen(read, "rb") as stream:  # a console script's output may be UTF-8
            read = -1
            output = stream.read()
    finally:
        for descriptor in (read, write):
            if descriptor >= 0:
                os.close(descriptor)
    if os.waitstatus_to_exitcode(status) != 0:
        message = f"the cold-start child failed: {' '.join(arguments)!r}"
        raise RuntimeError(message)
    if command.program:
        return elapsed, None  # its output is its own: no line of ours reports its memory
    return elapsed, int(output.split()[-1]) * 1024  # VmHWM is in kB


def measure(commands: list[Command], *, runs: int) -> list[Cold]:
    """Run every command ``runs`` times cold, taking turns, after one run that writes .pyc."""
    writing = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for command in commands:
        run_once(command, writing)
    environment = dict(os.environ)
    seconds: dict[Command, list[float]] = {command: [] for command in commands}
    peaks: dict[Command, list[int]] = {command: [] for command in commands}
    for _ in range(runs):
        for command in commands:
            elapsed, peak = run_once(command, environment)
            seconds[command].append(elapsed)
            if peak is not None:
                peaks[command].append(peak)
    return [Cold(command, tuple(seconds[command]), tuple(peaks[command])) for command in commands]
