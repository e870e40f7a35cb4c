"""The agreement store's contract, run against both backends: a SQLite file and PostgreSQL.

Every test that takes ``target`` runs twice, on a fresh SQLite path and on a fresh database of
the PostgreSQL server the session started (tests/postgres.py). Faults (crashes, concurrent
writers, tampering) are in test_store_faults.py; what only one backend has is in
test_store_sqlite.py and test_store_postgres.py.
"""

from __future__ import annotations

import json
import pathlib
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from tests.stores import START, agreement, backend_of, wider_policy

from residency import default_policy, load_agreements
from residency._chain import GENESIS
from residency._time import micros
from residency.agreements import Agreement, AgreementIndex, LegalBasis, UnusableAgreement
from residency.errors import (
    AgreementConflict,
    InvalidAgreement,
    InvalidTime,
    StoreCorrupt,
    StoreError,
    StoreMissing,
    StoreReadOnly,
    UnknownAgreement,
)
from residency.store import (
    UNCHANGED,
    AgreementStore,
    Event,
    EventKind,
    StoreReport,
    default_store_path,
    read_store,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

END = datetime(2027, 1, 1, tzinfo=UTC)
REVOKED = datetime(2026, 7, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.fixture
def store(target: str) -> Iterator[AgreementStore]:
    """A new, empty store of each backend, closed after the test."""
    with AgreementStore(target) as opened:
        yield opened


# --- opening ----------------------------------------------------------------------------------


def test_a_new_store_is_empty_and_whole(store: AgreementStore, target: str) -> None:
    """A new store holds nothing, verifies, and names where it is."""
    report = store.verify()
    assert (len(store), store.all(), store.history()) == (0, (), ())
    assert report == StoreReport(store.location, 0, 0, GENESIS, ())
    assert report.ok
    assert bool(store) is True  # an empty store is still a source of agreements
    assert store.readonly is False
    if backend_of(target) == "sqlite":
        assert str(store.path) == target
        assert store.location == target
    else:
        assert store.path is None
        assert store.location.startswith("postgresql://")


def test_reopening_reads_what_was_written(target: str) -> None:
    """What one store object wrote, another opened later reads, in either mode."""
    with AgreementStore(target) as store:
        store.add(agreement())
    for readonly in (False, True):
        with AgreementStore(target, create=False, readonly=readonly) as store:
            assert store.all() == (agreement(),)
            assert store.readonly is readonly


def test_create_false_and_readonly_create_nothing(target: str) -> None:
    """A reader never makes a store where there is none."""
    for options in ({"create": False}, {"readonly": True}):
        with pytest.raises(StoreMissing):
            AgreementStore(target, **options)  # type: ignore[arg-type]
    if backend_of(target) == "sqlite":
        assert not pathlib.Path(target).exists()
    with AgreementStore(target) as store:  # and a writer still can
        assert len(store) == 0


def test_a_readonly_store_refuses_writes(target: str) -> None:
    """Every write on a read-only store is StoreReadOnly, and nothing is written."""
    with AgreementStore(target) as store:
        store.add(agreement())
    with AgreementStore(target, readonly=True) as store:
        writes: list[Callable[[], object]] = [
            lambda: store.add(agreement("agr-2")),
            lambda: store.add_many([agreement("agr-3")]),
            lambda: store.revoke("agr-1", version=1, at=REVOKED),
            lambda: store.amend("agr-1", version=1, reference="x"),
        ]
        for write in writes:
            with pytest.raises(StoreReadOnly, match="read-only"):
                write()
        assert len(store.history()) == 1


def test_explicit_path_in_a_missing_folder_is_refused(tmp_path: pathlib.Path) -> None:
    """Only the default store's folder is made: a typo in a path is an error, not a new store."""
    missing = tmp_path / "typo" / "dir" / "agreements.sqlite3"
    with pytest.raises(StoreMissing, match="does not exist"):
        AgreementStore(missing)
    assert not (tmp_path / "typo").exists()


def test_the_default_store_folder_is_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """AgreementStore() opens the default path, making its folders."""
    monkeypatch.delenv("RESIDENCY_AGREEMENTS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with AgreementStore() as store:
        store.add(agreement())
    assert (tmp_path / "data" / "residency" / "agreements.sqlite3").is_file()


def test_the_environment_names_the_default_store(
    monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """$RESIDENCY_AGREEMENTS names the default store: a path or a PostgreSQL URL."""
    monkeypatch.setenv("RESIDENCY_AGREEMENTS", target)
    with AgreementStore() as store:
        store.add(agreement())
    with AgreementStore(target) as store:
        assert store.all() == (agreement(),)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"RESIDENCY_AGREEMENTS": "/srv/agr.sqlite3"}, "/srv/agr.sqlite3"),
        ({"RESIDENCY_AGREEMENTS": "~/agr.sqlite3"}, "/home/ana/agr.sqlite3"),
        (
            {"RESIDENCY_AGREEMENTS": "postgresql://db/agreements", "XDG_DATA_HOME": "/xdg"},
            "/xdg/residency/agreements.sqlite3",
        ),
        ({"XDG_DATA_HOME": "/xdg"}, "/xdg/residency/agreements.sqlite3"),
        (
            {"RESIDENCY_AGREEMENTS": "", "XDG_DATA_HOME": "/xdg"},
            "/xdg/residency/agreements.sqlite3",
        ),
        ({"XDG_DATA_HOME": "relative"}, "/home/ana/.local/share/residency/agreements.sqlite3"),
        ({}, "/home/ana/.local/share/residency/agreements.sqlite3"),
    ],
    ids=["explicit", "explicit-home", "url", "xdg", "explicit-empty", "xdg-relative", "home"],
)
def test_default_store_path(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    """The default file follows $RESIDENCY_AGREEMENTS (a path), then $XDG_DATA_HOME, then home."""
    monkeypatch.setenv("HOME", "/home/ana")
    for name in ("RESIDENCY_AGREEMENTS", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert str(default_store_path()) == expected


# --- round trip -------------------------------------------------------------------------------

PLUS_0530 = timezone(timedelta(hours=5, minutes=30))
MINUS_0800 = timezone(timedelta(hours=-8))

ROUND_TRIPS = [
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
        revoked_at=datetime(2026, 7, 1, 14, 0, 0, 123456, tzinfo=PLUS_0530),
    ),
    agreement(valid_until=END, reference='Vertrag Nr. 7 \u2013 Zürich, 契約 "quoted"\n2nd line'),
    agreement(revoked_at=START),
    agreement("\x1b[2Jid", "acct\u200b\x7f", reference="\U0001f600"),
]


@pytest.mark.parametrize(
    "original",
    ROUND_TRIPS,
    ids=["open-ended", "every-field", "offsets", "unicode", "revoked-at-start", "controls"],
)
def test_round_trip(target: str, original: Agreement) -> None:
    """Every field comes back equal after reopening, offsets and microseconds included."""
    with AgreementStore(target) as store:
        event = store.add(original)
    assert (event.version, event.seq, event.kind, event.agreement) == (
        1,
        1,
        EventKind.ADD,
        original,
    )
    with AgreementStore(target, readonly=True) as store:
        back = store.get(original.id)
        assert back == original
        assert [micros(t) for t in (back.valid_from,)] == [micros(original.valid_from)]
        assert store.all() == (original,)
        assert store.for_account(original.account_id) == (original,)
        assert store.index().for_account(original.account_id) == (original,)
        assert store.latest(original.id) == event


@pytest.mark.parametrize("basis", list(LegalBasis))
def test_every_legal_basis_round_trips(store: AgreementStore, basis: LegalBasis) -> None:
    """Each legal basis is stored and read back as itself."""
    store.add(agreement(basis=basis))
    assert store.get("agr-1").basis is basis


def test_reads_by_account_in_order(store: AgreementStore) -> None:
    """An account's agreements come by valid_from then id; all() in the order added."""
    later = agreement("a", valid_from=START + timedelta(days=2))
    earlier = agreement("b", valid_from=START + timedelta(days=1))
    other = agreement("c", account_id="globex")
    store.add_many([later, other, earlier])
    assert store.for_account("acme") == (earlier, later)
    assert store.for_account("nobody") == ()
    assert store.all() == (later, other, earlier)
    assert len(store) == 3
    index = store.index()
    assert isinstance(index, AgreementIndex)
    assert (len(index), index.accounts()) == (3, frozenset({"acme", "globex"}))
    assert index.for_account("acme") == (earlier, later)
    assert sorted(a.id for a in index) == ["a", "b", "c"]


def test_in_force_at_boundaries(store: AgreementStore) -> None:
    """valid_from is inclusive; valid_until and revoked_at are exclusive, to the microsecond."""
    store.add_many([agreement("ends", valid_until=END), agreement("revoked")])
    store.revoke("revoked", version=1, at=REVOKED)

    def ids(at: datetime) -> list[str]:
        return [a.id for a in store.in_force("acme", at)]

    assert ids(START - TICK) == []
    assert ids(START) == ["ends", "revoked"]
    assert ids(REVOKED - TICK) == ["ends", "revoked"]
    assert ids(REVOKED) == ["ends"]
    assert ids(END - TICK) == ["ends"]
    assert ids(END) == []
    with pytest.raises(InvalidTime):
        store.in_force("acme", datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


# --- history and versions ---------------------------------------------------------------------


def test_history_records_every_change_with_its_version(target: str) -> None:
    """Each write is one event, numbered, versioned, with who and why; reopening keeps it."""
    extended = END + timedelta(days=365)
    with AgreementStore(target) as store:
        store.add(agreement(destinations=["US", "APAC"], valid_until=END), actor="ana", note="new")
        store.add(agreement("other", "globex"))
        store.amend("agr-1", version=1, valid_until=extended, actor="ben", note="renewed")
        store.amend("agr-1", version=2, destinations=["US"], note="APAC dropped")
        revoked = store.revoke("agr-1", version=3, at=REVOKED, actor="cy", note="withdrawn")
    with AgreementStore(target, readonly=True) as store:
        events = store.history("agr-1")
        everything = store.history()
        latest = store.latest("agr-1")
    assert [(e.seq, e.kind, e.version, e.actor, e.note) for e in events] == [
        (1, EventKind.ADD, 1, "ana", "new"),
        (3, EventKind.AMEND, 2, "ben", "renewed"),
        (4, EventKind.AMEND, 3, "", "APAC dropped"),
        (5, EventKind.REVOKE, 4, "cy", "withdrawn"),
    ]
    assert [e.seq for e in everything] == [1, 2, 3, 4, 5]
    assert events[0].agreement == agreement(destinations=["US", "APAC"], valid_until=END)
    assert events[1].agreement.valid_until == extended  # type: ignore[union-attr]
    assert events[-1].agreement == revoked
    assert latest == events[-1]
    assert all(e.recorded_at.tzinfo is UTC for e in events)
    assert [e.seq for e in everything if e.agreement_id == "other"] == [2]


def test_event_to_dict(store: AgreementStore) -> None:
    """An event's JSON form names every field; the agreement in agreements-file names."""
    event = store.add(agreement(), actor="ana", note="signed")
    data = event.to_dict()
    assert isinstance(event, Event)
    assert data["seq"] == 1
    assert data["version"] == 1
    assert (data["kind"], data["agreement_id"], data["account_id"]) == ("add", "agr-1", "acme")
    assert (data["actor"], data["note"], data["unusable"]) == ("ana", "signed", None)
    assert data["agreement"] == agreement().to_dict()
    assert data["recorded_at"].endswith("Z")
    assert len(data["hash"]) == 64
    json.dumps(data)


def test_a_stale_version_is_a_conflict_and_writes_nothing(target: str) -> None:
    """Two writers read version 1; the second to write gets AgreementConflict, not an overwrite."""
    with AgreementStore(target) as first, AgreementStore(target) as second:
        first.add(agreement())
        read_by_second = second.latest("agr-1").version
        first.amend("agr-1", version=1, reference="first", actor="ana")
        with pytest.raises(AgreementConflict, match="at version 2, not 1") as caught:
            second.amend("agr-1", version=read_by_second, reference="second")
        assert "ana" in str(caught.value)
        with pytest.raises(AgreementConflict, match="at version 2, not 1"):
            second.revoke("agr-1", version=read_by_second, at=REVOKED)
        assert second.get("agr-1").reference == "first"
        assert len(second.history()) == 2


@pytest.mark.parametrize("version", [0, -1, 1.0, "1", None, True])
def test_version_must_be_a_positive_int(store: AgreementStore, version: object) -> None:
    """A version that is no version the store gives is refused before anything is read."""
    store.add(agreement())
    with pytest.raises(InvalidAgreement, match="version"):
        store.amend("agr-1", version=version, reference="x")  # type: ignore[arg-type]


def test_a_revocation_is_final(store: AgreementStore) -> None:
    """After a revocation nothing changes the agreement: the first revocation stands."""
    store.add(agreement())
    store.revoke("agr-1", version=1, at=REVOKED)
    with pytest.raises(AgreementConflict, match="revocation is final"):
        store.revoke("agr-1", version=2, at=START)
    with pytest.raises(AgreementConflict, match="revocation is final"):
        store.amend("agr-1", version=2, reference="reopened", valid_until=None)
    assert store.get("agr-1").revoked_at == REVOKED
    assert len(store.history()) == 2


def test_an_imported_revoked_agreement_is_final_too(store: AgreementStore) -> None:
    """An agreement added already revoked (an import) cannot be revived either."""
    store.add(agreement(revoked_at=REVOKED))
    with pytest.raises(AgreementConflict, match="revocation is final"):
        store.amend("agr-1", version=1, reference="x")


def test_refused_amendments_write_nothing(store: AgreementStore) -> None:
    """An amendment that is invalid, empty, or changes nothing leaves the history as it was."""
    store.add(agreement(valid_until=END))
    with pytest.raises(InvalidAgreement, match="valid_until"):
        store.amend("agr-1", version=1, valid_until=START - timedelta(days=1))
    with pytest.raises(InvalidTime):
        store.amend("agr-1", version=1, valid_until=datetime(2027, 1, 1))  # noqa: DTZ001
    with pytest.raises(AgreementConflict, match="changes nothing"):
        store.amend("agr-1", version=1, valid_until=END)
    with pytest.raises(TypeError, match="at least one"):
        store.amend("agr-1", version=1)
    with pytest.raises(InvalidAgreement, match="MARS"):
        store.amend("agr-1", version=1, destinations=["MARS"])
    assert len(store.history()) == 1
    assert store.amend("agr-1", version=1, valid_until=None).valid_until is None
    assert store.amend("agr-1", version=2, reference=UNCHANGED, destinations=["EU"]).destinations


def test_unknown_ids(store: AgreementStore) -> None:
    """An id the store does not hold is UnknownAgreement for every call that names one."""
    calls: list[Callable[[], object]] = [
        lambda: store.get("nope"),
        lambda: store.latest("nope"),
        lambda: store.history("nope"),
        lambda: store.revoke("nope", version=1, at=REVOKED),
        lambda: store.amend("nope", version=1, reference="x"),
    ]
    for call in calls:
        with pytest.raises(UnknownAgreement, match="'nope'"):
            call()


@pytest.mark.parametrize("at", [None, datetime(2026, 7, 1), "2026-07-01T00:00:00Z", 1.0])  # noqa: DTZ001
def test_revoke_needs_an_aware_instant(store: AgreementStore, at: object) -> None:
    """A revocation names an aware instant: None, naive, text or numbers are refused."""
    store.add(agreement())
    with pytest.raises(InvalidTime):
        store.revoke("agr-1", version=1, at=at)  # type: ignore[arg-type]
    assert len(store.history()) == 1


# --- validated writes -------------------------------------------------------------------------


def test_duplicate_ids_are_refused_and_the_original_kept(store: AgreementStore) -> None:
    """An id the store holds, or one given twice, is refused; all or nothing is written."""
    store.add(agreement(reference="original"))
    with pytest.raises(AgreementConflict, match="already holds"):
        store.add(agreement(reference="impostor"))
    with pytest.raises(AgreementConflict, match="already holds"):
        store.add_many([agreement("new"), agreement(reference="impostor")])
    with pytest.raises(AgreementConflict, match="given twice"):
        store.add_many([agreement("x"), agreement("x")])
    assert store.all() == (agreement(reference="original"),)
    assert store.add_many(agreement(f"n-{n}") for n in range(12_000)) == 12_000
    assert len(store) == 12_001


def test_writes_are_checked_against_the_catalog(target: str) -> None:
    """A destination the catalog lacks is refused; another catalog that has it accepts it."""
    with AgreementStore(target) as store:
        with pytest.raises(InvalidAgreement, match="'aws-moon-1' is neither") as caught:
            store.add_many([agreement("ok"), agreement("bad", destinations=["aws-moon-1", "US"])])
        assert caught.value.agreement == "bad"
        assert len(store) == 0


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"actor": "ana\x00"}, "actor holds a NUL"),
        ({"actor": "\udc80"}, "actor holds an unpaired surrogate"),
        ({"actor": None}, "actor is a str"),
        ({"actor": "two\nlines"}, "actor holds a line break"),
        ({"note": "\x00"}, "note holds a NUL"),
        ({"note": 7}, "note is a str"),
    ],
)
def test_actor_and_note_are_storable_text(
    store: AgreementStore, fields: dict[str, object], says: str
) -> None:
    """Who and why are text the store keeps as it is; anything else is InvalidAgreement."""
    with pytest.raises(InvalidAgreement, match=says):
        store.add(agreement(), **fields)  # type: ignore[arg-type]
    assert len(store) == 0


