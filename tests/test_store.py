"""Tests of residency.store: the SQLite agreement store, its history and its guarantees."""

from __future__ import annotations

import contextlib
import inspect
import random
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from residency import default_policy
from residency.agreements import Agreement, AgreementIndex, LegalBasis
from residency.errors import (
    AgreementConflict,
    InvalidAgreement,
    InvalidTime,
    StoreError,
    UnknownAgreement,
)
from residency.store import (
    APPLICATION_ID,
    BUSY_TIMEOUT_SECONDS,
    SCHEMA_VERSION,
    AgreementStore,
    Event,
    EventKind,
    default_store_path,
)

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Callable, Iterator

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
REVOKED = datetime(2026, 7, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def agreement(agreement_id: str = "agr-1", account_id: str = "acme", **fields: object) -> Agreement:
    """Return an agreement to the US from START, with ``fields`` replaced."""
    values: dict[str, object] = {"destinations": ["US"], "valid_from": START} | fields
    return Agreement(id=agreement_id, account_id=account_id, **values)  # type: ignore[arg-type]


def numbered(prefix: str, number: int) -> Agreement:
    """Return the ``number``-th agreement a writer process called ``prefix`` records."""
    return Agreement(
        id=f"{prefix}-{number:05d}",
        account_id=f"{prefix}-account-{number % 7}",
        destinations=["US", f"dc-{number}"],
        valid_from=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=number),
        basis="standard-contractual-clauses",
        reference=f"{prefix} contract {number}",
    )


@pytest.fixture
def path(tmp_path: pathlib.Path) -> pathlib.Path:
    """The path of a store file that does not exist yet."""
    return tmp_path / "agreements.sqlite3"


@pytest.fixture
def store(path: pathlib.Path) -> Iterator[AgreementStore]:
    """A new, empty store, closed after the test."""
    with AgreementStore(path) as opened:
        yield opened


