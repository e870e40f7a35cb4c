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
import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency._text import shown
from residency._time import EPOCH, aware, micros
from residency.errors import InvalidAgreement, Problem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from collections.abc import Set as AbstractSet

__all__ = [
    "NEVER",
    "SQLITE_HEADER",
    "Agreement",
    "AgreementIndex",
    "LegalBasis",
    "Row",
    "UnusableAgreement",
    "load_agreements",
]

NEVER: Final = 1 << 62
"""The window end of an agreement that has none, in microseconds: after every datetime."""


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


_BASES: Final = {member.value: member for member in LegalBasis}
"""The bases by their value: a dict lookup is a fifth of an enum call, on every decode."""


def _basis(value: str) -> LegalBasis:
    try:
        return _BASES[value]
    except (KeyError, TypeError):  # TypeError: an unhashable value
        known = ", ".join(member.value for member in LegalBasis)
        message = f"{shown(value)} is not a legal basis; use one of {known}"
        raise InvalidAgreement([Problem("basis", message)]) from None


def _destinations(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):  # a lone "US" would otherwise become {"U", "S"}
        return frozenset((value,))
    return frozenset(value)


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
    window: tuple[int, int, int] = attrs.field(init=False, eq=False, repr=False, default=(0, 0, 0))
    """The window as exact microseconds since the epoch (from, until, revoked; NEVER for none)."""

    def __attrs_post_init__(self) -> None:
        window = self._plain_window()
        if window is not None:
            object.__setattr__(self, "window", window)
            return
        self._check()

    def _plain_window(self) -> tuple[int, int, int] | None:
        """The window of an agreement whose every field is plainly valid; else ``None``.

        Stores decode every agreement they read, so the common case is checked in a few
        comparisons; anything less plain (a subclass, a control character, a naive time)
        goes to :meth:`_check`, which accepts exactly what this accepts, and more only
        where it then raises.
        """
        # Plain comparisons, no generators: this runs for every agreement a store reads.
        agreement_id, account, reference = self.id, self.account_id, self.reference
        if not (
            agreement_id.__class__ is str
            and account.__class__ is str
            and reference.__class__ is str
            and agreement_id
            and account
            and agreement_id.isprintable()
            and account.isprintable()
            and reference.isprintable()
            and self.destinations
        ):
            return None
        for place in self.destinations:
            if place.__class__ is not str or not place or not place.isprintable():
                return None
        start = _plain_micros(self.valid_from)
        until = NEVER if self.valid_until is None else _plain_micros(self.valid_until)
        revoked = NEVER if self.revoked_at is None else _plain_micros(self.revoked_at)
        if start is None or until is None or revoked is None or until <= start:
            return None
        return (start, until, revoked)

    def _check(self) -> None:
        """Check every field as a plain object, and raise with every problem found."""
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
        problems.extend(
            Problem(name, f"{name} holds {why}")
            for name in ("id", "account_id", "reference")
            if isinstance(fields[name], str) and (why := unstorable(str(fields[name])))
        )
        if not self.destinations:
            problems.append(Problem("destinations", "an agreement names at least one destination"))
        destinations: frozenset[object] = self.destinations
        if any(not isinstance(item, str) or not item or unstorable(item) for item in destinations):
            message = "every destination is a non-empty str without NUL or unpaired surrogates"
            problems.append(Problem("destinations", message))
        if not isinstance(fields["reference"], str):
            message = f"reference must be a str, not {shown(fields['reference'])}"
            problems.append(Problem("reference", message))
        window = [
            NEVER if fields[name] is None else micros(aware(fields[name], name))
            for name in ("valid_from", "valid_until", "revoked_at")
        ]
        start, until, _ = window
        if fields["valid_from"] is None:
            problems.append(Problem("valid_from", "an agreement starts at a known instant"))
        elif until <= start:
            # Exact instants, never wall clocks: 02:45 before a clock change ends 45 minutes
            # before 02:30 after it, although it reads later.
            message = (
                f"the window ends ({_utc(until)}) before it starts ({_utc(start)}), "
                "compared as instants in UTC"
            )
            problems.append(Problem("valid_until", message))
        if problems:
            named = fields["id"] if isinstance(fields["id"], str) and fields["id"] else None
            raise InvalidAgreement(problems, agreement=named)
        object.__setattr__(self, "window", tuple(window))

    def in_force(self, at: datetime) -> bool:
        """Whether the agreement is in force at the instant ``at`` (an aware datetime)."""
        start, until, revoked = self.window
        moment = micros(aware(at, "at"))
        return start <= moment < until and moment < revoked

    def covers(self, region: str, data_center: str) -> bool:
        """Whether the agreement names ``region`` or the data center ``data_center``."""
        return region in self.destinations or data_center in self.destinations

    def why_not_in_force(self, at: datetime) -> str:
        """Say why the agreement is not in force at ``at``; empty when it is."""
        start, until, revoked = self.window
        moment = micros(aware(at, "at"))
        if moment < start:
            return f"it starts only at {self.valid_from.isoformat()}"
        if self.revoked_at is not None and moment >= revoked:
            return f"it was revoked at {self.revoked_at.isoformat()}"
        if self.valid_until is not None and moment >= until:
            return f"it ended at {self.valid_until.isoformat()}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        """The agreement as JSON-ready data, in the field names of agreements files."""
        from residency import _wire  # noqa: PLC0415 - the wire forms import the location names

        return dict(_wire.agreement(self))


@attrs.frozen
class UnusableAgreement:
    """An agreement that is recorded but cannot be used: it allows nothing, and says why.

    A store may hold an agreement that the code or catalog reading it cannot interpret: one
    written by another version, or naming a data center a later catalog no longer has. It
    never allows a move, it never breaks the answers for other accounts, and the decisions
    of its own account name it with the reason.
    """

    id: str
    """The agreement id, as recorded."""
    account_id: str
    """The account it was recorded for."""
    reason: str
    """Why it cannot be used, in words."""


Row = tuple[int, int, Agreement]
"""An agreement and the instants it is in force between, in exact microseconds since the
epoch: (start, end, agreement)."""


def _order(agreement: Agreement) -> tuple[int, str]:
    return (agreement.window[0], agreement.id)


def _plain_micros(at: object) -> int | None:
    """``at`` in microseconds if it is a plain aware datetime (no subclass); else ``None``."""
    if at.__class__ is not datetime or at.utcoffset() is None:  # type: ignore[attr-defined]
        return None
    return micros(at)  # type: ignore[arg-type]


def _utc(value: int) -> str:
    return (EPOCH + timedelta(microseconds=value)).isoformat().replace("+00:00", "Z")


_UNSTORABLE: Final = {
    0: "a NUL character",
    **dict.fromkeys(range(55296, 57344), "an unpaired surrogate"),
}


def unstorable(text: str) -> str:
    """Say what in ``text`` no store keeps faithfully (NUL, unpaired surrogates); or ''.

    Neither can be written as UTF-8 text in SQLite or PostgreSQL without being changed.
    """
    if text.isprintable():
        return ""
    for character in text:
        why = _UNSTORABLE.get(ord(character))
        if why is not None:
            return f"{why} (U+{ord(character):04X})"
    return ""


class AgreementIndex:
    """Agreements held by account, for transfer checks that look only at one account's own.

    Ids must be unique; within an account, agreements are kept in order of ``valid_from``,
    then id, and the first one that covers a move is the one a decision names. Agreements
    that cannot be used (:class:`UnusableAgreement`) are held beside them, per account.

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

    __slots__ = (
        "_by_account",
        "_by_destination",
        "_count",
        "_decode",
        "_merged",
        "_packed",
        "_unusable",
        "checked_against",
    )

    def __init__(
        self,
        agreements: Iterable[Agreement] = (),
        *,
        unusable: Iterable[UnusableAgreement] = (),
    ) -> None:
        """Index ``agreements``, and ``unusable`` ones beside them; a duplicate id is refused."""
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
        self._unusable: dict[str, tuple[UnusableAgreement, ...]] = {}
        for item in unusable:
            self._unusable[item.account_id] = (*self._unusable.get(item.account_id, ()), item)
        # Two maps: an account's agreements in order, and the same by destination as rows
        # that carry the window beside the agreement, so that a check reaches few objects.
        self._by_account: dict[str, tuple[Agreement, ...]] = {}
        self._by_destination: dict[str, dict[str, tuple[Row, ...]]] = {}
        # The rows of an account that name a region or one of its data centers, merged in
        # order on first use: a check for an account holding both kinds reads one tuple.
        self._merged: dict[tuple[str, str, str], tuple[Row, ...]] = {}
        for account, items in by_account.items():
            self._hold(account, items)
        self._count = len(seen)
        self._packed: dict[str, Any] | None = None
        self._decode: Callable[[str, Any], tuple[list[Agreement], list[UnusableAgreement]]]

    @classmethod
    def _from_packed(
        cls,
        packed: dict[str, Any],
        count: int,
        decode: Callable[[str, Any], tuple[list[Agreement], list[UnusableAgreement]]],
    ) -> AgreementIndex:
        """An index whose accounts are kept packed and decoded on first use (an agreement store).

        ``packed`` maps each account to what ``decode(account, packed[account])`` turns into
        its agreements and its unusable ones; ``count`` is how many agreements it holds.
        """
        index = cls()
        index._packed = packed
        index._decode = decode
        index._count = count
        return index

    def _hold(self, account: str, items: Iterable[Agreement]) -> None:
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

    def _unpack(self, account_id: str) -> bool:
        """Decode a packed account into the maps; whether the index holds the account."""
        packed = self._packed
        if packed is None or account_id in self._by_account:
            return False
        data = packed.get(account_id)
        if data is None:
            return False
        usable, unusable = self._decode(account_id, data)
        self._hold(account_id, usable)
        if unusable:
            self._unusable[account_id] = tuple(unusable)
        return True

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Agreement]:
        if self._packed is not None:
            for account in self._packed:
                yield from self.for_account(account)
            return
        for items in self._by_account.values():
            yield from items

    def __repr__(self) -> str:
        accounts = len(self._packed if self._packed is not None else self._by_account)
        return f"<AgreementIndex of {self._count} agreements, {accounts} accounts>"

    def for_account(self, account_id: str) -> tuple[Agreement, ...]:
        """The agreements of ``account_id``, in order; empty when it has none."""
        found = self._by_account.get(account_id)
        if found is None and self._unpack(account_id):
            found = self._by_account[account_id]
        return found or ()

    def unusable(self, account_id: str | None = None) -> tuple[UnusableAgreement, ...]:
        """The agreements of ``account_id`` (of every account, for ``None``) that cannot be used."""
        if account_id is None:
            if self._packed is not None:  # decode each account without keeping it
                return tuple(
                    item
                    for account, data in self._packed.items()
                    for item in (
                        self._unusable.get(account, ())
                        if account in self._by_account
                        else self._decode(account, data)[1]
                    )
                )
            return tuple(item for items in self._unusable.values() for item in items)
        if self._packed is not None:
            self.for_account(account_id)  # a packed account is decoded on first use
        return self._unusable.get(account_id, ())

    def covering(self, account_id: str, region: str, data_center: str) -> tuple[Row, ...]:
        """The agreements of ``account_id`` that name ``region`` or ``data_center``, in order.

        Each comes as a row ``(start, end, agreement)``: the instants, in exact microseconds
        since the epoch, from which it is in force and from which it no longer is (the earlier
        of its end and its revocation; :data:`NEVER` for neither). It is in force at
        ``moment`` exactly when ``start <= moment < end``.
        """
        by_destination = self._by_destination.get(account_id)
        if by_destination is None:
            if not self._unpack(account_id):
                return ()
            by_destination = self._by_destination[account_id]
        by_region = by_destination.get(region, ())
        by_data_center = by_destination.get(data_center, ())
        if not by_data_center:
            return by_region
        if not by_region:
            return by_data_center
        key = (account_id, region, data_center)
        merged = self._merged.get(key)
        if merged is None:
            named = {row[2].id for row in (*by_region, *by_data_center)}
            merged = self._merged[key] = tuple(
                (a.window[0], min(a.window[1:]), a)
                for a in self._by_account[account_id]
                if a.id in named
            )
        return merged

    def accounts(self) -> frozenset[str]:
        """Every account that has at least one agreement (usable or not)."""
        if self._packed is not None:
            return frozenset(self._packed)
        return frozenset(self._by_account) | frozenset(self._unusable)

    def _index_for(self, account_id: str, known: AbstractSet[str]) -> AgreementIndex:
        """This index, or one for ``account_id`` alone that holds its unknown places as unusable.

        An agreement naming a place outside ``known`` (the catalog's regions and data
        centers) cannot be interpreted: it allows nothing, and decisions name it.
        """
        if self.checked_against is known:
            return self
        own = self.for_account(account_id)
        if all(agreement.destinations <= known for agreement in own):
            return self
        usable = [agreement for agreement in own if agreement.destinations <= known]
        unusable = [
            *self.unusable(account_id),
            *(
                unknown_destinations(agreement, known)
                for agreement in own
                if not agreement.destinations <= known
            ),
        ]
        return AgreementIndex(usable, unusable=unusable)


