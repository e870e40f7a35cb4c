"""Agreements: what a customer has agreed to about moving its data out of its region.

The promise is that data stays in its region "unless the customer has agreed otherwise". An
:class:`Agreement` records such a consent or contract for one account: where the data may go
(region ids or data center ids), when (``valid_from`` inclusive, ``valid_until`` exclusive),
whether it was revoked (``revoked_at``, exclusive), on what legal basis and under which
reference. :class:`AgreementIndex` holds many agreements by account, so that a transfer check
against a hundred thousand of them looks at one account's few.

>>> from datetime import UTC, datetime
>>> agreement = Agreement(
...     id="agr-1",
...     account_id="acme",
...     destinations=["US"],
...     valid_from=datetime(2026, 1, 1, tzinfo=UTC),
...     basis="customer-consent",
...     reference="ticket 4711",
... )
>>> agreement.in_force(datetime(2026, 6, 1, tzinfo=UTC))
True
>>> agreement.covers("US", "aws-us-west-1"), agreement.covers("APAC", "linode-sg")
(True, False)
"""

from __future__ import annotations

import enum
import math
import os
from typing import TYPE_CHECKING, Any

import attrs

from residency._text import shown
from residency._time import aware
from residency.errors import InvalidAgreement, Problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

__all__ = ["SQLITE_HEADER", "Agreement", "AgreementIndex", "LegalBasis", "Row", "load_agreements"]


class LegalBasis(enum.StrEnum):
    """The legal ground on which data may leave its region."""

    CUSTOMER_CONSENT = "customer-consent"
    """The customer's explicit consent."""
    STANDARD_CONTRACTUAL_CLAUSES = "standard-contractual-clauses"
    """Standard contractual clauses (SCCs) signed with the customer."""
    DPA_AMENDMENT = "dpa-amendment"
    """An amendment to the customer's data processing agreement."""
    BINDING_CORPORATE_RULES = "binding-corporate-rules"
    """Binding corporate rules that cover the move."""
    ADEQUACY_DECISION = "adequacy-decision"
    """An adequacy decision for the destination, agreed with the customer."""
    OTHER = "other"
    """Another basis, which the reference must name."""


def _basis(value: str) -> LegalBasis:
    try:
        return LegalBasis(value)
    except ValueError:
        known = ", ".join(member.value for member in LegalBasis)
        message = f"{shown(value)} is not a legal basis; use one of {known}"
        raise InvalidAgreement([Problem("basis", message)]) from None


def _destinations(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):  # a lone "US" would otherwise become {"U", "S"}
        return frozenset((value,))
    return frozenset(value)


def _aware(name: str, value: object) -> None:
    if value is not None:
        aware(value, name)