@contextlib.contextmanager
def raw(path: pathlib.Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to ``path`` in autocommit mode, closed afterwards."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def rows(path: pathlib.Path) -> list[tuple[object, ...]]:
    """Every row of both store tables, as stored."""
    with raw(path) as connection:
        agreements = connection.execute("SELECT * FROM agreement ORDER BY rowid").fetchall()
        events = connection.execute("SELECT * FROM agreement_event ORDER BY seq").fetchall()
    return agreements + events


# --- opening ----------------------------------------------------------------------------------


def test_new_store_is_marked_and_configured(path: pathlib.Path) -> None:
    """A new store gets its parent folders, its mark and version, WAL, foreign keys, a timeout."""
    nested = path.parent / "a" / "b" / path.name
    with AgreementStore(nested) as store:
        pragma = {
            name: store._connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("application_id", "user_version", "journal_mode", "foreign_keys")
        }
        timeout = store._connection.execute("PRAGMA busy_timeout").fetchone()[0]
        assert (store.path, len(store), store.all(), store.history()) == (nested, 0, (), ())
        assert repr(store) == f"<AgreementStore {str(nested)!r}>"
    assert pragma == {
        "application_id": APPLICATION_ID,
        "user_version": SCHEMA_VERSION,
        "journal_mode": "wal",
        "foreign_keys": 1,
    }
    assert timeout == BUSY_TIMEOUT_SECONDS * 1000 >= 5000


def test_empty_file_becomes_a_store(path: pathlib.Path) -> None:
    """An existing empty file (a blank database) is made a store rather than refused."""
    path.touch()
    with AgreementStore(path) as store:
        store.add(agreement())
    with AgreementStore(path) as store:
        assert store.get("agr-1") == agreement()


def write_other_database(path: pathlib.Path) -> None:
    """Write an SQLite database of another program."""
    with raw(path) as connection:
        connection.execute("CREATE TABLE agreement (id TEXT, account_id TEXT)")
        connection.execute("INSERT INTO agreement VALUES ('agr-1', 'acme')")


def write_store_then(*statements: str) -> Callable[[pathlib.Path], object]:
    """Return a writer of a store with one agreement, changed afterwards by ``statements``."""

    def write(path: pathlib.Path) -> None:
        with AgreementStore(path) as store:
            store.add(agreement())
        with raw(path) as connection:
            for statement in statements:
                connection.execute(statement)

    return write


def write_damaged_store(path: pathlib.Path) -> None:
    """Write a store of 2,000 agreements, then overwrite some of its pages with noise."""
    with AgreementStore(path) as store:
        store.add_many(agreement(f"agr-{number}") for number in range(2000))
    data = bytearray(path.read_bytes())
    data[4096 * 5 : 4096 * 30] = random.Random(1).randbytes(4096 * 25)  # noqa: S311 - noise
    path.write_bytes(data)


def read_everything(path: pathlib.Path) -> None:
    """Open the store at ``path`` and read every agreement and event (damage shows on reading)."""
    with AgreementStore(path) as store:
        store.all()
        store.history()


NOT_A_STORE: list[tuple[Callable[[pathlib.Path], object], str]] = [
    (
        lambda path: path.write_bytes(random.Random(0).randbytes(8192)),  # noqa: S311 - noise
        "not an SQLite database",
    ),
    (lambda path: path.write_text("id,account_id\nagr-1,acme\n"), "not an SQLite database"),
    (write_other_database, "not a residency agreement store"),
    (write_store_then(f"PRAGMA user_version = {SCHEMA_VERSION + 1}"), "newer residency"),
    (write_store_then("PRAGMA user_version = 0"), "without a schema version"),
    (
        write_store_then("DROP TRIGGER agreement_event_no_delete"),
        "lacks trigger agreement_event_no_delete",
    ),
    (write_damaged_store, "damaged SQLite database"),
]


@pytest.mark.parametrize(
    ("write", "says"),
    NOT_A_STORE,
    ids=[
        "random-bytes",
        "text",
        "other-program",
        "newer-version",
        "no-version",
        "trigger-dropped",
        "damaged",
    ],
)
def test_refuses_file_that_is_not_a_store(
    path: pathlib.Path, write: Callable[[pathlib.Path], object], says: str
) -> None:
    """A file that is not a store this code can read raises StoreError and stays as it was."""
    write(path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=says) as caught:
        read_everything(path)
    assert caught.value.path == str(path)
    assert path.read_bytes() == before


def test_refuses_a_folder(tmp_path: pathlib.Path) -> None:
    """A path that names a folder raises StoreError, not a raw sqlite3 error."""
    with pytest.raises(StoreError, match="cannot be opened"):
        AgreementStore(tmp_path)


def test_open_existing_creates_nothing(tmp_path: pathlib.Path) -> None:
    """With create=False a missing file is refused and no file or folder is created."""
    missing = tmp_path / "nowhere" / "agreements.sqlite3"
    with pytest.raises(StoreError, match="no such file"):
        AgreementStore(missing, create=False)
    assert not missing.parent.exists()


def test_open_existing_refuses_a_blank_database(tmp_path: pathlib.Path) -> None:
    """With create=False a blank SQLite file is refused and left byte for byte as it was."""
    blank = tmp_path / "blank.sqlite3"
    sqlite3.connect(blank).close()
    before = blank.read_bytes()
    with pytest.raises(StoreError, match="not a residency agreement store"):
        AgreementStore(blank, create=False)
    assert blank.read_bytes() == before


def test_open_existing_reads_a_store(path: pathlib.Path) -> None:
    """With create=False an existing store opens and reads as usual."""
    agreement = numbered("agr", 1)
    with AgreementStore(path) as store:
        store.add(agreement)
    with AgreementStore(path, create=False) as store:
        assert store.all() == (agreement,)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"RESIDENCY_AGREEMENTS": "/srv/agr.sqlite3"}, "/srv/agr.sqlite3"),
        (
            {"RESIDENCY_AGREEMENTS": "/srv/agr.sqlite3", "XDG_DATA_HOME": "/xdg"},
            "/srv/agr.sqlite3",
        ),
        ({"RESIDENCY_AGREEMENTS": "~/agr.sqlite3"}, "/home/ana/agr.sqlite3"),
        ({"XDG_DATA_HOME": "/xdg"}, "/xdg/residency/agreements.sqlite3"),
        (
            {"RESIDENCY_AGREEMENTS": "", "XDG_DATA_HOME": "/xdg"},
            "/xdg/residency/agreements.sqlite3",
        ),
        ({"XDG_DATA_HOME": "relative"}, "/home/ana/.local/share/residency/agreements.sqlite3"),
        ({"XDG_DATA_HOME": ""}, "/home/ana/.local/share/residency/agreements.sqlite3"),
        ({}, "/home/ana/.local/share/residency/agreements.sqlite3"),
    ],
    ids=[
        "explicit",
        "explicit-wins",
        "explicit-home",
        "xdg",
        "explicit-empty",
        "xdg-relative",
        "xdg-empty",
        "home",
    ],
)
def test_default_store_path(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    """The default path follows $RESIDENCY_AGREEMENTS, then $XDG_DATA_HOME, then the home."""
    monkeypatch.setenv("HOME", "/home/ana")
    for name in ("RESIDENCY_AGREEMENTS", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert str(default_store_path()) == expected


def test_store_without_path_opens_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """AgreementStore() opens the default path, creating its folders."""
    monkeypatch.delenv("RESIDENCY_AGREEMENTS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with AgreementStore() as store:
        store.add(agreement())
    assert (tmp_path / "data" / "residency" / "agreements.sqlite3").is_file()


# --- round trip -------------------------------------------------------------------------------

PLUS_0530 = timezone(timedelta(hours=5, minutes=30))
MINUS_0800 = timezone(timedelta(hours=-8))
PLUS_1400 = timezone(timedelta(hours=14))


@pytest.mark.parametrize(
    "original",
    [
        agreement(),
        agreement(
            destinations=["EU", "linode-sg", "aws-us-west-1"],
            valid_until=END,
            revoked_at=REVOKED,
            basis=LegalBasis.DPA_AMENDMENT,
            reference="DPA amendment 2026-03",
        ),
        agreement(
            valid_from=datetime(2026, 1, 1, 5, 30, tzinfo=PLUS_0530),
            valid_until=datetime(2026, 12, 31, 16, tzinfo=MINUS_0800),
            revoked_at=datetime(2026, 7, 1, 14, 0, 0, 123456, tzinfo=PLUS_1400),
        ),
        agreement(
            valid_until=END, reference='Vertrag Nr. 7 \u2013 Zürich, 契約 "quoted"\n2nd line'
        ),
        agreement(revoked_at=START),
    ],
    ids=["open-ended", "every-field", "non-utc-offsets", "unicode-reference", "revoked-at-start"],
)
def test_round_trip_through_reopen(path: pathlib.Path, original: Agreement) -> None:
    """Every field comes back equal after close and reopen, offsets and microseconds included."""
    with AgreementStore(path) as store:
        store.add(original)
    with AgreementStore(path) as store:
        back = store.get(original.id)
        assert (back, store.all(), store.history()[0].agreement) == (
            original,
            (original,),
            original,
        )
    assert back.to_dict() == original.to_dict()
    for name in ("valid_from", "valid_until", "revoked_at"):
        stored, given = getattr(back, name), getattr(original, name)
        assert (stored and stored.utcoffset()) == (given and given.utcoffset())


@pytest.mark.parametrize("basis", list(LegalBasis), ids=str)
def test_every_legal_basis_round_trips(path: pathlib.Path, basis: LegalBasis) -> None:
    """Each legal basis is stored and read back as the same member."""
    with AgreementStore(path) as store:
        store.add(agreement(basis=basis))
    with AgreementStore(path) as store:
        assert store.get("agr-1").basis is basis


def test_reads_by_account(store: AgreementStore) -> None:
    """for_account and index hold an account's current agreements by valid_from, then id."""
    later = START + timedelta(days=1)
    store.add(agreement("c", valid_from=later))
    store.add(agreement("b"))
    store.add(agreement("x", account_id="other"))
    store.add(agreement("a"))
    store.revoke("a", at=REVOKED)
    index = store.index()
    assert [a.id for a in store.all()] == ["c", "b", "x", "a"]
    assert [a.id for a in store.for_account("acme")] == ["a", "b", "c"]
    assert isinstance(index, AgreementIndex)
    assert index.for_account("acme") == store.for_account("acme")
    assert (len(index), len(store), store.for_account("nobody")) == (4, 4, ())
    assert index.for_account("acme")[0].revoked_at == REVOKED


def test_index_decides_transfers(store: AgreementStore) -> None:
    """check_transfer over the store's index allows a move under the agreement until revoked."""
    policy = default_policy()
    store.add(agreement(destinations=["US"]))

    def allowed(at: datetime) -> bool:
        decision = policy.check_transfer(
            "DE", "aws-eu-west-1", "aws-us-west-1", account_id="acme",
            agreements=store.index(), at=at,
        )  # fmt: skip
        return decision.allowed

    assert allowed(REVOKED)
    store.revoke("agr-1", at=REVOKED)
    assert (allowed(REVOKED - TICK), allowed(REVOKED)) == (True, False)


# --- in force ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (START - TICK, ()),
        (START, ("revoked", "window")),
        (REVOKED - TICK, ("revoked", "window")),
        (REVOKED, ("window",)),
        (REVOKED.astimezone(timezone(timedelta(hours=2))), ("window",)),
        (END - TICK, ("window",)),
        (END, ()),
    ],
    ids=[
        "before-start",
        "at-valid-from",
        "before-revocation",
        "at-revoked-at",
        "at-revoked-at-other-offset",
        "before-end",
        "at-valid-until",
    ],
)
def test_in_force_at_boundaries(
    store: AgreementStore, at: datetime, expected: tuple[str, ...]
) -> None:
    """valid_from is inclusive; valid_until and revoked_at are exclusive."""
    store.add(agreement("window", valid_until=END))
    store.add(agreement("revoked"))
    store.revoke("revoked", at=REVOKED)
    assert tuple(a.id for a in store.in_force("acme", at)) == expected


def test_in_force_refuses_naive_time(store: AgreementStore) -> None:
    """in_force with a naive datetime raises InvalidTime."""
    with pytest.raises(InvalidTime):
        store.in_force("acme", datetime(2026, 6, 1))  # noqa: DTZ001 - the naive time is the point


# --- history, revocation, amendment ------------------------------------------------------------


def test_history_records_every_change_in_order(path: pathlib.Path) -> None:
    """add, amend, amend and revoke each append an event with the full agreement after it."""
    extended = END + timedelta(days=365)
    with AgreementStore(path) as store:
        store.add(agreement(destinations=["US", "APAC"], valid_until=END), actor="ana")
        store.add(agreement("other"))
        store.amend("agr-1", valid_until=extended, actor="ben", note="renewed")
        store.amend("agr-1", destinations=["US"], note="APAC dropped")
        revoked = store.revoke("agr-1", at=REVOKED, actor="cy", note="consent withdrawn")
    with AgreementStore(path) as store:
        history = store.history("agr-1")
        everything = store.history()
        current = store.get("agr-1")
    steps = [
        (EventKind.ADD, "ana", "", {"US", "APAC"}, END, None),
        (EventKind.AMEND, "ben", "renewed", {"US", "APAC"}, extended, None),
        (EventKind.AMEND, "", "APAC dropped", {"US"}, extended, None),
        (EventKind.REVOKE, "cy", "consent withdrawn", {"US"}, extended, REVOKED),
    ]
    assert [
        (e.kind, e.actor, e.note, set(e.agreement.destinations), e.agreement.valid_until,
         e.agreement.revoked_at)
        for e in history
    ] == steps  # fmt: skip
    assert [e.seq for e in everything] == sorted(e.seq for e in everything)
    assert [e.agreement_id for e in everything] == ["agr-1", "other", "agr-1", "agr-1", "agr-1"]
    assert current == revoked == history[-1].agreement
    assert all(e.recorded_at.utcoffset() == timedelta(0) for e in everything)
    recorded = [e.recorded_at for e in everything]
    assert recorded == sorted(recorded)
    assert datetime.now(UTC) - recorded[0] < timedelta(minutes=5)


def test_event_to_dict(store: AgreementStore) -> None:
    """An event renders as JSON-ready data with its agreement in agreement-file field names."""
    store.add(agreement(), actor="ana", note="signed")
    (event,) = store.history()
    data = event.to_dict()
    assert isinstance(event, Event)
    assert data["recorded_at"].endswith("Z")
    assert datetime.fromisoformat(data.pop("recorded_at")) == event.recorded_at
    assert data == {
        "seq": 1,
        "kind": "add",
        "agreement_id": "agr-1",
        "actor": "ana",
        "note": "signed",
        "agreement": agreement().to_dict(),
    }


@pytest.mark.parametrize(
    "duplicate",
    [
        agreement(),
        agreement(destinations=["APAC"], reference="rewritten"),
        agreement(account_id="someone-else"),
    ],
    ids=["identical", "other-fields", "other-account"],
)
def test_duplicate_id_is_refused_and_original_kept(
    path: pathlib.Path, store: AgreementStore, duplicate: Agreement
) -> None:
    """Adding an id the store holds raises AgreementConflict and leaves every stored byte alone."""
    store.add(agreement(reference="original"), note="first")
    before = rows(path)
    with pytest.raises(AgreementConflict, match="already holds") as caught:
        store.add(duplicate)
    with pytest.raises(AgreementConflict):
        store.add_many([agreement("new"), duplicate])
    assert caught.value.agreement == "agr-1"
    assert rows(path) == before
    assert store.get("agr-1") == agreement(reference="original")
    assert len(store) == 1


def test_add_many_is_all_or_nothing(store: AgreementStore) -> None:
    """add_many records a whole batch, and refuses one that repeats an id without writing any."""
    assert store.add_many(agreement(f"agr-{n}") for n in range(3)) == 3
    with pytest.raises(AgreementConflict, match="given twice") as caught:
        store.add_many([agreement("new"), agreement("twice"), agreement("twice")])
    assert caught.value.agreement == "twice"
    assert [a.id for a in store.all()] == ["agr-0", "agr-1", "agr-2"]
    assert len(store.history()) == 3


def test_second_revocation_is_refused_and_first_stands(store: AgreementStore) -> None:
    """Revoking a revoked agreement raises AgreementConflict; the first revoked_at stays."""
    store.add(agreement())
    store.revoke("agr-1", at=REVOKED)
    with pytest.raises(AgreementConflict, match="first revocation stands"):
        store.revoke("agr-1", at=START)
    assert store.get("agr-1").revoked_at == REVOKED
    assert [e.kind for e in store.history()] == [EventKind.ADD, EventKind.REVOKE]


def test_amend_keeps_a_revocation(store: AgreementStore) -> None:
    """Amending a revoked agreement records the change and keeps its revoked_at."""
    store.add(agreement())
    store.revoke("agr-1", at=REVOKED)
    amended = store.amend("agr-1", reference="corrected ticket number", valid_until=None)
    assert (amended.revoked_at, amended.reference) == (REVOKED, "corrected ticket number")
    assert store.get("agr-1") == amended


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"valid_until": START}, InvalidAgreement, "before it starts"),
        ({"valid_until": START - timedelta(days=1)}, InvalidAgreement, "before it starts"),
        ({"destinations": []}, InvalidAgreement, "at least one destination"),
        ({"valid_until": datetime(2027, 1, 1)}, InvalidTime, "naive"),  # noqa: DTZ001
        ({"valid_until": END, "reference": "r"}, AgreementConflict, "changes nothing"),
        ({}, TypeError, "at least one of"),
    ],
    ids=["ends-at-start", "ends-before-start", "no-destination", "naive", "no-change", "nothing"],
)
def test_refused_amendment_writes_nothing(
    path: pathlib.Path,
    store: AgreementStore,
    change: dict[str, object],
    error: type[Exception],
    says: str,
) -> None:
    """An amendment that is invalid, changes nothing or names nothing raises and writes nothing."""
    store.add(agreement(valid_until=END, reference="r"))
    before = rows(path)
    with pytest.raises(error, match=says):
        store.amend("agr-1", **change)  # type: ignore[arg-type]
    assert rows(path) == before


