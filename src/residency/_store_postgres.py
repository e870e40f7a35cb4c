"""The agreement store on PostgreSQL: one database that every host of a deployment shares.

Everything lives in the schema ``residency``: the history, ``residency.agreement_event``,
whose rows are those of :mod:`residency._chain`, and a one-row mark, ``residency.store``,
that says the schema is a residency store and of which version. The database enforces the
history's rules itself, with triggers that fire whatever the session's replication role:

- ``UPDATE``, ``DELETE`` and ``TRUNCATE`` of either table are refused, as is any insert into
  the mark;
- every ``INSERT`` into the history is checked as a whole, once per statement, from the rows
  it added: they are the next events in order, each linked to the hash of the one before it,
  and each change follows the last version of a live agreement of the same account. Checking
  the statement rather than each row is what lets a bulk import run at full speed.

What a trigger cannot check (the hashes themselves, the fields an amendment never changes)
the store checks on open and in ``verify()``; the schema itself (columns, constraints,
indexes, triggers and the source of their functions, and anything attached to the tables
that could change what they hold: rules, row security, policies, inheritance) is compared,
as PostgreSQL itself prints it, with the one made here.

Writers take turns through a transaction-level advisory lock taken before they read the head
of the history, so writers on any number of hosts never fork the chain; a writer killed
half-way leaves nothing behind. Readers run in autocommit (every read a short transaction of
its own, read-only when the store is opened ``readonly``) and learn that another connection
wrote through ``LISTEN``/``NOTIFY``: :meth:`PostgresBackend.changes` costs a system call, not
a query.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import TYPE_CHECKING, Any, Final

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.errors import error_from_result
from psycopg.pq import ExecStatus

from residency._chain import COLUMNS, GENESIS, Row, Taken
from residency.agreements import unstorable
from residency.errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreMissing,
    StoreReadOnly,
    StoreTampered,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from psycopg.pq.abc import PGresult

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "PostgresBackend"]

SCHEMA_VERSION: Final = 2
"""The schema version this code writes (``residency.store.schema_version``); others are refused."""

APPLICATION_ID: Final = 0x52455359
"""``residency.store.application_id`` of a residency store (ASCII ``RESY``): marks it as ours."""

LOCK_TIMEOUT_SECONDS: Final = 10.0
"""How long a write waits for another writer (on any host) before it gives up."""

CONNECT_TIMEOUT_SECONDS: Final = 10
"""How long opening a store waits for the server, unless the URL says otherwise."""

ANALYZE_AFTER: Final = 10_000
"""How many events one write must append for the store to refresh the planner's statistics."""

CHANNEL: Final = "residency_agreements"
"""The ``NOTIFY`` channel on which every write to the history is announced."""

# What a failure means, by its SQLSTATE (prefixes); the first that matches says it.
_STATES: Final[tuple[tuple[tuple[str, ...], type[StoreError], str], ...]] = (
    (
        ("55P03", "40"),
        StoreLocked,
        "locked by another writer for longer than {timeout:g} s",
    ),
    (("53100",), StoreFull, "the disk is full: nothing was written"),
    (("25006",), StoreReadOnly, "the database refuses writes: nothing was written"),
    # residency's own writes satisfy every rule: a refusal means the history changed.
    (("23", "P0001"), StoreTampered, "the database refused an event that follows its rules"),
    (
        ("42P01", "42703", "42883", "3F000"),
        StoreTampered,
        "the store's schema changed while it was open",
    ),
    (("XX",), StoreCorrupt, "a damaged database"),
    (("08", "28", "53", "57P", "3D", "42501"), StoreUnavailable, "cannot be used"),
)

# How many write transactions the stores of this process committed (see changes()).
_COMMITTED: Final = [0]
_COMMITTING: Final = threading.Lock()

_PAGE: Final = 10_000
# Advisory lock keys (classid, objid): one to make the schema, one for writers.
_CREATE_LOCK: Final = (APPLICATION_ID, 1)
_WRITE_LOCK: Final = (APPLICATION_ID, 2)
# Every name the store's SQL uses is schema-qualified; the session's search path holds only
# the system catalogs, so PostgreSQL prints definitions the same way whatever the user's
# settings, and nothing a user creates can stand in for a built-in function.
_SEARCH_PATH: Final = "pg_catalog, pg_temp"

# --- the schema -----------------------------------------------------------------------------

_REFUSE_CHANGE: Final = """
BEGIN
    RAISE EXCEPTION 'residency: % of % refused: the history is append-only, its mark fixed',
        TG_OP, TG_TABLE_NAME;
END
"""