def test_agreement_fields_are_storable_text() -> None:
    """An agreement never holds NUL or an unpaired surrogate: no store could keep it as is."""
    for fields in ({"reference": "a\x00b"}, {"account_id": "\ud800"}, {"destinations": ["U\x00"]}):
        with pytest.raises(InvalidAgreement):
            agreement(**fields)


def test_only_agreements_are_added(store: AgreementStore) -> None:
    """add_many of something that is no Agreement is refused by position."""
    with pytest.raises(InvalidAgreement, match=r"\[1\]"):
        store.add_many([agreement(), {"id": "x"}])  # type: ignore[list-item]


# --- decisions from the store -----------------------------------------------------------------


def test_check_transfer_reads_the_store(store: AgreementStore) -> None:
    """check_transfer(agreements=store) answers from that account's agreements."""
    policy = default_policy()
    store.add(agreement(destinations=["US"], valid_until=END))
    at = START + timedelta(days=1)
    allowed = policy.check_transfer(
        "DE", "linode-eu", "linode-us", account_id="acme", agreements=store, at=at
    )
    other = policy.check_transfer(
        "DE", "linode-eu", "linode-us", account_id="globex", agreements=store, at=at
    )
    late = policy.check_transfer(
        "DE", "linode-eu", "linode-us", account_id="acme", agreements=store, at=END
    )
    assert allowed.allowed
    assert allowed.agreement == agreement(destinations=["US"], valid_until=END)
    assert not other.allowed
    assert not late.allowed
    assert late.lapsed == (agreement(destinations=["US"], valid_until=END),)