@pytest.mark.parametrize(
    "operation",
    [
        lambda store: store.get("missing"),
        lambda store: store.history("missing"),
        lambda store: store.revoke("missing", at=REVOKED),
        lambda store: store.amend("missing", reference="x"),
    ],
    ids=["get", "history", "revoke", "amend"],
)
def test_unknown_id_is_a_conflict(
    store: AgreementStore, operation: Callable[[AgreementStore], object]
) -> None:
    """Asking about or changing an id the store does not hold raises UnknownAgreement."""
    store.add(agreement())
    with pytest.raises(UnknownAgreement, match="holds no agreement 'missing'") as caught:
        operation(store)
    assert caught.value.agreement == "missing"
    assert len(store.history()) == 1


@pytest.mark.parametrize(
    "at",
    [datetime(2026, 7, 1), None, "2026-07-01T00:00:00Z"],  # noqa: DTZ001 - naive on purpose
    ids=["naive", "none", "text"],
)
def test_revoke_needs_an_aware_instant(store: AgreementStore, at: object) -> None:
    """Revoking refuses a naive datetime, None or text with InvalidTime and writes nothing."""
    store.add(agreement())
    with pytest.raises(InvalidTime):
        store.revoke("agr-1", at=at)  # type: ignore[arg-type]
    assert store.get("agr-1").revoked_at is None