_CHECK_APPEND: Final = f"""
DECLARE
    first_seq bigint;
    last_seq bigint;
    total bigint;
BEGIN
    SELECT min(seq), max(seq), count(*) INTO first_seq, last_seq, total FROM added;
    IF total = 0 THEN
        RETURN NULL;
    END IF;
    IF last_seq - first_seq + 1 <> total
        OR last_seq <> (SELECT max(seq) FROM residency.agreement_event)
        OR first_seq - 1 <> coalesce(
            (SELECT max(seq) FROM residency.agreement_event WHERE seq < first_seq), 0
        )
    THEN
        RAISE EXCEPTION 'residency: an event is appended as the next seq';
    END IF;
    IF EXISTS (
        SELECT 1 FROM (
            SELECT prev_hash, coalesce(
                lag(hash) OVER (ORDER BY seq),
                (SELECT hash FROM residency.agreement_event WHERE seq = first_seq - 1),
                '{GENESIS}'
            ) AS expected
            FROM added
        ) AS linked
        WHERE prev_hash <> expected
    ) THEN
        RAISE EXCEPTION 'residency: an event carries the hash of the event before it';
    END IF;
    IF EXISTS (
        SELECT 1 FROM added AS a
        WHERE a.version > 1 AND NOT EXISTS (
            SELECT 1 FROM residency.agreement_event AS p
            WHERE p.agreement_id = a.agreement_id
                AND p.version = a.version - 1
                AND p.account_id = a.account_id
                AND p.seq < a.seq
                AND (p.snapshot::json -> 'revoked_at') IS NULL
        )
    ) THEN
        RAISE EXCEPTION 'residency: a change follows the last version of a live agreement';
    END IF;
    -- The snapshot's own checks, here rather than as a CHECK constraint, which would parse
    -- the JSON once for each of its conditions.
    IF EXISTS (
        SELECT 1 FROM added AS a, LATERAL (SELECT a.snapshot::json AS j) AS parsed
        WHERE (parsed.j ->> 'id') IS DISTINCT FROM a.agreement_id
            OR (parsed.j ->> 'account_id') IS DISTINCT FROM a.account_id
            OR (a.kind = 'revoke'
                AND json_typeof(parsed.j -> 'revoked_at') IS DISTINCT FROM 'string')
            OR (a.kind = 'amend' AND (parsed.j -> 'revoked_at') IS NOT NULL)
    ) THEN
        RAISE EXCEPTION 'residency: a snapshot is of its own agreement, revoked only by revoke';
    END IF;
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END
"""

_FUNCTIONS: Final = {
    "residency.refuse_change": _REFUSE_CHANGE,
    "residency.check_append": _CHECK_APPEND,
}
"""The trigger functions, by name, and their source (as ``pg_proc.prosrc`` holds it)."""

_TABLES: Final = {
    "agreement_event": (
        ("seq", "bigint"),
        ("kind", "text"),
        ("agreement_id", 'text COLLATE "C"'),
        ("account_id", 'text COLLATE "C"'),
        ("version", "integer"),
        ("recorded_at", "bigint"),
        ("actor", "text"),
        ("note", "text"),
        ("snapshot", "text"),
        ("prev_hash", "text"),
        ("hash", "text"),
    ),
    "store": (("application_id", "integer"), ("schema_version", "integer")),
}
"""Each table's columns, in order, with their types; every one is ``NOT NULL``. The ids
compare byte by byte, as on SQLite: the same order on every database, whatever its locale,
and indexes that never call the locale's collation."""

# name: (the SQL that makes it, the definition PostgreSQL prints for it)
_CONSTRAINTS: Final = {
    "agreement_event_pkey": ("PRIMARY KEY (seq)", "PRIMARY KEY (seq)"),
    "agreement_event_agreement_id_version_key": (
        "UNIQUE (agreement_id, version)",
        "UNIQUE (agreement_id, version)",
    ),
    "agreement_event_seq_check": ("CHECK (seq > 0)", "CHECK ((seq > 0))"),
    "agreement_event_kind_check": (
        "CHECK (kind IN ('add', 'amend', 'revoke'))",
        "CHECK ((kind = ANY (ARRAY['add'::text, 'amend'::text, 'revoke'::text])))",
    ),
    "agreement_event_ids_check": (
        "CHECK (agreement_id <> '' AND account_id <> '')",
        "CHECK (((agreement_id <> ''::text) AND (account_id <> ''::text)))",
    ),
    "agreement_event_version_check": (
        "CHECK (version > 0 AND (version = 1) = (kind = 'add'))",
        "CHECK (((version > 0) AND ((version = 1) = (kind = 'add'::text))))",
    ),
    "agreement_event_hash_check": (
        "CHECK (length(prev_hash) = 64 AND length(hash) = 64)",
        "CHECK (((length(prev_hash) = 64) AND (length(hash) = 64)))",
    ),
}

_INDEXES: Final = {
    "agreement_event_pkey": (
        "",
        "CREATE UNIQUE INDEX agreement_event_pkey ON residency.agreement_event USING btree (seq)",
    ),
    "agreement_event_agreement_id_version_key": (
        "",
        "CREATE UNIQUE INDEX agreement_event_agreement_id_version_key "
        "ON residency.agreement_event USING btree (agreement_id, version)",
    ),
    "agreement_event_by_account": (
        "CREATE INDEX agreement_event_by_account ON residency.agreement_event (account_id, seq)",
        "CREATE INDEX agreement_event_by_account "
        "ON residency.agreement_event USING btree (account_id, seq)",
    ),
}