def test_the_store_cache_follows_changes_by_others(target: str) -> None:
    """A reader's decisions change as soon as another connection records or revokes."""
    policy = default_policy()
    at = START + timedelta(days=1)

    def allowed(reader: AgreementStore) -> bool:
        return policy.check_transfer(
            "DE", "linode-eu", "linode-us", account_id="acme", agreements=reader, at=at
        ).allowed

    with AgreementStore(target) as writer, AgreementStore(target, readonly=True) as reader:
        assert not allowed(reader)
        writer.add(agreement())
        assert allowed(reader)
        writer.revoke("agr-1", version=1, at=START)
        assert not allowed(reader)
        writer.add(agreement("agr-2", "globex"))  # another account: acme's entry stays valid
        assert not allowed(reader)


def test_an_agreement_a_later_catalog_lacks_breaks_no_one(
    target: str, tmp_path: pathlib.Path
) -> None:
    """An agreement naming a data center the catalog no longer has is unusable, never fatal.

    Recorded under a catalog that has the data center, read under one that does not: its
    account's decisions say so, and other accounts answer as before.
    """
    wider = wider_policy(tmp_path)
    with AgreementStore(target, policy=wider) as store:
        store.add(agreement("gone", destinations=["linode-us-extra"]))
        store.add(agreement("fine", "globex"))
    policy = default_policy()
    with AgreementStore(target, readonly=True) as store:
        report = store.verify()
        assert [(u.id, u.account_id) for u in report.unusable] == [("gone", "acme")]
        assert "linode-us-extra" in report.unusable[0].reason
        assert not report.ok
        at = START + timedelta(days=1)
        denied = policy.check_transfer(
            "DE", "linode-eu", "linode-us", account_id="acme", agreements=store, at=at
        )
        assert not denied.allowed
        assert [u.id for u in denied.unusable] == ["gone"]
        assert "cannot be used" in denied.reason
        in_region = policy.check_transfer(
            "DE", "linode-eu", "aws-eu-west-1", account_id="acme", agreements=store, at=at
        )
        assert in_region.allowed
        assert policy.check_transfer(
            "DE", "linode-eu", "linode-us", account_id="globex", agreements=store, at=at
        ).allowed


