# ruff: noqa: S608 - the raw SQL is the tests' own, built from constants
"""The agreement store's guarantees under faults, on both backends (SQLite and PostgreSQL).

Every test that takes ``target`` runs on a fresh SQLite path and on a fresh PostgreSQL
database (``tests/stores.py``); the faults are real: writer processes killed with SIGKILL,
eight processes writing at once, raw SQL run against the database behind the store's back, a
full disk, read-only files, FIFOs.

Which check catches which tampering (each test below asserts its own line):

- **The database** (triggers and constraints) refuses ``UPDATE``, ``DELETE``, ``TRUNCATE``
  and ``INSERT OR REPLACE`` of the history, and an insert that is not the next ``seq``, does
  not carry the hash of the event before it, or changes an agreement that is revoked or not
  at its last version. It cannot check the hashes themselves, nor the fields an amendment
  never changes (``valid_from``, ``basis``).
- **Opening a store** compares the schema with the one residency made (a dropped, disabled,
  rewritten or added trigger, a dropped index, an added object) and walks the hash chain: an
  inserted event with a wrong hash, an altered event, a removed event in the middle, a
  reordered history, each named by the first bad ``seq``.
- **verify()** does all of that again, on a store that is already open, and also checks every
  rule of the history (:mod:`residency._chain`): an event with a correct hash that changes
  ``valid_from``, or that changes a revoked agreement, is caught by ``verify()`` only.
- **verify(head=...)** with a head recorded earlier catches a history cut at its end: the
  chain that is left is whole, so neither opening nor ``verify()`` alone can see it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import random
import resource
import select
import selectors
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, NoReturn
from zoneinfo import ZoneInfo

import attrs
import pytest
from tests.stores import (
    START,
    Raw,
    agreement,
    backend_of,
    events_table,
    placeholder,
    raw,
    wider_policy,
)

import residency._store_sqlite  # noqa: F401 - imported before any fork, as the store imports it late
from residency import default_policy
from residency._chain import COLUMNS, decode, link, snapshot
from residency._time import micros
from residency.agreements import Agreement, AgreementIndex, UnusableAgreement
from residency.errors import (
    AgreementConflict,
    InvalidAgreement,
    StoreError,
    StoreMissing,
    StoreTampered,
    StoreUnavailable,
)
from residency.store import AgreementStore, Event

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from residency import Policy, TransferDecision
    from residency._chain import Row

REVOKED = datetime(2026, 7, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)
POLICY = default_policy()  # loaded before any fork: children inherit it
BERLIN = ZoneInfo("Europe/Berlin")
NOBODY = 65534

try:
    import psycopg
except ImportError:  # without the postgres extra: SQLite's alone
    DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)
else:
    DATABASE_ERRORS = (sqlite3.Error, psycopg.Error)


def decide(
    agreements: AgreementStore | AgreementIndex,
    account_id: str,
    at: datetime | None = START,
    target: str = "aws-us-west-1",
    policy: Policy = POLICY,
) -> TransferDecision:
    """May a customer in Germany of ``account_id`` move data from linode-eu to ``target``?"""
    given: Any = agreements  # check_transfer takes a store, which its annotation does not name
    return policy.check_transfer(
        "DE", "linode-eu", target, account_id=account_id, agreements=given, at=at
    )


# --- processes ------------------------------------------------------------------------------


def _report(fd: int, *message: object) -> None:
    """Send one message on a pipe: one JSON line, written whole (no longer than PIPE_BUF)."""
    line = json.dumps(message).encode() + b"\n"
    assert len(line) <= select.PIPE_BUF
    os.write(fd, line)


def _read_all(fd: int) -> list[list[Any]]:
    """Every message a child sent on the pipe ``fd``, until it closed it; ``fd`` is closed."""
    chunks = []
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).split(b"\n")
    return [json.loads(line) for line in lines if line]


def in_child(call: Callable[[], object], *, user: int | None = None, timeout: float = 10.0) -> Any:  # noqa: ANN401 - whatever JSON the child sent back
    """Run ``call`` in a forked child (as ``user``, when given) and return what it returned.

    The result travels as JSON; an exception comes back as ``{"raised": name, "message": ...}``.
    A child still running after ``timeout`` seconds is killed, and the test fails: it hung.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports through the pipe
        status = 0
        try:
            os.close(read_end)
            if user is not None:
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)
            result: object = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the parent to judge
            result = {"raised": type(error).__name__, "message": str(error)}
            status = 1
        try:
            os.write(write_end, json.dumps({"result": result}).encode())
        finally:
            os._exit(status)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(read_end, selectors.EVENT_READ)
        data = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                os.close(read_end)
                pytest.fail(f"the child running {call!r} hung for {timeout} s")
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(data)["result"] if data else None


def _unprivileged() -> int | None:
    """The user to drop to so that file permissions apply: nobody when running as root."""
    return NOBODY if os.geteuid() == 0 else None


@pytest.fixture
def shared_folder() -> Iterator[pathlib.Path]:
    """A new folder that every user may enter and write (pytest's own are root's alone)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="residency-faults-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- targets --------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_targets(target: str, folder: pathlib.Path) -> Iterator[Callable[[str], str]]:
    """Give fresh, empty targets of the backend of ``target``, one for each ``name`` asked.

    A SQLite target is a new path in ``folder``. A PostgreSQL one is the database of
    ``target`` emptied of its store (its schema ``residency`` dropped): a new database costs
    far more, and an emptied one is just as new to a store.
    """

    def make(name: str) -> str:
        if backend_of(target) == "sqlite":
            return str(folder / f"{name}.sqlite3")
        with raw(target) as connection:
            connection.execute("DROP SCHEMA IF EXISTS residency CASCADE")
        return target

    yield make


# --- 1. crashes -----------------------------------------------------------------------------

Summary = list[Any]
"""An event as the crash tests compare it: [kind, agreement id, version, agreement as dict]."""


def summary(event: Event) -> Summary:
    """``event`` as the crash tests compare it, in its JSON form."""
    agreement = event.agreement
    assert isinstance(agreement, Agreement), agreement
    plain: Summary = json.loads(
        json.dumps([event.kind.value, event.agreement_id, event.version, agreement.to_dict()])
    )
    return plain


def _crash_agreement(agreement_id: str, rng: random.Random) -> Agreement:
    return Agreement(
        id=agreement_id,
        account_id=f"account-{rng.randrange(4)}",
        destinations=rng.sample(["US", "APAC", "UK", "aws-us-west-1"], k=rng.randint(1, 2)),
        valid_from=START + timedelta(minutes=rng.randrange(100_000)),
        reference=f"ref {agreement_id}",
    )


def _write_until_killed(target: str, fd: int, seed: int, live: list[str], prefix: str) -> NoReturn:
    """The child of a crash test: open the store, then write until killed.

    Before each write it sends ``["try", events]``, the events the write will append; after
    the call returned, ``["ack"]``. It stops by itself only after five seconds.
    """
    status = 0
    try:
        rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        with AgreementStore(target) as store:
            _report(fd, "open")
            deadline = time.monotonic() + 5
            number = 0
            while time.monotonic() < deadline:
                number += 1
                roll = rng.random()
                name = f"{prefix}-{number}"
                if not live or roll < 0.25:
                    new = _crash_agreement(name, rng)
                    _report(fd, "try", [["add", new.id, 1, new.to_dict()]])
                    store.add(new)
                    live.append(new.id)
                elif roll < 0.4:
                    batch = [_crash_agreement(f"{name}.{k}", rng) for k in range(rng.randint(2, 4))]
                    _report(fd, "try", [["add", new.id, 1, new.to_dict()] for new in batch])
                    store.add_many(batch)
                    live.extend(new.id for new in batch)
                else:
                    agreement_id = rng.choice(live)
                    latest = store.latest(agreement_id)
                    current = latest.agreement
                    assert isinstance(current, Agreement)
                    if roll < 0.85:
                        changed = attrs.evolve(current, reference=f"amended {name}")
                        kind = "amend"
                    else:
                        at = START + timedelta(days=rng.randrange(1000))
                        changed = attrs.evolve(current, revoked_at=at)
                        kind = "revoke"
                    event = [kind, agreement_id, latest.version + 1, changed.to_dict()]
                    _report(fd, "try", [event])
                    if kind == "amend":
                        store.amend(
                            agreement_id, version=latest.version, reference=changed.reference
                        )
                    else:
                        assert changed.revoked_at is not None
                        store.revoke(agreement_id, version=latest.version, at=changed.revoked_at)
                        live.remove(agreement_id)
                _report(fd, "ack")
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
        with contextlib.suppress(OSError):
            _report(fd, "error", f"{type(error).__name__}: {error}"[:2000])
        status = 1
    os._exit(status)


@attrs.define
class CrashStats:
    """What the kills of a crash test hit, to show that they hit what they were meant to."""

    iterations: int = 0
    acknowledged: int = 0
    before_open: int = 0
    during_write: int = 0
    committed_unacknowledged: int = 0


def _kill_after(
    target: str, delay: float, seed: int, live: list[str], prefix: str, *, after_open: bool
) -> list[list[Any]]:
    """Fork a writer, SIGKILL it ``delay`` seconds later, and return what it reported.

    The delay counts from the fork, or with ``after_open`` from when the writer reported that
    its store was open (so that it falls among the writes, not in the reads of opening).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child dies by SIGKILL
        os.close(read_end)
        _write_until_killed(target, write_end, seed, live, prefix)
    os.close(write_end)
    received = b""
    if after_open:
        deadline = time.monotonic() + 30
        while b'["open"]\n' not in received and time.monotonic() < deadline:
            ready, _, _ = select.select([read_end], [], [], deadline - time.monotonic())
            chunk = os.read(read_end, 65536) if ready else b""
            if not chunk:
                break  # the writer failed before its store was open: its report says why
            received += chunk
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        received += pipe.read()
    return [json.loads(line) for line in received.split(b"\n") if line]