# name: (table, timing and events, the function)
_TRIGGERS: Final = {
    "agreement_event_no_update": (
        "agreement_event",
        "BEFORE UPDATE",
        "FOR EACH STATEMENT EXECUTE FUNCTION residency.refuse_change()",
    ),
    "agreement_event_no_delete": (
        "agreement_event",
        "BEFORE DELETE",
        "FOR EACH STATEMENT EXECUTE FUNCTION residency.refuse_change()",
    ),
    "agreement_event_no_truncate": (
        "agreement_event",
        "BEFORE TRUNCATE",
        "FOR EACH STATEMENT EXECUTE FUNCTION residency.refuse_change()",
    ),
    "agreement_event_append": (
        "agreement_event",
        "AFTER INSERT",
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION residency.check_append()",
    ),
    "store_no_change": (
        "store",
        "BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE",
        "FOR EACH STATEMENT EXECUTE FUNCTION residency.refuse_change()",
    ),
}


def _trigger_sql(name: str) -> str:
    table, timing, rest = _TRIGGERS[name]
    return f"CREATE TRIGGER {name} {timing} ON residency.{table} {rest}"


def _function_sql(name: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
        f"SET search_path = {_SEARCH_PATH} AS $body${_FUNCTIONS[name]}$body$"
    )


def _table_sql(table: str) -> str:
    columns = [f"{name} {kind} NOT NULL" for name, kind in _TABLES[table]]
    constraints = [
        f"CONSTRAINT {name} {sql}"
        for name, (sql, _) in _CONSTRAINTS.items()
        if name.startswith(f"{table}_")
    ]
    body = ",\n    ".join(columns + constraints)
    return f"CREATE TABLE residency.{table} (\n    {body}\n)"


def _schema(*, make_schema: bool) -> list[str]:
    """The statements that make a store, in order, in one transaction."""
    statements = ["CREATE SCHEMA residency"] if make_schema else []
    statements += [_function_sql(name) for name in _FUNCTIONS]
    statements += [_table_sql(table) for table in _TABLES]
    statements += [sql for sql, _ in _INDEXES.values() if sql]
    # The mark is written before the trigger that refuses every change to it.
    statements.append(f"INSERT INTO residency.store VALUES ({APPLICATION_ID}, {SCHEMA_VERSION})")
    for name, (table, _, _) in _TRIGGERS.items():
        statements.append(_trigger_sql(name))
        # ALWAYS: the trigger fires even in a session whose replication role is "replica",
        # which would otherwise skip every ordinary trigger.
        statements.append(f"ALTER TABLE residency.{table} ENABLE ALWAYS TRIGGER {name}")
    return statements


_IDS_TAKEN: Final = "agreement_event_agreement_id_version_key"
"""The constraint that refuses a second event of an agreement's version (its id, for an add)."""
_COLUMNS: Final = ", ".join(COLUMNS)
_EVENTS: Final = "residency.agreement_event"
_HEAD: Final = f"SELECT seq, hash FROM {_EVENTS} ORDER BY seq DESC LIMIT 1"
_LATEST_OF: Final = (
    f"SELECT {_COLUMNS} FROM {_EVENTS} WHERE agreement_id = %s ORDER BY version DESC LIMIT 1"
)
_LATEST_OF_ACCOUNT: Final = f"""
    SELECT account_id, agreement_id, snapshot FROM {_EVENTS} AS e
    WHERE account_id = %s AND NOT EXISTS (
        SELECT 1 FROM {_EVENTS} AS n
        WHERE n.agreement_id = e.agreement_id AND n.version = e.version + 1
    )
    ORDER BY seq
"""
_COPY: Final = f"COPY {_EVENTS} ({_COLUMNS}) FROM STDIN"
_ACCOUNT_STATEMENT: Final = b"residency_account_events"
_ANY_CHANGED: Final = f"SELECT 1 FROM {_EVENTS} WHERE version > 1 LIMIT 1"
_PACKED: Final = f"""
    SELECT account_id, string_agg(snapshot, E'\\n' ORDER BY seq) FROM {_EVENTS}
    WHERE seq <= %s GROUP BY account_id
"""
_PACKED_LATEST: Final = f"""
    SELECT account_id, string_agg(snapshot, E'\\n' ORDER BY seq) FROM {_EVENTS} AS e
    WHERE seq <= %s AND NOT EXISTS (
        SELECT 1 FROM {_EVENTS} AS n
        WHERE n.agreement_id = e.agreement_id AND n.version = e.version + 1 AND n.seq <= %s
    )
    GROUP BY account_id
"""
_ACCOUNT_EVENTS: Final = (
    f"SELECT agreement_id, snapshot FROM {_EVENTS} WHERE account_id = $1 ORDER BY seq"
)


