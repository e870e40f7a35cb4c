"""The durable agreement store: every agreement, revocation and change, kept on SQLite.

An :class:`AgreementStore` is one SQLite file. Each ``add``, ``revoke`` and ``amend`` appends one
:class:`Event` that holds the whole agreement as it stands after the event; nothing is updated in
place or deleted, and the database itself refuses ``UPDATE`` and ``DELETE`` on its history. The
current state of an agreement is its latest snapshot, and ``history()`` shows how it got there.

Every write is one ``BEGIN IMMEDIATE`` transaction, so writers in several processes take turns
and a writer killed half-way leaves nothing behind.

>>> import pathlib, tempfile
>>> from datetime import UTC, datetime
>>> with (
...     tempfile.TemporaryDirectory() as folder,
...     AgreementStore(pathlib.Path(folder) / "agreements.sqlite3") as store,
... ):
...     store.add(
...         Agreement(
...             id="agr-1",
...             account_id="acme",
...             destinations=["US"],
...             valid_from=datetime(2026, 1, 1, tzinfo=UTC),
...             basis="customer-consent",
...             reference="ticket 4711",
...         ),
...         actor="alice",
...     )
...     revoked = store.revoke("agr-1", at=datetime(2026, 7, 1, tzinfo=UTC), note="withdrawn")
...     print([event.kind.value for event in store.history("agr-1")])
...     print(store.in_force("acme", datetime(2026, 6, 30, tzinfo=UTC))[0].id)
...     print(store.in_force("acme", datetime(2026, 7, 1, tzinfo=UTC)))
['add', 'revoke']
agr-1
()
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import pathlib
import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Self

import attrs

from residency._text import shown
from residency._time import moment
from residency.agreements import Agreement, AgreementIndex
from residency.errors import (
    AgreementConflict,
    InvalidTime,
    StoreError,
    UnknownAgreement,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["UNCHANGED", "AgreementStore", "Event", "EventKind", "default_store_path"]

ENVIRONMENT_VARIABLE: Final = "RESIDENCY_AGREEMENTS"
"""The environment variable that names the default store file, when set."""

SCHEMA_VERSION: Final = 1
"""The schema version this code writes (``PRAGMA user_version``); newer files are refused."""

APPLICATION_ID: Final = 0x52455359
"""``PRAGMA application_id`` of a residency store (ASCII ``RESY``): marks the file as ours."""

BUSY_TIMEOUT_SECONDS: Final = 10.0
"""How long a write waits for another writer (in any process) before it gives up."""

_TABLES: Final = frozenset({"agreement", "agreement_event"})
_TRIGGERS: Final = frozenset(
    {
        "agreement_no_update",
        "agreement_no_delete",
        "agreement_event_no_update",
        "agreement_event_no_delete",
        "agreement_no_replace",
        "agreement_event_no_replace",
    }
)

# One statement each: executescript() would commit the transaction the schema is created in.
_SCHEMA: Final = (
    """
    CREATE TABLE agreement (
        id          TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
        account_id  TEXT NOT NULL CHECK (account_id <> ''),
        UNIQUE (id, account_id)
    )
    """,
    "CREATE INDEX agreement_by_account ON agreement (account_id)",
    """
    CREATE TABLE agreement_event (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL CHECK (kind IN ('add', 'revoke', 'amend')),
        agreement_id  TEXT NOT NULL,
        account_id    TEXT NOT NULL,
        recorded_at   TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-*Z'),
        actor         TEXT NOT NULL,
        note          TEXT NOT NULL,
        snapshot      TEXT NOT NULL CHECK (
            json_valid(snapshot)
            AND json_extract(snapshot, '$.id') = agreement_id
            AND json_extract(snapshot, '$.account_id') = account_id
        ),
        FOREIGN KEY (agreement_id, account_id) REFERENCES agreement (id, account_id)
    )
    """,
    "CREATE INDEX agreement_event_by_agreement ON agreement_event (agreement_id, seq)",
    # The database, not only this code, allows one add and one revocation per agreement.
    """
    CREATE UNIQUE INDEX agreement_event_one_add
        ON agreement_event (agreement_id) WHERE kind = 'add'
    """,
    """
    CREATE UNIQUE INDEX agreement_event_one_revoke
        ON agreement_event (agreement_id) WHERE kind = 'revoke'
    """,
    *(
        f"""
        CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
        BEGIN
            SELECT RAISE(ABORT, 'residency: the {table} table is append-only');
        END
        """
        for table in ("agreement", "agreement_event")
        for action in ("UPDATE", "DELETE")
    ),
    # INSERT OR REPLACE deletes the row it replaces without firing DELETE triggers (unless
    # recursive_triggers is on, which no one can count on), so inserts that would replace abort.
    """
    CREATE TRIGGER agreement_no_replace BEFORE INSERT ON agreement
    WHEN EXISTS (SELECT 1 FROM agreement WHERE id = NEW.id)
    BEGIN
        SELECT RAISE(ABORT, 'residency: the agreement table is append-only');
    END
    """,
    """
    CREATE TRIGGER agreement_event_no_replace BEFORE INSERT ON agreement_event
    WHEN EXISTS (SELECT 1 FROM agreement_event WHERE seq = NEW.seq)
        OR (NEW.kind IN ('add', 'revoke') AND EXISTS (
            SELECT 1 FROM agreement_event
            WHERE agreement_id = NEW.agreement_id AND kind = NEW.kind
        ))
    BEGIN
        SELECT RAISE(ABORT, 'residency: the agreement_event table is append-only');
    END
    """,
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)

_INSERT_EVENT: Final = """
    INSERT INTO agreement_event
        (kind, agreement_id, account_id, recorded_at, actor, note, snapshot)
    VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_HISTORY: Final = """
    SELECT seq, kind, agreement_id, recorded_at, actor, note, snapshot
    FROM agreement_event ORDER BY seq
"""
_HISTORY_OF: Final = """
    SELECT seq, kind, agreement_id, recorded_at, actor, note, snapshot
    FROM agreement_event WHERE agreement_id = ? ORDER BY seq
"""
# The latest snapshot of each agreement, in the order the agreements were added.
_CURRENT: Final = """
    SELECT (
        SELECT snapshot FROM agreement_event AS e
        WHERE e.agreement_id = a.id ORDER BY e.seq DESC LIMIT 1
    )
    FROM agreement AS a
"""


