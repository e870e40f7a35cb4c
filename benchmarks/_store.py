"""The agreement store at a million agreements: writing, opening, the index, one account's reads.

Everything runs in child interpreters of this one, so that nothing else the benchmark holds
(a million placements, pandas) weighs on the numbers:

- a writer builds the agreements once (not timed) and, for each backend, records them all
  with one ``add_many`` call (timed, the garbage collector on, as an import runs); then it
  reads the rows the store wrote back out of it and inserts them into a plain table of the
  same columns, without triggers, constraints or indexes (the floor: ``executemany`` for
  SQLite, ``COPY`` for PostgreSQL, in one transaction, as the store writes);
- a reader per backend, a fresh interpreter, opens the store read-only (timed: the schema
  and the hash chain of every event are checked), builds ``store.index()`` (timed, and the
  memory it takes from the process: resident memory before and after, and the peak between,
  whose high-water mark is reset first), then times ``for_account`` and ``check_transfer``
  with :mod:`_timing`, beside a dict of tuples and ``agreements=index``.

PostgreSQL runs on a throwaway server made in a temporary folder by ``tests/postgres.py``
(the test suite's), loaded here by path: it listens on a Unix socket only and runs without
durability (``fsync = off``). Without PostgreSQL's binaries or driver its rows say so.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _memory import memory, reset_peak
from _timing import Contender, Timing, duration, measure_together, rate, ratio

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType

REPOSITORY = Path(__file__).resolve().parents[1]
SERVER_HELPER = REPOSITORY / "tests" / "postgres.py"
"""The test suite's throwaway PostgreSQL server, which the benchmark starts the same way."""

ADD_RATE = 50_000
"""The figure: ``add_many`` records at least this many agreements a second."""
INDEX_SECONDS = 3.0
"""The figure: ``store.index()`` of a million agreements in at most this many seconds..."""
INDEX_MB = 300.0
"""... and at most this many MB (10**6 bytes); both scale with the agreements in a smaller run."""
ACCOUNT_US = 100.0
"""The figure: an account's agreements from the store in at most this many µs."""
FIGURE_SCALE = 1_000_000
"""The number of agreements the figures are stated for."""

VALID_FROM = datetime(2025, 1, 1, tzinfo=UTC)
AT = datetime(2026, 6, 1, tzinfo=UTC)
"""The instant every check asks about: every agreement is in force then."""
DESTINATIONS: tuple[tuple[str, ...], ...] = (
    ("US",),
    ("APAC",),
    ("UK", "linode-uk"),
    ("linode-us",),
    ("aws-ap-southeast-1",),
    ("US", "APAC"),
    ("linode-sg", "aws-us-west-1"),
)
"""The destinations of agreement ``i`` are ``DESTINATIONS[i % 7]``: regions and data centers."""
TRANSFER = ("DE", "linode-eu", "linode-us")
"""The move every ``check_transfer`` asks about: German data from linode-eu to linode-us."""

COLUMNS = (
    ("seq", "INTEGER", "bigint"),
    ("kind", "TEXT", "text"),
    ("agreement_id", "TEXT", "text"),
    ("account_id", "TEXT", "text"),
    ("version", "INTEGER", "integer"),
    ("recorded_at", "INTEGER", "bigint"),
    ("actor", "TEXT", "text"),
    ("note", "TEXT", "text"),
    ("snapshot", "TEXT", "text"),
    ("prev_hash", "TEXT", "text"),
    ("hash", "TEXT", "text"),
)
"""The store's event columns, with their SQLite and PostgreSQL types: the floor's plain table."""
NAMES = ", ".join(name for name, _, _ in COLUMNS)
CHUNK = 50_000
"""Rows the floor reads back from the store, then inserts, at a time (only inserts are timed)."""
CHILD_TIMEOUT = 1_800
"""Seconds a child may take before the benchmark gives up on it."""

BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
COLUMNS_SHOWN = ("case", "backend", "residency", "floor", "vs floor")


