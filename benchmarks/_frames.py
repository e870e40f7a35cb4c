"""Whole tables at once: ``assign_frame`` on pyarrow, polars and pandas, and on a Dask cluster.

Ten million rows (``acct-{i:07d}``, a million distinct accounts, each row's account drawn
with a fixed seed; 300 distinct locations, the bulk section's pool of codes and names) are
placed, side by side in one child interpreter:

- by ``policy.assign_frame(frame, account="account_id")`` from a pyarrow Table, a polars
  DataFrame and a pandas DataFrame holding the same rows;
- by ``policy.assign_many(locations, account_ids=ids)`` on the same rows as lists: the path
  row by row;
- locations only: by ``assign_frame`` of a pyarrow table whose location column is
  dictionary-encoded, and by the floor, a polars join of the location column with a mapping
  of the 300 locations to region, primary and rule computed beforehand with ``assign``;
- by ``residency.dask.assign_frame`` on a ``distributed.LocalCluster`` of two worker
  processes of one thread each, the pandas frame cut into partitions of about a million
  rows, its result compared with the single-process one.

The child runs with one thread for polars, pyarrow and the numeric libraries, so that the
single-process rows are one core's; each run's processor time is read beside its wall clock.
Before each run the child's high-water mark of resident memory is reset (as ``_changes.py``
does); a sample of every answer is checked against ``policy.assign``.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import logging
import os
import statistics
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
ACCOUNT_RATE = 2_000_000
"""The figure: rows a second through ``assign_frame`` with an account per row, one core."""
LOCATION_RATE = 20_000_000
"""The figure: rows a second through ``assign_frame`` of a dictionary location column."""
COLUMNS_ADDED = ("region", "primary", "data_centers", "rule", "error")
CHILD_TIMEOUT = 2_400
"""Seconds the child may take before the benchmark gives up on it."""
ONE_THREAD = {
    "POLARS_MAX_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""The child's environment: one thread for polars and the numeric libraries."""

CASES = (
    ("arrow", 'assign_frame(pyarrow Table, account="account_id")', True),
    ("polars", 'assign_frame(polars DataFrame, account="account_id")', True),
    ("pandas", 'assign_frame(pandas DataFrame, account="account_id")', True),
    ("pandas_arrow", "assign_frame(pandas DataFrame of pyarrow strings, account=...)", True),
    ("many", "assign_many(locations, account_ids=ids), lists", True),
    ("dict", "assign_frame(pyarrow, dictionary location column), no account", False),
    ("floor", "floor: polars join with a 300-row mapping (region, primary, rule)", False),
)
"""Key, label, and whether the row has an account per row."""
COLUMNS = (
    "case",
    "rows",
    "time",
    "rows/s",
    "vs floor",
    "cpu/wall",
    "peak RSS added",
    "answer holds",
)


@dataclass(frozen=True)
class Scale:
    """How many rows and accounts, and how many runs of each call."""

    rows: int
    accounts: int
    repeats: int
    """Timed runs of each assign_frame with accounts; the table shows their median."""
    fast_repeats: int
    """Timed runs of the locations-only rows (the dictionary column and the floor)."""
    list_repeats: int
    """Timed runs of assign_many on lists."""
    warm_up: int
    """Rows of the untimed warm-up run of each call (other account ids)."""
    sample: int = 10_000
    """Rows of each answer checked against ``policy.assign``."""
    partition: int = 1_000_000
    """Rows of a Dask partition, about."""


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
    report = Report(
        f"frames: {scale.rows:,} rows, {scale.accounts:,} accounts (assign_frame, Dask)"
    )
    started = time.perf_counter()
    try:
        got = _child(scale)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        report.rows = [_row(label, "FAILED") for _, label, _ in CASES]
        report.notes.append(f"not measured: {' '.join(str(error).split())[:800]}")
        return report
    floor = Timing.from_dict(got["timings"]["floor"])
    for key, label, accounts in CASES:
        mine = Timing.from_dict(got["timings"][key])
        cpu = statistics.median(got["cpu"][key]) / (mine.median_ns * scale.rows / 1e9)
        peak, held = _memory_cells(got["memory"][key])
        row = _row(
            label,
            f"{scale.rows:,}",
            _seconds(mine.median_ns * scale.rows),
            rate(mine.per_second),
            "1x (floor)" if key == "floor" else ratio(mine.median_ns / floor.median_ns),
            f"{cpu:.2f}",
            peak,
            held,
            timings={
                "timing": mine.to_dict(),
                "cpu_s": got["cpu"][key],
                "memory": got["memory"][key],
                "sample_mismatches": got["checks"][key],
            },
        )
        if key in {"arrow", "polars", "pandas", "pandas_arrow"}:
            _figure(row, mine, ACCOUNT_RATE, "bulk-account", accounts=accounts)
        elif key == "dict":
            _figure(row, mine, LOCATION_RATE, None, accounts=accounts)
        report.rows.append(row)
    report.rows.extend(_dask_rows(scale, got, floor))
    report.notes.extend(_notes(scale, got))
    report.notes.append(f"the whole section took {time.perf_counter() - started:.0f} s")
    return report


