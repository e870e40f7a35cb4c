"""The resident memory of this process, as the benchmark's child interpreters measure it."""

from __future__ import annotations

from pathlib import Path


def memory() -> tuple[int, int]:
    """This process's resident memory and its high-water mark, in bytes."""
    found = {}
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":")
                found[name] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["VmHWM"]


def reset_peak() -> bool:
    """Reset the high-water mark of resident memory to the current size; whether it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True
