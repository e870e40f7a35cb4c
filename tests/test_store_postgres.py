# ruff: noqa: S608 - the raw SQL is the tests' own, built from constants
"""What only the PostgreSQL store has, on the real server the test session started.

The contract both backends keep is in test_store.py and test_store_faults.py; here are the
parts of it that only PostgreSQL can break or prove: ``TRUNCATE``, rules, policies, disabled
triggers and replaced trigger functions, the marker table, the insert rules checked a
statement at a time, writers on separate connections and hosts, notifications, roles without
the right to write, a server that is down, a database of another application.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from tests.stores import START, agreement, raw

from residency import _store_postgres
from residency._chain import GENESIS, Row, link, snapshot
from residency._store_postgres import APPLICATION_ID, PostgresBackend
from residency.errors import (
    StoreCorrupt,
    StoreLocked,
    StoreMissing,
    StoreReadOnly,
    StoreTampered,
    StoreUnavailable,
)
from residency.store import AgreementStore

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Callable

    from tests.stores import Raw

    from residency.agreements import Agreement

try:
    import psycopg
except ImportError:  # pragma: no cover - the postgres extra is part of the test setup
    if os.environ.get("RESIDENCY_REQUIRE_POSTGRES") == "1":
        raise
    pytest.skip("psycopg (the postgres extra) is not installed", allow_module_level=True)

EVENTS = "residency.agreement_event"


def history(url: str) -> AgreementStore:
    """A store at ``url`` holding three agreements of two accounts, one amended, one revoked."""
    store = AgreementStore(url)
    store.add(agreement("agr-1"))
    store.add(agreement("agr-2"))
    store.add(agreement("agr-3", "globex"))
    store.amend("agr-1", version=1, reference="amended")
    store.revoke("agr-2", version=1, at=START + timedelta(days=30))
    return store


def rows(connection: Raw) -> list[Row]:
    """Every event, by seq, as stored."""
    found: list[Row] = connection.execute(f"SELECT * FROM {EVENTS} ORDER BY seq")
    return found


def following(previous: Row | None, kind: str, changed: Agreement, version: int) -> Row:
    """The event after ``previous`` recording ``changed``, with a correct hash."""
    head = (previous[0], previous[10]) if previous else (0, GENESIS)
    fields = (kind, changed.id, changed.account_id, version, 0, "mallory", "", snapshot(changed))
    return link(head, fields)


def insert(connection: Raw, *events: Row) -> None:
    """Insert ``events`` in one statement, as a bulk import would."""
    marks = ", ".join("(" + ", ".join(["%s"] * 11) + ")" for _ in events)
    connection.execute(f"INSERT INTO {EVENTS} VALUES {marks}", [v for row in events for v in row])


# --- the database refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        f"TRUNCATE {EVENTS}",
        f"TRUNCATE {EVENTS}, residency.store",
        f"INSERT INTO {EVENTS} SELECT * FROM {EVENTS} WHERE seq = 1 "
        "ON CONFLICT (seq) DO UPDATE SET note = 'edited'",
        "UPDATE residency.store SET schema_version = 3",
        "DELETE FROM residency.store",
        "TRUNCATE residency.store",
        f"INSERT INTO residency.store VALUES ({APPLICATION_ID}, 3)",
    ],
    ids=[
        "truncate",
        "truncate-both",
        "upsert",
        "mark-update",
        "mark-delete",
        "mark-truncate",
        "mark-insert",
    ],
)
def test_database_refuses_truncate_upsert_and_changes_of_the_mark(
    postgres_url: str, statement: str
) -> None:
    """TRUNCATE, an upsert and any change of the mark are refused, even in a replica session."""
    with history(postgres_url) as store:
        before = store.history()
        with raw(postgres_url) as connection:
            for role in ("origin", "replica"):  # replica skips triggers not enabled ALWAYS
                connection.execute(f"SET session_replication_role = {role}")
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    connection.execute(statement)
        assert store.history() == before
        assert store.verify().events == 5


def test_several_rows_in_one_statement_are_checked_as_a_whole(postgres_url: str) -> None:
    """Rows inserted by one statement obey the rules together: valid ones go in, in order."""
    with history(postgres_url) as store, raw(postgres_url) as connection:
        last = rows(connection)[-1]
        first = following(last, "add", agreement("agr-4"), 1)
        second = following(first, "amend", agreement("agr-4", reference="changed"), 2)
        insert(connection, first, second)
        assert store.verify().events == 7
        assert store.get("agr-4").reference == "changed"


def _skipped_seq(last: Row) -> list[Row]:
    added = following(last, "add", agreement("agr-4"), 1)
    return [link((added[0] + 1, added[10]), added[1:9])]


def _wrong_prev_hash(last: Row) -> list[Row]:
    return [link((last[0], GENESIS), following(last, "add", agreement("agr-4"), 1)[1:9])]


def _second_version_first(last: Row) -> list[Row]:
    amended = agreement("agr-4", reference="changed")
    second = following(last, "amend", amended, 2)
    return [second, following(second, "add", agreement("agr-4"), 1)]


def _change_after_revocation(last: Row) -> list[Row]:
    return [following(last, "amend", agreement("agr-2", reference="later"), 3)]


def _change_to_another_account(last: Row) -> list[Row]:
    return [following(last, "amend", agreement("agr-3", "acme", reference="moved"), 2)]


def _change_of_a_version_not_last(last: Row) -> list[Row]:
    return [following(last, "amend", agreement("agr-1", reference="again"), 2)]


def _gap_inside_the_statement(last: Row) -> list[Row]:
    first = following(last, "add", agreement("agr-4"), 1)
    skipped = following(first, "add", agreement("agr-5"), 1)
    return [first, following(skipped, "add", agreement("agr-6"), 1)]


@pytest.mark.parametrize(
    ("forge", "says"),
    [
        (_skipped_seq, "appended as the next seq"),
        (_wrong_prev_hash, "hash of the event before it"),
        (_second_version_first, "last version of a live agreement"),
        (_change_after_revocation, "last version of a live agreement"),
        (_change_to_another_account, "last version of a live agreement"),
        (_change_of_a_version_not_last, "already exists"),
        (_gap_inside_the_statement, "appended as the next seq"),
    ],
    ids=[
        "skipped-seq",
        "wrong-prev-hash",
        "second-version-first",
        "after-revocation",
        "another-account",
        "not-the-last-version",
        "gap-inside",
    ],
)
def test_database_refuses_an_insert_that_breaks_the_rules(
    postgres_url: str, forge: Callable[[Row], list[Row]], says: str
) -> None:
    """An insert whose rows, each with a correct hash, break a rule of the history is refused."""
    with history(postgres_url) as store, raw(postgres_url) as connection:
        with pytest.raises(psycopg.errors.Error, match=says):
            insert(connection, *forge(rows(connection)[-1]))
        assert store.verify().events == 5


# --- tampering is caught ----------------------------------------------------------------------

TAMPERING: list[tuple[str, list[str], str]] = [
    (
        "disabled",
        [f"ALTER TABLE {EVENTS} DISABLE TRIGGER agreement_event_no_update"],
        "trigger agreement_event_no_update is disabled",
    ),
    (
        "replica-only",
        [f"ALTER TABLE {EVENTS} ENABLE REPLICA TRIGGER agreement_event_append"],
        r"agreement_event_append was made to fire only in some sessions \(ENABLE REPLICA",
    ),
    (
        "mark-trigger-disabled",
        ["ALTER TABLE residency.store DISABLE TRIGGER store_no_change"],
        "trigger store_no_change is disabled",
    ),
    (
        "function-replaced",
        [
            "CREATE OR REPLACE FUNCTION residency.check_append() RETURNS trigger "
            "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$BEGIN RETURN NULL; END$$"
        ],
        "function residency.check_append was rewritten",
    ),
    (
        "function-settings",
        ["ALTER FUNCTION residency.refuse_change() RESET search_path"],
        "function residency.refuse_change was rewritten",
    ),
    (
        "rule",
        [f"CREATE RULE swallow AS ON INSERT TO {EVENTS} DO INSTEAD NOTHING"],
        "rule swallow on agreement_event was added",
    ),
    (
        "index-dropped",
        ["DROP INDEX residency.agreement_event_by_account"],
        "index agreement_event_by_account was dropped",
    ),
    (
        "index-rebuilt-otherwise",
        [
            "DROP INDEX residency.agreement_event_by_account",
            f"CREATE INDEX agreement_event_by_account ON {EVENTS} (account_id)",
        ],
        "index agreement_event_by_account was rewritten",
    ),
    (
        "constraint-dropped",
        [f"ALTER TABLE {EVENTS} DROP CONSTRAINT agreement_event_version_check"],
        "constraint agreement_event_version_check was dropped",
    ),
    (
        "row-security",
        [
            f"ALTER TABLE {EVENTS} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY early ON {EVENTS} USING (seq < 3)",
        ],
        "policy early on agreement_event was added",
    ),
    (
        "inheritance",
        [f"CREATE TABLE public.more () INHERITS ({EVENTS})"],
        f"table public.more was made to inherit from {EVENTS}",
    ),
    (
        "unlogged",
        [f"ALTER TABLE {EVENTS} SET UNLOGGED"],
        f"table {EVENTS} was made unlogged",
    ),
    (
        "column-default",
        [f"ALTER TABLE {EVENTS} ALTER COLUMN note SET DEFAULT 'x'"],
        "column agreement_event.note was rewritten",
    ),
    (
        "column-added",
        [f"ALTER TABLE {EVENTS} ADD COLUMN extra text"],
        "column agreement_event.extra was added",
    ),
    (
        "function-dropped",
        ["DROP FUNCTION residency.check_append() CASCADE"],
        "function residency.check_append was dropped",
    ),
    (
        "replaced-by-a-view",
        [
            f"ALTER TABLE {EVENTS} RENAME TO kept",
            f"CREATE VIEW {EVENTS} AS SELECT * FROM residency.kept",
        ],
        f"table {EVENTS} was replaced by a relation of kind v",
    ),
    (
        "trigger-on-the-mark",
        [
            "CREATE TRIGGER store_extra BEFORE UPDATE ON residency.store "
            "FOR EACH ROW EXECUTE FUNCTION residency.refuse_change()"
        ],
        "trigger store_extra was added",
    ),
]


@pytest.mark.parametrize(
    ("statements", "says"),
    [(statements, says) for _, statements, says in TAMPERING],
    ids=[name for name, _, _ in TAMPERING],
)
def test_schema_tampering_is_caught_on_open_and_by_verify(
    postgres_url: str, statements: list[str], says: str
) -> None:
    """A schema changed outside residency is StoreTampered, by verify() and on open, by name."""
    with history(postgres_url) as store:
        with raw(postgres_url) as connection:
            for statement in statements:
                connection.execute(statement)
        with pytest.raises(StoreTampered, match=says) as by_verify:
            store.verify()
    with pytest.raises(StoreTampered, match=says) as by_open:
        AgreementStore(postgres_url, readonly=True)
    assert by_verify.value.event is None
    assert by_open.value.event is None


def test_mark_changed_under_an_open_store_is_tampering(postgres_url: str) -> None:
    """A second mark written behind the triggers is caught by verify() and refused on open."""
    with history(postgres_url) as store:
        with raw(postgres_url) as connection:
            _marked(2)(connection)
            connection.execute("ALTER TABLE residency.store DISABLE TRIGGER store_no_change")
            connection.execute(f"INSERT INTO residency.store VALUES ({APPLICATION_ID}, 2)")
            connection.execute("ALTER TABLE residency.store ENABLE ALWAYS TRIGGER store_no_change")
        with pytest.raises(StoreTampered, match=r"mark \(residency.store\) was changed"):
            store.verify()
    with pytest.raises(StoreCorrupt, match="mark has 2 rows"):
        AgreementStore(postgres_url)


def test_mark_dropped_under_an_open_store_is_tampering(postgres_url: str) -> None:
    """A mark dropped while a store is open is named by verify(); the schema is then no store."""
    with history(postgres_url) as store:
        with raw(postgres_url) as connection:
            connection.execute("DROP TABLE residency.store")
        with pytest.raises(StoreTampered, match=r"table residency\.store was dropped"):
            store.verify()
    with pytest.raises(StoreCorrupt, match="no mark"):
        AgreementStore(postgres_url)


def test_schema_dropped_under_an_open_store_is_tampering(postgres_url: str) -> None:
    """A store whose schema is dropped while it is open raises StoreTampered, no driver error."""
    with history(postgres_url) as store:
        with raw(postgres_url) as connection:
            connection.execute("DROP SCHEMA residency CASCADE")
        with pytest.raises(StoreTampered, match="schema changed while it was open"):
            store.all()
        with pytest.raises(StoreTampered, match="schema changed while it was open"):
            store.add(agreement("agr-9"))
        with pytest.raises(StoreTampered, match="schema changed while it was open"):
            store._backend.latest_of_account("acme")


# --- opening --------------------------------------------------------------------------------


def test_store_is_one_schema_made_once_by_many_openers_at_once(postgres_url: str) -> None:
    """Eight stores opening one empty database at the same moment make one store between them."""
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def open_store() -> None:
        barrier.wait()
        try:
            AgreementStore(postgres_url).close()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with raw(postgres_url) as connection:
        assert connection.execute("SELECT * FROM residency.store") == [(APPLICATION_ID, 2)]


@pytest.mark.parametrize(
    ("create", "readonly"), [(False, False), (True, True)], ids=["create-false", "readonly"]
)
def test_database_without_a_store_is_missing_and_left_as_it_was(
    postgres_url: str, create: bool, readonly: bool
) -> None:
    """Without create (or read-only), a database holding no store is StoreMissing, untouched."""
    with pytest.raises(StoreMissing, match="no schema residency"):
        AgreementStore(postgres_url, create=create, readonly=readonly)
    with raw(postgres_url) as connection:
        assert connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'residency'") == []


def test_empty_schema_residency_becomes_a_store(postgres_url: str) -> None:
    """A schema residency made empty for the store (say, by a DBA) is made a store."""
    with raw(postgres_url) as connection:
        connection.execute("CREATE SCHEMA residency")
    with AgreementStore(postgres_url) as store:
        store.add(agreement())
        assert store.verify().events == 1


def _other_application(connection: Raw) -> None:
    connection.execute("CREATE SCHEMA residency")
    connection.execute("CREATE TABLE residency.store (application_id integer, schema_version int)")
    connection.execute("INSERT INTO residency.store VALUES (1, 2)")


def _unmarked_schema(connection: Raw) -> None:
    connection.execute("CREATE SCHEMA residency")
    connection.execute("CREATE TABLE residency.customer (id text)")


def _mark_of_text(connection: Raw) -> None:
    connection.execute("CREATE SCHEMA residency")
    connection.execute("CREATE TABLE residency.store (application_id text, schema_version text)")
    connection.execute("INSERT INTO residency.store VALUES ('RESY', 'two')")


def _two_marks(connection: Raw) -> None:
    _other_application(connection)
    connection.execute("INSERT INTO residency.store VALUES (1, 2)")


def _marked(version: int) -> Callable[[Raw], None]:
    def mark(connection: Raw) -> None:
        connection.execute("ALTER TABLE residency.store DISABLE TRIGGER store_no_change")
        connection.execute(f"UPDATE residency.store SET schema_version = {version}")
        connection.execute("ALTER TABLE residency.store ENABLE ALWAYS TRIGGER store_no_change")

    return mark


@pytest.mark.parametrize(
    ("make", "store_first", "says"),
    [
        (_other_application, False, "not a residency agreement store .application_id 0x1"),
        (_unmarked_schema, False, "not a residency agreement store .no mark"),
        (_mark_of_text, False, "not a residency agreement store .no mark"),
        (_two_marks, False, "mark has 2 rows"),
        (_marked(3), True, "newer residency"),
        (_marked(1), True, "earlier residency"),
    ],
    ids=["other-application", "no-mark", "mark-of-text", "two-marks", "newer", "older"],
)
def test_schema_that_is_not_a_store_of_this_version_is_corrupt(
    postgres_url: str, make: Callable[[Raw], None], store_first: bool, says: str
) -> None:
    """A schema residency of another application or version is StoreCorrupt, and kept as it is."""
    if store_first:
        AgreementStore(postgres_url).close()
    with raw(postgres_url) as connection:
        make(connection)
        before = schema(connection)
    for readonly in (False, True):
        with pytest.raises(StoreCorrupt, match=says) as caught:
            AgreementStore(postgres_url, readonly=readonly)
        assert not isinstance(caught.value, StoreTampered)
    with raw(postgres_url) as connection:
        assert schema(connection) == before


def schema(connection: Raw) -> list[tuple[object, ...]]:
    """The relations of the schema residency, and the rows of the mark when there is one."""
    relations = connection.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'residency'::regnamespace "
        "ORDER BY relname"
    )
    if ("store",) not in relations:
        return relations
    return relations + connection.execute("SELECT * FROM residency.store")


def test_database_that_cannot_hold_every_text_is_refused(postgres_url: str) -> None:
    """A database in an encoding other than UTF8 is refused before anything is made in it."""
    latin = postgres_url.replace("/t_", "/latin_t_", 1)
    name = latin.split("?")[0].rsplit("/", 1)[1]
    with raw(postgres_url) as connection:
        connection.execute(
            f"CREATE DATABASE {name} ENCODING 'LATIN1' TEMPLATE template0 LOCALE 'C'"
        )
    with pytest.raises(StoreUnavailable, match="encoding is LATIN1"):
        AgreementStore(latin)
    with raw(latin) as connection:
        assert connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'residency'") == []


def test_both_url_schemes_and_socket_hosts_open_the_store(postgres_url: str) -> None:
    """postgres:// is postgresql://, and a host given as ?host=/socket/folder works in both."""
    with AgreementStore(postgres_url) as store:
        store.add(agreement())
    other = postgres_url.replace("postgresql://", "postgres://", 1)
    with AgreementStore(other) as store:
        assert store.get("agr-1") == agreement()
        assert store.path is None
        assert store.location == other


