"""A value made once per test run and shared by the processes of pytest-xdist.

The workers of one run share the parent of their base temporary folders (pytest makes a new
one for every run). The first worker to ask for a value makes it and leaves it there, pickled;
a lock on a file beside it makes the others wait, then read it. Outside pytest-xdist that
parent outlives the run, so the value is made in the process instead.
"""

from __future__ import annotations

import fcntl
import os
import pickle
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

T = TypeVar("T")


def once(factory: pytest.TempPathFactory, name: str, make: Callable[[], T]) -> T:
    """Return what ``make`` returns, made by one process of this run, under ``name``."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make()
    folder = factory.getbasetemp().parent
    path = folder / f"{name}.pickle"
    with (folder / f"{name}.lock").open("wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if path.exists():
            value: T = pickle.loads(path.read_bytes())  # noqa: S301 - written by this run
            return value
        value = make()
        partial = path.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(path)
        return value