@attrs.frozen
class Agreement:
    """An account's agreement that its data may be moved to destinations outside its region."""

    id: str
    """The agreement id, unique across agreements."""
    account_id: str
    """The account the agreement belongs to; it covers no other account."""
    destinations: frozenset[str] = attrs.field(converter=_destinations)
    """Where the data may go: region ids (``"US"``) and data center ids (``"linode-sg"``)."""
    valid_from: datetime
    """The first instant the agreement is in force (inclusive), timezone-aware."""
    valid_until: datetime | None = None
    """The instant it stops being in force (exclusive); ``None`` for no end."""
    revoked_at: datetime | None = None
    """The instant it was revoked (exclusive); ``None`` if never revoked."""
    basis: LegalBasis = attrs.field(default=LegalBasis.CUSTOMER_CONSENT, converter=_basis)
    """The legal basis of the move."""
    reference: str = ""
    """Where the agreement is recorded: a contract number, a ticket, a document."""
    window: tuple[float, float, float] = attrs.field(
        init=False, eq=False, repr=False, default=(0.0, 0.0, 0.0)
    )
    """The window as POSIX timestamps (from, until, revoked; inf for none), for fast checks."""

    def __attrs_post_init__(self) -> None:
        # Values come from files and callers alike: check them as plain objects.
        fields: dict[str, object] = {
            "id": self.id,
            "account_id": self.account_id,
            "reference": self.reference,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "revoked_at": self.revoked_at,
        }
        problems = [
            Problem(name, f"{name} must be a non-empty str, not {shown(fields[name])}")
            for name in ("id", "account_id")
            if not isinstance(fields[name], str) or not fields[name]
        ]
        if not self.destinations:
            problems.append(Problem("destinations", "an agreement names at least one destination"))
        destinations: frozenset[object] = self.destinations
        if any(not isinstance(item, str) or not item for item in destinations):
            problems.append(Problem("destinations", "every destination is a non-empty str"))
        if not isinstance(fields["reference"], str):
            message = f"reference must be a str, not {shown(fields['reference'])}"
            problems.append(Problem("reference", message))
        for name in ("valid_from", "valid_until", "revoked_at"):
            _aware(name, fields[name])
        if fields["valid_from"] is None:
            problems.append(Problem("valid_from", "an agreement starts at a known instant"))
        elif self.valid_until is not None and self.valid_until <= self.valid_from:
            message = f"the window ends ({self.valid_until}) before it starts ({self.valid_from})"
            problems.append(Problem("valid_until", message))
        if problems:
            named = fields["id"] if isinstance(fields["id"], str) and fields["id"] else None
            raise InvalidAgreement(problems, agreement=named)
        # Timestamps keep the instants' order exactly (microseconds fit a double's precision).
        window = (
            self.valid_from.timestamp(),
            self.valid_until.timestamp() if self.valid_until is not None else math.inf,
            self.revoked_at.timestamp() if self.revoked_at is not None else math.inf,
        )
        object.__setattr__(self, "window", window)

    def in_force(self, at: datetime) -> bool:
        """Whether the agreement is in force at the instant ``at`` (an aware datetime)."""
        start, until, revoked = self.window
        moment = at.timestamp()
        return start <= moment < until and moment < revoked

    def covers(self, region: str, data_center: str) -> bool:
        """Whether the agreement names ``region`` or the data center ``data_center``."""
        return region in self.destinations or data_center in self.destinations

    def why_not_in_force(self, at: datetime) -> str:
        """Say why the agreement is not in force at ``at``; empty when it is."""
        if at < self.valid_from:
            return f"it starts only at {self.valid_from.isoformat()}"
        if self.revoked_at is not None and at >= self.revoked_at:
            return f"it was revoked at {self.revoked_at.isoformat()}"
        if self.valid_until is not None and at >= self.valid_until:
            return f"it ended at {self.valid_until.isoformat()}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        """The agreement as JSON-ready data, in the field names of agreements files."""
        from residency import _wire  # noqa: PLC0415 - the wire forms import the location names

        return dict(_wire.agreement(self))


Row = tuple[float, float, Agreement]
"""An agreement and the instants it is in force between, as timestamps: (start, end, agreement)."""


def _order(agreement: Agreement) -> tuple[datetime, str]:
    return (agreement.valid_from, agreement.id)


class AgreementIndex:
    """Agreements held by account, for transfer checks that look only at one account's own.

    Ids must be unique; within an account, agreements are kept in order of ``valid_from``,
    then id, and the first one that covers a move is the one a decision names.

    >>> from datetime import UTC, datetime
    >>> index = AgreementIndex(
    ...     [
    ...         Agreement(
    ...             id="a",
    ...             account_id="acme",
    ...             destinations=["US"],
    ...             valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    ...         ),
    ...     ]
    ... )
    >>> len(index), [a.id for a in index.for_account("acme")], index.for_account("other")
    (1, ['a'], ())
    """

    __slots__ = ("_by_account", "_by_destination", "_count", "checked_against")

    def __init__(self, agreements: Iterable[Agreement] = ()) -> None:
        """Index ``agreements``; a duplicate id is refused."""
        self.checked_against: frozenset[str] | None = None
        """The destinations every agreement was checked against (``Policy.check_agreements``)."""
        by_account: dict[str, list[Agreement]] = {}
        seen: set[str] = set()
        problems: list[Problem] = []
        for position, agreement in enumerate(agreements):
            if agreement.id in seen:
                message = f"duplicate agreement id {shown(agreement.id)}"
                problems.append(Problem(f"[{position}].id", message))
            seen.add(agreement.id)
            by_account.setdefault(agreement.account_id, []).append(agreement)
        if problems:
            raise InvalidAgreement(problems)
        # Two maps: an account's agreements in order, and the same by destination as rows
        # that carry the window beside the agreement, so that a check reaches few objects.
        self._by_account: dict[str, tuple[Agreement, ...]] = {}
        self._by_destination: dict[str, dict[str, tuple[Row, ...]]] = {}
        for account, items in by_account.items():
            ordered = self._by_account[account] = tuple(sorted(items, key=_order))
            by_destination: dict[str, list[Row]] = {}
            for agreement in ordered:
                start, until, revoked = agreement.window
                row = (start, min(until, revoked), agreement)
                for destination in agreement.destinations:
                    by_destination.setdefault(destination, []).append(row)
            self._by_destination[account] = {
                place: tuple(rows) for place, rows in by_destination.items()
            }
        self._count = len(seen)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Agreement]:
        for items in self._by_account.values():
            yield from items

    def __repr__(self) -> str:
        return f"<AgreementIndex of {self._count} agreements, {len(self._by_account)} accounts>"

    def for_account(self, account_id: str) -> tuple[Agreement, ...]:
        """The agreements of ``account_id``, in order; empty when it has none."""
        return self._by_account.get(account_id, ())

    def covering(self, account_id: str, region: str, data_center: str) -> tuple[Row, ...]:
        """The agreements of ``account_id`` that name ``region`` or ``data_center``, in order.

        Each comes as a row ``(start, end, agreement)``: the instants, as POSIX timestamps,
        from which it is in force and from which it no longer is (the earlier of its end and
        its revocation; ``inf`` for neither). It is in force at ``moment`` exactly when
        ``start <= moment < end``.
        """
        by_destination = self._by_destination.get(account_id)
        if by_destination is None:
            return ()
        by_region = by_destination.get(region, ())
        by_data_center = by_destination.get(data_center, ())
        if not by_data_center:
            return by_region
        if not by_region:
            return by_data_center
        named = {row[2].id for row in (*by_region, *by_data_center)}
        return tuple(
            (a.window[0], min(a.window[1:]), a)
            for a in self._by_account[account_id]
            if a.id in named
        )

    def accounts(self) -> frozenset[str]:
        """Every account that has at least one agreement."""
        return frozenset(self._by_account)


SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file: how an agreement store is recognised."""