@dataclass(frozen=True)
class Scale:
    """How big the store is, and how many calls the per-account rows time."""

    agreements: int
    accounts: int
    calls: int
    """Calls per repeat of a per-account row, each with an account of its own."""
    repeats: int
    """Timed repeats of a per-account row (after one warm-up run)."""


@dataclass
class Report:
    """The section: its rows (the fields of ``run.Row``) and its notes."""

    title: str
    columns: tuple[str, ...] = COLUMNS_SHOWN
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- the section, in the benchmark's process ---------------------------------------------------


def measure(scale: Scale) -> Report:
    """Write, open, index and read a store of each backend, each step in a child interpreter."""
    report = Report(
        f"agreement store: {scale.agreements:,} agreements over {scale.accounts:,} accounts"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="residency-bench-store-") as folder:
        server, why_not = _server()
        try:
            targets = {"sqlite": str(Path(folder) / "agreements.sqlite3")}
            if server is not None:
                try:
                    targets["postgres"] = server.database()
                except Exception as error:  # noqa: BLE001 - a report: SQLite still runs
                    why_not = f"the throwaway server gave no database ({error})"
            written = _guarded(
                _child, "write", scale=scale.__dict__, targets=targets, folder=folder
            )
            if "error" in written:  # the writer itself failed: every backend failed with it
                written = {"backends": {key: {"error": written["error"]} for key in targets}}
            read = {
                key: _guarded(_child, "read", scale=scale.__dict__, target=target)
                for key, target in targets.items()
                if "error" not in written["backends"][key]
            }
        finally:
            if server is not None:
                server.stop()
    for key, label in BACKENDS.items():
        if key not in targets:
            report.rows.extend(_absent(label))
            continue
        wrote = written["backends"][key]
        got = read.get(key, {"error": wrote.get("error", "")})
        report.rows.extend(_rows(label, scale, wrote, got, report.notes))
    report.notes[:0] = _notes(scale, written, read, why_not)
    report.notes.append(f"the whole section took {time.perf_counter() - started:.0f} s")
    return report


def _server() -> tuple[Any, str]:
    """A started throwaway PostgreSQL server, or None and why there is none."""
    if importlib.util.find_spec("psycopg") is None:
        return None, "the PostgreSQL driver is not installed (the postgres extra)"
    if not SERVER_HELPER.is_file():
        return None, f"{SERVER_HELPER} (the throwaway server) is missing"
    helper = _helper()
    try:
        return helper.start(), ""
    except helper.Unavailable as error:
        return None, " ".join(str(error).split())[:300]


def _helper() -> ModuleType:
    """``tests/postgres.py``, loaded by path (the tests folder is no package)."""
    name = "_residency_test_postgres"
    if name in sys.modules:
        return sys.modules[name]
    specification = importlib.util.spec_from_file_location(name, SERVER_HELPER)
    if specification is None or specification.loader is None:
        message = f"cannot load {SERVER_HELPER}"
        raise ImportError(message)
    module = importlib.util.module_from_spec(specification)
    sys.modules[name] = module
    specification.loader.exec_module(module)
    return module


