"""The store backends the contract tests run against: a SQLite file and a PostgreSQL database.

``target`` (in ``conftest.py``) gives each test a fresh, empty store target of each backend:
the path of a file that does not exist yet, and the URL of a new database on the PostgreSQL
server the test session started (``tests/postgres.py``). :func:`raw` opens the database
behind a target directly, as an attacker or a careless operator would, bypassing residency.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tomllib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from residency import Agreement, load_policy
from residency._data import read_bytes

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Iterator, Sequence

    from residency import Policy

START = datetime(2026, 1, 1, tzinfo=UTC)
"""When the agreements of the store tests start."""

BACKENDS = ("sqlite", "postgres")
"""The backends every contract test runs on."""


def backend_of(target: str) -> str:
    """``"postgres"`` for a URL, else ``"sqlite"``."""
    return "postgres" if target.startswith(("postgresql://", "postgres://")) else "sqlite"


class Raw:
    """A plain connection in autocommit mode: ``execute`` runs one statement and returns rows."""

    def __init__(self, target: str) -> None:
        self.backend = backend_of(target)
        self._connection: Any
        if self.backend == "sqlite":
            self._connection = sqlite3.connect(target, isolation_level=None)
        else:
            import psycopg  # noqa: PLC0415 - only for PostgreSQL targets

            self._connection = psycopg.connect(target, autocommit=True)

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``?`` placeholders on SQLite, ``%s`` on PostgreSQL); return its rows."""
        cursor = self._connection.execute(sql, tuple(parameters))
        description = cursor.description
        return [tuple(row) for row in cursor.fetchall()] if description else []

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


@contextlib.contextmanager
def raw(target: str) -> Iterator[Raw]:
    """A :class:`Raw` connection to the database behind ``target``, closed afterwards."""
    connection = Raw(target)
    try:
        yield connection
    finally:
        connection.close()


def placeholder(target: str) -> str:
    """The parameter placeholder of the backend of ``target``."""
    return "%s" if backend_of(target) == "postgres" else "?"


def events_table(target: str) -> str:
    """The name of the event table, as raw SQL must write it."""
    return "residency.agreement_event" if backend_of(target) == "postgres" else "agreement_event"


def wider_policy(folder: pathlib.Path) -> Policy:
    """The bundled policy with one more data center, ``linode-us-extra`` in region US.

    For agreements recorded under a catalog that a later catalog (the bundled one) no longer
    matches: an example catalog, written to ``folder``.
    """
    data = tomllib.loads(read_bytes("catalog.toml").decode("utf-8"))
    first = next(dc for dc in data["data_centers"] if dc["region"] == "US")
    data["data_centers"].append(dict(first, id="linode-us-extra"))
    path = folder / "wider-catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_policy(path)


def agreement(agreement_id: str = "agr-1", account_id: str = "acme", **fields: object) -> Agreement:
    """Return an agreement to the US from START, with ``fields`` replaced."""
    values: dict[str, object] = {"destinations": ["US"], "valid_from": START} | fields
    return Agreement(id=agreement_id, account_id=account_id, **values)  # type: ignore[arg-type]