_WRITERS: Final = f"residency-killed-writer-{os.getpid()}"
"""The application name the crash test's writers give PostgreSQL, to find their sessions by."""


def _as_writer(target: str) -> str:
    """``target`` as a crash test's writer opens it: on PostgreSQL, named :data:`_WRITERS`."""
    if backend_of(target) != "postgres":
        return target
    return f"{target}{'&' if '?' in target else '?'}application_name={_WRITERS}"


def _wait_for_killed_sessions(monitor: Raw, where: str) -> None:
    """Wait until PostgreSQL has ended the session of every writer killed so far.

    SIGKILL ends the client, not its session on the server: a COMMIT the server had already
    received still completes after the writer died, then the session ends. Until it has, the
    write in flight may land at any moment, between two reads of the check.
    """
    deadline = time.monotonic() + 30
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    while monitor.execute(query, [_WRITERS])[0][0]:
        assert time.monotonic() < deadline, f"{where}: a killed writer's session lives on"
        time.sleep(0.002)


def _check_after_kill(
    store: AgreementStore,
    messages: list[list[Any]],
    history: list[Summary],
    stats: CrashStats,
    where: str,
) -> list[Summary]:
    """Check that the store a writer was killed in holds exactly what was acknowledged.

    ``history`` is what the store held before; the store must now hold it, then the events of
    every acknowledged write, then those of the write in flight when the writer died either
    all or not at all; and it must verify. Returns what the store holds now.
    """
    errors = [message[1] for message in messages if message[0] == "error"]
    assert not errors, f"{where}: the writer failed: {errors}"
    acknowledged: list[Summary] = []
    pending: list[Summary] | None = None
    for message in messages:
        if message[0] == "try":
            pending = message[1]
        elif message[0] == "ack":
            assert pending is not None
            acknowledged.extend(pending)
            stats.acknowledged += 1
            pending = None
    if not history and messages[:1] != [["open"]]:
        stats.before_open += 1
    if pending is not None:
        stats.during_write += 1
    found = [summary(event) for event in store.history()]
    expected = history + acknowledged
    if found != expected:
        assert pending is not None, (
            f"{where}: the store holds {found[len(history) :]}, not {acknowledged}"
        )
        assert found == expected + pending, (
            f"{where}: the store holds {found[len(history) :]}, not {acknowledged} and then "
            f"either all or none of {pending}"
        )
        stats.committed_unacknowledged += 1
    report = store.verify()
    assert report.events == len(found)
    assert report.ok
    return found


def _live(history: list[Summary]) -> list[str]:
    """The agreements of ``history`` that are not revoked, in the order they were added."""
    latest = {event[1]: event[0] for event in history}
    return [agreement_id for agreement_id, kind in latest.items() if kind != "revoke"]


@attrs.define
class Windows:
    """The spans a writer is killed within, kept to the machine's pace as the test runs.

    ``making``: from the fork of a writer that makes a store; ``writing``: from when a writer
    reported its store open. Both start as measured (:meth:`measure`), then follow what the
    kills hit, within a factor of four below and ten above: about half the writers that make
    a store die before it is made, and the others die in one of their first few writes.
    """

    making: float
    writing: float
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def __attrs_post_init__(self) -> None:
        self.bounds = (self.making / 4, self.making * 10, self.writing / 4, self.writing * 10)

    @classmethod
    def measure(cls, fresh: Callable[[str], str]) -> Windows:
        """Time a fork, making a store, and a write: each the fastest of three."""
        forks = []
        for _ in range(3):
            began = time.perf_counter()
            pid = os.fork()
            if pid == 0:  # the child
                os._exit(0)
            os.waitpid(pid, 0)
            forks.append(time.perf_counter() - began)
        made, writes = [], []
        for attempt in range(3):
            began = time.perf_counter()
            with AgreementStore(fresh(f"costs{attempt}")) as store:
                made.append(time.perf_counter() - began)
                began = time.perf_counter()
                store.add(agreement())
                writes.append(time.perf_counter() - began)
        return cls(min(forks) + min(made), 6 * min(writes))

    def delay(self, rng: random.Random, *, making: bool) -> float:
        """A moment to kill the next writer at, in seconds."""
        return rng.uniform(0, self.making if making else self.writing)

    def learn(self, messages: list[list[Any]], *, making: bool) -> None:
        """Widen or narrow the span the last writer was killed in, by how far it got."""
        if making:
            factor = 0.9 if ["open"] in messages else 1.1
            self.making = min(max(self.making * factor, self.bounds[0]), self.bounds[1])
        else:
            started = any(message[0] == "try" for message in messages)
            factor = 1.1 if not started else 0.9 if messages.count(["ack"]) > 4 else 1.0
            self.writing = min(max(self.writing * factor, self.bounds[2]), self.bounds[3])


@pytest.mark.slow
def test_killed_writers_lose_no_acknowledged_write(target: str, tmp_path: pathlib.Path) -> None:
    """200 writers SIGKILLed at random moments lose nothing acknowledged and break nothing.

    Each round starts on a fresh target, and its first writer is killed at a random moment
    after its fork, most often while it makes the store. The later writers of the round are
    killed a random few milliseconds after their store is open, among their writes: adds,
    adds in batches, amendments and revocations (naming the version they read). After every
    kill the store opens, holds every acknowledged write exactly as acknowledged, holds the
    write in flight whole or not at all, and verifies.

    On SQLite the parent opens a new store after every kill, and closes it before the next
    fork (SQLite's locks are per process: no connection may be open across a fork). On
    PostgreSQL, where a new store costs tens of milliseconds, the store opened after a round's
    first kill checks the later ones, still open; the next writer opens its own, and a new one
    checks the round's last. There the check waits first until the server has ended the
    killed writer's session, which may still be committing its write in flight.
    """
    rng = random.Random(20261025)  # noqa: S311 - reproducible test data, not secrets
    rounds, per_round = (20, 10) if backend_of(target) == "sqlite" else (10, 20)
    keep_open = backend_of(target) == "postgres"
    stats = CrashStats()
    with fresh_targets(target, tmp_path) as fresh, contextlib.ExitStack() as stack:
        windows = Windows.measure(fresh)
        monitor = stack.enter_context(raw(target)) if keep_open else None
        for round_number in range(rounds):
            store_target = fresh(f"crash{round_number}")
            history: list[Summary] = []
            with contextlib.ExitStack() as kept:
                store: AgreementStore | None = None
                for iteration in range(per_round):
                    delay = windows.delay(rng, making=iteration == 0)
                    prefix = f"r{round_number}i{iteration}"
                    where = f"round {round_number}, iteration {iteration}, at {delay * 1e3:.2f} ms"
                    messages = _kill_after(
                        _as_writer(store_target),
                        delay,
                        rng.randrange(1 << 32),
                        _live(history),
                        prefix,
                        after_open=iteration > 0,
                    )
                    if monitor is not None:
                        _wait_for_killed_sessions(monitor, where)
                    windows.learn(messages, making=iteration == 0)
                    if store is None:
                        store = AgreementStore(store_target)
                        kept.callback(store.close)
                    history = _check_after_kill(store, messages, history, stats, where)
                    stats.iterations += 1
                    if not keep_open:  # no SQLite connection stays open across the next fork
                        store.close()
                        store = None
            with AgreementStore(store_target) as store:
                assert [summary(event) for event in store.history()] == history
                assert store.verify().events == len(history)
    assert stats.iterations == 200
    # The kills hit what they were meant to: stores being made, and writes under way. (How
    # many of a round's first kills land before the store is open moves with the machine's
    # speed; a few in every run is what matters.)
    assert stats.before_open >= rounds // 10, stats
    assert stats.during_write >= stats.iterations // 5, stats
    assert stats.acknowledged >= stats.iterations // 2, stats