def _child(role: str, **arguments: object) -> dict[str, Any]:
    """Run ``role`` (write or read) in a fresh interpreter and return what it printed (JSON)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), role, json.dumps(arguments)],
        capture_output=True,
        text=True,
        check=False,
        timeout=CHILD_TIMEOUT,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        message = f"the {role} child failed (exit {done.returncode}): {' | '.join(lines[-6:])}"
        raise RuntimeError(message)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _guarded(function: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:  # noqa: ANN401
    try:
        return function(*args, **kwargs)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return {"error": str(error)}


# --- rows -------------------------------------------------------------------------------------


def _row(  # noqa: PLR0913 - one row's cells and verdict
    case: str,
    backend: str,
    mine: str,
    floor: str = "—",
    versus: str = "—",
    *,
    timings: dict[str, Any] | None = None,
    figure: str = "",
    passed: bool | None = None,
    spec: str | None = None,
    measured: str = "",
) -> dict[str, Any]:
    return {
        "cells": {
            "case": case,
            "backend": backend,
            "residency": mine,
            "floor": floor,
            "vs floor": versus,
        },
        "timings": timings or {},
        "figure": figure,
        "passed": passed,
        "spec": spec,
        "measured": f"{backend} {measured}" if measured else "",
    }


CASES = (
    ("add_many(all), one call", "store-add"),
    ("open, readonly (schema + chain check)", None),
    ("index(), time", "store-index"),
    ("index(), memory held (peak)", "store-index"),
    ("for_account(a), cold: a new account each call", "store-account"),
    ("for_account(a), warm: cached accounts", "store-account"),
    ("check_transfer(agreements=store), cold", None),
    ("check_transfer(agreements=store), warm", None),
)


def _absent(backend: str) -> list[dict[str, Any]]:
    return [_row(case, backend, "not measured") for case, _ in CASES]


def _failed(backend: str, cases: Sequence[tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [
        _row(case, backend, "FAILED", figure="see the notes", passed=False if spec else None)
        for case, spec in cases
    ]


def _rows(
    backend: str, scale: Scale, wrote: dict[str, Any], got: dict[str, Any], notes: list[str]
) -> list[dict[str, Any]]:
    """The rows of one backend: the write, then what the reader measured."""
    if "error" in wrote:
        notes.append(f"{backend}: writing failed, nothing else measured: {wrote['error']}")
        return _failed(backend, CASES)
    rows = [_add_row(backend, scale, wrote)]
    if "error" in got:
        notes.append(f"{backend}: reading failed: {got['error']}")
        return rows + _failed(backend, CASES[1:])
    rows.append(
        _row(
            CASES[1][0],
            backend,
            f"{got['open_s']:.2f} s ({rate(got['events'] / got['open_s'])} events)",
            timings={"seconds": got["open_s"], "events": got["events"]},
        )
    )
    rows.extend(_index_rows(backend, scale, got))
    rows.extend(_account_rows(backend, got))
    rows.extend(_transfer_rows(backend, got))
    notes.extend(f"{backend}: {problem}" for problem in got["problems"])
    return rows


def _add_row(backend: str, scale: Scale, wrote: dict[str, Any]) -> dict[str, Any]:
    seconds, floor = wrote["add_many_s"], wrote["floor_s"]
    per_second = scale.agreements / seconds
    return _row(
        CASES[0][0],
        backend,
        f"{rate(per_second)} ({seconds:.2f} s)",
        f"{rate(scale.agreements / floor)} ({floor:.2f} s)",
        f"{ratio(seconds / floor)} floor",
        timings={"add_many_s": seconds, "floor_s": floor, "floor": wrote["floor"]},
        figure=f">= {ADD_RATE // 1000} k/s",
        passed=per_second >= ADD_RATE,
        spec=CASES[0][1],
        measured=f"{rate(per_second)}",
    )


def _index_rows(backend: str, scale: Scale, got: dict[str, Any]) -> list[dict[str, Any]]:
    share = scale.agreements / FIGURE_SCALE
    limit_s, limit_mb = INDEX_SECONDS * share, INDEX_MB * share
    if scale.agreements == FIGURE_SCALE:
        time_figure, memory_figure = f"<= {INDEX_SECONDS:g} s", f"<= {INDEX_MB:g} MB"
    else:
        time_figure = f"<= {duration(limit_s * 1e9)} (3 s/M)"
        memory_figure = f"<= {_mb(limit_mb)} (300 MB/M)"
    seconds = got["index_s"]
    held, peak = got["index_held"] / 1e6, got["index_peak"] / 1e6
    return [
        _row(
            CASES[2][0],
            backend,
            duration(seconds * 1e9),
            timings={"seconds": seconds},
            figure=time_figure,
            passed=seconds <= limit_s,
            spec=CASES[2][1],
            measured=duration(seconds * 1e9),
        ),
        _row(
            CASES[3][0],
            backend,
            f"{_mb(held)} ({_mb(peak)})",
            timings={key: got[key] for key in ("index_held", "index_peak", "rss_before")},
            figure=memory_figure,
            passed=peak <= limit_mb,
            spec=CASES[3][1],
            measured=f"{_mb(held)} held, {_mb(peak)} peak",
        ),
    ]


def _mb(megabytes: float) -> str:
    return f"{megabytes:.1f} MB" if megabytes < 100 else f"{megabytes:.0f} MB"


def _account_rows(backend: str, got: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    # Cold, the floor is the store's own query for the account; warm, a dict of the answers.
    for (case, spec), key, floor_key in zip(
        CASES[4:6], ("cold", "warm"), ("query", "floor_warm"), strict=True
    ):
        mine, floor = (
            Timing.from_dict(got["for_account"][key]),
            Timing.from_dict(got["for_account"][floor_key]),
        )
        name = "query" if key == "cold" else "floor"
        shown = duration(floor.median_ns)
        rows.append(
            _row(
                case,
                backend,
                duration(mine.median_ns),
                f"query {shown}" if key == "cold" else shown,
                f"{ratio(mine.median_ns / floor.median_ns)} {name}",
                timings={"store": mine.to_dict(), floor_key: floor.to_dict()},
                figure=f"<= {ACCOUNT_US:g} µs",
                passed=mine.median_ns <= ACCOUNT_US * 1e3,
                spec=spec,
                measured=duration(mine.median_ns),
            )
        )
    return rows


def _transfer_rows(backend: str, got: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for (case, _), key in zip(CASES[6:], ("cold", "warm"), strict=True):
        mine, index = (
            Timing.from_dict(got["transfer"][key]["store"]),
            Timing.from_dict(got["transfer"][key]["index"]),
        )
        rows.append(
            _row(
                case,
                backend,
                duration(mine.median_ns),
                f"index {duration(index.median_ns)}",
                f"{ratio(mine.median_ns / index.median_ns)} index",
                timings={"store": mine.to_dict(), "index": index.to_dict()},
            )
        )
    return rows


def _notes(scale: Scale, written: dict[str, Any], read: dict[str, Any], why_not: str) -> list[str]:
    calls, repeats = scale.calls, scale.repeats
    built = written.get("build_s")
    notes = [
        f"{scale.agreements:,} agreements Agreement(id=f'agr-{{i:07d}}', "
        f"account_id=f'acct-{{i % {scale.accounts}:06d}}', destinations=one of "
        f"{len(DESTINATIONS)} sets of regions and data centers of the bundled catalog (US; "
        "APAC; UK + linode-uk; linode-us; ...), valid_from=2025-01-01, "
        "basis='standard-contractual-clauses', reference=f'ticket {i}'), built once by the "
        + ("writer" if built is None else f"writer in {built:.1f} s (not timed)"),
        "each step in a child interpreter: one writer (add_many into each backend, then the "
        "floor), then one fresh reader per backend (open, index, reads); times are wall "
        "clock; add_many, its floor and index() are one run each, garbage collector on; "
        f"per-account rows are the median of {repeats} repeats of {calls:,} calls (gc off), "
        "after one warm-up run",
        "add_many: all agreements in one call (one transaction, checked against the bundled "
        "catalog, snapshots, hash chain, the database's triggers); the floor inserts the very "
        "rows the store wrote (read back, not timed) into a plain table of the same columns "
        "with no trigger, constraint or index, in one transaction, "
        f"{CHUNK:,} rows a statement: SQLite executemany, PostgreSQL COPY (psycopg write_row)",
        "open: AgreementStore(target, readonly=True) in a fresh reader (the drivers imported "
        "beforehand): the schema compared with residency's and the hash chain of every "
        "event checked; the database's files are in the OS page cache, just written",
        "index(): store.index() right after the open; memory is the reader's resident "
        "memory (VmRSS) after it minus before it: what the index holds; in parentheses the "
        "peak while it was built (VmHWM, reset through /proc/self/clear_refs just before) "
        "minus before (the same as held when no memory went back to the system meanwhile); "
        "the figure is held to the peak",
        f"CACHED: for_account cold asks accounts never asked before, {calls:,} new ones "
        "every run (so each call reads the store); warm asks the warm-up's accounts again, "
        "all in the store's cache (residency.store.CACHE_SIZE = 16,384 accounts a "
        "generation); the floor of the warm row is a dict of account -> tuple of its "
        "agreements, preloaded for the same accounts; the floor of the cold row is the "
        "backend's own read of one account's last snapshots (latest_of_account: its query on "
        "the store's connection, the rows as text), no snapshot decoded and nothing cached "
        f"({calls:,} other new accounts a run, timed in turn with the store)",
        f"check_transfer{TRANSFER!r}, account_id=a, at={AT.date()}: cold, a new account each "
        "call (other accounts than the for_account rows'), agreements=store reads it from "
        "the store, agreements=index (store.index(), built above) decodes its packed "
        "agreements on first use; warm, the warm-up's accounts again",
        f"SQLite {sqlite3.sqlite_version}: a file in {tempfile.gettempdir()}, rollback "
        "journal, synchronous = FULL (the store's own settings; the floor's file the same)",
    ]
    if why_not:
        notes.append(f"PostgreSQL not measured: {why_not}")
    else:
        server = written["backends"].get("postgres", {}).get("server", {})
        settings = ", ".join(
            f"{name} = {value}" for name, value in server.items() if name != "version"
        )
        notes.append(
            f"PostgreSQL {server.get('version', '?')} (psycopg {_version('psycopg')}): a "
            "throwaway server started for this section by tests/postgres.py in a temporary "
            "folder, listening on a local Unix socket only"
            + (", run as the postgres user" if os.geteuid() == 0 else "")
            + (f"; {settings}" if settings else "")
            + " (no durability: its commits wait for no disk, SQLite's do)"
        )
    for key, got in read.items():
        if "error" not in got:
            allowed, checked = got["allowed"]
            agree = (
                "the store and the index answered alike on every one"
                if not got["differ"]
                else f"the store and the index DISAGREE on {got['differ']:,}"
            )
            notes.append(
                f"{BACKENDS[key]}: of the accounts checked cold, {allowed:,} of {checked:,} may "
                f"move the data (an agreement covers US or linode-us); {agree}"
            )
    return notes


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


# --- the children -----------------------------------------------------------------------------


def _agreements(scale: Scale) -> list[Any]:
    from residency import Agreement  # noqa: PLC0415 - the children import residency, not run.py

    accounts = scale.accounts
    return [
        Agreement(
            id=f"agr-{i:07d}",
            account_id=f"acct-{i % accounts:06d}",
            destinations=DESTINATIONS[i % len(DESTINATIONS)],
            valid_from=VALID_FROM,
            basis="standard-contractual-clauses",
            reference=f"ticket {i}",
        )
        for i in range(scale.agreements)
    ]


def _write(scale: Scale, targets: dict[str, str], folder: str) -> dict[str, Any]:
    """Build the agreements, then add_many and the floor into each target."""
    from residency import AgreementStore, default_policy  # noqa: PLC0415

    policy = default_policy()
    gc.disable()  # building a million objects is not what is measured
    started = time.perf_counter()
    agreements = _agreements(scale)
    built = time.perf_counter() - started
    gc.enable()
    result: dict[str, Any] = {"build_s": built, "backends": {}}
    for key, target in targets.items():
        try:
            with AgreementStore(target, policy=policy) as store:
                gc.collect()
                started = time.perf_counter()
                count = store.add_many(agreements)
                seconds = time.perf_counter() - started
            if count != scale.agreements:
                message = f"add_many recorded {count:,} agreements, not {scale.agreements:,}"
                raise RuntimeError(message)  # noqa: TRY301 - reported as this backend's error
            done: dict[str, Any] = {"add_many_s": seconds}
            if key == "sqlite":
                done["floor_s"], done["floor"] = _sqlite_floor(Path(target), Path(folder))
            else:
                done["floor_s"], done["floor"], done["server"] = _postgres_floor(target)
        except Exception as error:  # noqa: BLE001 - a report: the other backend still runs
            done = {"error": f"{type(error).__name__}: {' '.join(str(error).split())[:500]}"}
        result["backends"][key] = done
    return result


def _sqlite_floor(store: Path, folder: Path) -> tuple[float, dict[str, Any]]:
    """Seconds to insert the store's rows into a plain table of another file, and what."""
    plain = sqlite3.connect(folder / "plain.sqlite3", isolation_level=None)
    source = sqlite3.connect(f"{store.absolute().as_uri()}?mode=ro", uri=True)
    try:
        plain.execute("PRAGMA synchronous = FULL")  # rollback journal, as the store's
        columns = ", ".join(f"{name} {kind}" for name, kind, _ in COLUMNS)
        plain.execute(f"CREATE TABLE plain_event ({columns})")
        insert = f"INSERT INTO plain_event ({NAMES}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608 - our constants
        cursor = source.execute(f"SELECT {NAMES} FROM agreement_event ORDER BY seq")  # noqa: S608
        gc.collect()
        seconds, rows = _timed(plain.execute, "BEGIN IMMEDIATE"), 0
        while chunk := cursor.fetchmany(CHUNK):
            seconds += _timed(plain.executemany, insert, chunk)
            rows += len(chunk)
        seconds += _timed(plain.execute, "COMMIT")
    finally:
        source.close()
        plain.close()
    for name in ("plain.sqlite3", "plain.sqlite3-wal", "plain.sqlite3-shm"):
        (folder / name).unlink(missing_ok=True)
    return seconds, {"rows": rows, "how": "executemany into a plain table, one transaction"}