# --- failures are typed -----------------------------------------------------------------------


def _no_server(url: str, folder: pathlib.Path) -> str:
    return url.split("?")[0] + f"?host={folder}&port=5432&user=postgres"


def _no_database(url: str, _: pathlib.Path) -> str:
    return url.replace("/t_", "/absent_t_", 1)


def _no_role(url: str, _: pathlib.Path) -> str:
    return url.replace("user=postgres", "user=nobody_at_all")


def _bad_url(url: str, _: pathlib.Path) -> str:
    return f"{url}&no_such_option=1"


@pytest.mark.parametrize(
    ("point", "says"),
    [
        (_no_server, "cannot be used .connection"),
        (_no_database, 'database "absent_t_[0-9]+" does not exist'),
        (_no_role, 'role "nobody_at_all" does not exist'),
        (_bad_url, "not a PostgreSQL URL residency can use"),
    ],
    ids=["no-server", "no-database", "no-role", "bad-url"],
)
def test_unreachable_store_is_unavailable(
    postgres_url: str, tmp_path: pathlib.Path, point: Callable[[str, pathlib.Path], str], says: str
) -> None:
    """No server, no such database or role, or a URL libpq refuses: StoreUnavailable."""
    with pytest.raises(StoreUnavailable, match=says):
        AgreementStore(point(postgres_url, tmp_path))