def _figure(
    row: dict[str, Any], timing: Timing, target: int, spec: str | None, *, accounts: bool
) -> None:
    row["figure"] = f">= {target / 1e6:.0f} M/s" + (", one core" if accounts else "")
    row["passed"] = timing.per_second >= target
    row["spec"] = spec
    row["measured"] = rate(timing.per_second)


def _dask_rows(scale: Scale, got: dict[str, Any], floor: Timing) -> list[dict[str, Any]]:
    dask = got["dask"]
    label = "residency.dask.assign_frame, 2 workers x 1 thread"
    if "error" in dask:
        return [_row(f"{label}: not measured", f"{scale.rows:,}")]
    single = Timing.from_dict(got["timings"]["pandas"]).median_ns * scale.rows / 1e9
    rows = []
    for key, what in (("cluster", "persisted on the cluster"), ("total", "and .compute() here")):
        seconds = dask[f"{key}_s"]
        peak = (
            f"workers {_mb(dask['workers_peak'])}"
            if key == "cluster"
            else f"here {_mb(dask['client_peak'])}"
        )
        rows.append(
            _row(
                f"{label}: {what}",
                f"{scale.rows:,}",
                _seconds(seconds * 1e9),
                rate(scale.rows / seconds),
                ratio(seconds * 1e9 / (floor.median_ns * scale.rows)),
                f"{seconds / single:.2f}x pandas",
                peak,
                timings={key: seconds, "single_process_pandas_s": single},
            )
        )
    return rows