# --- the database guards its history ------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE agreement_event SET note = 'rewritten'",
        "UPDATE agreement_event SET snapshot = json_set(snapshot, '$.revoked_at', NULL)",
        "DELETE FROM agreement_event",
        "DELETE FROM agreement_event WHERE kind = 'revoke'",
        "UPDATE agreement SET account_id = 'other'",
        "DELETE FROM agreement",
        "INSERT OR REPLACE INTO agreement_event "
        "SELECT seq, kind, agreement_id, account_id, recorded_at, actor, 'forged', snapshot "
        "FROM agreement_event WHERE seq = 1",
        "REPLACE INTO agreement_event (kind, agreement_id, account_id, recorded_at, actor, note, "
        "snapshot) SELECT kind, agreement_id, account_id, recorded_at, actor, note, snapshot "
        "FROM agreement_event WHERE kind = 'revoke'",
        "INSERT OR REPLACE INTO agreement (id, account_id) VALUES ('agr-1', 'acme')",
    ],
    ids=[
        "update-event",
        "unrevoke",
        "delete-events",
        "delete-revocation",
        "update-agreement",
        "delete-agreements",
        "replace-event",
        "second-revocation",
        "replace-agreement",
    ],
)
def test_raw_sql_cannot_rewrite_history(
    path: pathlib.Path, store: AgreementStore, statement: str
) -> None:
    """UPDATE, DELETE and replacing inserts on the store tables abort inside SQLite itself."""
    store.add(agreement())
    store.revoke("agr-1", at=REVOKED)
    before = rows(path)
    with raw(path) as connection, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute(statement)
    assert rows(path) == before


