"""The durable agreement store: every agreement, revocation and change, tamper-evident.

An :class:`AgreementStore` keeps agreements on SQLite (a file path: one host, the embedded
default) or on PostgreSQL (a ``postgresql://`` URL: every provisioning host of a deployment
shares it; the driver is in the ``postgres`` extra). Both keep the same contract:

- **Append-only.** Each ``add``, ``revoke`` and ``amend`` appends one :class:`Event` holding
  the whole agreement as it stands after it. The database itself refuses to update, delete or
  truncate the history, and refuses an insert that is not the next event in order.
- **Tamper-evident.** Each event carries the hash of the event before it. Opening a store
  checks the chain and that the schema (tables, indexes, triggers, by their SQL) is the one
  residency made; :meth:`~AgreementStore.verify` also checks every rule of the history. An
  inserted, altered or removed event, or a dropped or rewritten trigger or index, is a
  :class:`~residency.errors.StoreTampered` naming the first bad event.
- **No lost update.** ``amend`` and ``revoke`` name the ``version`` the caller read; if
  another process or host changed the agreement since, they raise
  :class:`~residency.errors.AgreementConflict` and write nothing.
- **Validated writes.** Each write is checked against the catalog of the store's policy (the
  bundled catalog by default): a destination it lacks is refused. An agreement that a later
  catalog, or this version of residency, cannot interpret never breaks other accounts: it is
  an :class:`~residency.agreements.UnusableAgreement` that allows nothing, named by the
  decisions of its own account and by ``verify()``.
- **Reading never writes.** ``AgreementStore(path, readonly=True)`` opens SQLite with
  ``mode=ro`` (a read-only file works) and PostgreSQL in read-only transactions.
- **Typed failures.** Every failure is a :class:`~residency.errors.StoreError` subclass.

>>> import pathlib, tempfile
>>> from datetime import UTC, datetime
>>> with (
...     tempfile.TemporaryDirectory() as folder,
...     AgreementStore(pathlib.Path(folder) / "agreements.sqlite3") as store,
... ):
...     event = store.add(
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
...     revoked = store.revoke(
...         "agr-1", version=event.version, at=datetime(2026, 7, 1, tzinfo=UTC), note="withdrawn"
...     )
...     print([(event.kind.value, event.version) for event in store.history("agr-1")])
...     print(store.in_force("acme", datetime(2026, 6, 30, tzinfo=UTC))[0].id)
...     print(store.in_force("acme", datetime(2026, 7, 1, tzinfo=UTC)))
...     print(store.verify().events)
[('add', 1), ('revoke', 2)]
agr-1
()
2
"""

from __future__ import annotations

import enum
import json
import os
import pathlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol, Self, cast

import attrs