def _statement_calls(frame: FrameType, event: str, arg: object) -> bool:
    """Whether a profiling event is a call that sends SQL: sqlite3's or psycopg's execute."""
    if event == "c_call":
        owner = getattr(arg, "__self__", None)
        return isinstance(owner, sqlite3.Connection) and getattr(arg, "__name__", "") in {
            "execute",
            "executemany",
        }
    return (
        event == "call"
        and frame.f_code.co_qualname in {"Connection.execute", "Cursor.copy"}
        and str(frame.f_globals.get("__name__", "")).startswith("psycopg")
    )


def _die_before_statement(number: int, fd: int) -> None:
    """Make this process SIGKILL itself just before the ``number``-th SQL it sends."""
    sent = 0

    def hook(frame: FrameType, event: str, arg: object) -> None:
        nonlocal sent
        if _statement_calls(frame, event, arg):
            sent += 1
            if sent == number:
                sys.setprofile(None)
                _report(fd, "killed")
                os.kill(os.getpid(), signal.SIGKILL)

    sys.setprofile(hook)


def _lifetime(target: str, fd: int, number: int) -> NoReturn:
    """The child of the kill-point test: make a store and change it, killed before a statement.

    Reports as :func:`_write_until_killed` does, and ``["done"]`` when nothing killed it.
    """
    status = 0
    try:
        _die_before_statement(number, fd)
        with AgreementStore(target) as store:
            _report(fd, "open")
            first = agreement("agr-1", reference="first")
            _report(fd, "try", [["add", "agr-1", 1, first.to_dict()]])
            store.add(first)
            _report(fd, "ack")
            amended = attrs.evolve(first, reference="amended")
            _report(fd, "try", [["amend", "agr-1", 2, amended.to_dict()]])
            store.amend("agr-1", version=1, reference="amended")
            _report(fd, "ack")
            batch = [agreement("agr-2", "globex"), agreement("agr-3", "globex")]
            _report(fd, "try", [["add", new.id, 1, new.to_dict()] for new in batch])
            store.add_many(batch)
            _report(fd, "ack")
            revoked = attrs.evolve(amended, revoked_at=REVOKED)
            _report(fd, "try", [["revoke", "agr-1", 3, revoked.to_dict()]])
            store.revoke("agr-1", version=2, at=REVOKED)
            _report(fd, "ack")
        sys.setprofile(None)
        _report(fd, "done")
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
        sys.setprofile(None)
        with contextlib.suppress(OSError):
            _report(fd, "error", f"{type(error).__name__}: {error}"[:2000])
        status = 1
    os._exit(status)


def _kill_at_each_statement(
    target: str, folder: pathlib.Path, *, making_only: bool = False
) -> dict[int, str]:
    """Kill a store's first writer before each of its SQL statements in turn; check each time.

    Each kill point has a fresh target; the next opener is checked as in the crash test.
    Returns, for each kill point, the journal mode the store was left in (SQLite; "" for
    PostgreSQL). Stops at the first writer that ran to the end, or with ``making_only`` at the
    first that had made the store.
    """
    modes: dict[int, str] = {}
    stats = CrashStats()
    # On PostgreSQL every third point: a point costs a quarter of a second there, and the store
    # is made in one transaction, whose statements all roll back alike.
    step = 1 if backend_of(target) == "sqlite" else 3
    with fresh_targets(target, folder) as fresh:
        for number in range(1, 200, step):
            store_target = fresh(f"point{number}")
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child dies by SIGKILL, or reports done
                os.close(read_end)
                _lifetime(store_target, write_end, number)
            os.close(write_end)
            os.waitpid(pid, 0)
            messages = _read_all(read_end)
            where = f"killed before statement {number}"
            done = ["done"] in messages
            assert done or ["killed"] in messages, f"{where}: {messages}"
            reported = [message for message in messages if message[0] != "killed"]
            with AgreementStore(store_target) as store:  # makes the store if the writer did not
                _check_after_kill(store, reported, [], stats, where)
            if backend_of(target) == "sqlite":
                with raw(store_target) as connection:
                    modes[number] = str(connection.execute("PRAGMA journal_mode")[0][0])
            else:
                modes[number] = ""
            if done or (making_only and ["open"] in messages):
                return modes
    pytest.fail("the writer never ran to its end")


@pytest.mark.slow
def test_writer_killed_before_any_statement_leaves_a_store_that_opens(
    target: str, tmp_path: pathlib.Path
) -> None:
    """A writer killed before any one of its SQL statements leaves a store that opens whole.

    From the first statement that makes the store to the last of four writes: every time, the
    next opener makes or opens the store, finds every acknowledged write and the one in flight
    whole or not at all, and the store verifies.
    """
    modes = _kill_at_each_statement(target, tmp_path)
    assert len(modes) >= 15  # making the store and four writes: many statements


def test_store_is_in_rollback_mode_whenever_its_maker_was_killed(tmp_path: pathlib.Path) -> None:
    """However its maker was killed, a SQLite store is in rollback-journal mode, as new ones are.

    It is the mode in which readers need no file beside the store.
    """
    modes = _kill_at_each_statement(
        str(tmp_path / "agreements.sqlite3"), tmp_path, making_only=True
    )
    assert {number: mode for number, mode in modes.items() if mode != "delete"} == {}


# --- 2. concurrent writers --------------------------------------------------------------------

WRITERS = 8
SHARED = ("shared-1", "shared-2", "shared-3")


def _write_concurrently(
    target: str, number: int, ready: int, go: int, out: int, seed: int
) -> NoReturn:
    """A writer of the concurrency test: add its own agreements, amend shared ones.

    Reports ``["ack", agreement id, version, reference]`` for each write that returned and
    ``["conflict", agreement id, version read, reference]`` for each AgreementConflict.
    """
    status = 0
    try:
        rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        with AgreementStore(target) as store:
            os.write(ready, b"r")
            os.read(go, 1)
            for step in range(24):
                reference = f"writer {number} step {step}"
                if step % 4 == 0:
                    new = agreement(
                        f"own-{number}-{step}", f"account-{number}", reference=reference
                    )
                    store.add(new)
                    _report(out, "ack", new.id, 1, reference)
                elif step % 4 == 1:
                    batch = [
                        agreement(
                            f"own-{number}-{step}.{k}", f"account-{number}", reference=reference
                        )
                        for k in range(3)
                    ]
                    store.add_many(batch)
                    for new in batch:
                        _report(out, "ack", new.id, 1, reference)
                else:
                    agreement_id = rng.choice(SHARED)
                    version = store.latest(agreement_id).version
                    time.sleep(rng.uniform(0, 0.003))  # others write meanwhile
                    try:
                        store.amend(agreement_id, version=version, reference=reference)
                    except AgreementConflict:
                        _report(out, "conflict", agreement_id, version, reference)
                    else:
                        _report(out, "ack", agreement_id, version + 1, reference)
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
        with contextlib.suppress(OSError):
            _report(out, "error", f"{type(error).__name__}: {error}"[:2000])
        status = 1
    os._exit(status)


def _read_pipes(pipes: dict[int, int], timeout: float) -> list[list[Any]]:
    """Every message the children ``pipes`` (pid: read end) sent, until each closed its pipe.

    Read as they come, so that no child waits on a full pipe; a child still writing after
    ``timeout`` seconds is killed, and the test fails.
    """
    deadline = time.monotonic() + timeout
    received = dict.fromkeys(pipes.values(), b"")
    with selectors.DefaultSelector() as selector:
        for fd in pipes.values():
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            ready = selector.select(max(deadline - time.monotonic(), 0))
            if not ready:
                for pid in pipes:
                    os.kill(pid, signal.SIGKILL)
                pytest.fail(f"the writers did not finish within {timeout} s")
            for key, _ in ready:
                fd = int(key.fd)
                chunk = os.read(fd, 65536)
                received[fd] += chunk
                if not chunk:
                    selector.unregister(fd)
                    os.close(fd)
    return [json.loads(line) for data in received.values() for line in data.split(b"\n") if line]


def _run_writers(target: str, seed: int) -> list[list[Any]]:
    """Start the writers together; return every message they sent, once all have exited."""
    ready_read, ready_write = os.pipe()
    go_read, go_write = os.pipe()
    pipes: dict[int, int] = {}
    for number in range(WRITERS):
        out_read, out_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child reports through its pipe
            for fd in (ready_read, go_write, out_read, *pipes.values()):
                os.close(fd)
            _write_concurrently(target, number, ready_write, go_read, out_write, seed + number)
        os.close(out_write)
        pipes[pid] = out_read
    os.close(ready_write)
    os.close(go_read)
    started = b""
    while len(started) < WRITERS:
        chunk = os.read(ready_read, WRITERS)
        assert chunk, "a writer died before it was ready"
        started += chunk
    os.write(go_write, b"g" * WRITERS)  # one byte for each writer: all start at once
    messages = _read_pipes(pipes, timeout=60)
    statuses = [os.waitpid(pid, 0)[1] for pid in pipes]
    os.close(ready_read)
    os.close(go_write)
    errors = [message[1] for message in messages if message[0] == "error"]
    assert not errors, errors
    assert statuses == [0] * WRITERS
    return messages