class PostgresBackend:
    """The rows of :mod:`residency._chain` in the schema ``residency`` of one database."""

    kind: Final = "postgres"

    def __init__(self, url: str, *, create: bool, readonly: bool) -> None:
        """Open (or, with ``create``, make) the store at ``url``; see the module docstring."""
        self.location = _shown_url(url)
        self.readonly = readonly
        self._secrets = _secrets(url)
        self._changed = 0
        self._prepared = False
        self._lock_timeout = LOCK_TIMEOUT_SECONDS
        self._connection = self._connect(url)
        try:
            with self._guard():
                self._configure()
                self._prepare(create=create and not readonly)
        except BaseException:
            self._connection.close()
            raise

    def _connect(self, url: str) -> psycopg.Connection[Any]:
        try:
            given = conninfo_to_dict(url)
            defaults = {
                "application_name": "residency",
                "connect_timeout": str(CONNECT_TIMEOUT_SECONDS),
            }
            conninfo = make_conninfo(
                url,
                **{name: value for name, value in defaults.items() if name not in given},
                client_encoding="UTF8",
            )
        except psycopg.ProgrammingError as error:
            detail = _scrubbed(" ".join(str(error).split()), self._secrets)
            message = f"not a PostgreSQL URL residency can use ({detail})"
            raise StoreUnavailable(message, path=self.location) from None
        with self._guard():
            return psycopg.connect(conninfo, autocommit=True)

    def _configure(self) -> None:
        """Set the session up, then listen.

        Listening comes before anything is read: no write may fall between what was read and
        the first notification heard.
        """
        connection = self._connection
        # A store opened to write keeps the database's own default: a database made
        # read-only (or a standby) still refuses its writes.
        read_only = ", set_config('default_transaction_read_only', 'on', false)"
        connection.execute(
            "SELECT set_config('search_path', %s, false), "
            f"set_config('lock_timeout', %s, false){read_only if self.readonly else ''}",
            (_SEARCH_PATH, f"{self._lock_timeout * 1000:.0f}ms"),
        )
        connection.add_notify_handler(self._heard)
        connection.execute(f"LISTEN {CHANNEL}")

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self._connection.close()

    # --- opening --------------------------------------------------------------------------

    def _prepare(self, *, create: bool) -> None:
        encoding = self._connection.info.parameter_status("server_encoding")
        if encoding != "UTF8":
            message = (
                f"the database's encoding is {encoding}, which cannot hold every agreement: a "
                "store needs a UTF8 database (CREATE DATABASE ... ENCODING 'UTF8')"
            )
            raise StoreUnavailable(message, path=self.location)
        state = self._state()
        if state != "taken":
            if not create:
                message = (
                    "the database holds no agreement store (no schema residency; residency "
                    "creates none to read one)"
                )
                raise StoreMissing(message, path=self.location)
            self._create()
        self._check_mark()

    def _state(self) -> str:
        """``"none"``, ``"empty"`` (a schema residency without objects) or ``"taken"``."""
        row = self._connection.execute(
            """
            SELECT n.oid IS NOT NULL,
                EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = n.oid)
                OR EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = n.oid)
                OR EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = n.oid)
            FROM (SELECT 1) AS one
            LEFT JOIN pg_namespace AS n ON n.nspname = 'residency'
            """
        ).fetchone()
        assert row is not None  # noqa: S101 - one row, always
        if not row[0]:
            return "none"
        return "taken" if row[1] else "empty"

    def _create(self) -> None:
        connection = self._connection
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", _CREATE_LOCK)
            state = self._state()  # another host may have made it meanwhile
            if state != "taken":
                for statement in _schema(make_schema=state == "none"):
                    connection.execute(statement)

    def _check_mark(self) -> None:
        connection = self._connection
        found = connection.execute(
            """
            SELECT count(*) FROM pg_attribute
            WHERE attrelid = to_regclass('residency.store')
                AND attname IN ('application_id', 'schema_version') AND NOT attisdropped
                AND atttypid = 'integer'::regtype
            """
        ).fetchone()
        if found is None or found[0] != 2:
            message = "a schema residency, but not a residency agreement store (no mark)"
            raise StoreCorrupt(message, path=self.location)
        marks = connection.execute(
            "SELECT application_id, schema_version FROM residency.store"
        ).fetchall()
        if len(marks) != 1:
            message = (
                f"a schema residency whose mark has {len(marks)} rows, not one: not a store "
                "residency can read"
            )
            raise StoreCorrupt(message, path=self.location)
        application_id, version = marks[0]
        if application_id != APPLICATION_ID:
            message = (
                "a schema residency, but not a residency agreement store "
                f"(application_id {application_id:#x}, not {APPLICATION_ID:#x})"
            )
            raise StoreCorrupt(message, path=self.location)
        if version > SCHEMA_VERSION:
            message = (
                f"written by a newer residency (store schema version {version}; this version "
                f"reads {SCHEMA_VERSION}): upgrade residency to open it"
            )
            raise StoreCorrupt(message, path=self.location)
        if version < SCHEMA_VERSION:
            message = (
                f"a store of an earlier residency (schema version {version}): carry its "
                "agreements into a new store with `residency agreements import OLD --store NEW`"
            )
            raise StoreCorrupt(message, path=self.location)

    def schema_problems(self) -> list[str]:
        """How the schema differs from the one residency made; empty when it is the same."""
        with self._guard():
            return _Catalog(self._connection).problems()

    def integrity_problems(self) -> list[str]:
        """Nothing: PostgreSQL checks its own pages as it reads them (an error, if damaged)."""
        return []

    # --- reads -----------------------------------------------------------------------------

    def events(self, after: int = 0) -> Iterator[Row]:
        """Every event after ``after``, by seq, read a page at a time."""
        query = f"SELECT {_COLUMNS} FROM {_EVENTS} WHERE seq > %s ORDER BY seq LIMIT {_PAGE}"
        while True:
            rows = self._rows(query, (after,), prepare=False)
            yield from rows
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def events_of(self, agreement_id: str) -> list[Row]:
        """The events of one agreement, by seq."""
        return self._rows(
            f"SELECT {_COLUMNS} FROM {_EVENTS} WHERE agreement_id = %s ORDER BY version",
            (agreement_id,),
        )

    def latest_of(self, agreement_id: str) -> Row | None:
        """The last event of one agreement; ``None`` when the store has none."""
        rows = self._rows(_LATEST_OF, (agreement_id,))
        return rows[0] if rows else None

    def latest_of_account(self, account_id: str) -> list[tuple[str, str, str]]:
        """(account, agreement id, snapshot) of the last event of each agreement of an account.

        The fast path of the store's hottest read: one prepared statement run straight through
        libpq, which is half the time of the driver's own path (its reference twin is
        :meth:`_latest_of_account_plain`, and a test pins the two equal). It reads every event
        of the account, in order, and keeps the last of each agreement: an agreement's events
        all belong to one account, versions in the order of ``seq``.
        """
        if unstorable(account_id):
            return []  # no agreement can carry it (libpq would cut the id at a NUL)
        pgconn = self._connection.pgconn
        with self._guard():
            if not self._prepared:
                _succeeded(pgconn.prepare(_ACCOUNT_STATEMENT, _ACCOUNT_EVENTS.encode()))
                self._prepared = True
            result = _succeeded(pgconn.exec_prepared(_ACCOUNT_STATEMENT, [account_id.encode()]))
        latest: dict[str, str] = {}
        value = result.get_value
        for row in range(result.ntuples):
            agreement_id = bytes(value(row, 0) or b"").decode()
            latest.pop(agreement_id, None)  # a later version: it goes last, where its seq is
            latest[agreement_id] = bytes(value(row, 1) or b"").decode()
        return [(account_id, agreement_id, text) for agreement_id, text in latest.items()]

    def _latest_of_account_plain(self, account_id: str) -> list[tuple[str, str, str]]:
        """:meth:`latest_of_account` the plain way: the driver, and the rule as SQL."""
        if unstorable(account_id):
            return []
        return self._rows(_LATEST_OF_ACCOUNT, (account_id,))

    def latest_all(self, *, by_account: bool) -> Iterator[tuple[str, str, str]]:
        """(account, agreement id, snapshot) of every agreement's last event.

        Grouped by account with ``by_account``, else in the order the agreements were added.
        Read a page at a time, as the store stood at its head when the reading began: the
        events after it (appended while reading) are left out, so no agreement is read twice.
        """
        head = self.head()[0]
        if by_account:
            yield from self._latest_by_account(head)
        else:
            yield from self._latest_by_add(head)

    def _latest_by_account(self, head: int) -> Iterator[tuple[str, str, str]]:
        # Every event, by account then seq, straight from the index; the last event of each
        # agreement is kept as in latest_of_account, an account at a time.
        # (The head is left out of the query: the plan stays the index's, whatever the
        # planner believes of the table's size.)
        query = f"""
            SELECT account_id, agreement_id, snapshot, seq FROM {_EVENTS}
            WHERE (account_id, seq) > (%s, %s)
            ORDER BY account_id, seq LIMIT {_PAGE}
        """
        after: tuple[str, int] = ("", 0)
        current = ""
        latest: dict[str, str] = {}
        while True:
            rows: list[tuple[str, str, str, int]] = self._rows(query, after, prepare=False)
            for account, agreement_id, text, seq in rows:
                if seq > head:
                    continue
                if account != current:
                    yield from ((current, key, value) for key, value in latest.items())
                    current, latest = account, {}
                latest.pop(agreement_id, None)
                latest[agreement_id] = text
            if len(rows) < _PAGE:
                break
            after = (rows[-1][0], rows[-1][3])
        yield from ((current, key, value) for key, value in latest.items())

    def _latest_by_add(self, head: int) -> Iterator[tuple[str, str, str]]:
        query = f"""
            SELECT e.account_id, e.agreement_id, e.snapshot, a.seq
            FROM {_EVENTS} AS a CROSS JOIN LATERAL (
                SELECT account_id, agreement_id, snapshot FROM {_EVENTS} AS l
                WHERE l.agreement_id = a.agreement_id AND l.seq <= %s
                ORDER BY l.version DESC LIMIT 1
            ) AS e
            WHERE a.version = 1 AND a.seq > %s AND a.seq <= %s
            ORDER BY a.seq LIMIT {_PAGE}
        """
        seq = 0
        while True:
            rows: list[tuple[str, str, str, int]] = self._rows(
                query, (head, seq, head), prepare=False
            )
            for row in rows:
                yield row[:3]
            if len(rows) < _PAGE:
                return
            seq = rows[-1][3]

    def packed(self) -> Iterator[tuple[str, str]]:
        """(account, its agreements' last snapshots joined by newlines), as of the head.

        The server groups them: a million agreements come as a few hundred thousand rows,
        streamed. Only when some agreement was changed does it look for last versions.
        """
        head = self.head()[0]
        with self._guard():
            changed = bool(self._rows(_ANY_CHANGED, prepare=False))
            query, parameters = (_PACKED_LATEST, (head, head)) if changed else (_PACKED, (head,))
            yield from self._connection.cursor().stream(query, parameters)

    def count(self) -> int:
        """How many agreements the store holds."""
        (count,) = self._rows(f"SELECT count(*) FROM {_EVENTS} WHERE version = 1")[0]
        return int(count)

    def head(self) -> tuple[int, str]:
        """The last event's (seq, hash); ``(0, GENESIS)`` for an empty store."""
        rows = self._rows(_HEAD)
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)

    def changes(self) -> int:
        """A number that changes whenever a connection has written to the store.

        Counts the notifications the writers' transactions sent: those the driver took in
        while it read other results, and those waiting on the socket, taken in without
        waiting. A notification reaches the other connections a moment after the commit;
        the writes of this process's own stores count from the moment they commit, so that
        what this process wrote it reads at once.
        """
        pgconn = self._connection.pgconn
        try:
            pgconn.consume_input()
        except psycopg.Error as error:
            raise self._typed(error) from None
        while pgconn.notifies() is not None:
            self._changed += 1
        return self._changed + _COMMITTED[0]

    def _heard(self, _notify: psycopg.Notify) -> None:
        self._changed += 1

    def accounts_since(self, seq: int) -> set[str]:
        """The accounts with an event after ``seq``."""
        query = f"SELECT DISTINCT account_id FROM {_EVENTS} WHERE seq > %s"
        rows = self._rows(query, (seq,), prepare=False)
        return {row[0] for row in rows}

    def _rows(
        self, query: str, parameters: tuple[object, ...] = (), *, prepare: bool = True
    ) -> list[Any]:
        """The rows of ``query``.

        ``prepare`` keeps its plan, for lookups by a key, whose best plan the table's size
        does not change; ranges are planned anew for their bounds.
        """
        with self._guard():
            return self._connection.execute(query, parameters, prepare=prepare).fetchall()

    # --- writes ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[PostgresWriter]:
        """One transaction that holds the writers' lock from its start."""
        if self.readonly:
            message = "opened read-only: open it without readonly=True to record changes"
            raise StoreReadOnly(message, path=self.location)
        connection = self._connection
        with self._guard(writing=True):
            with connection.transaction():
                connection.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", _WRITE_LOCK, prepare=True
                )
                writer = PostgresWriter(connection)
                yield writer
            with _COMMITTING:
                _COMMITTED[0] += 1
        if writer.appended >= ANALYZE_AFTER:
            self._analyze()

    def _analyze(self) -> None:
        """Bring the planner's statistics up to date after a bulk import.

        Until autovacuum gets to it, the planner would take the history for the size it had
        before the import, and plan every read as for a small table (scans and sorts of the
        whole table, at a million events). A role that does not own the table is only
        warned by PostgreSQL, and any failure here leaves the write, already committed, as
        it is.
        """
        with contextlib.suppress(psycopg.Error):
            self._connection.execute(f"ANALYZE {_EVENTS}")

    @contextlib.contextmanager
    def _guard(self, *, writing: bool = False) -> Iterator[None]:
        """Turn the driver's errors into the store's typed ones."""
        try:
            yield
        except psycopg.Error as error:
            raise self._typed(error, writing=writing) from None

    def _typed(self, error: psycopg.Error, *, writing: bool = False) -> StoreError:
        detail = _scrubbed(" ".join(str(error).split()), self._secrets)
        state = error.sqlstate or ""
        if state == "42501" and writing:
            state = "25006"  # no privilege to write: read-only, for this role
        if not state and isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            state = "08000"  # the driver's own: no server, a connection lost or closed
        kind, says = next(
            ((kind, says) for prefixes, kind, says in _STATES if state.startswith(prefixes)),
            (StoreError, "PostgreSQL failed"),
        )
        message = says.format(timeout=self._lock_timeout)
        return kind(f"{message} ({detail})", path=self.location)