def _postgres_floor(url: str) -> tuple[float, dict[str, Any], dict[str, str]]:
    """Seconds to COPY the store's rows into a plain table of the same database, and what."""
    import psycopg  # noqa: PLC0415 - only with the postgres extra

    columns = ", ".join(f"{name} {kind}" for name, _, kind in COLUMNS)
    with psycopg.connect(url) as source, psycopg.connect(url) as plain:
        server = dict(
            zip(
                ("version", "fsync", "synchronous_commit", "full_page_writes"),
                plain.execute(
                    "SELECT current_setting('server_version'), current_setting('fsync'), "
                    "current_setting('synchronous_commit'), current_setting('full_page_writes')"
                ).fetchone()
                or (),
                strict=False,
            )
        )
        plain.execute(f"CREATE TABLE public.plain_event ({columns})")
        plain.commit()
        copy_sql = f"COPY public.plain_event ({NAMES}) FROM STDIN"
        rows = 0
        with source.cursor(name="rows") as cursor:
            cursor.execute(f"SELECT {NAMES} FROM residency.agreement_event ORDER BY seq")  # noqa: S608
            gc.collect()
            seconds = 0.0
            while chunk := cursor.fetchmany(CHUNK):
                seconds += _timed(_copy, plain, copy_sql, chunk)
                rows += len(chunk)
            seconds += _timed(plain.commit)
        plain.execute("DROP TABLE public.plain_event")
        plain.commit()
    return seconds, {"rows": rows, "how": "COPY into a plain table, one transaction"}, server


