"""Timing primitives: the median of several repeats, each repeat timing many calls.

A repeat runs one loop of many calls and is timed as a whole, so the clock's resolution and
the cost of reading it vanish; the per-call time is the repeat's time divided by its calls.
Implementations compared in one row take turns repeat by repeat, so that a busy moment of
the machine falls on all of them. The garbage collector is off while a repeat runs, as
:mod:`timeit` does, unless asked.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


@dataclass(frozen=True)
class Timing:
    """The per-call times of one implementation on one case."""

    median_ns: float
    """The median over the repeats of the time per call, in nanoseconds."""
    best_ns: float
    """The fastest repeat's time per call, in nanoseconds."""
    calls: int
    """How many calls each repeat timed."""
    repeats: int
    """How many repeats were timed."""

    @property
    def per_second(self) -> float:
        """Calls per second at the median."""
        return 1e9 / self.median_ns

    @classmethod
    def from_dict(cls, data: Mapping[str, float | int]) -> Timing:
        """The timing of :meth:`to_dict`'s data (as a child interpreter reports it)."""
        return cls(
            data["median_ns"], data["best_ns"], int(data["calls_per_repeat"]), int(data["repeats"])
        )

    def to_dict(self) -> dict[str, float | int]:
        """The timing as JSON-ready data."""
        return {
            "median_ns": round(self.median_ns, 2),
            "best_ns": round(self.best_ns, 2),
            "calls_per_repeat": self.calls,
            "repeats": self.repeats,
        }


@dataclass(frozen=True)
class Contender:
    """One implementation to time: how to make a run, how many calls a run does, how often."""

    make_run: Callable[[int], Callable[[], object]]
    """Makes the run of repeat ``i`` (``-1`` for the warm-up), outside the timed region."""
    calls: int
    """How many calls one run does."""
    repeats: int
    """How many runs to time."""


def measure_together(
    contenders: Mapping[str, Contender], *, collector: bool = False
) -> dict[str, Timing]:
    """Time the contenders side by side: their repeats take turns, so load hits them alike.

    ``make_run(i)`` is called outside the timed region, so a contender can build fresh inputs
    for every repeat (account ids that no cache has seen). One untimed run (``i = -1``) of
    each warms up first: it fills residency's caches, as earlier traffic would have. The
    garbage collector is off while a run is timed, unless ``collector`` is true.
    """
    for contender in contenders.values():
        contender.make_run(-1)()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for repeat in range(max(contender.repeats for contender in contenders.values())):
        turn = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in turn:
            contender = contenders[name]
            if repeat < contender.repeats:
                run = contender.make_run(repeat)
                samples[name].append(_time(run, collector=collector) / contender.calls)
    return {
        name: Timing(
            statistics.median(samples[name]),
            min(samples[name]),
            contender.calls,
            contender.repeats,
        )
        for name, contender in contenders.items()
    }


def measure(
    make_run: Callable[[int], Callable[[], object]],
    *,
    calls: int,
    repeats: int,
    collector: bool = False,
) -> Timing:
    """Time one contender alone; see :func:`measure_together`."""
    alone = Contender(make_run, calls, repeats)
    return measure_together({"alone": alone}, collector=collector)["alone"]


def _time(run: Callable[[], object], *, collector: bool) -> int:
    """Nanoseconds one run takes."""
    enabled = gc.isenabled()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter_ns()
        result = run()
        elapsed = time.perf_counter_ns() - start
        del result  # freeing a million answers is not the call's cost
    finally:
        if enabled:
            gc.enable()
    return elapsed


def duration(nanoseconds: float) -> str:
    """A duration in the unit that reads best: ``48 ns``, ``1.23 µs``, ``41.2 ms``."""
    if nanoseconds < 1e3:
        return f"{nanoseconds:.0f} ns"
    if nanoseconds < 1e6:
        return f"{nanoseconds / 1e3:.2f} µs"
    if nanoseconds < 1e9:
        return f"{nanoseconds / 1e6:.1f} ms"
    return f"{nanoseconds / 1e9:.2f} s"


def rate(per_second: float) -> str:
    """A rate per second: ``12.3 M/s``, ``712 k/s``."""
    if per_second >= 1e6:
        return f"{per_second / 1e6:.1f} M/s"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.0f} k/s"
    return f"{per_second:.0f} /s"


def ratio(value: float) -> str:
    """A ratio with the precision it deserves: ``0.77x``, ``4.2x``, ``380x``."""
    if value < 10:
        return f"{value:.2f}x"
    if value < 100:
        return f"{value:.1f}x"
    return f"{value:,.0f}x"