@pytest.mark.parametrize(
    ("recorded_at", "snapshot", "says"),
    [
        (
            "2026-01-02T00:00:00.000000Z",
            '{"id": "agr-1", "account_id": "acme", "destinations": ["US"], '
            '"valid_from": "2026-01-01T00:00:00+00:00", "valid_until": null, '
            '"revoked_at": null, "basis": "a handshake", "reference": ""}',
            "unreadable agreement snapshot",
        ),
        (
            "2026-01-02T00:00:00.000000Z",
            '{"id": "agr-1", "account_id": "acme", "destinations": ["US"]}',
            "unreadable agreement snapshot",
        ),
        (
            "2026-01-02 at noonZ",
            '{"id": "agr-1", "account_id": "acme", "destinations": ["US"], '
            '"valid_from": "2026-01-01T00:00:00+00:00", "valid_until": null, '
            '"revoked_at": null, "basis": "other", "reference": ""}',
            "unreadable event",
        ),
    ],
    ids=["unknown-basis", "missing-fields", "bad-recorded-at"],
)
def test_appended_garbage_is_reported_not_served(
    path: pathlib.Path, store: AgreementStore, recorded_at: str, snapshot: str, says: str
) -> None:
    """An event appended by raw SQL that does not hold a valid agreement raises StoreError."""
    store.add(agreement())
    with raw(path) as connection:
        connection.execute(
            "INSERT INTO agreement_event "
            "(kind, agreement_id, account_id, recorded_at, actor, note, snapshot) "
            "VALUES ('amend', 'agr-1', 'acme', ?, '', '', ?)",
            (recorded_at, snapshot),
        )
    with pytest.raises(StoreError, match=says) as caught:
        store.history()
    assert caught.value.where == "agreement_event[2]"
    assert caught.value.path == str(path)