def test_verify_reports_the_head_and_checks_an_anchor(store: AgreementStore) -> None:
    """verify() gives the head hash; a head recorded earlier must still be in the chain."""
    store.add(agreement())
    first = store.verify()
    store.add(agreement("agr-2"))
    second = store.verify(head=first.head)
    assert (first.events, second.events, second.agreements) == (1, 2, 2)
    assert first.head != second.head
    assert second.to_dict()["head"] == second.head
    with pytest.raises(StoreError, match="no event of the chain"):
        store.verify(head="f" * 64)


def test_load_agreements_reads_a_store_read_only(target: str) -> None:
    """load_agreements reads a store (a path or a URL) as it stands, never writing to it."""
    with AgreementStore(target) as store:
        store.add_many([agreement(), agreement("agr-2", "globex")])
        store.revoke("agr-1", version=1, at=REVOKED)
    expected = (agreement(revoked_at=REVOKED), agreement("agr-2", "globex"))
    assert load_agreements(target) == expected
    assert read_store(target) == expected


# --- the store of residency 0.1 ---------------------------------------------------------------

_SCHEMA_1 = (
    "CREATE TABLE agreement (id TEXT PRIMARY KEY, account_id TEXT)",
    """CREATE TABLE agreement_event (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, agreement_id TEXT, account_id TEXT,
        recorded_at TEXT, actor TEXT, note TEXT, snapshot TEXT)""",
    "PRAGMA application_id = 1380275033",
    "PRAGMA user_version = 1",
)