@pytest.mark.parametrize(
    "form",
    [
        "postgresql://postgres:{secret}@/absent_db?host={host}&port={port}",
        "postgresql:///absent_db?host={host}&port={port}&user=postgres&password={secret}",
    ],
    ids=["in-the-user-part", "in-the-query"],
)
def test_password_is_never_shown(postgres_url: str, form: str) -> None:
    """A password in the URL is *** in the store's location and in every error message."""
    host = postgres_url.split("host=")[1].split("&")[0]
    port = postgres_url.split("port=")[1].split("&")[0]
    secret = "s3cr%40t-pw"  # noqa: S105 - a made-up password, percent-encoded as URLs carry it
    url = form.format(secret=secret, host=host, port=port)
    with pytest.raises(StoreUnavailable) as caught:
        AgreementStore(url)
    for text in (str(caught.value), caught.value.path):
        assert "s3cr" not in text
        assert "***" in text
    # The server trusts every local connection: the password opens the store, and stays hidden.
    working = postgres_url.replace("postgresql://", f"postgresql://postgres:{secret}@", 1)
    with AgreementStore(working) as store:
        assert "s3cr" not in store.location
        assert "s3cr" not in repr(store)


def test_connection_lost_is_unavailable(postgres_url: str) -> None:
    """A store whose connection the server closed raises StoreUnavailable on every use."""
    with history(postgres_url) as store:
        pid = store._backend._connection.info.backend_pid  # type: ignore[attr-defined]
        with raw(postgres_url) as connection:
            connection.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        with pytest.raises(StoreUnavailable):
            store.get("agr-1")
        with pytest.raises(StoreUnavailable):
            store._backend.changes()
        with pytest.raises(StoreUnavailable):
            store.add(agreement("agr-9"))


