"""A whole customer base against a catalog: ``audit``, ``plan_migration`` and ``diff_catalogs``.

A million accounts (``acct-{i:07d}``), their locations drawn with a fixed seed from the same
300 distinct codes and names as the bulk section (every region of the bundled catalog), are:

- placed with ``assign_many(locations, account_ids=ids)`` on the bundled policy: the
  reference, what a plan does twice;
- planned with ``plan_migration`` from the bundled catalog to an EXAMPLE catalog made here,
  which adds one data center to the EU (a copy of ``linode-eu`` with the id ``example-eu-2``)
  and one service sub-processor: without a column of current data centers, and with one;
- audited with ``audit`` against the bundled catalog, with a data center column of which a
  known share (one account in 50) is deliberately in another region's data center: the
  audit must find exactly those misplaced (checked, not timed).

``diff_catalogs`` compares the two catalogs (250 countries). Everything runs in a child
interpreter of this one, so that nothing the benchmark holds weighs on the figures: the
contenders take turns run by run (:mod:`_timing`, the garbage collector on, as a batch job
runs); before each run the child's resident memory is read and its high-water mark reset,
and after it the peak (``VmHWM``) and what the answer holds are read.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _memory import memory, reset_peak
from _timing import Contender, Timing, duration, measure_together, rate, ratio
from residency.policy import ACCOUNT_CACHE_SIZE as ACCOUNTS_REMEMBERED

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from residency import Policy

AT = datetime(2026, 6, 1, tzinfo=UTC)
"""The moment every call asks about, so that runs compare."""
MISPLACED_EVERY = 50
"""Account ``i`` with ``i % 50 == 0`` is put in another region's data center: 2%."""
IN_REGION_EVERY = 10
"""Account ``i`` with ``i % 10 == 5`` is on its second data center, where it has one."""
EXAMPLE_DATA_CENTER = "example-eu-2"
EXAMPLE_SUBPROCESSOR = "example-support-desk"
CHILD_TIMEOUT = 1_800
"""Seconds the child may take before the benchmark gives up on it."""

CASES = (
    ("assign", "assign_many(locations, account_ids=ids)"),
    ("plan", "plan_migration(example, accounts): no data center column"),
    ("plan-dc", "plan_migration(example, accounts): with a data center column"),
    ("audit", "audit(accounts), a data center column, 2% misplaced"),
)
COLUMNS = (
    "case",
    "rows",
    "time",
    "rows/s",
    "time vs assign_many",
    "peak RSS added",
    "answer holds",
)


@dataclass(frozen=True)
class Scale:
    """How many accounts, and how many runs of each call."""

    accounts: int
    repeats: int
    """Timed runs of each call; the table shows their median."""
    warm_up: int
    """Rows of the untimed warm-up run of each call (other account ids)."""


@dataclass
class Report:
    """The section: its rows (the fields of ``run.Row``) and its notes."""

    title: str
    columns: tuple[str, ...] = COLUMNS
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- the section, in the benchmark's process ---------------------------------------------------


def measure(scale: Scale) -> Report:
    """Run the child, then make the rows and notes of what it measured."""
    report = Report(f"a customer base: {scale.accounts:,} accounts (audit, plan, diff)")
    started = time.perf_counter()
    try:
        got = _child(scale)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        report.rows = [_row(label, "FAILED") for _, label in CASES]
        report.notes.append(f"not measured: {' '.join(str(error).split())[:800]}")
        return report
    reference = Timing.from_dict(got["timings"]["assign"])
    for key, label in CASES:
        mine = Timing.from_dict(got["timings"][key])
        peak, held = _memory_cells(got["memory"][key])
        report.rows.append(
            _row(
                label,
                f"{scale.accounts:,}",
                _seconds(mine.median_ns * scale.accounts),
                rate(mine.per_second),
                "1x (reference)"
                if key == "assign"
                else ratio(mine.median_ns / reference.median_ns),
                peak,
                held,
                timings={"timing": mine.to_dict(), "memory": got["memory"][key]},
            )
        )
    diff = got["diff"]
    report.rows.append(
        _row(
            "diff_catalogs(bundled, example)",
            f"{diff['countries']} countries",
            f"{duration(diff['first_s'] * 1e9)} (again {duration(diff['again_s'] * 1e9)})",
            f"{rate(diff['countries'] / diff['first_s'])} countries",
            timings=diff,
        )
    )
    report.notes.extend(_notes(scale, got))
    report.notes.append(f"the whole section took {time.perf_counter() - started:.0f} s")
    return report