_STORE_SUFFIXES = frozenset({".sqlite3", ".sqlite", ".db"})


def load_agreements(path: str | os.PathLike[str]) -> tuple[Agreement, ...]:
    """Read every agreement of ``path``: an agreements file (TOML or JSON) or an agreement store.

    A store is recognised by its first bytes, whatever its name, and read without writing
    (it is never created). An agreements file holds a top-level ``agreements`` array whose
    entries use the field names of :class:`Agreement`; times are RFC 3339 with an offset (a
    TOML offset date-time, or a JSON string), never a number. Every problem of the file is
    reported at once in one :class:`~residency.errors.InvalidAgreement`, and ids must be
    unique.

    Raises:
        FileError: the file cannot be read, or is no TOML or JSON document.
        StoreError: the file names a store (by its name or its first bytes) that cannot be read.
        InvalidAgreement: the document holds invalid agreements; ``.problems`` lists why.
    """
    from residency import _files, _schema  # noqa: PLC0415 - pydantic loads only for files

    source = os.fspath(path)
    if _files.starts_with(path, SQLITE_HEADER):
        from residency.store import AgreementStore  # noqa: PLC0415 - sqlite3 only for stores

        with AgreementStore(path, create=False) as store:
            return tuple(store.index())
    if os.path.splitext(source)[1].lower() in _STORE_SUFFIXES:  # noqa: PTH122 - str or PathLike
        from residency.errors import StoreError  # noqa: PLC0415

        if not os.path.lexists(source):
            message = "no such file (residency creates no agreement store to read one)"
        else:
            message = "not an SQLite database, so not an agreement store"
        raise StoreError(message, path=source)
    checked = _schema.check_agreements(_files.read_document(path))
    agreements: list[Agreement] = []
    problems = list(checked.problems)
    for position, fields in enumerate(checked.data["agreements"]):
        try:
            agreements.append(Agreement(**fields))
        except InvalidAgreement as error:
            problems.extend(
                Problem(f"agreements[{position}].{problem.path}", problem.message)
                for problem in error.problems
            )
    if not problems:
        try:
            AgreementIndex(agreements)
        except InvalidAgreement as error:
            problems.extend(Problem(f"agreements{p.path}", p.message) for p in error.problems)
    if problems:
        raise InvalidAgreement(problems, source=source)
    return tuple(agreements)