from residency import _chain
from residency._cache import RecentCache
from residency._text import quoted, shown
from residency._time import EPOCH, aware, micros, moment
from residency.agreements import Agreement, AgreementIndex, UnusableAgreement, unstorable
from residency.errors import (
    AgreementConflict,
    InvalidAgreement,
    InvalidTime,
    Problem,
    StoreCorrupt,
    StoreTampered,
    StoreUnavailable,
    UnknownAgreement,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from collections.abc import Set as AbstractSet
    from contextlib import AbstractContextManager

    from residency.policy import Policy

__all__ = [
    "UNCHANGED",
    "AgreementStore",
    "Event",
    "EventKind",
    "StoreReport",
    "default_store_path",
]

ENVIRONMENT_VARIABLE: Final = "RESIDENCY_AGREEMENTS"
"""The environment variable that names the default store (a file path or a PostgreSQL URL)."""

CACHE_SIZE: Final = 16_384
"""Accounts whose agreements a store keeps decoded for ``check_transfer``, per generation."""

_URL_SCHEMES: Final = ("postgresql://", "postgres://")


class EventKind(enum.StrEnum):
    """What an event did to an agreement."""

    ADD = "add"
    """The agreement was recorded for the first time (version 1)."""
    AMEND = "amend"
    """The window end, the destinations or the reference changed."""
    REVOKE = "revoke"
    """The agreement was revoked; it is final, and no event follows."""


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
    """The position in the store's history: 1, 2, 3, ... in the order events were recorded."""
    kind: EventKind
    """What happened: ``add``, ``amend`` or ``revoke``."""
    agreement_id: str
    """The id of the agreement concerned."""
    account_id: str
    """The account the agreement belongs to."""
    version: int
    """The agreement's version after the event: 1 for its ``add``, one more for each change.
    Name it to :meth:`AgreementStore.amend` or :meth:`~AgreementStore.revoke`."""
    recorded_at: datetime
    """When the store recorded the event (aware, UTC), by the writer's clock."""
    actor: str
    """Who made the change, as the writer named them; empty when not given."""
    note: str
    """Why, in the writer's words; empty when not given."""
    agreement: Agreement | UnusableAgreement
    """The whole agreement as it stood after the event (unusable when it cannot be read)."""
    hash: str = attrs.field(repr=False)
    """The event's hash, which the next event carries: the store's head when it is the last."""

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data; the agreement in the field names of agreement files."""
        agreement = self.agreement
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "agreement_id": self.agreement_id,
            "account_id": self.account_id,
            "version": self.version,
            "recorded_at": _utc_text(self.recorded_at),
            "actor": self.actor,
            "note": self.note,
            "agreement": agreement.to_dict() if isinstance(agreement, Agreement) else None,
            "unusable": agreement.reason if isinstance(agreement, UnusableAgreement) else None,
            "hash": self.hash,
        }


@attrs.frozen
class StoreReport:
    """What :meth:`AgreementStore.verify` found: the store is whole, and what it holds."""

    location: str
    """The store: its file, or its URL without the password."""
    events: int
    """How many events the history holds, every one checked."""
    agreements: int
    """How many agreements."""
    head: str
    """The hash of the last event: record it elsewhere to prove later that nothing before it
    changed (``verify(head=...)``)."""
    unusable: tuple[UnusableAgreement, ...]
    """Agreements that cannot be used with the store's catalog, each with the reason."""

    @property
    def ok(self) -> bool:
        """Whether every agreement can be used."""
        return not self.unusable

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "store": self.location,
            "events": self.events,
            "agreements": self.agreements,
            "head": self.head,
            "unusable": [
                {"id": item.id, "account_id": item.account_id, "reason": item.reason}
                for item in self.unusable
            ],
        }


class _Writer(Protocol):
    def head(self) -> tuple[int, str]: ...
    def latest(self, agreement_id: str) -> _chain.Row | None: ...
    def known(self, agreement_ids: Iterable[str]) -> set[str]: ...
    def insert(self, rows: Iterable[_chain.Row]) -> None:
        """Append ``rows`` as they come; raise :class:`_chain.Taken` for an id already held."""


class _Backend(Protocol):
    """What a database gives the store: the rows of :mod:`residency._chain`, and writes."""

    location: str
    readonly: bool

    def close(self) -> None: ...
    def schema_problems(self) -> list[str]: ...
    def integrity_problems(self) -> list[str]: ...
    def events(self, after: int = 0) -> Iterator[_chain.Row]: ...
    def events_of(self, agreement_id: str) -> list[_chain.Row]: ...
    def latest_of(self, agreement_id: str) -> _chain.Row | None: ...
    def latest_of_account(self, account_id: str) -> list[tuple[str, str, str]]: ...
    def latest_all(self, *, by_account: bool) -> Iterator[tuple[str, str, str]]: ...
    def count(self) -> int: ...
    def head(self) -> tuple[int, str]: ...
    def changes(self) -> int: ...
    def accounts_since(self, seq: int) -> set[str]: ...
    def write(self) -> AbstractContextManager[_Writer]: ...