@pytest.mark.slow
def test_concurrent_writers_lose_and_duplicate_nothing(target: str) -> None:
    """Eight processes writing at once: every write kept once, stale amendments refused.

    Each writer adds its own agreements (alone and in batches) and amends three shared ones,
    naming the version it read a moment before. Afterwards the history is seq 1..N with no
    gap, each agreement's versions are 1..n, every acknowledged write is there exactly once,
    nothing else is, the chain verifies, and every AgreementConflict left nothing written.
    """
    with AgreementStore(target) as store:
        store.add_many(agreement(agreement_id, "shared-account") for agreement_id in SHARED)
    messages = _run_writers(target, seed=4711)
    acknowledged = [tuple(message[1:]) for message in messages if message[0] == "ack"]
    conflicts = [tuple(message[1:]) for message in messages if message[0] == "conflict"]
    with AgreementStore(target) as store:
        history = store.history()
        report = store.verify()
    assert report.events == len(history) == len(SHARED) + len(acknowledged)
    assert [event.seq for event in history] == list(range(1, len(history) + 1))
    versions: dict[str, list[int]] = {}
    for event in history:
        versions.setdefault(event.agreement_id, []).append(event.version)
    assert all(found == list(range(1, len(found) + 1)) for found in versions.values())
    kept = [
        (event.agreement_id, event.version, event.agreement.reference)
        for event in history[len(SHARED) :]
        if isinstance(event.agreement, Agreement)
    ]
    assert sorted(kept) == sorted(acknowledged)  # no write lost, none duplicated, none extra
    assert len(set(kept)) == len(kept)
    # Eight writers amending three agreements: some read a version that another then changed.
    assert conflicts
    references = {
        event.agreement.reference for event in history if isinstance(event.agreement, Agreement)
    }
    by_version = {(event.agreement_id, event.version) for event in history}
    for agreement_id, version, reference in conflicts:
        assert reference not in references  # the refused amendment wrote nothing
        assert (agreement_id, version + 1) in by_version  # another writer's change came first


# --- 3. tampering ---------------------------------------------------------------------------


def _history(store: AgreementStore) -> None:
    """Record six events: adds, an amendment and a revocation, over two accounts."""
    store.add(agreement("agr-1", reference="ticket 1"))  # 1
    store.add(agreement("agr-2", destinations=["APAC"]))  # 2
    store.amend("agr-1", version=1, reference="ticket 2")  # 3
    store.add(agreement("agr-3", "globex"))  # 4
    store.revoke("agr-2", version=1, at=REVOKED)  # 5
    store.amend("agr-3", version=1, destinations=["US", "APAC"])  # 6


def _rows(connection: Raw, target: str) -> list[Row]:
    """Every row of the history, by seq, read directly."""
    rows = connection.execute(
        f"SELECT {', '.join(COLUMNS)} FROM {events_table(target)} ORDER BY seq"
    )
    return [tuple(row) for row in rows]


def _insert(connection: Raw, target: str, row: Row) -> None:
    marks = ", ".join([placeholder(target)] * len(row))
    connection.execute(
        f"INSERT INTO {events_table(target)} ({', '.join(COLUMNS)}) VALUES ({marks})", row
    )


def _forged(rows: list[Row], agreement_id: str, kind: str, changed: Agreement) -> Row:
    """The next event, changing ``agreement_id`` to ``changed``, with a correct hash."""
    last = next(row for row in reversed(rows) if row[2] == agreement_id)
    fields = (kind, agreement_id, last[3], last[4] + 1, micros(datetime.now(UTC)), "mallory", "")
    return link((rows[-1][0], rows[-1][10]), (*fields, snapshot(changed)))


def _triggers(connection: Raw) -> list[tuple[str, str, str]]:
    """The history's triggers: (name, the statement that makes it, how it is enabled)."""
    if connection.backend == "sqlite":
        rows = connection.execute(
            "SELECT name, sql, 'A' FROM sqlite_schema WHERE type = 'trigger' ORDER BY name"
        )
    else:
        rows = connection.execute(
            "SELECT tgname, pg_get_triggerdef(oid), tgenabled::text FROM pg_trigger "
            "WHERE tgrelid = 'residency.agreement_event'::regclass AND NOT tgisinternal "
            "ORDER BY tgname"
        )
    return [(str(name), str(sql), str(enabled)) for name, sql, enabled in rows]


def _drop_trigger(connection: Raw, name: str) -> None:
    if connection.backend == "sqlite":
        connection.execute(f"DROP TRIGGER {name}")
    else:
        connection.execute(f"DROP TRIGGER {name} ON residency.agreement_event")


def _make_trigger(connection: Raw, sql: str, name: str, enabled: str) -> None:
    connection.execute(sql)
    if connection.backend == "postgres" and enabled == "A":
        connection.execute(f"ALTER TABLE residency.agreement_event ENABLE ALWAYS TRIGGER {name}")


@contextlib.contextmanager
def without_triggers(connection: Raw) -> Iterator[None]:
    """Drop the history's triggers, and make them again exactly as they were afterwards."""
    saved = _triggers(connection)
    assert saved
    for name, _, _ in saved:
        _drop_trigger(connection, name)
    try:
        yield
    finally:
        for name, sql, enabled in saved:
            _make_trigger(connection, sql, name, enabled)


def _tampered(
    target: str, tamper: Callable[[Raw, list[Row]], None]
) -> tuple[StoreTampered, StoreTampered]:
    """Record the history, tamper with it, and return what verify() and opening raised.

    ``verify()`` runs on a store that was open before the tampering; then a new store opens.
    """
    with AgreementStore(target) as store:
        _history(store)
        with raw(target) as connection:
            tamper(connection, _rows(connection, target))
        with pytest.raises(StoreTampered) as by_verify:
            store.verify()
    with pytest.raises(StoreTampered) as by_open:
        AgreementStore(target).close()
    return by_verify.value, by_open.value


def test_event_with_a_wrong_hash_is_caught_on_open(target: str) -> None:
    """A raw amendment with a wrong hash: the database takes it, the chain does not.

    seq and prev_hash are right, so every trigger lets it in; opening and verify() name it.
    """

    def tamper(connection: Raw, rows: list[Row]) -> None:
        changed = attrs.evolve(decode(rows[2][8]), destinations=["US", "UK"])
        row = _forged(rows, "agr-1", "amend", changed)
        _insert(connection, target, (*row[:10], "f" * 64))

    by_verify, by_open = _tampered(target, tamper)
    assert by_verify.event == by_open.event == 7
    assert "hash" in str(by_open)


def test_unrevoking_is_refused_and_caught_by_verify_when_forced(target: str) -> None:
    """An amendment that clears revoked_at is refused; forced in, only verify() finds it.

    The database refuses it (it changes a revoked agreement). Forced in with the triggers
    dropped and made again exactly, with a correct hash, it leaves a whole chain and the schema
    residency made, so the store opens; verify() alone checks the rules, and names it.
    """
    with AgreementStore(target) as store:
        _history(store)
        with raw(target) as connection:
            rows = _rows(connection, target)
            unrevoked = attrs.evolve(decode(rows[4][8]), revoked_at=None)
            row = _forged(rows, "agr-2", "amend", unrevoked)
            with pytest.raises(DATABASE_ERRORS):
                _insert(connection, target, row)
            assert _rows(connection, target) == rows
            with without_triggers(connection):
                _insert(connection, target, row)
        with pytest.raises(StoreTampered) as by_verify:
            store.verify()
    assert by_verify.value.event == 7
    assert "revocation" in str(by_verify.value)
    with AgreementStore(target) as store:  # opens: only verify() checks the rules
        with pytest.raises(StoreTampered) as by_verify:
            store.verify()
        assert by_verify.value.event == 7


def test_changed_valid_from_with_a_correct_hash_is_caught_by_verify(target: str) -> None:
    """An amendment that moves valid_from, with a correct hash: only verify() finds it.

    No trigger looks at the fields an amendment never changes, and the chain is whole, so the
    database takes it and the store opens (and serves it) until verify() runs.
    """
    with AgreementStore(target) as store:
        _history(store)
        with raw(target) as connection:
            rows = _rows(connection, target)
            earlier = attrs.evolve(decode(rows[5][8]), valid_from=START - timedelta(days=365))
            _insert(connection, target, _forged(rows, "agr-3", "amend", earlier))
        with pytest.raises(StoreTampered) as by_verify:
            store.verify()
    assert by_verify.value.event == 7
    assert "valid_from" in str(by_verify.value)
    with AgreementStore(target) as store:
        assert store.get("agr-3").valid_from == START - timedelta(days=365)
        with pytest.raises(StoreTampered) as by_verify:
            store.verify()
        assert by_verify.value.event == 7