def _child(scale: Scale) -> dict[str, Any]:
    """Run the measurements in a fresh interpreter and return what it printed (JSON)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), json.dumps(scale.__dict__)],
        capture_output=True,
        text=True,
        check=False,
        timeout=CHILD_TIMEOUT,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        message = f"the child failed (exit {done.returncode}): {' | '.join(lines[-6:])}"
        raise RuntimeError(message)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(  # noqa: PLR0913 - one row's cells
    case: str,
    rows: str,
    took: str = "—",
    per_second: str = "—",
    versus: str = "—",
    peak: str = "—",
    held: str = "—",
    *,
    timings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cells = (case, rows, took, per_second, versus, peak, held)
    return {"cells": dict(zip(COLUMNS, cells, strict=True)), "timings": timings or {}}


def _seconds(nanoseconds: float) -> str:
    return f"{nanoseconds / 1e9:.2f} s" if nanoseconds >= 1e9 else duration(nanoseconds)


def _mb(size: float) -> str:
    megabytes = size / 1e6
    return f"{megabytes:.1f} MB" if abs(megabytes) < 100 else f"{megabytes:.0f} MB"


def _memory_cells(runs: Sequence[Sequence[int]]) -> tuple[str, str]:
    """The largest peak and hold over the timed runs, as text."""
    return _mb(max(peak for peak, _ in runs)), _mb(max(held for _, held in runs))


def _notes(scale: Scale, got: dict[str, Any]) -> list[str]:
    checks, setup = got["checks"], got["setup"]
    runs = (
        "one run each (a million rows a run)"
        if scale.repeats == 1
        else f"the median of {scale.repeats} runs each"
    )
    plan, plan_dc, audit = checks["plan"], checks["plan-dc"], checks["audit"]
    expected = setup["expected"]
    notes = [
        f"accounts: ids acct-{{i:07d}}, locations drawn with a fixed seed from "
        f"{setup['distinct']} distinct codes and names (100 alpha-2, 40 alpha-3, 100 English, "
        "60 translated: the bulk section's pool); their home regions: "
        + ", ".join(f"{region} {share:.0%}" for region, share in setup["regions"].items()),
        "EXAMPLE catalog (made here, not a real one): the bundled catalog "
        f"({setup['old_catalog']}) with {EXAMPLE_DATA_CENTER} added to the EU (a copy of "
        f"linode-eu with a new id) and one service sub-processor added "
        f"({EXAMPLE_SUBPROCESSOR}, a copy of quality-unit-llc), id {setup['new_catalog']}",
        "data center column (the plan with one, and the audit): each account on its bundled "
        f"primary, except account i with i % {IN_REGION_EVERY} == 5 on its second data center "
        f"(in region, where its region has two) and i % {MISPLACED_EVERY} == 0 on a data "
        f"center of another region: {expected['misplaced']:,} misplaced, "
        f"{expected['in_region']:,} in region, {expected['in_place']:,} in place; no "
        f"agreements; at = {AT.date()} for every call",
        f"timing: a child interpreter; {runs}, after one untimed warm-up run of "
        f"{scale.warm_up:,} rows with other account ids; the calls take turns run by run; "
        "the garbage collector ON (a batch job runs with it); the input rows are built "
        "beforehand (not timed); residency remembers placements by raw location, and the "
        f"last {ACCOUNTS_REMEMBERED:,} to {2 * ACCOUNTS_REMEMBERED:,} accounts (every account "
        "of a run is new to it); plan_migration places every account with both catalogs "
        "(assign_many with errors='return'), then decides each moved row; the machine is "
        "shared and its speed moves by up to a third between runs: judge the ratios",
        "memory: the child's resident memory; before each run (after gc.collect()) VmRSS is "
        "read and the high-water mark reset through /proc/self/clear_refs; 'peak RSS added' "
        "is VmHWM after the run minus VmRSS before (the largest over the runs), 'answer "
        "holds' VmRSS with the answer still alive minus before: lower bounds, as memory the "
        "allocator kept from objects freed earlier is reused first (at 10,000 rows, mostly "
        "noise); the child held "
        f"{_mb(setup['rss_base'])} before the first run (the interpreter, residency, "
        "pycountry, and the input rows)"
        + ("" if got["reset"] else "; WARNING: the peak could not be reset: whole-process peaks"),
        f"plan, no data center column: {plan['moves']:,} accounts move "
        f"({plan['to_example']:,} of them to {EXAMPLE_DATA_CENTER}), {plan['blocked']:,} "
        f"blocked, {plan['agreement']:,} under an agreement, {plan['staying']:,} stay "
        f"({plan['reordered']:,} of them reordered), {plan['unresolved']:,} unresolved",
        f"plan, with a data center column: {plan_dc['moves']:,} accounts move "
        f"({plan_dc['to_example']:,} to {EXAMPLE_DATA_CENTER}, {plan_dc['cross_region']:,} "
        f"from another region back home), {plan_dc['blocked']:,} blocked, "
        f"{plan_dc['staying']:,} stay, {plan_dc['unresolved']:,} unresolved",
        f"audit: {audit['misplaced']:,} misplaced (expected {expected['misplaced']:,}), "
        f"{audit['in_region']:,} in region, {audit['in_place']:,} in place, "
        f"{audit['under_agreement']:,} under an agreement, {audit['unresolvable']:,} "
        "unresolvable",
        f"diff_catalogs: the first call, one run ({got['diff']['countries']} countries "
        "placed by each policy, neither of which had placed the plain codes before); again: "
        "the median of 5 "
        f"calls after it; {got['diff']['changes']} changes "
        f"({', '.join(got['diff']['kinds'])}), {got['diff']['notices']} notice(s)",
    ]
    problems = list(got["problems"])
    notes.extend(f"CHECK FAILED: {problem}" for problem in problems)
    if not problems:
        notes.append(
            "checked: the audit found exactly the misplaced accounts put there; no move is "
            f"blocked; every move of the plan without a column goes to {EXAMPLE_DATA_CENTER}"
        )
    return notes


# --- the child ---------------------------------------------------------------------------------


class _Probe:
    """Each timed run's answer and memory, settled outside the timed region.

    A run keeps its answer; the next ``make_run`` (or :meth:`settle`) first reads the peak and
    what the answer holds, checks the answer, and frees it, before anything else runs.
    """

    def __init__(self) -> None:
        self.memory: dict[str, list[tuple[int, int]]] = {}
        self.checks: dict[str, Any] = {}
        self.reset = True
        self._pending: tuple[str, list[Any], int, Callable[[Any], Any]] | None = None

    def contender(  # noqa: PLR0913 - one call's whole setting
        self,
        name: str,
        call: Callable[[], object],
        warm: Callable[[], object],
        check: Callable[[Any], Any],
        *,
        rows: int,
        repeats: int,
    ) -> Contender:
        self.memory[name] = []

        def make_run(repeat: int) -> Callable[[], object]:
            self.settle()
            if repeat < 0:
                return warm
            kept: list[Any] = []
            gc.collect()
            before, _ = memory()
            self.reset = reset_peak() and self.reset
            self._pending = (name, kept, before, check)
            return lambda: kept.append(call())

        return Contender(make_run, rows, repeats)

    def settle(self) -> None:
        if self._pending is None:
            return
        name, kept, before, check = self._pending
        self._pending = None
        held, peak = memory()
        self.memory[name].append((peak - before, held - before))
        self.checks[name] = check(kept[0])
        kept.clear()


def _example(policy: Policy) -> Policy:
    """The EXAMPLE catalog: the bundled one, one EU data center and one sub-processor more."""
    import attrs  # noqa: PLC0415 - the child's imports

    from residency import Policy  # noqa: PLC0415

    catalog = policy.catalog
    model = catalog.data_center("linode-eu")
    service = next(item for item in catalog.subprocessors if item.id == "quality-unit-llc")
    return Policy(
        attrs.evolve(
            catalog,
            id=f"{catalog.id}-example",
            data_centers=(*catalog.data_centers, attrs.evolve(model, id=EXAMPLE_DATA_CENTER)),
            subprocessors=(
                *catalog.subprocessors,
                attrs.evolve(service, id=EXAMPLE_SUBPROCESSOR, name="Example Support Desk"),
            ),
        )
    )


def _currents(
    policy: Policy, locations: Sequence[str], ids: Sequence[str]
) -> tuple[list[str], dict[str, int], dict[str, int]]:
    """The data center column (primaries, some second data centers, 2% in another region).

    With it, how many accounts it puts in place, in region and misplaced, and how many
    accounts each region is home to.
    """
    elsewhere: dict[str, list[str]] = {}
    for data_center in policy.catalog.data_centers:
        for region in policy.catalog.regions:
            if region.id != data_center.region:
                elsewhere.setdefault(region.id, []).append(data_center.id)
    currents: list[str] = []
    expected = {"in_place": 0, "in_region": 0, "misplaced": 0}
    homes: dict[str, int] = {}
    for number, placement in enumerate(policy.assign_many(locations, account_ids=ids, at=AT)):
        homes[placement.region] = homes.get(placement.region, 0) + 1
        if number % MISPLACED_EVERY == 0:
            others = elsewhere[placement.region]
            currents.append(others[number // MISPLACED_EVERY % len(others)])
            expected["misplaced"] += 1
        elif number % IN_REGION_EVERY == 5 and len(placement.data_centers) > 1:
            currents.append(placement.data_centers[1].id)
            expected["in_region"] += 1
        else:
            currents.append(placement.primary.id)
            expected["in_place"] += 1
    return currents, expected, dict(sorted(homes.items()))


def _plan_check(plan: Any) -> dict[str, int]:  # noqa: ANN401 - a MigrationPlan
    summary = plan.summary()
    return {
        "moves": summary["moving"],
        "blocked": summary["blocked"],
        "agreement": summary["agreement"],
        "staying": summary["staying"],
        "reordered": summary["reordered"],
        "unresolved": summary["unresolvable"],
        "to_example": sum(move.to_primary == EXAMPLE_DATA_CENTER for move in plan.moves),
        "cross_region": sum(move.from_region != move.to_region for move in plan.moves),
    }


def _run(scale: Scale) -> dict[str, Any]:
    """Build the accounts, then time and check every call."""
    import _inputs  # noqa: PLC0415 - the child's imports
    from residency import default_policy, diff_catalogs  # noqa: PLC0415
    from residency.errors import LocationError  # noqa: PLC0415

    old = default_policy()
    new = _example(old)

    def assignable(text: str) -> bool:
        try:
            old.assign(text)
        except LocationError:
            return False
        return True

    pool = _inputs.location_pool(assignable)
    size = scale.accounts
    locations = _inputs.draw(pool, size, salt=3)
    ids = [f"acct-{number:07d}" for number in range(size)]
    currents, expected, homes = _currents(old, locations, ids)
    pairs = list(zip(ids, locations, strict=True))
    triples = list(zip(ids, locations, currents, strict=True))
    warm = min(scale.warm_up, size)
    warm_ids = [f"warm-{number:07d}" for number in range(warm)]
    warm_pairs = list(zip(warm_ids, locations[:warm], strict=True))
    warm_triples = list(zip(warm_ids, locations[:warm], currents[:warm], strict=True))

    probe = _Probe()
    gc.collect()
    rss_base, _ = memory()
    contenders = {
        "assign": probe.contender(
            "assign",
            lambda: old.assign_many(locations, account_ids=ids, at=AT),
            lambda: old.assign_many(locations[:warm], account_ids=warm_ids, at=AT),
            len,
            rows=size,
            repeats=scale.repeats,
        ),
        "plan": probe.contender(
            "plan",
            lambda: old.plan_migration(new, pairs, at=AT),
            lambda: old.plan_migration(new, warm_pairs, at=AT),
            _plan_check,
            rows=size,
            repeats=scale.repeats,
        ),
        "plan-dc": probe.contender(
            "plan-dc",
            lambda: old.plan_migration(new, triples, at=AT),
            lambda: old.plan_migration(new, warm_triples, at=AT),
            _plan_check,
            rows=size,
            repeats=scale.repeats,
        ),
        "audit": probe.contender(
            "audit",
            lambda: old.audit(triples, at=AT),
            lambda: old.audit(warm_triples, at=AT),
            lambda report: report.counts(),
            rows=size,
            repeats=scale.repeats,
        ),
    }
    timings = measure_together(contenders, collector=True)
    probe.settle()

    started = time.perf_counter()
    diff = diff_catalogs(old, new, at=AT)
    first = time.perf_counter() - started
    again = []
    for _ in range(5):
        started = time.perf_counter()
        diff_catalogs(old, new, at=AT)
        again.append(time.perf_counter() - started)
    again.sort()

    checks = probe.checks
    problems = _problems(checks, expected)
    return {
        "timings": {key: timing.to_dict() for key, timing in timings.items()},
        "memory": probe.memory,
        "reset": probe.reset,
        "checks": checks,
        "diff": {
            "first_s": first,
            "again_s": again[len(again) // 2],
            "countries": len(_countries()),
            "changes": len(diff.changes),
            "kinds": sorted({change.kind.value for change in diff.changes}),
            "notices": len(diff.notices),
        },
        "setup": {
            "distinct": len(set(pool)),
            "regions": {region: count / size for region, count in homes.items()},
            "expected": expected,
            "rss_base": rss_base,
            "old_catalog": old.catalog.id,
            "new_catalog": new.catalog.id,
        },
        "problems": problems,
    }


def _problems(checks: dict[str, Any], expected: dict[str, int]) -> list[str]:
    """What the answers got wrong: the audit's counts, blocked or unresolved moves."""
    audit, plan, plan_dc = checks["audit"], checks["plan"], checks["plan-dc"]
    problems = [
        f"the audit found {audit[key]:,} {key}, not {expected[key]:,}"
        for key in ("misplaced", "in_region", "in_place")
        if audit[key] != expected[key]
    ]
    problems.extend(
        f"{key}: {checks[key]['blocked']:,} blocked, {checks[key]['unresolved']:,} unresolved"
        for key in ("plan", "plan-dc")
        if checks[key]["blocked"] or checks[key]["unresolved"]
    )
    if plan["to_example"] != plan["moves"]:
        elsewhere = plan["moves"] - plan["to_example"]
        problems.append(f"plan: {elsewhere:,} moves not to {EXAMPLE_DATA_CENTER}")
    if plan_dc["cross_region"] != expected["misplaced"]:
        problems.append(
            f"plan-dc: {plan_dc['cross_region']:,} moves across regions, "
            f"not {expected['misplaced']:,}"
        )
    return problems


def _countries() -> tuple[str, ...]:
    from residency.locations import countries  # noqa: PLC0415 - the child's imports

    return tuple(countries())


def main(argv: list[str]) -> int:
    """The child: measure at the scale given (JSON); print the result as JSON."""
    result = _run(Scale(**json.loads(argv[0])))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