def test_writer_waits_for_another_then_is_locked(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write waits for the writer that holds the lock, then gives up with StoreLocked."""
    monkeypatch.setattr(_store_postgres, "LOCK_TIMEOUT_SECONDS", 0.2)
    with history(postgres_url) as store, raw(postgres_url) as connection:
        connection.execute("SELECT pg_advisory_lock(%s, 2)", [APPLICATION_ID])
        with pytest.raises(StoreLocked, match=r"longer than 0\.2 s"):
            store.add(agreement("agr-9"))
        connection.execute("SELECT pg_advisory_unlock(%s, 2)", [APPLICATION_ID])
        store.add(agreement("agr-9"))
        assert store.verify().events == 6


def test_read_only_session_refuses_writes_even_past_the_store(postgres_url: str) -> None:
    """A read-only store's session is read-only in the database itself: StoreReadOnly."""
    history(postgres_url).close()
    with (
        AgreementStore(postgres_url, readonly=True) as store,
        pytest.raises(StoreReadOnly, match="opened read-only"),
    ):
        store.add(agreement("agr-9"))
    backend = PostgresBackend(postgres_url, create=False, readonly=True)
    try:
        backend.readonly = False  # past the store's own refusal, to the database's
        with pytest.raises(StoreReadOnly, match="read-only transaction"), backend.write() as w:
            w.insert([following(None, "add", agreement("agr-9"), 1)])
    finally:
        backend.close()


def test_database_made_read_only_refuses_writes(postgres_url: str) -> None:
    """A database whose sessions default to read-only (as on a standby) refuses writes typed."""
    history(postgres_url).close()
    name = postgres_url.split("?")[0].rsplit("/", 1)[1]
    with raw(postgres_url) as connection:
        connection.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    with AgreementStore(postgres_url) as store:
        assert store.get("agr-1").reference == "amended"
        with pytest.raises(StoreReadOnly, match="nothing was written"):
            store.add(agreement("agr-9"))
        assert len(store) == 3


def test_role_that_may_only_read_gets_read_only(postgres_url: str) -> None:
    """A role granted only SELECT reads the store, and its writes are StoreReadOnly."""
    history(postgres_url).close()
    role = "reader_" + postgres_url.split("?")[0].rsplit("/", 1)[1]
    with raw(postgres_url) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN")
        connection.execute(f"GRANT USAGE ON SCHEMA residency TO {role}")
        connection.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA residency TO {role}")
    with AgreementStore(postgres_url.replace("user=postgres", f"user={role}")) as store:
        assert store.verify().events == 5
        with pytest.raises(StoreReadOnly, match="permission denied"):
            store.add(agreement("agr-9"))


# --- many writers, and readers that follow them ---------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from residency.agreements import Agreement
    from residency.store import AgreementStore

    url, name = sys.argv[1:3]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with AgreementStore(url) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(40):
            agreement = Agreement(
                id=f"{name}-{number}", account_id=f"{name}-account-{number % 3}",
                destinations=["US"], valid_from=start,
            )
            event = store.add(agreement, actor=name)
            if number % 2:
                store.amend(agreement.id, version=event.version, reference="amended")
    """
)


def test_writers_in_separate_processes_never_fork_the_chain(postgres_url: str) -> None:
    """Writer processes on separate connections, released at once, interleave one chain."""
    AgreementStore(postgres_url).close()
    writers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", WRITER, postgres_url, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("east", "west", "north")
    ]
    for writer in writers:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n"
    for writer in writers:  # released together
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0
    with AgreementStore(postgres_url, readonly=True) as store:
        report = store.verify()
        events = store.history()
    assert (report.agreements, report.events) == (120, 180)
    assert [event.seq for event in events] == list(range(1, 181))
    actors = [event.actor for event in events]
    switches = sum(a != b for a, b in itertools.pairwise(actors))
    assert switches > 2  # one writer after another would switch twice: they interleaved


def test_changes_move_when_another_connection_writes(postgres_url: str) -> None:
    """changes() stays while nothing is written, and moves once another connection wrote.

    The other connection is not a store of this process: only its notification tells.
    """
    with history(postgres_url) as reader, raw(postgres_url) as connection:
        assert [a.id for a in reader.for_account("acme")] == ["agr-1", "agr-2"]
        backend = reader._backend
        quiet = backend.changes()
        connection.execute("SELECT 1")
        assert backend.changes() == quiet
        insert(connection, following(rows(connection)[-1], "add", agreement("agr-4"), 1))
        deadline = time.monotonic() + 10
        while backend.changes() == quiet and time.monotonic() < deadline:
            time.sleep(0.001)
        assert backend.changes() != quiet
        assert [a.id for a in reader.for_account("acme")] == ["agr-1", "agr-2", "agr-4"]


def test_changes_follow_a_read_only_reader_too(postgres_url: str) -> None:
    """A read-only store hears the writers as well, and never holds a transaction open."""
    AgreementStore(postgres_url).close()
    with (
        AgreementStore(postgres_url, readonly=True) as reader,
        AgreementStore(postgres_url) as writer,
    ):
        assert reader.in_force("acme", START) == ()
        writer.add(agreement())
        assert reader.in_force("acme", START) == (agreement(),)
        status = reader._backend._connection.info.transaction_status  # type: ignore[attr-defined]
        assert status == psycopg.pq.TransactionStatus.IDLE


def test_bulk_import_refreshes_the_planner_statistics(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that appends many events analyzes the history, so reads are planned for its size."""
    monkeypatch.setattr(_store_postgres, "ANALYZE_AFTER", 50)

    def planned_rows(connection: Raw) -> object:
        ((tuples,),) = connection.execute(
            f"SELECT reltuples FROM pg_class WHERE oid = '{EVENTS}'::regclass"
        )
        return tuples

    with AgreementStore(postgres_url) as store, raw(postgres_url) as connection:
        store.add_many(agreement(f"bulk-{n}", f"account-{n % 7}") for n in range(49))
        assert planned_rows(connection) == -1  # never analyzed: the planner guesses
        store.add_many(agreement(f"more-{n}", f"account-{n % 7}") for n in range(50))
        assert planned_rows(connection) == 99


# --- the fast paths, pinned to the plain ones ---------------------------------------------------


def test_fast_account_read_equals_the_plain_one(postgres_url: str) -> None:
    """The libpq path of latest_of_account answers as the driver with the rule in SQL does."""
    with history(postgres_url) as store:
        for number in range(60):
            account = f"account-{number % 7}"
            event = store.add(agreement(f"bulk-{number}", account))
            if number % 3 == 0:
                store.amend(event.agreement_id, version=1, reference="one")
                store.amend(event.agreement_id, version=2, reference="two")
            if number % 5 == 0:
                store.revoke(
                    event.agreement_id,
                    version=store.latest(event.agreement_id).version,
                    at=START + timedelta(days=number),
                )
        backend = store._backend
        assert isinstance(backend, PostgresBackend)
        accounts = [f"account-{n}" for n in range(8)] + ["acme", "globex", "nobody"]
        for account in accounts:
            assert backend.latest_of_account(account) == backend._latest_of_account_plain(account)
        for unstorable in ("acme\x00", "acme\x00evil", "\ud800"):  # libpq would cut at NUL
            assert backend.latest_of_account(unstorable) == []
            assert backend._latest_of_account_plain(unstorable) == []


def test_paged_reads_see_the_store_as_it_stood_when_they_began(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads a page at a time give every agreement once, as of the head when they began."""
    monkeypatch.setattr(_store_postgres, "_PAGE", 2)
    with history(postgres_url) as store, AgreementStore(postgres_url) as other:
        for number in range(9):
            store.add(agreement(f"more-{number}", f"account-{number % 4}"))
        store.amend("more-3", version=1, reference="amended")
        backend = store._backend
        expected = sorted(
            row
            for account in ["acme", "globex"] + [f"account-{n}" for n in range(4)]
            for row in backend.latest_of_account(account)
        )
        ids = [event.agreement_id for event in store.history() if event.version == 1]
        for by_account in (True, False):
            reading = backend.latest_all(by_account=by_account)
            first = next(reading)
            other.add(agreement(f"late-{by_account}", "acme"))  # after the reading began
            other.amend("more-5", version=1 + (not by_account), reference=f"late-{by_account}")
            read = [first, *reading]
            assert sorted(read) == expected
            if by_account:
                assert read == sorted(read, key=lambda row: row[0])
            else:
                assert [row[1] for row in read] == ids
            expected = sorted(
                row
                for account in ["acme", "globex"] + [f"account-{n}" for n in range(4)]
                for row in backend.latest_of_account(account)
            )
            ids = [event.agreement_id for event in store.history() if event.version == 1]
        assert [row[0] for row in backend.events()] == list(range(1, 20))
