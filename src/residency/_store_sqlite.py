"""The agreement store on SQLite: one file on one host, the embedded default.

The history is one table, ``agreement_event``, whose rows are those of :mod:`residency._chain`.
The database enforces the history's rules itself: triggers refuse ``UPDATE`` and ``DELETE``,
and an insert that does not append the next event in order, linked to the hash of the one
before it, of the next version of a live agreement of the same account. What a trigger cannot
check cheaply (the hashes themselves, that a snapshot is the agreement of its row, the fields
an amendment never changes) the store checks on open (the hashes) and in ``verify()`` (all);
the schema itself is compared, statement by statement, with the one below.

Writes are ``BEGIN IMMEDIATE`` transactions with ``synchronous = FULL``, in SQLite's rollback
journal mode: writers in any number of processes take turns, and a writer killed half-way
leaves a journal that the next writer rolls back, so nothing of its write remains. Readers open
the file with ``mode=ro``: they never write, never change the journal mode, and in rollback
mode need no file beside the store (WAL mode would make every reader create ``-wal`` and
``-shm`` files, and fail in a folder it cannot write). A store some other tool put in WAL mode
is read and written as it is. Until a writer has rolled back what a killed writer left, a
reader refuses the store (``StoreReadOnly``) rather than read it half-written.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import stat
from typing import TYPE_CHECKING, Any, Final

from residency._chain import GENESIS, Row, Taken
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
    import pathlib
    from collections.abc import Iterable, Iterator

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteBackend"]

SCHEMA_VERSION: Final = 2
"""The schema version this code writes (``PRAGMA user_version``); others are refused."""

APPLICATION_ID: Final = 0x52455359
"""``PRAGMA application_id`` of a residency store (ASCII ``RESY``): marks the file as ours."""

BUSY_TIMEOUT_SECONDS: Final = 10.0
"""How long a write waits for another writer (in any process) before it gives up."""

_CHUNK: Final = 2_000
_ROWS_AT_A_TIME: Final = 1_000
_CHANGE_COUNTER: Final = 24
"""Where the database header keeps its file change counter (4 bytes, big-endian)."""
_MMAP_BYTES: Final = 1 << 30
_CACHE_KIB: Final = 65_536

_TABLE: Final = """CREATE TABLE agreement_event (
    seq           INTEGER PRIMARY KEY CHECK (seq > 0),
    kind          TEXT NOT NULL CHECK (kind IN ('add', 'amend', 'revoke')),
    agreement_id  TEXT NOT NULL CHECK (agreement_id <> ''),
    account_id    TEXT NOT NULL CHECK (account_id <> ''),
    version       INTEGER NOT NULL CHECK (version > 0 AND (version = 1) = (kind = 'add')),
    recorded_at   INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    note          TEXT NOT NULL,
    snapshot      TEXT NOT NULL CHECK (snapshot LIKE '{"id":%}'),
    prev_hash     TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash          TEXT NOT NULL CHECK (length(hash) = 64),
    UNIQUE (agreement_id, version)
) STRICT"""

_REFUSE = "SELECT RAISE(ABORT, 'residency: the history is append-only')"

# One statement each: executescript() would commit the transaction the schema is created in.
_SCHEMA: Final = (
    _TABLE,
    "CREATE INDEX agreement_event_by_account ON agreement_event (account_id, seq)",
    f"""CREATE TRIGGER agreement_event_no_update BEFORE UPDATE ON agreement_event
BEGIN
    {_REFUSE};
END""",
    f"""CREATE TRIGGER agreement_event_no_delete BEFORE DELETE ON agreement_event
BEGIN
    {_REFUSE};
END""",
    # Every insert appends the next event, linked to the one before it. INSERT OR REPLACE
    # would delete the row it replaces without firing the DELETE trigger: refused here too.
    f"""CREATE TRIGGER agreement_event_append BEFORE INSERT ON agreement_event