class PostgresWriter:
    """What a write transaction reads and appends."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self.appended = 0
        """How many events the transaction appended."""

    def head(self) -> tuple[int, str]:
        """The last event's (seq, hash)."""
        row = self._connection.execute(_HEAD, prepare=True).fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def latest(self, agreement_id: str) -> Row | None:
        """The last event of one agreement."""
        row: Row | None = self._connection.execute(
            _LATEST_OF, (agreement_id,), prepare=True
        ).fetchone()
        return row

    def known(self, agreement_ids: Iterable[str]) -> set[str]:
        """Which of ``agreement_ids`` the store already holds."""
        rows = self._connection.execute(
            f"SELECT agreement_id FROM {_EVENTS} WHERE version = 1 AND agreement_id = ANY(%s)",
            (list(agreement_ids),),
            # Planned anew each time: a plan kept from when the table was small would scan
            # the whole table for every id once it is large.
            prepare=False,
        ).fetchall()
        return {row[0] for row in rows}

    def insert(self, rows: Iterable[Row]) -> None:
        """Append ``rows`` (made by :func:`residency._chain.link`, in order), in one statement.

        The rows stream to the server as they come, so that it stores them while the next
        are made; the append trigger checks them all at the statement's end.

        Raises:
            Taken: an ``add`` whose agreement id the store holds already.
        """
        try:
            with self._connection.cursor().copy(_COPY) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
                    self.appended += 1
        except psycopg.errors.UniqueViolation as error:
            if error.diag.constraint_name == _IDS_TAKEN:
                raise Taken from None
            raise