# --- processes ----------------------------------------------------------------------------------

PRELUDE = f"""
import itertools, sys
from datetime import UTC, datetime, timedelta
from residency.agreements import Agreement
from residency.store import AgreementStore
{inspect.getsource(numbered)}
"""

CONCURRENT_WRITER = """
with AgreementStore(sys.argv[1]) as store:
    print("ready", flush=True)
    sys.stdin.readline()
    for number in range(int(sys.argv[3])):
        store.add(numbered(sys.argv[2], number), actor=sys.argv[2])
"""

ENDLESS_WRITER = """
with AgreementStore(sys.argv[1]) as store:
    print("ready", flush=True)
    for batch in itertools.count(len(store) // 25):
        store.add_many(numbered("k", batch * 25 + n) for n in range(25))
"""


def writer(script: str, *arguments: str) -> subprocess.Popen[str]:
    """Start a Python process that runs ``script`` after the prelude, with ``arguments``."""
    source = PRELUDE + textwrap.dedent(script)
    return subprocess.Popen(  # noqa: S603 - our own interpreter with a fixed script
        [sys.executable, "-c", source, *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def await_ready(process: subprocess.Popen[str]) -> None:
    """Wait for the process to say it is ready; fail with its stderr if it died first."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if line != "ready\n":
        _, errors = process.communicate(timeout=30)
        pytest.fail(f"writer did not start: {errors}")


@pytest.mark.slow
def test_two_processes_add_concurrently(path: pathlib.Path) -> None:
    """Two processes adding 1,000 agreements each at once leave 2,000, all distinct and intact."""
    count = 1000
    with (
        writer(CONCURRENT_WRITER, str(path), "p", str(count)) as first,
        writer(CONCURRENT_WRITER, str(path), "q", str(count)) as second,
    ):
        for process in (first, second):
            await_ready(process)
        outcomes = []
        for process in (first, second):
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in (first, second):
            _, errors = process.communicate(timeout=120)
            outcomes.append((process.returncode, errors))
    assert outcomes == [(0, ""), (0, "")]
    expected = {a.id: a for p in "pq" for a in (numbered(p, n) for n in range(count))}
    with AgreementStore(path) as store:
        stored = store.all()
        history = store.history()
    assert len(stored) == len({a.id for a in stored}) == 2 * count
    assert {a.id: a for a in stored} == expected
    assert [e.seq for e in history] == sorted({e.seq for e in history})
    assert sorted(e.agreement_id for e in history) == sorted(expected)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_writer_leaves_consistent_store(path: pathlib.Path) -> None:
    """A writer killed with SIGKILL mid-loop leaves only whole batches, and the store works on."""
    for round_ in range(1, 4):  # each round's writer resumes where the killed one stopped
        with writer(ENDLESS_WRITER, str(path)) as process:
            await_ready(process)
            with AgreementStore(path) as probe:
                deadline = time.monotonic() + 30
                while len(probe) < 500 * round_ and time.monotonic() < deadline:
                    time.sleep(0.005)
            process.kill()  # SIGKILL on POSIX: no clean-up runs in the writer
            process.communicate(timeout=30)
        assert process.returncode == -9
    with AgreementStore(path) as store:
        stored = store.all()
        history = store.history()
        count = len(store)
        store.add(agreement("after-the-crashes"))
        assert len(store) == count + 1
    with raw(path) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchall()
        (events,) = connection.execute("SELECT COUNT(*) FROM agreement_event").fetchone()
    assert count >= 1500
    assert count % 25 == 0  # one transaction per batch of 25: never a part of one
    assert stored == tuple(numbered("k", n) for n in range(count))
    assert len(history) == count == events - 1
    assert {e.kind for e in history} == {EventKind.ADD}
    assert check == [("ok",)]