def _refused_statements(target: str) -> list[str]:
    table = events_table(target)
    statements = [
        f"UPDATE {table} SET note = 'edited' WHERE seq = 2",
        f"DELETE FROM {table} WHERE seq = 6",
    ]
    if backend_of(target) == "sqlite":
        statements.append(f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE seq = 2")
    else:
        statements.append(f"TRUNCATE {table}")
    return statements


def test_database_refuses_to_rewrite_history(target: str) -> None:
    """UPDATE, DELETE and TRUNCATE (INSERT OR REPLACE on SQLite) fail in the database itself.

    On PostgreSQL also in a session whose replication role is replica, which skips every
    trigger that is not enabled ALWAYS.
    """
    with AgreementStore(target) as store:
        _history(store)
        with raw(target) as connection:
            rows = _rows(connection, target)
            for statement in _refused_statements(target):
                with pytest.raises(DATABASE_ERRORS, match=r"append-only|next seq"):
                    connection.execute(statement)
            if backend_of(target) == "postgres":  # replica sessions skip ordinary triggers
                connection.execute("SET session_replication_role = replica")
                for statement in _refused_statements(target):
                    with pytest.raises(DATABASE_ERRORS, match="append-only"):
                        connection.execute(statement)
            assert _rows(connection, target) == rows
        assert store.verify().events == 6


@pytest.mark.parametrize(
    ("statement", "event"),
    [
        ("UPDATE {table} SET note = 'edited' WHERE seq = 2", 2),
        ("DELETE FROM {table} WHERE seq = 3", 4),
    ],
    ids=["update", "delete"],
)
def test_rewrite_with_the_triggers_dropped_is_caught(
    target: str, statement: str, event: int
) -> None:
    """With the triggers dropped, UPDATE and DELETE go through, and are caught.

    The schema check catches the missing triggers; once they are made again exactly, the chain
    catches the change, at the first event it broke.
    """
    table = events_table(target)
    with AgreementStore(target) as store:
        _history(store)
        with raw(target) as connection:
            saved = _triggers(connection)
            for name, _, _ in saved:
                _drop_trigger(connection, name)
            connection.execute(statement.format(table=table))
            assert len(_rows(connection, target)) == 6 - statement.startswith("DELETE")
        with pytest.raises(StoreTampered, match="dropped") as by_verify:
            store.verify()
        assert by_verify.value.event is None
        with pytest.raises(StoreTampered, match="dropped") as by_open:
            AgreementStore(target)
        assert by_open.value.event is None
        with raw(target) as connection:
            for name, sql, enabled in saved:
                _make_trigger(connection, sql, name, enabled)
        with pytest.raises(StoreTampered) as by_verify:
            store.verify()
        assert by_verify.value.event == event
    with pytest.raises(StoreTampered) as by_open:
        AgreementStore(target)
    assert by_open.value.event == event


def test_dropped_trigger_is_caught(target: str) -> None:
    """A dropped trigger is a schema that residency did not make."""

    def tamper(connection: Raw, _: list[Row]) -> None:
        _drop_trigger(connection, "agreement_event_append")

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert caught.event is None
        assert "trigger agreement_event_append was dropped" in str(caught)


def _no_op_trigger(connection: Raw) -> None:
    """Replace the trigger that refuses DELETE with one of the same name that does nothing."""
    if connection.backend == "sqlite":
        connection.execute("DROP TRIGGER agreement_event_no_delete")
        connection.execute(
            "CREATE TRIGGER agreement_event_no_delete BEFORE DELETE ON agreement_event "
            "BEGIN SELECT 1; END"
        )
    else:  # the same trigger, its function rewritten to let everything through
        connection.execute(
            "CREATE OR REPLACE FUNCTION residency.refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$BEGIN RETURN NULL; END$$"
        )


def test_trigger_replaced_by_a_no_op_is_caught(target: str) -> None:
    """A trigger (or its function) rewritten to do nothing, under the same name, is caught.

    The DELETE it should refuse then goes through; the rewritten schema is what gives it away.
    """

    def tamper(connection: Raw, _: list[Row]) -> None:
        _no_op_trigger(connection)
        connection.execute(f"DELETE FROM {events_table(target)} WHERE seq = 6")

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert caught.event is None
        assert "rewritten" in str(caught)


def test_disabled_trigger_is_caught(postgres_url: str) -> None:
    """A disabled trigger is caught, and so is one enabled again the ordinary way.

    PostgreSQL can disable a trigger rather than drop it (SQLite cannot). ``ENABLE TRIGGER``
    makes it fire in ordinary sessions only, not in replica ones: caught too.
    """
    target = postgres_url

    def tamper(connection: Raw, _: list[Row]) -> None:
        connection.execute("ALTER TABLE residency.agreement_event DISABLE TRIGGER USER")
        connection.execute("UPDATE residency.agreement_event SET note = 'edited' WHERE seq = 2")

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert "disabled" in str(caught)
    with raw(target) as connection:
        connection.execute("ALTER TABLE residency.agreement_event ENABLE TRIGGER USER")
    with pytest.raises(StoreTampered, match="only in some sessions"):
        AgreementStore(target)
    with raw(target) as connection:
        for name, _, _ in _triggers(connection):
            connection.execute(
                f"ALTER TABLE residency.agreement_event ENABLE ALWAYS TRIGGER {name}"
            )
    with pytest.raises(StoreTampered) as whole_again:
        AgreementStore(target)
    assert whole_again.value.event == 2  # the schema is whole again: the chain names the edit


def test_trigger_rewritten_through_writable_schema_is_caught(tmp_path: pathlib.Path) -> None:
    """A trigger's SQL edited in place through SQLite's writable_schema is caught.

    No DROP, no CREATE: the text in sqlite_schema changes, the trigger then lets DELETE
    through, and the rewritten schema gives it away.
    """
    path = str(tmp_path / "agreements.sqlite3")

    def tamper(connection: Raw, _: list[Row]) -> None:
        ((version,),) = connection.execute("PRAGMA schema_version")
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_schema SET sql = ? WHERE type = 'trigger' AND name = ?",
            (
                "CREATE TRIGGER agreement_event_no_delete BEFORE DELETE ON agreement_event "
                "BEGIN SELECT 1; END",
                "agreement_event_no_delete",
            ),
        )
        connection.execute(f"PRAGMA schema_version = {version + 1}")
        connection.execute("PRAGMA writable_schema = OFF")

    by_verify, by_open = _tampered(path, tamper)
    with raw(path) as connection:  # a new connection reads the edited trigger: DELETE works
        connection.execute("DELETE FROM agreement_event WHERE seq = 6")
        assert len(_rows(connection, path)) == 5
    for caught in (by_verify, by_open):
        assert "trigger agreement_event_no_delete was rewritten" in str(caught)


def test_dropped_index_is_caught(target: str) -> None:
    """A dropped index changes no event, but the schema is not the one residency made."""

    def tamper(connection: Raw, _: list[Row]) -> None:
        schema = "residency." if connection.backend == "postgres" else ""
        connection.execute(f"DROP INDEX {schema}agreement_event_by_account")

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert caught.event is None
        assert "index agreement_event_by_account was dropped" in str(caught)


def test_extra_trigger_is_caught(target: str) -> None:
    """A trigger added beside residency's own (here one that would copy every new event)."""

    def tamper(connection: Raw, _: list[Row]) -> None:
        if connection.backend == "sqlite":
            connection.execute(
                "CREATE TRIGGER agreement_event_copy AFTER INSERT ON agreement_event "
                "BEGIN SELECT 1; END"
            )
        else:
            connection.execute(
                "CREATE FUNCTION public.copy_event() RETURNS trigger LANGUAGE plpgsql "
                "AS $$BEGIN RETURN NULL; END$$"
            )
            connection.execute(
                "CREATE TRIGGER agreement_event_copy AFTER INSERT ON residency.agreement_event "
                "FOR EACH ROW EXECUTE FUNCTION public.copy_event()"
            )

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert caught.event is None
        assert "trigger agreement_event_copy was added" in str(caught)


def test_edited_snapshot_is_caught_by_the_chain(target: str) -> None:
    """A snapshot edited behind the triggers is caught by the chain alone, at that event.

    The triggers are dropped and made again exactly: the schema is the one residency made.
    """

    def tamper(connection: Raw, rows: list[Row]) -> None:
        edited = snapshot(attrs.evolve(decode(rows[2][8]), destinations=["US", "APAC", "UK"]))
        with without_triggers(connection):
            connection.execute(
                f"UPDATE {events_table(target)} SET snapshot = {placeholder(target)} WHERE seq = 3",
                (edited,),
            )

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert caught.event == 3
        assert "altered" in str(caught)