class EventKind(enum.StrEnum):
    """What an event did to an agreement."""

    ADD = "add"
    """The agreement was recorded for the first time."""
    REVOKE = "revoke"
    """The agreement was revoked; ``revoked_at`` is set from here on."""
    AMEND = "amend"
    """The window end, the destinations or the reference changed."""


class _Unchanged(enum.Enum):
    UNCHANGED = "unchanged"

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged.UNCHANGED
"""The default of :meth:`AgreementStore.amend`'s fields: keep the value the agreement has."""


@attrs.frozen
class Event:
    """One recorded change of one agreement, with the agreement as it stood after it."""

    seq: int
    """The position in the store's history, increasing in the order events were recorded."""
    kind: EventKind
    """What happened: ``add``, ``revoke`` or ``amend``."""
    agreement_id: str
    """The id of the agreement concerned."""
    recorded_at: datetime
    """When the store recorded the event (aware, UTC), by the writer's clock."""
    actor: str
    """Who made the change, as the writer named them; empty when not given."""
    note: str
    """Why, in the writer's words; empty when not given."""
    agreement: Agreement
    """The whole agreement as it stood after the event."""

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data; the agreement in the field names of agreement files."""
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "agreement_id": self.agreement_id,
            "recorded_at": _utc_text(self.recorded_at),
            "actor": self.actor,
            "note": self.note,
            "agreement": self.agreement.to_dict(),
        }


def default_store_path() -> pathlib.Path:
    """Return the store file used when none is named.

    ``$RESIDENCY_AGREEMENTS`` when set; otherwise ``residency/agreements.sqlite3`` under
    ``$XDG_DATA_HOME``, or under ``~/.local/share`` when that is unset, empty or relative (as
    the XDG Base Directory specification asks).
    """
    explicit = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if explicit:
        return pathlib.Path(explicit).expanduser()
    data_home = pathlib.Path(os.environ.get("XDG_DATA_HOME", ""))
    if not data_home.is_absolute():
        data_home = pathlib.Path.home() / ".local" / "share"
    return data_home / "residency" / "agreements.sqlite3"


class AgreementStore:
    """Agreements on SQLite, with every add, revocation and amendment kept as history.

    Open one per thread (an SQLite connection stays in the thread that made it) and close it,
    or use it as a context manager. Any number of stores, in any number of processes, may
    share one file.
    """

    __slots__ = ("_connection", "_path")

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        """Open the store at ``path`` (:func:`default_store_path` for ``None``).

        A missing file, and missing parent folders, are created, unless ``create`` is false:
        then only an existing store opens (a reader that merely looks creates nothing). A file
        that is not a residency store, or was written by a newer residency, is refused with
        :class:`~residency.errors.StoreError`, and nothing is written to it.
        """
        self._path = pathlib.Path(path) if path is not None else default_store_path()
        if create:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            target: str | pathlib.Path = self._path
        elif not self._path.is_file():
            message = "no such file (asked to open an existing store, residency creates none)"
            raise StoreError(message, path=str(self._path))
        else:
            target = self._path.absolute().as_uri() + "?mode=rw"  # never creates the file
        with self._guard():
            self._connection = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, uri=not create
            )
        try:
            with self._guard():
                self._prepare(create=create)
        except BaseException:
            self._connection.close()
            raise

    @property
    def path(self) -> pathlib.Path:
        """The store's file."""
        return self._path

    def __repr__(self) -> str:
        return f"<AgreementStore {str(self._path)!r}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store's connection; closing twice is harmless."""
        self._connection.close()

    # --- writes ------------------------------------------------------------------------------

    def add(self, agreement: Agreement, *, actor: str = "", note: str = "") -> None:
        """Record a new agreement; an id the store already holds is refused, and kept as it was.

        Raises:
            AgreementConflict: the store already holds an agreement with this id.
        """
        with self._write() as connection:
            _refuse_known(connection, agreement.id)
            connection.execute(
                "INSERT INTO agreement (id, account_id) VALUES (?, ?)",
                (agreement.id, agreement.account_id),
            )
            _append(connection, EventKind.ADD, agreement, actor, note)

    def add_many(self, agreements: Iterable[Agreement], *, actor: str = "", note: str = "") -> int:
        """Record many new agreements in one transaction: all of them, or none; return how many.

        For importing an agreements file: one transaction is far faster than one per agreement.

        Raises:
            AgreementConflict: an id is already in the store, or twice in ``agreements``;
                nothing is written.
        """
        batch = tuple(agreements)
        seen: set[str] = set()
        with self._write() as connection:
            for agreement in batch:
                if agreement.id in seen:
                    message = f"agreement {shown(agreement.id)} is given twice; nothing was written"
                    raise AgreementConflict(message, agreement=agreement.id)
                seen.add(agreement.id)
                _refuse_known(connection, agreement.id)
            connection.executemany(
                "INSERT INTO agreement (id, account_id) VALUES (?, ?)",
                ((agreement.id, agreement.account_id) for agreement in batch),
            )
            connection.executemany(
                _INSERT_EVENT, (_event_row(EventKind.ADD, a, actor, note) for a in batch)
            )
        return len(batch)

    def revoke(
        self, agreement_id: str, *, at: datetime, actor: str = "", note: str = ""
    ) -> Agreement:
        """Record that the agreement is revoked from the instant ``at`` on, and return it.

        Raises:
            InvalidTime: ``at`` is naive or not a datetime.
            AgreementConflict: the store holds no such agreement, or it was revoked already
                (the first revocation stands).
        """
        when = _instant("at", at)
        with self._write() as connection:
            current = self._current(connection, agreement_id)
            if current.revoked_at is not None:
                message = (
                    f"agreement {shown(agreement_id)} was already revoked at "
                    f"{current.revoked_at.isoformat()}; the first revocation stands"
                )
                raise AgreementConflict(message, agreement=agreement_id)
            revoked = attrs.evolve(current, revoked_at=when)
            _append(connection, EventKind.REVOKE, revoked, actor, note)
        return revoked

    def amend(  # noqa: PLR0913 - keyword-only fields, one per thing an amendment may change
        self,
        agreement_id: str,
        *,
        valid_until: datetime | None | _Unchanged = UNCHANGED,
        destinations: Iterable[str] | _Unchanged = UNCHANGED,
        reference: str | _Unchanged = UNCHANGED,
        actor: str = "",
        note: str = "",
    ) -> Agreement:
        """Record a change of the window end, the destinations or the reference; return the result.

        The change is a new event: the agreement as it was stays in the history. Fields left
        :data:`UNCHANGED` keep their value; ``valid_until=None`` means no end. The id, the
        account, the start and a revocation cannot change.

        Raises:
            TypeError: no field to change was given.
            InvalidAgreement: the amended agreement is invalid (say, its window would end
                before it starts); nothing is written.
            InvalidTime: ``valid_until`` is naive.
            AgreementConflict: the store holds no such agreement, or the amendment changes
                nothing.
        """
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("valid_until", valid_until),
                ("destinations", destinations),
                ("reference", reference),
            )
            if value is not UNCHANGED
        }
        if not changes:
            message = "amend() needs at least one of valid_until, destinations or reference"
            raise TypeError(message)
        with self._write() as connection:
            current = self._current(connection, agreement_id)
            amended = attrs.evolve(current, **changes)
            if amended == current:
                message = f"the amendment changes nothing in agreement {shown(agreement_id)}"
                raise AgreementConflict(message, agreement=agreement_id)
            _append(connection, EventKind.AMEND, amended, actor, note)
        return amended

    # --- reads -------------------------------------------------------------------------------

    def get(self, agreement_id: str) -> Agreement:
        """Return the agreement as it stands now.

        Raises:
            AgreementConflict: the store holds no such agreement.
        """
        with self._guard():
            return self._current(self._connection, agreement_id)

    def all(self) -> tuple[Agreement, ...]:
        """Every agreement as it stands now, in the order they were added."""
        return self._select(f"{_CURRENT} ORDER BY a.rowid")

    def for_account(self, account_id: str) -> tuple[Agreement, ...]:
        """The agreements of ``account_id`` as they stand now, by ``valid_from`` then id."""
        found = self._select(f"{_CURRENT} WHERE a.account_id = ?", (account_id,))
        return tuple(sorted(found, key=lambda agreement: (agreement.valid_from, agreement.id)))

    def in_force(self, account_id: str, at: datetime | None = None) -> tuple[Agreement, ...]:
        """The agreements of ``account_id`` in force at ``at`` (now by default), in order.

        Raises:
            InvalidTime: ``at`` is naive or not a datetime.
        """
        when = moment(at)
        return tuple(
            agreement for agreement in self.for_account(account_id) if agreement.in_force(when)
        )

    def index(self) -> AgreementIndex:
        """Every agreement as it stands now, indexed by account for ``check_transfer``."""
        return AgreementIndex(self.all())

    def history(self, agreement_id: str | None = None) -> tuple[Event, ...]:
        """Every event of one agreement, or of the whole store, in the order recorded.

        Raises:
            AgreementConflict: an ``agreement_id`` was given that the store does not hold.
        """
        with self._guard():
            if agreement_id is None:
                rows = self._connection.execute(_HISTORY).fetchall()
            else:
                rows = self._connection.execute(_HISTORY_OF, (agreement_id,)).fetchall()
        if agreement_id is not None and not rows:
            raise _unknown(agreement_id)
        return tuple(self._event(*row) for row in rows)

    def __len__(self) -> int:
        with self._guard():
            (count,) = self._connection.execute("SELECT COUNT(*) FROM agreement").fetchone()
        return int(count)

    # --- machinery ---------------------------------------------------------------------------

    def _prepare(self, *, create: bool) -> None:
        """Make an empty file a store, or check that the file is one this code can read."""
        connection = self._connection
        connection.execute("PRAGMA foreign_keys = ON")
        if create and _is_empty(connection):
            with self._transaction():
                if _is_empty(connection):  # another process may have made it a store meanwhile
                    for statement in _SCHEMA:
                        connection.execute(statement)
        self._check()
        # Only now, on a file known to be a store: the mode is written into the file itself.
        self._enable_wal()
        connection.execute("PRAGMA synchronous = FULL")

    def _enable_wal(self) -> None:
        """Put the file in WAL mode (once per file; it persists), waiting out other processes."""
        connection = self._connection
        if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        # Changing the journal mode does not wait for a lock through the busy timeout, so two
        # processes opening a new file at once would fail here without a wait of our own.
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                connection.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as error:
                busy = getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
            else:
                return

    def _check(self) -> None:
        connection = self._connection
        application_id, version = _header(connection)
        if application_id != APPLICATION_ID:
            message = (
                "an SQLite database, but not a residency agreement store "
                f"(application_id {application_id:#x}, not {APPLICATION_ID:#x})"
            )
            raise self._invalid(message)
        if version > SCHEMA_VERSION:
            message = (
                f"written by a newer residency (store schema version {version}; this version "
                f"reads up to {SCHEMA_VERSION}): upgrade residency to open it"
            )
            raise self._invalid(message)
        if version < 1:
            message = f"a residency store without a schema version ({version})"
            raise self._invalid(message)
        names = {
            (kind, name)
            for kind, name in connection.execute("SELECT type, name FROM sqlite_schema")
        }
        wanted = {("table", name) for name in _TABLES} | {("trigger", name) for name in _TRIGGERS}
        missing = sorted(wanted - names)
        if missing:
            listed = ", ".join(f"{kind} {name}" for kind, name in missing)
            message = f"a damaged residency store: it lacks {listed}"
            raise self._invalid(message)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run the body as one transaction that holds the write lock from its start."""
        with self._guard(), self._transaction():
            yield self._connection

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's word for a file that is no database, or a damaged one, into ours."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            name = getattr(error, "sqlite_errorname", "")
            if name.startswith("SQLITE_NOTADB"):
                message = f"not an SQLite database ({error})"
            elif name.startswith("SQLITE_CORRUPT"):
                message = f"a damaged SQLite database ({error})"
            elif name.startswith("SQLITE_CANTOPEN"):
                message = f"cannot be opened as a database file ({error})"
            elif name.startswith("SQLITE_BUSY"):
                message = f"locked by another writer for longer than {BUSY_TIMEOUT_SECONDS:g} s"
            else:
                raise
            raise self._invalid(message) from error

    def _invalid(self, message: str, where: str = "") -> StoreError:
        return StoreError(message, path=str(self._path), where=where)

    def _current(self, connection: sqlite3.Connection, agreement_id: str) -> Agreement:
        row = connection.execute(
            "SELECT seq, snapshot FROM agreement_event WHERE agreement_id = ? "
            "ORDER BY seq DESC LIMIT 1",
            (agreement_id,),
        ).fetchone()
        if row is None:
            raise _unknown(agreement_id)
        return self._snapshot(row[1], f"agreement_event[{row[0]}]")

    def _select(self, query: str, parameters: tuple[str, ...] = ()) -> tuple[Agreement, ...]:
        with self._guard():
            rows = self._connection.execute(query, parameters).fetchall()
        return tuple(self._snapshot(snapshot, "agreement") for (snapshot,) in rows)

    def _event(  # noqa: PLR0913 - one argument per column of the event table
        self,
        seq: int,
        kind: str,
        agreement_id: str,
        recorded_at: str,
        actor: str,
        note: str,
        snapshot: str,
    ) -> Event:
        where = f"agreement_event[{seq}]"
        try:
            return Event(
                seq=seq,
                kind=EventKind(kind),
                agreement_id=agreement_id,
                recorded_at=datetime.fromisoformat(recorded_at),
                actor=actor,
                note=note,
                agreement=self._snapshot(snapshot, where),
            )
        except ValueError as error:
            message = f"an unreadable event ({error})"
            raise self._invalid(message, where) from error

    def _snapshot(self, text: str, where: str) -> Agreement:
        """Read an agreement back from the JSON of ``Agreement.to_dict()``."""
        try:
            data = json.loads(text)
            return Agreement(
                id=data["id"],
                account_id=data["account_id"],
                destinations=data["destinations"],
                valid_from=_time(data["valid_from"]),
                valid_until=_optional_time(data["valid_until"]),
                revoked_at=_optional_time(data["revoked_at"]),
                basis=data["basis"],
                reference=data["reference"],
            )
        except (KeyError, TypeError, ValueError) as error:
            message = f"an unreadable agreement snapshot ({error!r})"
            raise self._invalid(message, where) from error


def _refuse_known(connection: sqlite3.Connection, agreement_id: str) -> None:
    known = connection.execute("SELECT 1 FROM agreement WHERE id = ?", (agreement_id,))
    if known.fetchone() is not None:
        message = (
            f"the store already holds agreement {shown(agreement_id)}; it was kept as it was "
            "(use amend or revoke to change it) and nothing was written"
        )
        raise AgreementConflict(message, agreement=agreement_id)


def _append(
    connection: sqlite3.Connection, kind: EventKind, agreement: Agreement, actor: str, note: str
) -> None:
    connection.execute(_INSERT_EVENT, _event_row(kind, agreement, actor, note))


def _event_row(
    kind: EventKind, agreement: Agreement, actor: str, note: str
) -> tuple[str, str, str, str, str, str, str]:
    snapshot = json.dumps(agreement.to_dict(), ensure_ascii=False, separators=(",", ":"))
    recorded_at = _utc_text(datetime.now(UTC))
    return (kind.value, agreement.id, agreement.account_id, recorded_at, actor, note, snapshot)


def _header(connection: sqlite3.Connection) -> tuple[int, int]:
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(application_id), int(version)


def _is_empty(connection: sqlite3.Connection) -> bool:
    """Whether the database is blank: no mark of any program and not one schema object."""
    if _header(connection) != (0, 0):
        return False
    return connection.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone() is None


def _unknown(agreement_id: str) -> UnknownAgreement:
    return UnknownAgreement(agreement_id)


def _instant(name: str, value: object) -> datetime:
    if value is None:  # moment() would read None as "now"; a revocation names its instant
        message = f"{name} must be an aware datetime, not None"
        raise InvalidTime(message, value=value)
    return moment(value)


def _optional_time(value: object) -> datetime | None:
    return None if value is None else _time(value)


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        message = f"a time is RFC 3339 text, not {shown(value)}"
        raise TypeError(message)
    return datetime.fromisoformat(value)


def _utc_text(value: datetime) -> str:
    """``value`` as RFC 3339 text in UTC with microseconds: ``2026-01-01T00:00:00.000000Z``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