class _Catalog:
    """The live schema, read from PostgreSQL's catalogs and compared with the one made here."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def problems(self) -> list[str]:
        tables = self._tables()
        problems = [f"table residency.{name} was dropped" for name in _TABLES if name not in tables]
        problems += self._table_problems(tables)
        problems += self._column_problems()
        problems += _compared("constraint", self._constraints(), _expected(_CONSTRAINTS))
        problems += _compared("index", self._indexes(), _expected(_INDEXES))
        problems += self._trigger_problems()
        problems += self._function_problems()
        problems += [f"rule {name} on {table} was added" for name, table in self._rules()]
        problems += [f"policy {name} on {table} was added" for name, table in self._policies()]
        problems += [
            f"table {child} was made to inherit from {parent}"
            for child, parent in self._inheritance()
        ]
        if "store" in tables:
            problems += self._mark_problems()
        return problems

    def _all(self, query: str) -> list[Any]:
        return self._connection.execute(query, prepare=True).fetchall()

    def _tables(self) -> dict[str, tuple[str, str, bool, bool]]:
        return {
            name: (kind, persistence, security, forced)
            for name, kind, persistence, security, forced in self._all(
                """
                SELECT relname, relkind::text, relpersistence::text, relrowsecurity,
                    relforcerowsecurity
                FROM pg_class
                WHERE relnamespace = 'residency'::regnamespace
                    AND relname IN ('agreement_event', 'store')
                """
            )
        }

    @staticmethod
    def _table_problems(tables: dict[str, tuple[str, str, bool, bool]]) -> list[str]:
        problems = []
        for name, (kind, persistence, security, forced) in sorted(tables.items()):
            if kind != "r":
                problems.append(f"table residency.{name} was replaced by a relation of kind {kind}")
            if persistence != "p":
                problems.append(f"table residency.{name} was made unlogged or temporary")
            if security or forced:
                problems.append(f"row-level security was enabled on table residency.{name}")
        return problems

    def _column_problems(self) -> list[str]:
        # Their order is no matter: every statement of the store names its columns.
        found: set[tuple[str, str]] = set()
        for table, name, definition in self._all(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
                || CASE WHEN a.attcollation NOT IN (0, 100) THEN ' COLLATE '
                    || a.attcollation::regcollation::text ELSE '' END
                || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                || CASE WHEN a.atthasdef THEN ' DEFAULT' ELSE '' END
                || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
                || CASE WHEN a.attidentity <> '' THEN ' IDENTITY' ELSE '' END
            FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'residency'::regnamespace
                AND c.relname IN ('agreement_event', 'store')
                AND a.attnum > 0 AND NOT a.attisdropped
            """
        ):
            found.add((f"{table}.{name}", definition))
        tables = {name.split(".")[0] for name, _ in found}  # a dropped table is said once
        expected = {
            (f"{table}.{name}", f"{kind} NOT NULL")
            for table, columns in _TABLES.items()
            if table in tables
            for name, kind in columns
        }
        return _compared("column", found, expected)

    def _constraints(self) -> set[tuple[str, str]]:
        return {
            (name, definition)
            for name, definition in self._all(
                """
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid IN (
                    to_regclass('residency.agreement_event'), to_regclass('residency.store')
                ) AND contype <> 'n'
                """
            )
        }

    def _indexes(self) -> set[tuple[str, str]]:
        return {
            (name, definition if valid else f"{definition} (invalid)")
            for name, definition, valid in self._all(
                """
                SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid AND i.indisready
                FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
                WHERE i.indrelid IN (
                    to_regclass('residency.agreement_event'), to_regclass('residency.store')
                )
                """
            )
        }

    def _trigger_problems(self) -> list[str]:
        found = self._all(
            """
            SELECT tgname, pg_get_triggerdef(oid), tgenabled::text FROM pg_trigger
            WHERE tgrelid IN (
                to_regclass('residency.agreement_event'), to_regclass('residency.store')
            )
            """
        )
        expected = {(name, _trigger_sql(name)) for name in _TRIGGERS}
        problems = _compared("trigger", {(name, sql) for name, sql, _ in found}, expected)
        for name, _, enabled in sorted(found):
            if name not in _TRIGGERS:
                continue
            if enabled == "D":
                problems.append(f"trigger {name} is disabled")
            elif enabled != "A":
                how = "ENABLE REPLICA TRIGGER" if enabled == "R" else "ENABLE TRIGGER"
                problems.append(
                    f"trigger {name} was made to fire only in some sessions ({how}), not always"
                )
        return problems

    def _function_problems(self) -> list[str]:
        found = {
            name: (language, definer, settings, source)
            for name, language, definer, settings, source in self._all(
                """
                SELECT p.oid::regprocedure::text, l.lanname, p.prosecdef,
                    coalesce(array_to_string(p.proconfig, ', '), ''), p.prosrc
                FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
                WHERE p.pronamespace = 'residency'::regnamespace
                """
            )
        }
        problems = []
        for name, source in _FUNCTIONS.items():
            signature = f"{name}()"
            if signature not in found:
                problems.append(f"function {name} was dropped")
            elif found[signature] != ("plpgsql", False, f"search_path={_SEARCH_PATH}", source):
                problems.append(f"function {name} was rewritten")
        return problems

    def _rules(self) -> list[tuple[str, str]]:
        return sorted(
            self._all(
                """
                SELECT rulename, tablename FROM pg_rules WHERE schemaname = 'residency'
                """
            )
        )

    def _policies(self) -> list[tuple[str, str]]:
        return sorted(
            self._all(
                "SELECT policyname, tablename FROM pg_policies WHERE schemaname = 'residency'"
            )
        )

    def _inheritance(self) -> list[tuple[str, str]]:
        return sorted(
            self._all(
                """
                SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits
                WHERE inhparent IN (
                    to_regclass('residency.agreement_event'), to_regclass('residency.store')
                ) OR inhrelid IN (
                    to_regclass('residency.agreement_event'), to_regclass('residency.store')
                )
                """
            )
        )

    def _mark_problems(self) -> list[str]:
        marks = self._all("SELECT application_id, schema_version FROM residency.store")
        if marks != [(APPLICATION_ID, SCHEMA_VERSION)]:
            return ["the store's mark (residency.store) was changed"]
        return []