def _child(scale: Scale) -> dict[str, Any]:
    """Run the measurements in a fresh interpreter and return what it printed (JSON)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), json.dumps(scale.__dict__)],
        capture_output=True,
        text=True,
        check=False,
        timeout=CHILD_TIMEOUT,
        env={**os.environ, **ONE_THREAD},
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
    cpu: str = "—",
    peak: str = "—",
    held: str = "—",
    *,
    timings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cells = (case, rows, took, per_second, versus, cpu, peak, held)
    return {"cells": dict(zip(COLUMNS, cells, strict=True)), "timings": timings or {}}


def _seconds(nanoseconds: float) -> str:
    return f"{nanoseconds / 1e9:.2f} s" if nanoseconds >= 1e9 else duration(nanoseconds)


def _mb(size: float) -> str:
    megabytes = size / 1e6
    return f"{megabytes:.1f} MB" if abs(megabytes) < 100 else f"{megabytes:,.0f} MB"


def _memory_cells(runs: Sequence[Sequence[int]]) -> tuple[str, str]:
    """The largest peak and hold over the timed runs, as text."""
    return _mb(max(peak for peak, _ in runs)), _mb(max(held for _, held in runs))


def _runs(count: int) -> str:
    return "one run" if count == 1 else f"the median of {count} runs"


def _notes(scale: Scale, got: dict[str, Any]) -> list[str]:
    setup, dask = got["setup"], got["dask"]
    notes = [
        f"rows: {scale.rows:,}, locations drawn with a fixed seed from {setup['distinct']} "
        "distinct codes and names (100 alpha-2, 40 alpha-3, 100 English, 60 translated: the "
        "bulk section's pool; home regions "
        + ", ".join(f"{region} {share:.0%}" for region, share in setup["regions"].items())
        + f"); accounts acct-{{i:07d}}, {setup['accounts']:,} distinct, each "
        f"{scale.rows // scale.accounts} times, in an order shuffled with a fixed seed; at = "
        f"{AT.date()} for every call; every row is valid (no error)",
        "the same rows in every form, built beforehand (not timed): a pyarrow Table (string "
        "columns), a polars DataFrame (pl.from_arrow), a pandas DataFrame (to_pandas: object "
        "columns, as pandas 2 reads them; reading ten million Python strings out of them is "
        "most of that row's time), a pandas DataFrame of pyarrow strings (to_pandas("
        "types_mapper=pd.ArrowDtype), as pandas reads Parquet with dtype_backend='pyarrow'), "
        "two lists (assign_many), a pyarrow table of the "
        "location column dictionary-encoded (pa.array(...).dictionary_encode()); the floor "
        "joins the polars frame's location column (how='left') with a polars frame of the 300 "
        "locations and their region, primary and rule, made with policy.assign beforehand",
        f"timing: a child interpreter; assign_frame with accounts {_runs(scale.repeats)} "
        f"each, the dictionary column and the floor {_runs(scale.fast_repeats)}, assign_many "
        f"{_runs(scale.list_repeats)}; each after one untimed warm-up run of "
        f"{scale.warm_up:,} rows with other account ids; the calls take turns run by run; the "
        "garbage collector ON; residency remembers placements by raw location, and assign_many "
        f"the last {ACCOUNTS_REMEMBERED:,} to {2 * ACCOUNTS_REMEMBERED:,} accounts (every "
        "account of a run is new to it); ONE THREAD: the child runs with POLARS_MAX_THREADS=1 "
        "(the floor's join, and "
        "polars in assign_frame) and pyarrow.set_cpu_count(1); cpu/wall is the run's "
        "processor time over its wall clock (1.00: one core busy); the machine is shared and "
        "its speed moves by up to a third between runs: judge the ratios",
        "memory: the child's resident memory; before each run (after gc.collect(), pyarrow's "
        "pool release_unused(), malloc_trim(0) and a wait of up to 2 s for VmRSS to settle) "
        "VmRSS is read and the high-water mark reset through /proc/self/clear_refs; 'peak RSS "
        "added' is VmHWM after the run minus VmRSS before (the largest over the runs), 'answer "
        "holds' VmRSS with the answer still alive minus before: lower bounds (memory the "
        "allocator kept from earlier runs is reused first); the child held "
        f"{_mb(setup['rss_base'])} before the first run (the interpreter, the libraries and "
        "every form of the input rows)"
        + ("" if got["reset"] else "; WARNING: the peak could not be reset: whole-process peaks"),
        f"checked: {setup['sample']:,} rows drawn with a fixed seed, of every answer, against "
        "policy.assign(location, account_id=account) (without an account for the last two "
        "rows): region, primary, the data centers in order and rule equal, error null; "
        + ", ".join(f"{key} {count} wrong" for key, count in got["checks"].items()),
    ]
    if "error" in dask:
        notes.append(f"Dask not measured: {dask['error']}")
    else:
        notes.append(
            f"Dask {dask['versions']}: distributed.LocalCluster(n_workers=2, processes=True, "
            f"threads_per_worker=1) on this machine's {os.cpu_count()} cpus, started in "
            f"{dask['start_s']:.1f} s; the input dd.from_pandas(the pandas frame, "
            f"npartitions={dask['partitions']}) persisted on the workers first, in "
            f"{dask['scatter_s']:.1f} s (not timed); an untimed warm-up on {scale.warm_up:,} "
            "rows; then one run, timed: residency.dask.assign_frame(...) persisted and "
            f"waited for ({dask['cluster_s']:.2f} s), then .compute() of it into a pandas "
            f"frame in this process ({dask['gather_s']:.2f} s more); 'vs floor' against the "
            "one-thread floor, the next column against assign_frame of the pandas frame in "
            "one process; memory: the workers' VmHWM (reset before) minus VmRSS before, "
            "summed, and this process's while it gathered"
        )
        notes.append(
            f"Dask result compared with the single-process pandas result ({dask['compared']}): "
            + dask["verdict"]
        )
    problems = list(got["problems"])
    notes.extend(f"CHECK FAILED: {problem}" for problem in problems)
    return notes


# --- the child ---------------------------------------------------------------------------------


def _settled() -> int:
    """Resident memory once freed memory has gone back: the allocators asked, then a wait.

    pyarrow's pool (mimalloc) and polars' allocator return freed pages lazily: without this,
    pages of the previous run's answer would leave during the next run and hide its peak.
    """
    import ctypes  # noqa: PLC0415 - the child's imports

    import pyarrow as pa  # noqa: PLC0415

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: no malloc_trim
        ctypes.CDLL(None).malloc_trim(0)
    last, _ = memory()
    for _ in range(20):  # at most 2 s more
        time.sleep(0.1)
        now, _ = memory()
        if abs(now - last) < 1_000_000:
            return now
        last = now
    return last


class _Probe:
    """Each timed run's answer, processor time and memory, settled outside the timed region."""

    def __init__(self) -> None:
        self.memory: dict[str, list[tuple[int, int]]] = {}
        self.cpu: dict[str, list[float]] = {}
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
        self.cpu[name] = []

        def make_run(repeat: int) -> Callable[[], object]:
            self.settle()
            if repeat < 0:
                return warm
            kept: list[Any] = []
            before = _settled()
            self.reset = reset_peak() and self.reset
            self._pending = (name, kept, before, check)

            def run() -> None:
                started = time.process_time()
                kept.append(call())
                self.cpu[name].append(time.process_time() - started)

            return run

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