def default_store_path() -> pathlib.Path:
    """Return the store file used when none is named (and ``$RESIDENCY_AGREEMENTS`` names none).

    ``residency/agreements.sqlite3`` under ``$XDG_DATA_HOME``, or under ``~/.local/share``
    when that is unset, empty or relative (as the XDG Base Directory specification asks).
    ``$RESIDENCY_AGREEMENTS``, when set to a path, is that path.
    """
    explicit = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if explicit and not explicit.startswith(_URL_SCHEMES):
        return pathlib.Path(explicit).expanduser()
    data_home = pathlib.Path(os.environ.get("XDG_DATA_HOME", ""))
    if not data_home.is_absolute():
        data_home = pathlib.Path.home() / ".local" / "share"
    return data_home / "residency" / "agreements.sqlite3"


def is_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL store (a ``postgresql://`` URL)."""
    return isinstance(target, str) and target.startswith(_URL_SCHEMES)


class AgreementStore:
    """Agreements with every add, revocation and amendment kept as a tamper-evident history.

    Open one per thread and close it, or use it as a context manager. Any number of stores, in
    any number of processes (and, on PostgreSQL, of hosts), may share one store.
    """

    __slots__ = ("_backend", "_cache", "_changes", "_policy", "_seen")

    def __init__(
        self,
        target: str | os.PathLike[str] | None = None,
        *,
        create: bool = True,
        readonly: bool = False,
        policy: Policy | None = None,
    ) -> None:
        """Open the store ``target``: a file path, or a ``postgresql://`` URL.

        ``None`` opens the default: ``$RESIDENCY_AGREEMENTS`` when set, else
        :func:`default_store_path`; only the default's folder is ever made. A missing store is
        made when ``create`` is true (an empty database becomes one), except ``readonly``,
        which never writes anything. ``policy`` gives the catalog that writes are checked
        against (the bundled one by default).

        Raises:
            StoreMissing: no store there (and ``create`` is false or ``readonly`` true), or
                the folder of an explicit path does not exist.
            StoreUnavailable: not a regular file, no permission, no server, no driver.
            StoreCorrupt: not a residency store, or one of another schema version.
            StoreTampered: the history or the schema was altered outside residency.
        """
        self._policy = policy
        self._backend = _open(target, create=create, readonly=readonly)
        try:
            self._check_schema()
            self._seen = self._check_chain()
            self._changes = self._backend.changes()
        except BaseException:
            self._backend.close()
            raise
        self._cache: RecentCache[str, AgreementIndex] = RecentCache(CACHE_SIZE, self._read_account)

    @property
    def location(self) -> str:
        """The store: its file, or its URL without the password."""
        return self._backend.location

    @property
    def path(self) -> pathlib.Path | None:
        """The store's file; ``None`` for a PostgreSQL store."""
        path: pathlib.Path | None = getattr(self._backend, "path", None)
        return path

    @property
    def readonly(self) -> bool:
        """Whether the store was opened read-only."""
        return self._backend.readonly

    def __repr__(self) -> str:
        return f"<AgreementStore {quoted(self.location)}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __bool__(self) -> bool:
        return True  # a store is a source of agreements, empty or not; len() asks the database

    def close(self) -> None:
        """Close the store's connection; closing twice is harmless."""
        self._backend.close()

    # --- writes ------------------------------------------------------------------------------

    def add(self, agreement: Agreement, *, actor: str = "", note: str = "") -> Event:
        """Record a new agreement and return its event (version 1).

        Raises:
            InvalidAgreement: ``agreement`` is no :class:`Agreement`, names a destination the
                catalog lacks, or ``actor`` or ``note`` is not storable text.
            AgreementConflict: the store already holds an agreement with this id; it is kept
                as it was.
        """
        return self._add([agreement], actor, note)[0][0]

    def add_many(self, agreements: Iterable[Agreement], *, actor: str = "", note: str = "") -> int:
        """Record many new agreements in one transaction: all of them, or none; return how many.

        For importing an agreements file: one transaction is far faster than one per agreement.

        Raises:
            InvalidAgreement: as :meth:`add`, for any of them; nothing is written.
            AgreementConflict: an id is already in the store, or twice in ``agreements``;
                nothing is written.
        """
        return self._add(agreements, actor, note, keep=False)[1]

    def revoke(
        self,
        agreement_id: str,
        *,
        version: int,
        at: datetime,
        actor: str = "",
        note: str = "",
    ) -> Agreement:
        """Record that the agreement is revoked from the instant ``at`` on, and return it.

        ``version`` is the version the caller read (:attr:`Event.version`). A revocation is
        final: nothing can follow it, and a new agreement takes a new id.

        Raises:
            InvalidTime: ``at`` is naive or not a datetime.
            UnknownAgreement: the store holds no such agreement.
            AgreementConflict: the agreement changed since ``version``, or was revoked already
                (the first revocation stands).
        """
        if (at_all := cast("object", at)) is None:
            message = "at must be an aware datetime, not None: a revocation names its instant"
            raise InvalidTime(message, value=at_all)
        when = aware(at, "at")
        return self._change(
            agreement_id, version, _chain.KINDS[2], {"revoked_at": when}, actor, note
        )

    def amend(  # noqa: PLR0913 - keyword-only fields, one per thing an amendment may change
        self,
        agreement_id: str,
        *,
        version: int,
        valid_until: datetime | None | _Unchanged = UNCHANGED,
        destinations: Iterable[str] | _Unchanged = UNCHANGED,
        reference: str | _Unchanged = UNCHANGED,
        actor: str = "",
        note: str = "",
    ) -> Agreement:
        """Record a change of the window end, the destinations or the reference; return the result.

        ``version`` is the version the caller read. The change is a new event: the agreement
        as it was stays in the history. Fields left :data:`UNCHANGED` keep their value;
        ``valid_until=None`` means no end. The id, the account, the start and the basis never
        change, and a revoked agreement is final.

        Raises:
            TypeError: no field to change was given.
            InvalidAgreement: the amended agreement is invalid (say, its window would end
                before it starts, or it names a destination the catalog lacks).
            InvalidTime: ``valid_until`` is naive.
            UnknownAgreement: the store holds no such agreement.
            AgreementConflict: the agreement changed since ``version``, is revoked, or the
                amendment changes nothing.
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
        return self._change(agreement_id, version, _chain.KINDS[1], changes, actor, note)

    # --- reads -------------------------------------------------------------------------------

    def get(self, agreement_id: str) -> Agreement:
        """Return the agreement as it stands now.

        Raises:
            UnknownAgreement: the store holds no such agreement.
            InvalidAgreement: it is recorded, but cannot be used; the message says why.
        """
        agreement = self.latest(agreement_id).agreement
        if isinstance(agreement, UnusableAgreement):
            problem = Problem("snapshot", agreement.reason)
            raise InvalidAgreement([problem], agreement=agreement_id, source=self.location)
        return agreement

    def latest(self, agreement_id: str) -> Event:
        """Return the last event of the agreement: it as it stands now, and its version.

        Raises:
            UnknownAgreement: the store holds no such agreement.
        """
        row = self._backend.latest_of(_text("agreement_id", agreement_id))
        if row is None:
            raise UnknownAgreement(agreement_id)
        return _event(row)

    def all(self) -> tuple[Agreement, ...]:
        """Every usable agreement as it stands now, in the order they were added.

        Agreements that cannot be used are left out: :meth:`verify` and :meth:`index` name
        them.
        """
        found = (
            _decoded(agreement_id, text, account)
            for account, agreement_id, text in self._backend.latest_all(by_account=False)
        )
        return tuple(agreement for agreement in found if isinstance(agreement, Agreement))

    def for_account(self, account_id: str) -> tuple[Agreement, ...]:
        """The usable agreements of ``account_id`` as they stand now, by ``valid_from`` then id."""
        return self._account_index(account_id).for_account(account_id)

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
        """Every agreement as it stands now, indexed by account, for many ``check_transfer``.

        The index is compact: each account's agreements stay in their stored form until a
        check first asks for that account. Agreements that cannot be used are in it as
        :class:`~residency.agreements.UnusableAgreement` (``index.unusable()``).
        """
        backend = self._backend
        packer = getattr(backend, "packed", None)
        if packer is not None:  # the database groups them
            packed: dict[str, str] = dict(packer())
            count = backend.count()
        else:
            grouped: dict[str, list[str]] = {}
            count = 0
            for account, _, text in backend.latest_all(by_account=True):
                grouped.setdefault(account, []).append(text)
                count += 1
            packed = {account: "\n".join(texts) for account, texts in grouped.items()}
            del grouped
        return AgreementIndex._from_packed(packed, count, _unpack)  # noqa: SLF001 - its maker

    def history(self, agreement_id: str | None = None) -> tuple[Event, ...]:
        """Every event of one agreement, or of the whole store, in the order recorded.

        Raises:
            UnknownAgreement: an ``agreement_id`` was given that the store does not hold.
        """
        if agreement_id is None:
            return tuple(_event(row) for row in self._backend.events())
        rows = self._backend.events_of(_text("agreement_id", agreement_id))
        if not rows:
            raise UnknownAgreement(agreement_id)
        return tuple(_event(row) for row in rows)

    def verify(self, *, head: str | None = None) -> StoreReport:
        """Check the whole store, and report what it holds.

        Checks the database file itself, that the schema is the one residency made, the hash
        chain of every event, and every rule of the history (:mod:`residency._chain`); then
        that every agreement can be used with the store's catalog. ``head``, a hash that an
        earlier ``verify()`` reported, must still be in the chain: what came before it was
        not rewritten, even by someone who recomputed the hashes after it.

        Raises:
            StoreTampered: naming the first bad event, or the schema object that differs.
            StoreCorrupt: SQLite's own check of the file found damage.
        """
        backend = self._backend
        problems = backend.integrity_problems()
        if problems:
            message = f"the database is damaged: {'; '.join(problems[:3])}"
            raise StoreCorrupt(message, path=self.location)
        self._check_schema()
        seen = [False]

        def rows() -> Iterator[_chain.Row]:
            for row in backend.events():
                if head is not None and row[10] == head:
                    seen[0] = True
                yield row

        try:
            last = _chain.check(rows(), rules=True)
        except _chain.Violation as violation:
            raise StoreTampered(
                violation.message, path=self.location, event=violation.seq
            ) from None
        self._refuse_shrunk(last)
        if head is not None and not seen[0]:
            message = f"the hash {quoted(head)} is no event of the chain: the history was rewritten"
            raise StoreTampered(message, path=self.location)
        count, unusable = self._unusable()
        return StoreReport(self.location, last[0], count, last[1], unusable)

    def _unusable(self) -> tuple[int, tuple[UnusableAgreement, ...]]:
        """How many agreements, and those that cannot be used with the store's catalog."""
        from residency.agreements import unknown_destinations  # noqa: PLC0415

        known = self._destinations()
        unusable: list[UnusableAgreement] = []
        count = 0
        for account, agreement_id, text in self._backend.latest_all(by_account=True):
            count += 1
            agreement = _decoded(agreement_id, text, account)
            if isinstance(agreement, UnusableAgreement):
                unusable.append(agreement)
            elif not agreement.destinations <= known:
                unusable.append(unknown_destinations(agreement, known))
        return count, tuple(unusable)

    def __len__(self) -> int:
        return self._backend.count()

    # --- check_transfer ----------------------------------------------------------------------

    def _index_for(self, account_id: str, known: AbstractSet[str]) -> AgreementIndex:
        """The account's agreements, read from the store once and kept until it changes."""
        return self._account_index(account_id)._index_for(account_id, known)  # noqa: SLF001

    def _account_index(self, account_id: str) -> AgreementIndex:
        if account_id.__class__ is not str or unstorable(account_id):
            return _NONE  # no agreement can name it (say, undecodable bytes from a shell)
        changes = self._backend.changes()
        if changes != self._changes:
            self._changes = changes
            self._forget_changed()
        return self._cache.get(account_id)

    def _refuse_shrunk(self, head: tuple[int, str]) -> None:
        """Refuse a history shorter than one this store saw: events were cut off."""
        if head[0] < self._seen[0]:
            message = (
                f"the history holds {head[0]} events, fewer than the {self._seen[0]} this store "
                "saw: events were removed"
            )
            raise StoreTampered(message, path=self.location, event=head[0] + 1)

    def _wrote(
        self, start: tuple[int, str], head: tuple[int, str], accounts: Iterable[str]
    ) -> None:
        """After this store's own write from ``start`` to ``head``: forget its accounts.

        ``head`` is taken as seen when nobody else wrote since what this store saw last.
        """
        self._forget(accounts)
        if start == self._seen:
            self._seen = head

    def _forget(self, accounts: Iterable[str]) -> None:
        """Drop ``accounts`` from the cache: this store just wrote to them."""
        cache = self._cache
        for account in accounts:
            cache.current.pop(account, None)
            cache.previous.pop(account, None)

    def _forget_changed(self) -> None:
        """Drop the cached accounts that have events the store did not see yet."""
        backend = self._backend
        head = backend.head()
        if head == self._seen:
            return
        self._refuse_shrunk(head)
        self._forget(backend.accounts_since(self._seen[0]))
        self._seen = head

    def _read_account(self, account_id: str) -> AgreementIndex:
        usable: list[Agreement] = []
        unusable: list[UnusableAgreement] = []
        for account, agreement_id, text in self._backend.latest_of_account(account_id):
            agreement = _decoded(agreement_id, text, account)
            (usable if isinstance(agreement, Agreement) else unusable).append(agreement)  # type: ignore[arg-type]
        return AgreementIndex(usable, unusable=unusable)

    # --- machinery ---------------------------------------------------------------------------

    def _add(
        self, agreements: Iterable[Agreement], actor: str, note: str, *, keep: bool = True
    ) -> tuple[list[Event], int]:
        actor = _text("actor", actor)
        note = _text("note", note, allow_lines=True)
        known = self._destinations()
        location = self.location
        recorded = micros(datetime.now(UTC))
        events: list[Event] = []
        seen: set[str] = set()
        accounts: set[str] = set()
        link = _chain.link
        snapshot = _chain.snapshot
        head = start = (0, _chain.GENESIS)

        def rows(first: tuple[int, str]) -> Iterator[_chain.Row]:
            # One stream of rows for the whole call, each checked and linked as the backend
            # asks for it: nothing holds them all, and PostgreSQL stores each as the next
            # is made.
            nonlocal head
            head = first
            for position, agreement in enumerate(agreements):
                _check_new(agreement, known, position, seen, location)
                accounts.add(agreement.account_id)
                fields = (
                    "add",
                    agreement.id,
                    agreement.account_id,
                    1,
                    recorded,
                    actor,
                    note,
                    snapshot(agreement),
                )
                row = link(head, fields)
                head = (row[0], row[10])
                if keep:
                    events.append(_event(row, agreement))
                yield row

        try:
            with self._backend.write() as writer:
                start = writer.head()
                writer.insert(rows(start))
        except _chain.Taken:
            # The database refused an id it already holds, and rolled the call back.
            raise self._taken(seen) from None
        self._wrote(start, head, accounts)
        return events, len(seen)

    def _taken(self, ids: set[str]) -> StoreTampered | AgreementConflict:
        """The error for an add of ``ids`` that the database refused as taken."""
        with self._backend.write() as writer:
            clash = writer.known(sorted(ids))
        if not clash:
            message = "the database refused a new agreement's first version as a duplicate"
            return StoreTampered(message, path=self.location)
        first = min(clash)
        message = (
            f"the store already holds agreement {shown(first)}; it was kept as it "
            "was (use amend or revoke to change it) and nothing was written"
        )
        return AgreementConflict(message, agreement=first)

    def _change(  # noqa: PLR0913 - the parts of one change
        self,
        agreement_id: str,
        version: int,
        kind: str,
        changes: dict[str, Any],
        actor: str,
        note: str,
    ) -> Agreement:
        agreement_id = _text("agreement_id", agreement_id)
        actor = _text("actor", actor)
        note = _text("note", note, allow_lines=True)
        if version.__class__ is not int or version < 1:
            message = (
                f"version is the agreement's version as read (an int from 1), not {shown(version)}"
            )
            raise InvalidAgreement([Problem("version", message)], agreement=agreement_id)
        known = self._destinations()
        with self._backend.write() as writer:
            row = writer.latest(agreement_id)
            if row is None:
                raise UnknownAgreement(agreement_id)
            current = _decoded(agreement_id, row[8], row[3])
            if row[4] != version:
                message = (
                    f"agreement {shown(agreement_id)} is at version {row[4]}, not {version} as "
                    f"read: {row[6] or 'someone'} changed it at {_utc_text(_instant(row[5]))} "
                    "(read it again, then decide)"
                )
                raise AgreementConflict(message, agreement=agreement_id)
            if isinstance(current, UnusableAgreement):
                problem = Problem("snapshot", current.reason)
                raise InvalidAgreement([problem], agreement=agreement_id, source=self.location)
            if current.revoked_at is not None:
                message = (
                    f"agreement {shown(agreement_id)} was revoked at "
                    f"{current.revoked_at.isoformat()}; a revocation is final (record a new "
                    "agreement instead)"
                )
                raise AgreementConflict(message, agreement=agreement_id)
            changed = attrs.evolve(current, **changes)
            if kind == "amend":
                if changed == current:
                    message = f"the amendment changes nothing in agreement {shown(agreement_id)}"
                    raise AgreementConflict(message, agreement=agreement_id)
                _check_destinations(changed, known, self.location)
            fields = (
                kind,
                agreement_id,
                current.account_id,
                version + 1,
                micros(datetime.now(UTC)),
                actor,
                note,
                _chain.snapshot(changed),
            )
            start = writer.head()
            new = _chain.link(start, fields)
            writer.insert([new])
        self._wrote(start, (new[0], new[10]), (current.account_id,))
        return changed

    def _destinations(self) -> AbstractSet[str]:
        policy = self._policy
        if policy is None:
            from residency.policy import default_policy  # noqa: PLC0415 - the catalog loads late

            policy = self._policy = default_policy()
        return policy._destinations  # noqa: SLF001 - the policy's own set of known places

    def _check_schema(self) -> None:
        problems = self._backend.schema_problems()
        if problems:
            message = f"the schema is not the one residency made: {'; '.join(problems)}"
            raise StoreTampered(message, path=self.location)

    def _check_chain(self) -> tuple[int, str]:
        """Check the hash chain of every event, here, row by row; return the head."""
        try:
            return _chain.check(self._backend.events(), rules=False)
        except _chain.Violation as violation:
            raise StoreTampered(
                violation.message, path=self.location, event=violation.seq
            ) from None


def read_store(target: str | os.PathLike[str]) -> tuple[Agreement, ...]:
    """Every usable agreement of the store ``target``, read-only; also a residency 0.1 store.

    A store of the schema before the hash chain (version 1) has no chain to check: its
    current agreements are read as they stand, to be carried into a new store.

    Raises:
        StoreError: ``target`` is no store that can be read.
    """
    try:
        with AgreementStore(target, create=False, readonly=True) as store:
            return store.all()
    except StoreCorrupt:
        from residency._store_sqlite import legacy_snapshots  # noqa: PLC0415

        if is_url(target):
            raise
        snapshots = legacy_snapshots(pathlib.Path(os.fspath(target)))
        if snapshots is None:
            raise
    found = (_decoded(agreement_id, text, account) for account, agreement_id, text in snapshots)
    return tuple(agreement for agreement in found if isinstance(agreement, Agreement))


_NONE: Final = AgreementIndex()

# --- helpers --------------------------------------------------------------------------------


def _open(target: str | os.PathLike[str] | None, *, create: bool, readonly: bool) -> _Backend:
    """The backend of ``target``: PostgreSQL for a URL, else SQLite."""
    make_folder = False
    if target is None:
        explicit = os.environ.get(ENVIRONMENT_VARIABLE, "")
        target = explicit if is_url(explicit) else default_store_path()
        make_folder = not explicit
    if is_url(target):
        try:
            from residency._store_postgres import PostgresBackend  # noqa: PLC0415 - the extra
        except ImportError as error:
            message = (
                "a PostgreSQL store needs the driver of the postgres extra "
                f"(pip install 'residency[postgres]'): {error}"
            )
            raise StoreUnavailable(message, path=_redacted(str(target))) from None
        backend: _Backend = PostgresBackend(str(target), create=create, readonly=readonly)
        return backend
    from residency._store_sqlite import SQLiteBackend  # noqa: PLC0415 - sqlite3 only for stores

    if isinstance(target, str) and (not target or unstorable(target)):
        message = "a store is named by a non-empty path of text (no NUL, no undecodable bytes)"
        raise StoreUnavailable(message, path=target)
    path = pathlib.Path(os.fspath(target)).expanduser()
    return SQLiteBackend(path, create=create, readonly=readonly, make_folder=make_folder)


def _redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    import re  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
        query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
        if (netloc, query) == (parts.netloc, parts.query):
            return url
        rebuilt = f"{parts.scheme}://{netloc}{parts.path}"  # urlunsplit drops an empty host
        return (
            rebuilt
            + (f"?{query}" if query else "")
            + (f"#{parts.fragment}" if parts.fragment else "")
        )
    except ValueError:
        return url.split("@")[-1].split("?")[0]


def _text(name: str, value: object, *, allow_lines: bool = False) -> str:
    """``value`` if it is text a store keeps as it is; else InvalidAgreement naming ``name``."""
    if not isinstance(value, str):
        message = f"{name} is a str, not {shown(value)}"
        raise InvalidAgreement([Problem(name, message)])
    why = unstorable(value)
    if not why and not allow_lines and ("\n" in value or "\r" in value):
        why = "a line break"
    if why:
        raise InvalidAgreement([Problem(name, f"{name} holds {why}")])
    return value


def _check_new(
    agreement: object, known: AbstractSet[str], position: int, seen: set[str], location: str
) -> None:
    if not isinstance(agreement, Agreement):
        message = f"an Agreement, not {shown(agreement)}"
        raise InvalidAgreement([Problem(f"[{position}]", message)], source=location)
    if agreement.id in seen:
        message = f"agreement {shown(agreement.id)} is given twice; nothing was written"
        raise AgreementConflict(message, agreement=agreement.id)
    seen.add(agreement.id)
    _check_destinations(agreement, known, location)


def _check_destinations(agreement: Agreement, known: AbstractSet[str], location: str) -> None:
    unknown = sorted(agreement.destinations - known)
    if unknown:
        problems = [
            Problem(
                "destinations",
                f"{shown(place)} is neither a region nor a data center of the catalog",
            )
            for place in unknown
        ]
        raise InvalidAgreement(problems, agreement=agreement.id, source=location)


def _decoded(agreement_id: str, text: str, account_id: str) -> Agreement | UnusableAgreement:
    try:
        return _chain.decode(text)
    except InvalidAgreement as error:
        return _chain.unusable(agreement_id, account_id, error)


def _unpack(account_id: str, packed: str) -> tuple[list[Agreement], list[UnusableAgreement]]:
    """An account's agreements from the snapshots :meth:`AgreementStore.index` packed."""
    usable: list[Agreement] = []
    unusable: list[UnusableAgreement] = []
    for text in packed.split("\n"):
        try:
            usable.append(_chain.decode(text))
        except InvalidAgreement as error:
            try:
                agreement_id = str(json.loads(text)["id"])
            except (ValueError, KeyError, TypeError):
                agreement_id = "?"
            unusable.append(_chain.unusable(agreement_id, account_id, error))
    return usable, unusable


def _event(row: _chain.Row, agreement: Agreement | None = None) -> Event:
    seq, kind, agreement_id, account_id, version, recorded_at, actor, note, text, _, hashed = row
    return Event(
        seq=seq,
        kind=EventKind(kind),
        agreement_id=agreement_id,
        account_id=account_id,
        version=version,
        recorded_at=_instant(recorded_at),
        actor=actor,
        note=note,
        agreement=agreement if agreement is not None else _decoded(agreement_id, text, account_id),
        hash=hashed,
    )


def _instant(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _utc_text(value: datetime) -> str:
    """``value`` as RFC 3339 text in UTC with microseconds: ``2026-01-01T00:00:00.000000Z``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