def _succeeded(result: PGresult) -> PGresult:
    """``result`` when its statement succeeded; else the driver's error for it."""
    if result.status in {ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK}:
        return result
    raise error_from_result(result)


def _expected(objects: dict[str, tuple[str, str]]) -> set[tuple[str, str]]:
    return {(name, printed) for name, (_, printed) in objects.items()}


def _compared(kind: str, found: set[tuple[str, str]], expected: set[tuple[str, str]]) -> list[str]:
    """Problems as SQLite's backend words them: dropped, rewritten, added."""
    names = {name for name, _ in found}
    problems = [
        f"{kind} {name} was {'rewritten' if name in names else 'dropped'}"
        for name, _ in sorted(expected - found)
    ]
    known = {name for name, _ in expected}
    problems.extend(
        f"{kind} {name} was added" for name, _ in sorted(found - expected) if name not in known
    )
    return problems


def _shown_url(url: str) -> str:
    """``url`` without its password, in the user part or in the query, for messages."""
    from residency.store import _redacted  # noqa: PLC0415 - the store's own rule for URLs

    return re.sub(r"([?&]password=)[^&]*", r"\1***", _redacted(url))


def _secrets(url: str) -> tuple[str, ...]:
    """The password ``url`` holds, as given and as decoded, to keep it out of messages."""
    from urllib.parse import unquote, urlsplit  # noqa: PLC0415

    found: set[str] = set()
    with contextlib.suppress(ValueError):
        password = urlsplit(url).password
        if password:
            found.update({password, unquote(password)})
    for match in re.finditer(r"[?&]password=([^&]*)", url):
        if match[1]:
            found.update({match[1], unquote(match[1])})
    return tuple(sorted(found, key=len, reverse=True))


def _scrubbed(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