@dataclass
class _Rows:
    """The input rows in every form, and what ``assign`` says of the sample."""

    pool: tuple[str, ...]
    arrow: Any
    polars: Any
    pandas: Any
    pandas_arrow: Any
    locations: list[str]
    accounts: list[str]
    dictionary: Any
    mapping: Any
    sample: Any
    expected: list[tuple[Any, ...]]
    """Per sample row: region, primary, data centers, rule (with the row's account)."""
    expected_bare: list[tuple[Any, ...]]
    """The same without an account."""
    regions: dict[str, float]


def _build(policy: Policy, rows: int, accounts: int, sample: int, *, prefix: str) -> _Rows:
    """``rows`` rows over ``accounts`` accounts, in every form the calls take."""
    import numpy as np  # noqa: PLC0415 - the child's imports
    import pandas as pd  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415

    import _inputs  # noqa: PLC0415
    from residency.errors import LocationError  # noqa: PLC0415

    def assignable(text: str) -> bool:
        try:
            policy.assign(text)
        except LocationError:
            return False
        return True

    pool = _inputs.location_pool(assignable)
    generator = np.random.default_rng(_inputs.SEED + 7)
    where = generator.integers(0, len(pool), rows)
    who = generator.permutation(np.arange(rows) % accounts)
    ids = pa.array([f"{prefix}-{number:07d}" for number in range(accounts)])
    arrow = pa.table({"country": pa.array(pool).take(where), "account_id": ids.take(who)})
    id_list = ids.to_pylist()
    locations = [pool[number] for number in where.tolist()]
    account_list = [id_list[number] for number in who.tolist()]
    placed = {text: policy.assign(text, at=AT) for text in pool}
    mapping = pl.DataFrame(
        {
            "country": list(pool),
            "region": [placed[text].region for text in pool],
            "primary": [placed[text].primary.id for text in pool],
            "rule": [placed[text].rule.id for text in pool],
        }
    )
    picked = np.sort(generator.choice(rows, size=min(sample, rows), replace=False))
    expected = [
        _placement(policy.assign(locations[i], account_id=account_list[i], at=AT))
        for i in picked.tolist()
    ]
    bare = [_placement(placed[locations[i]]) for i in picked.tolist()]
    counts = np.bincount(where, minlength=len(pool))
    regions: dict[str, float] = {}
    for text, count in zip(pool, counts.tolist(), strict=True):
        region = placed[text].region
        regions[region] = regions.get(region, 0.0) + count / rows
    return _Rows(
        pool=pool,
        arrow=arrow,
        polars=pl.from_arrow(arrow),
        pandas=arrow.to_pandas(),
        pandas_arrow=arrow.to_pandas(types_mapper=pd.ArrowDtype),
        locations=locations,
        accounts=account_list,
        dictionary=pa.table({"country": pa.array(locations).dictionary_encode()}),
        mapping=mapping,
        sample=picked,
        expected=expected,
        expected_bare=bare,
        regions=dict(sorted(regions.items())),
    )