def _copy(connection: Any, statement: str, rows: Sequence[Sequence[object]]) -> None:  # noqa: ANN401
    with connection.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _timed(function: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def _loop(function: Callable[[str], object], items: Sequence[str]) -> None:
    for item in items:
        function(item)


def _read(scale: Scale, target: str) -> dict[str, Any]:
    """Open the store, build its index, then time one account's reads."""
    import residency._store_sqlite  # noqa: PLC0415 - imported before the open is timed
    from residency import AgreementStore, default_policy  # noqa: PLC0415

    if target.startswith("postgresql://"):
        import residency._store_postgres  # noqa: PLC0415, F401

    policy = default_policy()
    policy.check_transfer(TRANSFER[0], *TRANSFER[1:], at=AT)  # the policy's own caches
    gc.collect()
    started = time.perf_counter()
    store = AgreementStore(target, create=False, readonly=True, policy=policy)
    opened = time.perf_counter() - started
    gc.collect()
    before, _ = memory()
    reset = reset_peak()
    started = time.perf_counter()
    index = store.index()
    indexed = time.perf_counter() - started
    after, peak = memory()
    problems: list[str] = []
    if not reset:
        problems.append("the peak memory could not be reset: it is the reader's whole peak")
    if len(index) != scale.agreements:
        problems.append(f"the index holds {len(index):,} agreements, not {scale.agreements:,}")

    calls, runs = scale.calls, scale.repeats + 1
    draw = random.Random(20260601)  # noqa: S311 - a fixed draw, not a secret
    chosen = draw.sample(range(scale.accounts), 3 * calls * runs)
    accounts = [f"acct-{number:06d}" for number in chosen]
    batches = [accounts[start : start + calls] for start in range(0, len(accounts), calls)]
    own, others, queried = batches[:runs], batches[runs : 2 * runs], batches[2 * runs :]

    floor = {account: index.for_account(account) for batch in own for account in batch}

    def fresh(function: Callable[[str], object], batches: Sequence[Sequence[str]]) -> Contender:
        return Contender(
            lambda repeat: functools.partial(_loop, function, batches[repeat + 1]),
            calls,
            scale.repeats,
        )

    def again(function: Callable[[str], object], batch: Sequence[str]) -> Contender:
        run = functools.partial(_loop, function, batch)
        return Contender(lambda _repeat: run, calls, scale.repeats)

    # The floor of a cold read: the backend's own read of one account's last snapshots (its
    # query, on the store's connection, and the rows as text), no snapshot decoded.
    query = store._backend.latest_of_account  # noqa: SLF001 - the floor is the store's own read
    cold = measure_together(
        {
            "store": fresh(store.for_account, own),
            "query": fresh(query, queried),
        }
    )
    warm = measure_together(
        {"store": again(store.for_account, own[0]), "floor": again(floor.__getitem__, own[0])}
    )
    wrong = sum(store.for_account(account) != floor[account] for account in own[0])
    if wrong:
        problems.append(f"for_account differs from the index for {wrong} of {calls} accounts")

    def checking(agreements: object) -> Callable[[str], Any]:
        check = policy.check_transfer
        location, source, destination = TRANSFER
        return lambda account: check(
            location, source, destination, account_id=account, agreements=agreements, at=AT
        )

    transfer = {
        "cold": measure_together(
            {"store": fresh(checking(store), others), "index": fresh(checking(index), others)}
        ),
        "warm": measure_together(
            {"store": again(checking(store), others[0]), "index": again(checking(index), others[0])}
        ),
    }
    said = [
        (checking(store)(account), checking(index)(account))
        for batch in others
        for account in batch
    ]
    differ = sum((a.allowed, a.basis) != (b.allowed, b.basis) for a, b in said)
    if differ:
        problems.append(f"check_transfer: the store and the index disagree on {differ} accounts")
    allowed = sum(a.allowed for a, _ in said)
    store.close()
    return {
        "open_s": opened,
        "events": scale.agreements,
        "index_s": indexed,
        "rss_before": before,
        "index_held": after - before,
        "index_peak": peak - before if reset else peak,
        "for_account": {
            "cold": cold["store"].to_dict(),
            "warm": warm["store"].to_dict(),
            "query": cold["query"].to_dict(),
            "floor_warm": warm["floor"].to_dict(),
        },
        "transfer": {
            key: {name: value.to_dict() for name, value in timings.items()}
            for key, timings in transfer.items()
        },
        "allowed": (allowed, len(said)),
        "differ": differ,
        "problems": problems,
    }


def main(argv: list[str]) -> int:
    """A child: ``write ARGUMENTS`` or ``read ARGUMENTS`` (JSON); print the result as JSON."""
    role, arguments = argv[0], json.loads(argv[1])
    scale = Scale(**arguments.pop("scale"))
    if role == "write":
        result = _write(scale, **arguments)
    elif role == "read":
        result = _read(scale, **arguments)
    else:
        message = f"no such role: {role}"
        raise SystemExit(message)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