def test_reordered_history_is_caught(target: str) -> None:
    """Events 4 and 5 swapped (each keeps its fields, the seqs trade places)."""
    table = events_table(target)

    def tamper(connection: Raw, _: list[Row]) -> None:
        with without_triggers(connection):
            connection.execute(f"UPDATE {table} SET seq = 1000 WHERE seq = 4")
            connection.execute(f"UPDATE {table} SET seq = 4 WHERE seq = 5")
            connection.execute(f"UPDATE {table} SET seq = 5 WHERE seq = 1000")

    by_verify, by_open = _tampered(target, tamper)
    for caught in (by_verify, by_open):
        assert caught.event == 4


def test_removed_last_event_is_caught_against_a_recorded_head(target: str) -> None:
    """A history cut at its end is caught by verify(head=...) with a head recorded before.

    The last event removed, the triggers made again: the chain left is whole, so the store
    opens, and verify() without a head has nothing to go by.
    """
    table = events_table(target)
    with AgreementStore(target) as store:
        _history(store)
        head = store.verify().head
        with raw(target) as connection, without_triggers(connection):
            connection.execute(f"DELETE FROM {table} WHERE seq = 6")
        with pytest.raises(StoreTampered, match="events were removed") as by_seen:
            store.verify()  # this store saw event 6
        assert by_seen.value.event == 6
    with AgreementStore(target) as store:
        assert store.verify().events == 5  # a new store has nothing to go by but a head
        with pytest.raises(StoreTampered, match="rewritten") as by_verify:
            store.verify(head=head)
        assert by_verify.value.event is None
        with pytest.raises(StoreTampered, match="rewritten"):
            store.verify(head=head)


def test_removed_last_event_is_caught_by_a_store_that_saw_it(target: str) -> None:
    """A store that has seen event 6 can tell that it is gone, without a recorded head."""
    with AgreementStore(target) as store:
        _history(store)
        store.verify()
        with raw(target) as connection, without_triggers(connection):
            connection.execute(f"DELETE FROM {events_table(target)} WHERE seq = 6")
        with pytest.raises(StoreTampered):
            store.verify()


# --- 4. exact windows -----------------------------------------------------------------------


def test_window_that_reads_later_but_ends_earlier_is_refused(target: str) -> None:
    """A window that reads as 15 minutes but ends 45 minutes before it starts is refused.

    02:30 after the clocks went back (fold=1) to 02:45 before (fold=0): refused as an
    agreement, and as an amendment of a stored one, which keeps its version.
    """
    start = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)  # 01:30Z
    end = datetime(2026, 10, 25, 2, 45, tzinfo=BERLIN, fold=0)  # 00:45Z
    with pytest.raises(InvalidAgreement) as caught:
        agreement(valid_from=start, valid_until=end)
    assert [problem.path for problem in caught.value.problems] == ["valid_until"]
    with AgreementStore(target) as store:
        store.add(agreement(valid_from=start))
        with pytest.raises(InvalidAgreement) as caught:
            store.amend("agr-1", version=1, valid_until=end)
        assert [problem.path for problem in caught.value.problems] == ["valid_until"]
        assert [event.version for event in store.history("agr-1")] == [1]


def test_window_across_the_clock_change_decides_at_its_exact_boundaries(target: str) -> None:
    """A 45-minute window across the clock change decides exactly at both of its ends.

    02:30 before the clocks went back to 02:15 after: stored and read back as the same
    instants, in force from its first microsecond to its last, however the moment is written.
    """
    start = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0)  # 00:30Z
    end = datetime(2026, 10, 25, 2, 15, tzinfo=BERLIN, fold=1)  # 01:15Z
    assert micros(end) - micros(start) == 45 * 60 * 1_000_000
    with AgreementStore(target) as store:
        store.add(agreement(valid_from=start, valid_until=end))
    # Wall-clock arithmetic would lose the fold: each moment is written out, or taken in UTC.
    moments = {
        start.astimezone(UTC) - TICK: False,
        datetime(2026, 10, 25, 2, 29, 59, 999999, tzinfo=BERLIN): False,
        start: True,
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC): True,
        datetime(2026, 10, 25, 2, 59, 59, tzinfo=BERLIN, fold=0): True,
        datetime(2026, 10, 25, 2, 0, tzinfo=BERLIN, fold=1): True,
        datetime(2026, 10, 25, 2, 14, 59, 999999, tzinfo=BERLIN, fold=1): True,
        end: False,
        end.astimezone(UTC): False,
        datetime(2026, 10, 25, 2, 15, tzinfo=BERLIN, fold=0): False,  # 00:15Z, before it starts
    }
    with AgreementStore(target, readonly=True) as store:
        stored = store.get("agr-1")
        assert stored.valid_until is not None
        assert (micros(stored.valid_from), micros(stored.valid_until)) == (
            micros(start),
            micros(end),
        )
        index = store.index()
        for at, expected in moments.items():
            assert stored.in_force(at) is expected, at
            assert bool(store.in_force("acme", at)) is expected, at
            assert decide(store, "acme", at).allowed is expected, at
            assert decide(index, "acme", at).allowed is expected, at


def test_year_3000_boundaries_are_exact_to_the_microsecond(target: str) -> None:
    """A one-microsecond window in the year 3000 is exact, through the store and its index.

    A float timestamp cannot tell those microseconds apart. In force at valid_from, not a
    microsecond before, not at valid_until; the same after the store, through index() and
    through check_transfer(agreements=store).
    """
    india = timezone(timedelta(hours=5, minutes=30))
    start = datetime(3000, 1, 1, 5, 30, 0, 1, tzinfo=india)  # 3000-01-01T00:00:00.000001Z
    end = datetime(3000, 1, 1, 0, 0, 0, 2, tzinfo=UTC)
    assert start.timestamp() == (start - TICK).timestamp()  # floats cannot tell them apart
    original = agreement("agr-3000", valid_from=start, valid_until=end)
    moments = {
        start.astimezone(UTC) - TICK: False,
        start: True,
        start.astimezone(UTC): True,
        end: False,
        end.astimezone(timezone(timedelta(hours=-11))): False,
    }
    with AgreementStore(target) as store:
        store.add(original)
    with AgreementStore(target) as store:
        stored = store.get("agr-3000")
        assert stored == original
        assert stored.window == original.window == (micros(start), micros(end), stored.window[2])
        (row,) = store.index().covering("acme", "US", "aws-us-west-1")
        assert row[:2] == (micros(start), micros(end))
        for at, expected in moments.items():
            assert original.in_force(at) is expected, at
            assert stored.in_force(at) is expected, at
            assert bool(store.in_force("acme", at)) is expected, at
            assert decide(store, "acme", at).allowed is expected, at
            assert decide(store.index(), "acme", at).allowed is expected, at


# --- 5. agreements the store holds but cannot use -------------------------------------------

BAD_SNAPSHOTS = {
    "ends-before-it-starts": {
        "destinations": ["US"],
        "valid_from": "2026-06-01T00:00:00+00:00",
        "valid_until": "2026-01-01T00:00:00+00:00",
        "basis": "customer-consent",
    },
    "unknown-basis": {
        "destinations": ["US"],
        "valid_from": "2026-01-01T00:00:00+00:00",
        "basis": "telepathy",
    },
    "naive-time": {
        "destinations": ["US"],
        "valid_from": "2026-01-01T00:00:00",
        "basis": "customer-consent",
    },
    "no-destination": {
        "destinations": [],
        "valid_from": "2026-01-01T00:00:00+00:00",
        "basis": "customer-consent",
    },
}


@pytest.mark.parametrize("fields", BAD_SNAPSHOTS.values(), ids=BAD_SNAPSHOTS.keys())
def test_store_holding_a_bad_snapshot_stays_readable(
    target: str, fields: dict[str, object]
) -> None:
    """A store holding a snapshot this version cannot use stays readable for everything else.

    An add event inserted raw, with a correct hash and every trigger satisfied, beside good
    agreements of its own account and of others: the store opens and verifies, reports it as
    unusable with the reason, answers for every other agreement, and its account's denials
    name it.
    """
    with AgreementStore(target) as store:
        store.add(agreement("good-acme", destinations=["APAC"]))
        store.add(agreement("good-globex", "globex"))
        with raw(target) as connection:
            rows = _rows(connection, target)
            text = json.dumps({"id": "bad", "account_id": "acme", **fields}, separators=(",", ":"))
            row = link((rows[-1][0], rows[-1][10]), ("add", "bad", "acme", 1, 0, "", "", text))
            _insert(connection, target, row)
        store.add(agreement("after-bad", "initech"))
    with AgreementStore(target) as store:
        report = store.verify()
        assert report.events == report.agreements == 4
        assert not report.ok
        (unusable,) = report.unusable
        assert (unusable.id, unusable.account_id) == ("bad", "acme")
        assert unusable.reason
        assert [a.id for a in store.all()] == ["good-acme", "good-globex", "after-bad"]
        assert [a.id for a in store.for_account("acme")] == ["good-acme"]
        assert [a.id for a in store.for_account("globex")] == ["good-globex"]
        index = store.index()
        assert [a.id for a in index.for_account("acme")] == ["good-acme"]
        assert index.unusable("acme") == (unusable,)
        assert index.unusable() == (unusable,)
        # An account of a fresh index is decoded when its unusable ones are asked for first.
        assert store.index().unusable("acme") == (unusable,)
        assert isinstance(store.latest("bad").agreement, UnusableAgreement)
        with pytest.raises(InvalidAgreement):
            store.get("bad")
        assert [event.kind.value for event in store.history("bad")] == ["add"]
        for agreements in (store, index):
            decision = decide(agreements, "acme", at=START)
            assert not decision.allowed
            assert decision.unusable == (unusable,)
            assert unusable.reason in decision.reason
            assert decide(agreements, "acme", at=START, target="linode-sg").allowed
            for account in ("globex", "initech"):
                decision = decide(agreements, account, at=START)
                assert decision.allowed
                assert decision.unusable == ()