def _placement(placement: Any) -> tuple[Any, ...]:  # noqa: ANN401 - a Placement
    return (
        placement.region,
        placement.primary.id,
        [dc.id for dc in placement.data_centers],
        placement.rule.id,
        None,
    )


def _as_arrow(result: Any) -> Any:  # noqa: ANN401 - a table of any kind
    """A result as a pyarrow Table."""
    import pyarrow as pa  # noqa: PLC0415 - the child's imports

    module = type(result).__module__.split(".")[0]
    if module == "pyarrow":
        return result
    if module == "polars":
        return result.to_arrow()
    return pa.Table.from_pandas(result, preserve_index=False)


def _wrong_rows(
    result: Any,  # noqa: ANN401 - a table of any kind
    sample: Any,  # noqa: ANN401 - row numbers
    expected: Sequence[tuple[Any, ...]],
    columns: Sequence[str] = COLUMNS_ADDED,
) -> int:
    """How many sample rows of ``result`` differ from ``expected``."""
    import pyarrow as pa  # noqa: PLC0415 - the child's imports

    module = type(result).__module__.split(".")[0]
    if module == "pandas":
        table = pa.Table.from_pandas(result.iloc[sample][list(columns)], preserve_index=False)
    else:
        table = _as_arrow(result).select(list(columns)).take(pa.array(sample))
    got = table.to_pylist()
    positions = [COLUMNS_ADDED.index(column) for column in columns]
    wrong = 0
    for row, want in zip(got, expected, strict=True):
        mine = tuple(row[column] for column in columns)
        wrong += mine != tuple(want[position] for position in positions)
    return wrong


def _wrong_placements(
    result: Sequence[Any],
    sample: Any,  # noqa: ANN401 - row numbers
    expected: Sequence[tuple[Any, ...]],
) -> int:
    """How many sample rows of assign_many's answer differ from ``expected``."""
    return sum(
        _placement(result[row]) != want for row, want in zip(sample.tolist(), expected, strict=True)
    )