BEGIN
    SELECT RAISE(ABORT, 'residency: an event is appended as the next seq')
    WHERE NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM agreement_event);
    SELECT RAISE(ABORT, 'residency: an event carries the hash of the event before it')
    WHERE NEW.prev_hash IS NOT coalesce(
        (SELECT hash FROM agreement_event WHERE seq = NEW.seq - 1), '{GENESIS}'
    );
    SELECT RAISE(ABORT, 'residency: a change follows the last version of a live agreement')
    WHERE NEW.version > 1 AND NOT EXISTS (
        SELECT 1 FROM agreement_event
        WHERE agreement_id = NEW.agreement_id
            AND version = NEW.version - 1
            AND account_id = NEW.account_id
            AND json_type(snapshot, '$.revoked_at') IS NULL
    );
END""",
)

# What sqlite_schema must hold, exactly: (type, name, table, sql); sql None for autoindexes.
_EXPECTED: Final = frozenset(
    {
        ("table", "agreement_event", "agreement_event", _SCHEMA[0]),
        ("index", "sqlite_autoindex_agreement_event_1", "agreement_event", None),
        ("index", "agreement_event_by_account", "agreement_event", _SCHEMA[1]),
        ("trigger", "agreement_event_no_update", "agreement_event", _SCHEMA[2]),
        ("trigger", "agreement_event_no_delete", "agreement_event", _SCHEMA[3]),
        ("trigger", "agreement_event_append", "agreement_event", _SCHEMA[4]),
    }
)

_COLUMNS: Final = (
    "seq, kind, agreement_id, account_id, version, recorded_at, actor, note, snapshot, "
    "prev_hash, hash"
)
_TAKEN: Final = "UNIQUE constraint failed: agreement_event.agreement_id, agreement_event.version"
"""SQLite's message when an event's (agreement_id, version) is taken: the table's UNIQUE."""
_INSERT: Final = (
    f"INSERT INTO agreement_event ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The last version of each agreement: no event of the next version exists.
_LATEST: Final = """
    SELECT account_id, agreement_id, snapshot FROM agreement_event AS e
    WHERE NOT EXISTS (
        SELECT 1 FROM agreement_event AS n
        WHERE n.agreement_id = e.agreement_id AND n.version = e.version + 1
    )
"""
_ANY_CHANGED: Final = "SELECT 1 FROM agreement_event WHERE version > 1 LIMIT 1"
_PACKED: Final = """
    SELECT account_id, group_concat(snapshot, char(10)) FROM agreement_event
    GROUP BY account_id
"""
_PACKED_LATEST: Final = """
    SELECT account_id, group_concat(snapshot, char(10)) FROM agreement_event AS e
    WHERE NOT EXISTS (
        SELECT 1 FROM agreement_event AS n
        WHERE n.agreement_id = e.agreement_id AND n.version = e.version + 1
    )
    GROUP BY account_id
"""
_LATEST_BY_ADD: Final = """
    SELECT e.account_id, e.agreement_id, e.snapshot
    FROM agreement_event AS e JOIN agreement_event AS a
        ON a.agreement_id = e.agreement_id AND a.version = 1
    WHERE NOT EXISTS (
        SELECT 1 FROM agreement_event AS n
        WHERE n.agreement_id = e.agreement_id AND n.version = e.version + 1
    )
    ORDER BY a.seq
"""


def _same(sql: str | None) -> str | None:
    return None if sql is None else " ".join(sql.split())


class SQLiteBackend:
    """The rows of :mod:`residency._chain` in one SQLite file."""

    kind: Final = "sqlite"

    def __init__(
        self, path: pathlib.Path, *, create: bool, readonly: bool, make_folder: bool
    ) -> None:
        """Open (or, with ``create``, make) the store at ``path``; see the module docstring."""
        self.path = path
        self.location = str(path)
        self.readonly = readonly
        self._counter: int | None = None
        exists = self._check_path(create=create, make_folder=make_folder)
        if readonly:
            uri = f"{path.absolute().as_uri()}?mode=ro"
        elif exists:
            uri = f"{path.absolute().as_uri()}?mode=rw"
        else:
            uri = f"{path.absolute().as_uri()}?mode=rwc"
        with self._guard():
            self._connection = sqlite3.connect(
                uri, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, uri=True
            )
        try:
            with self._guard():
                self._prepare(create=create and not readonly)
        except BaseException:
            self._connection.close()
            raise

    def _check_path(self, *, create: bool, make_folder: bool) -> bool:
        """Whether the file exists; refuse anything but a regular file or a creatable one."""
        path = self.path
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as error:  # a parent that is a file, a loop, no permission
            message = f"cannot be reached ({error.strerror or error})"
            raise StoreUnavailable(message, path=self.location) from None
        _check_beside(path, self.location)
        if mode is not None:
            if not stat.S_ISREG(mode):
                message = "not a regular file, so not an agreement store"
                raise StoreUnavailable(message, path=self.location)
            return True
        if not create or self.readonly:
            message = "no such file (residency creates no store to read one)"
            raise StoreMissing(message, path=self.location)
        parent = path.parent
        if make_folder:
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                message = f"its folder cannot be made ({error.strerror or error})"
                raise StoreUnavailable(message, path=self.location) from None
        elif not parent.is_dir():
            message = (
                f"the folder {parent} does not exist (residency makes only the default "
                "store's folder; make it, or name a store in an existing folder)"
            )
            raise StoreMissing(message, path=self.location)
        return False

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self._connection.close()
        counter, self._counter = self._counter, None
        if counter is not None:
            os.close(counter)

    # --- opening --------------------------------------------------------------------------

    def _prepare(self, *, create: bool) -> None:
        connection = self._connection
        if create and _is_empty(connection):
            with self._transaction():
                if _is_empty(connection):  # another process may have made it a store meanwhile
                    for statement in _SCHEMA:
                        connection.execute(statement)
                    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._check_header()
        # Read through a memory map and keep more pages: a million agreements are ~400 MB.
        connection.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        if not self.readonly:
            connection.execute("PRAGMA synchronous = FULL")
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()  # reads, changes nothing
        if str(mode).lower() != "wal":
            with contextlib.suppress(OSError):
                self._counter = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)

    def _check_header(self) -> None:
        connection = self._connection
        application_id, version = _header(connection)
        if application_id != APPLICATION_ID:
            if (application_id, version) == (0, 0) and _is_empty(connection):
                message = "an empty SQLite database, not an agreement store"
            else:
                message = (
                    "an SQLite database, but not a residency agreement store "
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
                f"a store of an earlier residency (schema version {version}), without the hash "
                "chain: carry its agreements into a new store with "
                "`residency agreements import OLD --store NEW`"
            )
            raise StoreCorrupt(message, path=self.location)

    def schema_problems(self) -> list[str]:
        """How the schema differs from the one residency made; empty when it is the same."""
        with self._guard():
            found = {
                (kind, name, table, _same(sql))
                for kind, name, table, sql in self._connection.execute(
                    "SELECT type, name, tbl_name, sql FROM sqlite_schema"
                )
            }
        expected = {(kind, name, table, _same(sql)) for kind, name, table, sql in _EXPECTED}
        names = {item[1] for item in found}
        problems = [
            f"{kind} {name} was dropped" if name not in names else f"{kind} {name} was rewritten"
            for kind, name, _, _ in sorted(expected - found, key=lambda item: item[1])
        ]
        known = {item[1] for item in expected}
        problems.extend(
            f"{kind} {name} was added"
            for kind, name, _, _ in sorted(found - expected)
            if name not in known
        )
        return problems

    def integrity_problems(self) -> list[str]:
        """What SQLite's own check finds wrong in the file; empty when nothing."""
        with self._guard():
            rows = self._connection.execute("PRAGMA quick_check").fetchall()
        return [] if rows == [("ok",)] else [str(row[0]) for row in rows]

    # --- reads -----------------------------------------------------------------------------

    def events(self, after: int = 0) -> Iterator[Row]:
        """Every event after ``after``, by seq, read as it goes."""
        with self._guard():
            cursor = self._connection.execute(
                f"SELECT {_COLUMNS} FROM agreement_event WHERE seq > ? ORDER BY seq", (after,)
            )
            while rows := cursor.fetchmany(4096):
                yield from rows

    def events_of(self, agreement_id: str) -> list[Row]:
        """The events of one agreement, by seq."""
        return self._rows(
            f"SELECT {_COLUMNS} FROM agreement_event WHERE agreement_id = ? ORDER BY version",
            (agreement_id,),
        )

    def latest_of(self, agreement_id: str) -> Row | None:
        """The last event of one agreement; ``None`` when the store has none."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM agreement_event WHERE agreement_id = ? "
            "ORDER BY version DESC LIMIT 1",
            (agreement_id,),
        )
        return rows[0] if rows else None

    def latest_of_account(self, account_id: str) -> list[tuple[str, str, str]]:
        """(account, agreement id, snapshot) of the last event of each agreement of an account."""
        return self._rows(f"{_LATEST} AND account_id = ? ORDER BY seq", (account_id,))

    def latest_all(self, *, by_account: bool) -> Iterator[tuple[str, str, str]]:
        """(account, agreement id, snapshot) of every agreement's last event.

        With ``by_account``, in whatever order is fastest (the caller groups them by
        account); else in the order the agreements were added.
        """
        # Read in the table's own order, which is fastest: callers group by account.
        query = _LATEST if by_account else _LATEST_BY_ADD
        with self._guard():
            cursor = self._connection.execute(query)
            while rows := cursor.fetchmany(4096):
                yield from rows

    def packed(self) -> Iterator[tuple[str, str]]:
        """(account, its agreements' last snapshots joined by newlines, in the order recorded).

        The database groups them itself: a million agreements go out as a few hundred
        thousand rows. Only when some agreement was changed does it look for last versions.
        """
        with self._guard():
            connection = self._connection
            changed = connection.execute(_ANY_CHANGED).fetchone() is not None
            cursor = connection.execute(_PACKED_LATEST if changed else _PACKED)
            while rows := cursor.fetchmany(4096):
                yield from rows

    def count(self) -> int:
        """How many agreements the store holds."""
        (count,) = self._rows("SELECT count(*) FROM agreement_event WHERE version = 1")[0]
        return int(count)

    def head(self) -> tuple[int, str]:
        """The last event's (seq, hash); ``(0, GENESIS)`` for an empty store."""
        rows = self._rows("SELECT seq, hash FROM agreement_event ORDER BY seq DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)

    def changes(self) -> int:
        """A number that changes whenever another connection has written to the store.

        In rollback-journal mode, the file change counter of the database header (bytes 24
        to 27, which SQLite increments on every commit), read straight from the file: a
        system call, where ``PRAGMA data_version`` costs a statement and a lock. In WAL mode
        (a store some other tool switched), ``data_version``.
        """
        counter = self._counter
        if counter is not None:
            try:
                return int.from_bytes(os.pread(counter, 4, _CHANGE_COUNTER), "big")
            except OSError:
                pass
        with self._guard():
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def accounts_since(self, seq: int) -> set[str]:
        """The accounts with an event after ``seq``."""
        rows = self._rows("SELECT DISTINCT account_id FROM agreement_event WHERE seq > ?", (seq,))
        return {row[0] for row in rows}

    def _rows(self, query: str, parameters: tuple[object, ...] = ()) -> list[Any]:
        with self._guard():
            return self._connection.execute(query, parameters).fetchall()

    # --- writes ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[SQLiteWriter]:
        """One transaction that holds the write lock from its start."""
        if self.readonly:
            message = "opened read-only: open it without readonly=True to record changes"
            raise StoreReadOnly(message, path=self.location)
        with self._guard(), self._transaction():
            yield SQLiteWriter(self._connection)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors into the store's typed ones."""
        try:
            yield
        except StoreError:
            raise  # already typed: an OSError too, which the last clause would wrap again
        except sqlite3.Error as error:
            raise self._typed(error) from error
        except UnicodeError as error:  # text SQLite holds that is not UTF-8
            message = f"holds text that is not UTF-8 ({error})"
            raise StoreCorrupt(message, path=self.location) from error
        except OSError as error:
            message = f"cannot be used ({error.strerror or error})"
            raise StoreUnavailable(message, path=self.location) from error

    def _typed(self, error: sqlite3.Error) -> StoreError:  # noqa: PLR0911 - a table of codes
        name = getattr(error, "sqlite_errorname", "")
        location = self.location
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            message = f"locked by another writer for longer than {BUSY_TIMEOUT_SECONDS:g} s"
            return StoreLocked(message, path=location)
        if name.startswith("SQLITE_FULL"):
            return StoreFull("the disk is full: nothing was written", path=location)
        if name.startswith("SQLITE_READONLY"):
            message = f"the file cannot be written ({error}): nothing was written"
            return StoreReadOnly(message, path=location)
        if name.startswith("SQLITE_NOTADB"):
            return StoreCorrupt(f"not an SQLite database ({error})", path=location)
        if name.startswith("SQLITE_CORRUPT"):
            return StoreCorrupt(f"a damaged SQLite database ({error})", path=location)
        if name.startswith("SQLITE_CONSTRAINT"):
            # residency's own writes satisfy every rule: a refusal means the history changed.
            message = f"the database refused an event that follows its rules ({error})"
            return StoreTampered(message, path=location)
        if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
            return StoreUnavailable(f"cannot be opened ({error})", path=location)
        if name.startswith("SQLITE_IOERR"):
            return StoreUnavailable(f"an input/output error ({error})", path=location)
        return StoreError(f"SQLite failed ({error})", path=location)


class SQLiteWriter:
    """What a write transaction reads and appends."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def head(self) -> tuple[int, str]:
        """The last event's (seq, hash)."""
        row = self._connection.execute(
            "SELECT seq, hash FROM agreement_event ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def latest(self, agreement_id: str) -> Row | None:
        """The last event of one agreement."""
        row: Row | None = self._connection.execute(
            f"SELECT {_COLUMNS} FROM agreement_event WHERE agreement_id = ? "
            "ORDER BY version DESC LIMIT 1",
            (agreement_id,),
        ).fetchone()
        return row

    def known(self, agreement_ids: Iterable[str]) -> set[str]:
        """Which of ``agreement_ids`` the store already holds."""
        ids = list(agreement_ids)
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(
                row[0]
                for row in self._connection.execute(
                    "SELECT agreement_id FROM agreement_event "
                    f"WHERE version = 1 AND agreement_id IN ({marks})",
                    chunk,
                )
            )
        return found

    def insert(self, rows: Iterable[Row]) -> None:
        """Append ``rows`` (made by :func:`residency._chain.link`, in order, as they come).

        Raises:
            Taken: an ``add`` whose agreement id the store holds already.
        """
        # A thousand rows at a time: made all together, then written all together, which
        # keeps each side's working memory in the processor's caches (a third faster than
        # one stream, at a million rows; and nothing like a million rows is ever held).
        rows = iter(rows)
        try:
            while chunk := list(itertools.islice(rows, _ROWS_AT_A_TIME)):
                self._connection.executemany(_INSERT, chunk)
        except sqlite3.IntegrityError as error:
            if str(error) == _TAKEN:
                raise Taken from None
            raise


def legacy_snapshots(path: pathlib.Path) -> list[tuple[str, str, str]] | None:
    """(account, agreement id, snapshot) of each agreement of a residency 0.1 store (schema 1).

    In the order they were added; ``None`` when ``path`` is no such store. Read-only.
    """
    try:
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if _header(connection) != (APPLICATION_ID, 1):
            return None
        rows = connection.execute(
            """
            SELECT a.account_id, a.id, (
                SELECT snapshot FROM agreement_event AS e
                WHERE e.agreement_id = a.id ORDER BY e.seq DESC LIMIT 1
            )
            FROM agreement AS a ORDER BY a.rowid
            """
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return [(str(account), str(agreement_id), str(text)) for account, agreement_id, text in rows]


def _check_beside(path: pathlib.Path, location: str) -> None:
    """Refuse a store beside which SQLite's own files are not regular files (a FIFO hangs)."""
    for suffix in ("-journal", "-wal", "-shm"):
        beside = path.with_name(path.name + suffix)
        try:
            kind = beside.lstat().st_mode
        except OSError:
            continue
        if not stat.S_ISREG(kind):
            message = f"{beside.name} beside it is not a regular file, which SQLite would open"
            raise StoreUnavailable(message, path=location)


def _header(connection: sqlite3.Connection) -> tuple[int, int]:
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(application_id), int(version)


def _is_empty(connection: sqlite3.Connection) -> bool:
    """Whether the database is blank: no mark of any program and not one schema object."""
    if _header(connection) != (0, 0):
        return False
    return connection.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone() is None