def test_agreement_naming_a_data_center_the_catalog_lacks_is_unusable(
    target: str, tmp_path: pathlib.Path
) -> None:
    """An agreement naming a data center the catalog lacks is unusable, and in no one's way.

    Recorded under a catalog with one more data center, read with the bundled one.
    """
    wider = wider_policy(tmp_path)
    with AgreementStore(target, policy=wider) as store:
        store.add(agreement("extra", destinations=["linode-us-extra"]))
        store.add(agreement("good-acme", destinations=["APAC"]))
        store.add(agreement("good-globex", "globex"))
    with AgreementStore(target) as store:  # the bundled catalog
        (unusable,) = store.verify().unusable
        assert (unusable.id, unusable.account_id) == ("extra", "acme")
        assert "linode-us-extra" in unusable.reason
        for agreements in (store, store.index()):
            decision = decide(agreements, "acme", at=START)
            assert not decision.allowed
            assert decision.unusable == (unusable,)
            assert "linode-us-extra" in decision.reason
            assert decide(agreements, "acme", at=START, target="linode-sg").allowed
            assert decide(agreements, "globex", at=START).allowed
        # The wider catalog still allows what the agreement names.
        assert decide(store, "acme", at=START, target="linode-us-extra", policy=wider).allowed


def test_for_account_answers_the_same_before_and_after_a_transfer_check(
    target: str, tmp_path: pathlib.Path
) -> None:
    """What for_account() returns does not depend on whether check_transfer() ran before."""
    with AgreementStore(target, policy=wider_policy(tmp_path)) as store:
        store.add(agreement("extra", destinations=["linode-us-extra"]))
        store.add(agreement("good-acme", destinations=["APAC"]))
    with AgreementStore(target) as store:
        before = [a.id for a in store.for_account("acme")]
        decide(store, "acme")
        after = [a.id for a in store.for_account("acme")]
        assert before == after


# --- 6. typed failures ----------------------------------------------------------------------

UNSTORABLE = ["nul\x00", "\ud800", "lone \udfff surrogate"]


@pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "high-surrogate", "low-surrogate"])
def test_unstorable_text_is_an_invalid_agreement(target: str, text: str) -> None:
    """NUL and lone surrogates in ids, references, actors and notes are InvalidAgreement.

    On every call that takes them, before anything is written.
    """
    with AgreementStore(target) as store:
        store.add(agreement())
        for fields in (
            {"agreement_id": text},
            {"account_id": text},
            {"reference": text},
            {"destinations": [text]},
        ):
            with pytest.raises(InvalidAgreement):
                agreement(**fields)
        calls: list[Callable[[], object]] = [
            lambda: store.add(agreement("agr-2"), actor=text),
            lambda: store.add(agreement("agr-2"), note=text),
            lambda: store.add_many([agreement("agr-2")], actor=text),
            lambda: store.add_many([agreement("agr-2")], note=text),
            lambda: store.amend("agr-1", version=1, reference=text),
            lambda: store.amend("agr-1", version=1, reference="x", actor=text),
            lambda: store.amend("agr-1", version=1, reference="x", note=text),
            lambda: store.amend(text, version=1, reference="x"),
            lambda: store.revoke(text, version=1, at=START),
            lambda: store.revoke("agr-1", version=1, at=START, actor=text),
            lambda: store.revoke("agr-1", version=1, at=START, note=text),
            lambda: store.get(text),
            lambda: store.latest(text),
            lambda: store.history(text),
        ]
        for call in calls:
            with pytest.raises(InvalidAgreement):
                call()
        assert [event.version for event in store.history()] == [1]
        assert store.verify().events == 1


@pytest.mark.parametrize("text", ["nul\x00", "\ud800"], ids=["nul", "surrogate"])
def test_an_account_no_agreement_can_have_has_no_agreements(target: str, text: str) -> None:
    """An account id that no agreement can carry has no agreements, as in an in-memory index.

    The store is not at fault, and does not say it is.
    """
    in_memory = AgreementIndex([agreement()])
    assert in_memory.for_account(text) == ()
    assert not decide(in_memory, text).allowed
    with AgreementStore(target) as store:
        store.add(agreement())
        assert store.for_account(text) == ()
        assert store.in_force(text, START) == ()
        assert not decide(store, text).allowed


def test_actor_and_note_must_be_text(target: str) -> None:
    """actor=None (or any non-str) is an InvalidAgreement, and nothing is written."""
    with AgreementStore(target) as store:
        store.add(agreement())
        calls: list[Callable[[], object]] = [
            lambda: store.add(agreement("agr-2"), actor=None),  # type: ignore[arg-type]
            lambda: store.add(agreement("agr-2"), note=None),  # type: ignore[arg-type]
            lambda: store.amend("agr-1", version=1, reference="x", actor=None),  # type: ignore[arg-type]
            lambda: store.revoke("agr-1", version=1, at=START, actor=b"alice"),  # type: ignore[arg-type]
        ]
        for call in calls:
            with pytest.raises(InvalidAgreement):
                call()
        assert len(store.history()) == 1


def _fingerprint(path: pathlib.Path) -> tuple[bytes, int, int]:
    status = path.stat()
    return path.read_bytes(), status.st_mtime_ns, status.st_size


def _sidecars(path: pathlib.Path) -> list[str]:
    return sorted(item.name for item in path.parent.iterdir() if item != path)


def _read_only_store(folder: pathlib.Path) -> pathlib.Path:
    """A store with one agreement, closed (no -wal, no -shm), its file made read-only."""
    path = folder / "agreements.sqlite3"
    with AgreementStore(path) as store:
        store.add(agreement())
    assert _sidecars(path) == []
    path.chmod(0o444)
    return path


def _read_and_write(path: pathlib.Path) -> dict[str, Any]:
    """What a user who may not write ``path`` gets from reading it, then from writing it."""
    result: dict[str, Any] = {}
    try:
        with AgreementStore(path, readonly=True) as store:
            result["read"] = [a.id for a in store.all()]
            result["readonly"] = store.readonly
            result["verified"] = store.verify().events
    except StoreError as error:
        result["read"] = type(error).__name__
    result["after_read"] = _sidecars(path)
    try:
        with AgreementStore(path) as store:
            result["opened"] = [a.id for a in store.all()]
            try:
                store.add(agreement("agr-2"))
            except StoreError as error:
                result["write"] = type(error).__name__
            else:
                result["write"] = "written"
    except StoreError as error:
        result["opened"] = type(error).__name__
    with AgreementStore(path, readonly=True) as store:
        result["after"] = [event.agreement_id for event in store.history()]
    return result


def test_read_only_file_reads_and_refuses_writes(shared_folder: pathlib.Path) -> None:
    """A store file its user may not write reads, unchanged, and refuses writes.

    The folder is writable. readonly=True reads it without changing a byte of it; opened for
    writing, a write is StoreReadOnly and nothing is written.

    Nothing is made beside the file either: a store is in rollback-journal mode, whose readers
    need no -wal or -shm file (a WAL store's reader would make them, and leave them behind).
    """
    path = _read_only_store(shared_folder)
    before = _fingerprint(path)
    result = in_child(lambda: _read_and_write(path), user=_unprivileged())
    assert result == {
        "read": ["agr-1"],
        "readonly": True,
        "verified": 1,
        "after_read": [],
        "opened": ["agr-1"],
        "write": "StoreReadOnly",
        "after": ["agr-1"],
    }
    assert _fingerprint(path) == before


def test_read_only_file_in_a_read_only_folder_reads(shared_folder: pathlib.Path) -> None:
    """A reader who may write neither the store nor its folder still reads it."""
    folder = shared_folder / "store"
    folder.mkdir()
    path = _read_only_store(folder)
    folder.chmod(0o555)
    before = _fingerprint(path)
    result = in_child(lambda: _read_and_write(path), user=_unprivileged())
    assert _fingerprint(path) == before
    assert result["read"] == ["agr-1"]