def _run(scale: Scale) -> dict[str, Any]:
    """Build the rows, then time and check every call; then the Dask run."""
    import pyarrow as pa  # noqa: PLC0415 - the child's imports

    from residency import default_policy  # noqa: PLC0415

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    policy = default_policy()
    data = _build(policy, scale.rows, scale.accounts, scale.sample, prefix="acct")
    warm = _build(policy, scale.warm_up, max(1, scale.warm_up // 10), 10, prefix="warm")
    gc.collect()
    rss_base, _ = memory()
    probe = _Probe()
    timings, reference = _single(policy, data, warm, probe, scale)
    problems = [
        f"{key}: {count:,} of {len(data.sample):,} sample rows differ from policy.assign"
        for key, count in probe.checks.items()
        if count
    ]
    frame, warm_frame, sample = data.pandas, warm.pandas, len(data.sample)
    del data, warm  # the Dask run needs only the pandas frames
    gc.collect()
    dask = _dask(policy, frame, warm_frame, reference, scale)
    if dask.get("mismatch"):
        problems.append(f"Dask: {dask['verdict']}")
    return {
        "timings": {key: timing.to_dict() for key, timing in timings.items()},
        "cpu": probe.cpu,
        "memory": probe.memory,
        "reset": probe.reset,
        "checks": probe.checks,
        "dask": dask,
        "setup": {
            "distinct": int(frame["country"].nunique()),
            "accounts": int(frame["account_id"].nunique()),
            "regions": _shares(reference["region"]),
            "sample": sample,
            "rss_base": rss_base,
        },
        "problems": problems,
    }


def _single(
    policy: Policy, data: _Rows, warm: _Rows, probe: _Probe, scale: Scale
) -> tuple[dict[str, Timing], dict[str, Any]]:
    """Time every call in this one process; the pandas answer's columns, for Dask."""
    sample, expected, bare = data.sample, data.expected, data.expected_bare
    kept: dict[str, Any] = {}

    def frame(table: Any, *, account: bool) -> Callable[[], object]:  # noqa: ANN401
        named = "account_id" if account else None
        return lambda: policy.assign_frame(table, account=named, at=AT)

    def keep_pandas(result: Any) -> int:  # noqa: ANN401 - the reference for Dask
        kept["pandas"] = {column: _plain(_array(result[column])) for column in COLUMNS_ADDED}
        return _wrong_rows(result, sample, expected)

    def floor(mapping: Any, frame: Any) -> Callable[[], object]:  # noqa: ANN401
        left = frame.select("country")
        return lambda: left.join(mapping, on="country", how="left")

    def assign_many(rows: _Rows) -> Callable[[], object]:
        return lambda: policy.assign_many(rows.locations, account_ids=rows.accounts, at=AT)

    rows = scale.rows
    contenders = {
        "arrow": probe.contender(
            "arrow",
            frame(data.arrow, account=True),
            frame(warm.arrow, account=True),
            lambda result: _wrong_rows(result, sample, expected),
            rows=rows,
            repeats=scale.repeats,
        ),
        "polars": probe.contender(
            "polars",
            frame(data.polars, account=True),
            frame(warm.polars, account=True),
            lambda result: _wrong_rows(result, sample, expected),
            rows=rows,
            repeats=scale.repeats,
        ),
        "pandas": probe.contender(
            "pandas",
            frame(data.pandas, account=True),
            frame(warm.pandas, account=True),
            keep_pandas,
            rows=rows,
            repeats=scale.repeats,
        ),
        "pandas_arrow": probe.contender(
            "pandas_arrow",
            frame(data.pandas_arrow, account=True),
            frame(warm.pandas_arrow, account=True),
            lambda result: _wrong_rows(result, sample, expected),
            rows=rows,
            repeats=scale.repeats,
        ),
        "many": probe.contender(
            "many",
            assign_many(data),
            assign_many(warm),
            lambda result: _wrong_placements(result, sample, expected),
            rows=rows,
            repeats=scale.list_repeats,
        ),
        "dict": probe.contender(
            "dict",
            frame(data.dictionary, account=False),
            frame(warm.dictionary, account=False),
            lambda result: _wrong_rows(result, sample, bare),
            rows=rows,
            repeats=scale.fast_repeats,
        ),
        "floor": probe.contender(
            "floor",
            floor(data.mapping, data.polars),
            floor(warm.mapping, warm.polars),
            lambda result: _wrong_rows(result, sample, bare, ("region", "primary", "rule")),
            rows=rows,
            repeats=scale.fast_repeats,
        ),
    }
    timings = measure_together(contenders, collector=True)
    probe.settle()
    return timings, kept["pandas"]


def _shares(regions: Any) -> dict[str, float]:  # noqa: ANN401 - a pyarrow array
    counts = regions.value_counts().to_pylist()
    total = len(regions)
    return {
        item["values"]: item["counts"] / total
        for item in sorted(counts, key=lambda item: str(item["values"]))
    }


def _array(series: Any) -> Any:  # noqa: ANN401 - a pandas Series
    """A pandas column as one pyarrow array."""
    import pyarrow as pa  # noqa: PLC0415 - the child's imports

    array = pa.array(series, from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _worker_memory() -> tuple[int, int]:
    return memory()


def _worker_reset() -> bool:
    return reset_peak()


def _dask(
    policy: Policy,
    frame: Any,  # noqa: ANN401 - a pandas DataFrame
    warm: Any,  # noqa: ANN401 - a pandas DataFrame
    reference: dict[str, Any],
    scale: Scale,
) -> dict[str, Any]:
    """residency.dask.assign_frame on two worker processes, and its result against one's."""
    if importlib.util.find_spec("residency.dask") is None:
        return {"error": "residency.dask does not exist (yet)"}
    try:
        return _dask_run(policy, frame, warm, reference, scale)
    except Exception as error:  # noqa: BLE001 - a report: say what failed, go on
        return {"error": f"{type(error).__name__}: {' '.join(str(error).split())[:400]}"}


def _dask_run(
    policy: Policy,
    frame: Any,  # noqa: ANN401
    warm: Any,  # noqa: ANN401
    reference: dict[str, Any],
    scale: Scale,
) -> dict[str, Any]:
    import dask  # noqa: PLC0415 - the child's imports
    import dask.dataframe as dd  # noqa: PLC0415
    import distributed  # noqa: PLC0415

    from residency import dask as residency_dask  # noqa: PLC0415

    started = time.perf_counter()
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        start_s = time.perf_counter() - started
        partitions = max(1, round(len(frame) / scale.partition))
        started = time.perf_counter()
        inputs = client.persist(dd.from_pandas(frame, npartitions=partitions))
        distributed.wait(inputs)
        scatter_s = time.perf_counter() - started
        warm_inputs = dd.from_pandas(warm, npartitions=2)
        residency_dask.assign_frame(
            warm_inputs, policy, location="country", account="account_id", at=AT
        ).compute()
        gc.collect()
        client.run(_worker_reset)
        before = client.run(_worker_memory)
        started = time.perf_counter()
        placed = client.persist(
            residency_dask.assign_frame(
                inputs, policy, location="country", account="account_id", at=AT
            )
        )
        distributed.wait(placed)
        cluster_s = time.perf_counter() - started
        after = client.run(_worker_memory)
        here, _ = memory()
        reset_peak()
        started = time.perf_counter()
        result = placed.compute()
        gather_s = time.perf_counter() - started
        _, client_peak = memory()
        del placed, inputs
    compared, verdict, mismatch = _compare(result, reference)
    return {
        "versions": f"{dask.__version__}, distributed {distributed.__version__}",
        "start_s": start_s,
        "scatter_s": scatter_s,
        "partitions": partitions,
        "cluster_s": cluster_s,
        "gather_s": gather_s,
        "total_s": cluster_s + gather_s,
        "workers_peak": sum(after[name][1] - before[name][0] for name in after),
        "client_peak": client_peak - here,
        "compared": compared,
        "verdict": verdict,
        "mismatch": mismatch,
    }


def _plain(array: Any) -> Any:  # noqa: ANN401 - a pyarrow array
    """``array`` with dictionaries decoded and large types made small: string, list<string>."""
    import pyarrow as pa  # noqa: PLC0415 - the child's imports

    kind = array.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return array.cast(pa.list_(pa.string()))
    if pa.types.is_dictionary(kind) or pa.types.is_large_string(kind):
        return array.cast(pa.string())
    return array


def _compare(result: Any, reference: dict[str, Any]) -> tuple[str, str, bool]:  # noqa: ANN401
    """Whether Dask's pandas result has the single-process columns: what, verdict, mismatch."""
    length = len(reference["region"])
    if len(result) != length:
        return "row count", f"{len(result):,} rows, not {length:,}", True
    if not result.index.is_monotonic_increasing:
        result = result.sort_index()
    differing: list[str] = []
    for column in COLUMNS_ADDED:
        mine, want = _array(result[column]), reference[column]
        try:
            mine, want = _plain(mine), _plain(want)
        except (ValueError, TypeError, NotImplementedError) as error:
            differing.append(f"{column} ({mine.type} vs {want.type}: {error})")
            continue
        if not mine.equals(want):
            wrong = sum(
                a != b
                for a, b in zip(
                    mine.slice(0, 1_000_000).to_pylist(),
                    want.slice(0, 1_000_000).to_pylist(),
                    strict=True,
                )
            )
            nulls = mine.null_count - want.null_count
            differing.append(
                f"{column} ({wrong:,} of the first 1,000,000 rows differ; "
                f"{nulls:+,} nulls over all rows)"
            )
    what = f"every row, all five columns: {', '.join(COLUMNS_ADDED)}; in row order"
    if differing:
        return what, "DIFFERS: " + "; ".join(differing), True
    return what, f"equal on all {length:,} rows", False


def main(argv: list[str]) -> int:
    """The child: measure at the scale given (JSON); print the result as JSON."""
    result = _run(Scale(**json.loads(argv[0])))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