def unknown_destinations(agreement: Agreement, known: AbstractSet[str]) -> UnusableAgreement:
    """``agreement`` as unusable, because it names places that ``known`` does not hold."""
    missing = ", ".join(shown(place) for place in sorted(agreement.destinations - known))
    reason = f"it names {missing}, neither a region nor a data center of the catalog"
    return UnusableAgreement(agreement.id, agreement.account_id, reason)


SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file: how an agreement store is recognised."""

_STORE_SUFFIXES = frozenset({".sqlite3", ".sqlite", ".db"})


def load_agreements(path: str | os.PathLike[str]) -> tuple[Agreement, ...]:
    """Read every agreement of ``path``: an agreements file (TOML or JSON) or an agreement store.

    A store is a ``postgresql://`` URL, or a file recognised by its first bytes whatever its
    name; it is read without writing (never created), including a store of residency 0.1,
    and its agreements that cannot be used are left out (they allow nothing;
    ``AgreementStore.verify()`` names them). An agreements file holds a top-level
    ``agreements`` array whose entries use the field names of :class:`Agreement`; times are
    RFC 3339 with an offset (a TOML offset date-time, or a JSON string), never a number.
    Every problem of the file is reported at once in one
    :class:`~residency.errors.InvalidAgreement`, and ids must be unique.

    Raises:
        FileError: the file cannot be read, or is no TOML or JSON document.
        StoreError: the file names a store (by its name or its first bytes) that cannot be read.
        InvalidAgreement: the document holds invalid agreements; ``.problems`` lists why.
    """
    from residency import _files, _schema  # noqa: PLC0415 - pydantic loads only for files

    source = os.fspath(path)
    if source.startswith(("postgresql://", "postgres://")) or _files.starts_with(
        path, SQLITE_HEADER
    ):
        from residency.store import read_store  # noqa: PLC0415 - sqlite3 only for stores

        return read_store(source)
    if os.path.splitext(source)[1].lower() in _STORE_SUFFIXES:  # noqa: PTH122 - str or PathLike
        from residency.errors import StoreCorrupt, StoreMissing  # noqa: PLC0415

        if not os.path.lexists(source):
            message = "no such file (residency creates no agreement store to read one)"
            raise StoreMissing(message, path=source)
        message = "not an SQLite database, so not an agreement store"
        raise StoreCorrupt(message, path=source)
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