def test_a_reader_of_another_user_leaves_the_store_writable(shared_folder: pathlib.Path) -> None:
    """Reading never writes: after another user read the store, its owner still writes it."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run the owner and the reader as two users")
    owner, reader = 1001, NOBODY
    path = shared_folder / "agreements.sqlite3"

    def make() -> None:
        with AgreementStore(path) as store:
            store.add(agreement())

    def read() -> list[str]:
        with AgreementStore(path, readonly=True) as store:
            return [a.id for a in store.all()]

    def write() -> list[str]:
        with AgreementStore(path) as store:
            store.add(agreement("agr-2"))
            return [a.id for a in store.all()]

    assert in_child(make, user=owner) is None
    assert in_child(read, user=reader) == ["agr-1"]
    assert in_child(write, user=owner) == ["agr-1", "agr-2"]


def test_path_under_a_file_is_unavailable(tmp_path: pathlib.Path) -> None:
    """A store path whose parent is a regular file: StoreUnavailable, the file untouched."""
    parent = tmp_path / "plain.txt"
    parent.write_text("not a folder")
    for options in ({}, {"readonly": True}, {"create": False}):
        with pytest.raises(StoreUnavailable):
            AgreementStore(parent / "agreements.sqlite3", **options)  # type: ignore[arg-type]
    assert parent.read_text() == "not a folder"


def test_explicit_path_in_a_missing_folder_creates_nothing(tmp_path: pathlib.Path) -> None:
    """An explicit path in a missing folder is StoreMissing, and nothing is made.

    Only the default store's folder is ever made.
    """
    for options in ({}, {"readonly": True}, {"create": False}):
        with pytest.raises(StoreMissing):
            AgreementStore(tmp_path / "missing" / "deeper" / "agreements.sqlite3", **options)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_directory_is_not_a_store(tmp_path: pathlib.Path) -> None:
    """A directory named as the store: StoreUnavailable, however it is opened."""
    folder = tmp_path / "agreements.sqlite3"
    folder.mkdir()
    for options in ({}, {"readonly": True}, {"create": False}):
        with pytest.raises(StoreUnavailable):
            AgreementStore(folder, **options)  # type: ignore[arg-type]
    assert list(folder.iterdir()) == []


def test_fifo_is_not_a_store_and_does_not_hang(tmp_path: pathlib.Path) -> None:
    """A FIFO named as the store is StoreUnavailable at once, however it is opened.

    Never an open that waits for a writer.
    """
    fifo = tmp_path / "agreements.sqlite3"
    os.mkfifo(fifo)

    def open_it(options: dict[str, bool]) -> str:
        try:
            AgreementStore(fifo, **options).close()  # type: ignore[arg-type]
        except StoreError as error:
            return type(error).__name__
        return "opened"

    for options in ({}, {"readonly": True}, {"create": False}):
        assert in_child(lambda options=options: open_it(options), timeout=5) == "StoreUnavailable"  # type: ignore[misc]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize(
    "suffix",
    [
        "-journal",
        "-wal",
        "-shm",
    ],
)
def test_fifo_beside_the_store_does_not_hang(tmp_path: pathlib.Path, suffix: str) -> None:
    """A FIFO where SQLite keeps a store's journal, WAL or shared memory: never a hang.

    The store opens and reads, or the failure is a StoreError, read-write and read-only alike.
    """
    path = tmp_path / "agreements.sqlite3"
    with AgreementStore(path) as store:
        store.add(agreement())
    os.mkfifo(f"{path}{suffix}")

    def open_it(options: dict[str, bool]) -> object:
        try:
            with AgreementStore(path, **options) as store:  # type: ignore[arg-type]
                return [a.id for a in store.all()]
        except StoreError as error:
            return type(error).__name__

    for options in ({}, {"readonly": True}):
        outcome = in_child(lambda options=options: open_it(options), timeout=3)  # type: ignore[misc]
        assert outcome in (["agr-1"], "StoreUnavailable"), (options, outcome)


@contextlib.contextmanager
def small_disk(folder: pathlib.Path) -> Iterator[pathlib.Path]:
    """A folder on a new 1 MiB tmpfs, unmounted afterwards; a skip when none can be mounted."""
    folder.mkdir()
    mounted = subprocess.run(  # noqa: S603 - fixed arguments
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode:
        why = mounted.stderr.strip() or f"mount exited with {mounted.returncode}"
        pytest.skip(
            f"no tmpfs can be mounted here ({why}); test_file_size_limit_leaves_nothing_half_"
            "written covers a write that does not fit, with a file size limit"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)  # noqa: S603, S607 - fixed arguments


def _fill(path: pathlib.Path, *, limit: int | None = None) -> dict[str, Any]:
    """Add batches of agreements until one does not fit; what was written and what failed.

    With ``limit``, a file size limit (RLIMIT_FSIZE) is what they do not fit in.
    """
    if limit is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    written: list[str] = []
    failures = []
    with AgreementStore(path) as store:
        for number in range(10_000):
            batch = [
                agreement(f"agr-{number}-{k}", reference=f"{number} " + "r" * 1500)
                for k in range(3)
            ]
            try:
                store.add_many(batch)
            except StoreError as error:
                failures.append(type(error).__name__)
                break
            written.extend(new.id for new in batch)
        try:
            store.add_many(batch)  # the same batch again: still no room
        except StoreError as error:
            failures.append(type(error).__name__)
        held = [event.agreement_id for event in store.history()]
        verified = store.verify().events
    return {"written": written, "failures": failures, "held": held, "verified": verified}


def test_full_disk_is_store_full_with_nothing_half_written(tmp_path: pathlib.Path) -> None:
    """A write that does not fit on the disk is StoreFull and leaves nothing of itself.

    Every earlier write is kept, the store verifies and opens again, and takes writes again
    once there is room.
    """
    with small_disk(tmp_path / "disk") as disk:
        room = disk / "room"
        room.write_bytes(b"\0" * 256 * 1024)  # freed later, to make room again
        path = disk / "agreements.sqlite3"
        result = _fill(path)
        assert result["failures"] == ["StoreFull", "StoreFull"], result
        assert len(result["written"]) >= 30
        assert result["held"] == result["written"]  # the failed batch left none of its three
        assert result["verified"] == len(result["written"])
        with AgreementStore(path) as store:
            assert [event.agreement_id for event in store.history()] == result["written"]
            assert store.verify().events == len(result["written"])
            room.unlink()
            store.add(agreement("after-room"))
            assert store.verify().events == len(result["written"]) + 1


def test_file_size_limit_leaves_nothing_half_written(tmp_path: pathlib.Path) -> None:
    """A write past the file size limit (RLIMIT_FSIZE) fails typed and leaves nothing of itself.

    SQLite reports such a write (EFBIG) as an I/O error, not as a full disk: StoreUnavailable.
    """
    path = tmp_path / "agreements.sqlite3"
    result = in_child(lambda: _fill(path, limit=512 * 1024), timeout=60)
    assert result["failures"] == ["StoreUnavailable", "StoreUnavailable"], result
    assert len(result["written"]) >= 30
    assert result["held"] == result["written"]
    assert result["verified"] == len(result["written"])
    with AgreementStore(path) as store:  # without the limit
        assert [event.agreement_id for event in store.history()] == result["written"]
        store.add(agreement("after-limit"))
        assert store.verify().events == len(result["written"]) + 1


def test_rollback_journal_store_is_read_without_switching_to_wal(tmp_path: pathlib.Path) -> None:
    """A store in rollback-journal mode is read and written without being switched to WAL.

    Put in journal_mode=DELETE after it was made: read read-only and read-write, written, and
    left in that mode, with no -wal file made.
    """
    path = tmp_path / "agreements.sqlite3"
    with AgreementStore(path) as store:
        store.add(agreement())
    with raw(str(path)) as connection:
        assert connection.execute("PRAGMA journal_mode = DELETE") == [("delete",)]
    before = _fingerprint(path)
    with AgreementStore(path, readonly=True) as store:
        assert [a.id for a in store.all()] == ["agr-1"]
        assert store.verify().events == 1
        assert _sidecars(path) == []
    assert _fingerprint(path) == before
    with AgreementStore(path) as store:
        assert [a.id for a in store.all()] == ["agr-1"]
        store.add(agreement("agr-2"))
        assert not (tmp_path / "agreements.sqlite3-wal").exists()
    with raw(str(path)) as connection:
        assert connection.execute("PRAGMA journal_mode") == [("delete",)]
    assert _sidecars(path) == []
    with AgreementStore(path, readonly=True) as store:
        assert [a.id for a in store.all()] == ["agr-1", "agr-2"]