def _old_store(path: pathlib.Path) -> None:
    """A store as residency 0.1 wrote it, with one bad window (the clock-change case)."""
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in _SCHEMA_1:
        connection.execute(statement)
    snapshots = [
        agreement().to_dict(),
        agreement("agr-2", "globex", valid_until=END).to_dict(),
        dict(
            agreement("dst", "initech").to_dict(),
            valid_from="2026-10-25T02:30:00+01:00",
            valid_until="2026-10-25T02:45:00+02:00",
        ),
    ]
    for snapshot in snapshots:
        connection.execute("INSERT INTO agreement VALUES (?, ?)", (snapshot["id"], "x"))
        connection.execute(
            "INSERT INTO agreement_event (kind, agreement_id, snapshot) VALUES ('add', ?, ?)",
            (snapshot["id"], json.dumps(snapshot)),
        )
    connection.close()


def test_a_store_of_residency_0_1_is_read_and_carried_over(tmp_path: pathlib.Path) -> None:
    """A 0.1 store opens as a source of agreements (its bad window left out), not as a store."""
    old = tmp_path / "old.sqlite3"
    _old_store(old)
    before = old.read_bytes()
    with pytest.raises(StoreCorrupt, match="agreements import OLD --store NEW"):
        AgreementStore(old)
    agreements = load_agreements(old)
    assert agreements == (agreement(), agreement("agr-2", "globex", valid_until=END))
    with AgreementStore(tmp_path / "new.sqlite3") as new:
        assert new.add_many(agreements, note="carried over from residency 0.1") == 2
        assert new.verify().agreements == 2
    assert old.read_bytes() == before


def test_an_unusable_agreement_reads_as_such() -> None:
    """UnusableAgreement carries who and why; an index holds it beside the usable ones."""
    item = UnusableAgreement("x", "acme", "its snapshot cannot be read")
    index = AgreementIndex([agreement()], unusable=[item])
    assert index.unusable("acme") == (item,)
    assert index.unusable() == (item,)
    assert index.unusable("globex") == ()
    assert index.for_account("acme") == (agreement(),)
