"""Whole customer bases against a catalog: where a new catalog moves them, and where they are.

:meth:`Policy.plan_migration <residency.Policy.plan_migration>` compares where two catalogs
place each account and judges each move by the transfer rule: a move within the account's home
region is allowed (continuity); a move out of it only under an agreement in force with that
customer, else it is blocked. The home region is the one the data was placed in, the old
catalog's: a country that a new catalog gives another region has customers whose data may not
simply follow.

:meth:`Policy.audit <residency.Policy.audit>` checks where accounts are now against where the
catalog places them.

Accounts are rows of an account id, a location (anything :func:`~residency.resolve_location`
takes) and, optionally for a plan and always for an audit, the id of the data center the
account is on now: :class:`Account` values, tuples ``(account_id, location)`` or
``(account_id, location, data_center)``, or mappings with the keys ``account_id``,
``country`` (or ``location``) and ``data_center``.

>>> import attrs
>>> from residency import default_policy
>>> old = default_policy()
>>> report = old.audit([("acct-1", "DE", "linode-eu"), ("acct-2", "DE", "linode-us")])
>>> [row.status.value for row in report.rows]
['in-region', 'misplaced']
"""

from __future__ import annotations

import enum
import operator
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency._fast import decide
from residency._time import aware
from residency.agreements import AgreementIndex
from residency.errors import ResidencyError, UnknownDataCenter
from residency.placement import Placement
from residency.transfers import TransferBasis

if TYPE_CHECKING:
    from collections.abc import Iterable

    from residency.agreements import Agreement
    from residency.catalog import DataCenter
    from residency.policy import Policy
    from residency.store import AgreementStore
    from residency.transfers import TransferDecision

__all__ = [
    "FRAME_COLUMNS",
    "Account",
    "AuditReport",
    "AuditRow",
    "MigrationPlan",
    "Move",
    "Status",
    "Unresolved",
    "Verdict",
]


@attrs.frozen
class Account:
    """One account of a customer base: its id, its location, where its data is now."""

    account_id: str
    """The account id."""
    location: object
    """The customer's location, in any form :func:`~residency.resolve_location` takes."""
    data_center: str | None = None
    """The id of the data center the account's data is on now, if known."""


class Verdict(enum.StrEnum):
    """Whether a planned move may be made."""

    ALLOWED = "allowed"
    """Within the account's home region: allowed for continuity."""
    AGREEMENT = "agreement"
    """Out of the home region, under an agreement in force with the customer."""
    BLOCKED = "blocked"
    """Out of the home region with no agreement in force: the move must not be made."""


class Status(enum.StrEnum):
    """Where an account stands, as an audit finds it."""

    IN_PLACE = "in-place"
    """On its primary data center."""
    IN_REGION = "in-region"
    """In its home region, on another of its data centers: allowed."""
    UNDER_AGREEMENT = "under-agreement"
    """Outside its home region, under an agreement in force."""
    MISPLACED = "misplaced"
    """Outside its home region with no agreement in force."""
    UNRESOLVABLE = "unresolvable"
    """Its location (or its data center) could not be resolved: where it belongs is unknown."""


@attrs.frozen
class Unresolved:
    """An account that could not be placed, with the error that says why."""

    account_id: str
    """The account id, as given."""
    location: str
    """The location, as given (as text)."""
    error: ResidencyError = attrs.field(eq=False)
    """The typed error: a location error, an unknown data center, an invalid account."""

    def to_dict(self) -> dict[str, Any]:
        """The account as JSON-ready data: the error's name and message."""
        return {
            "account_id": self.account_id,
            "location": self.location,
            "error": type(self.error).__name__,
            "message": str(self.error),
        }


@attrs.frozen
class Move:
    """One account that a new catalog moves: from where, to where, and may it."""

    account_id: str
    """The account id."""
    country: str
    """The customer's country (alpha-2)."""
    from_region: str
    """The region the data is in now (of the data center it is on)."""
    to_region: str
    """The region the new catalog places it in."""
    from_primary: str
    """The data center the data is on now (the old primary, unless the row says otherwise)."""
    to_primary: str
    """The new catalog's primary for the account."""
    verdict: Verdict
    """Whether the move may be made."""
    reason: str
    """The transfer decision's reason, in words."""
    agreement: str | None = None
    """The id of the agreement that allows it, for :attr:`Verdict.AGREEMENT`."""

    def to_dict(self) -> dict[str, Any]:
        """The move as JSON-ready data."""
        return {
            "account_id": self.account_id,
            "country": self.country,
            "from_region": self.from_region,
            "to_region": self.to_region,
            "from_primary": self.from_primary,
            "to_primary": self.to_primary,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "agreement": self.agreement,
        }


_ID: Final = operator.attrgetter("id")


def _zero() -> dict[str, int]:
    return {"moving_out": 0, "moving_in": 0, "staying": 0}


@attrs.frozen
class MigrationPlan:
    """Where a new catalog moves each account, and whether each move may be made."""

    from_catalog: str
    """The old catalog's id."""
    to_catalog: str
    """The new catalog's id."""
    at: datetime
    """The moment the plan is for."""
    accounts: int
    """How many accounts were planned."""
    staying: int
    """Accounts whose region and primary stay (their order of data centers may change)."""
    reordered: int
    """Of those staying, how many have their other data centers in another order."""
    moves: tuple[Move, ...]
    """The accounts whose region or primary changes, in the order given."""
    unresolved: tuple[Unresolved, ...]
    """The accounts that either catalog could not place."""
    regions: Mapping[str, Mapping[str, int]]
    """Per region: accounts moving out, moving in, staying."""
    data_centers: Mapping[str, Mapping[str, int]]
    """Per data center: accounts moving out, moving in, staying."""

    @property
    def blocked(self) -> tuple[Move, ...]:
        """The moves that must not be made."""
        return tuple(move for move in self.moves if move.verdict is Verdict.BLOCKED)

    def summary(self) -> dict[str, Any]:
        """The counts as JSON-ready data."""
        verdicts = Counter(move.verdict.value for move in self.moves)
        return {
            "accounts": self.accounts,
            "staying": self.staying,
            "reordered": self.reordered,
            "moving": len(self.moves),
            **{verdict.value: verdicts[verdict.value] for verdict in Verdict},
            "unresolvable": len(self.unresolved),
            "regions": {key: dict(value) for key, value in self.regions.items()},
            "data_centers": {key: dict(value) for key, value in self.data_centers.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data.

        The keys: ``from_catalog``, ``to_catalog``, ``at``, ``summary``, ``moves`` and
        ``unresolvable`` (``residency plan`` adds the diff's ``notices``).
        """
        return {
            "from_catalog": self.from_catalog,
            "to_catalog": self.to_catalog,
            "at": self.at.isoformat(),
            "summary": self.summary(),
            "moves": [move.to_dict() for move in self.moves],
            "unresolvable": [item.to_dict() for item in self.unresolved],
        }


@attrs.frozen
class AuditRow:
    """One account as an audit finds it."""

    account_id: str
    """The account id."""
    location: str
    """The location as given (as text)."""
    data_center: str
    """The data center it is on, as given."""
    status: Status
    """Where it stands."""
    region: str | None = None
    """Its home region; ``None`` when unresolvable."""
    primary: str | None = None
    """Its primary data center; ``None`` when unresolvable."""
    reason: str = ""
    """Why, in words: the transfer decision's reason, or the error's message."""
    agreement: str | None = None
    """The agreement that allows it to be where it is, for ``under-agreement``."""
    error: str | None = None
    """The error's name, for ``unresolvable``."""

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return {
            "account_id": self.account_id,
            "location": self.location,
            "data_center": self.data_center,
            "status": self.status.value,
            "region": self.region,
            "primary": self.primary,
            "reason": self.reason,
            "agreement": self.agreement,
            "error": self.error,
        }


@attrs.frozen
class AuditReport:
    """Where each account of a customer base stands against a catalog."""

    catalog: str
    """The catalog's id."""
    at: datetime
    """The moment the audit is for."""
    rows: tuple[AuditRow, ...]
    """Every account, in the order given."""

    @property
    def misplaced(self) -> tuple[AuditRow, ...]:
        """The accounts outside their home region with no agreement in force."""
        return tuple(row for row in self.rows if row.status is Status.MISPLACED)

    @property
    def unresolvable(self) -> tuple[AuditRow, ...]:
        """The accounts whose location or data center could not be resolved."""
        return tuple(row for row in self.rows if row.status is Status.UNRESOLVABLE)

    @property
    def clean(self) -> bool:
        """Whether every account is known to be where it may be: none misplaced or unresolvable."""
        return not any(row.status in _NOT_CLEAN for row in self.rows)

    def counts(self) -> dict[str, int]:
        """How many accounts have each status (keys with ``_``: ``in_place``, ...)."""
        found = Counter(row.status for row in self.rows)
        return {status.value.replace("-", "_"): found[status] for status in Status}

    def by_region(self) -> dict[str, dict[str, int]]:
        """The counts per home region (unresolvable accounts under ``"-"``), by region id."""
        table: dict[str, Counter[Status]] = {}
        for row in self.rows:
            table.setdefault(row.region or "-", Counter())[row.status] += 1
        return {
            region: {status.value.replace("-", "_"): found[status] for status in Status}
            for region, found in sorted(table.items())
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data.

        The keys: ``catalog``, ``at``, ``summary``, ``regions``, and ``misplaced`` and
        ``unresolvable`` (the full rows).
        """
        return {
            "catalog": self.catalog,
            "at": self.at.isoformat(),
            "summary": self.counts(),
            "regions": self.by_region(),
            "misplaced": [_misplaced(row) for row in self.misplaced],
            "unresolvable": [row.to_dict() for row in self.unresolvable],
        }


_WITH_DATA_CENTER: Final = 3
_NOT_CLEAN: Final = frozenset({Status.MISPLACED, Status.UNRESOLVABLE})


def _misplaced(row: AuditRow) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "location": row.location,
        "data_center": row.data_center,
        "region": row.region,
        "primary": row.primary,
        "reason": row.reason,
    }


# --- the work -------------------------------------------------------------------------------


def columns(accounts: Iterable[object]) -> tuple[list[str], list[object], list[str | None]]:
    """The account ids, locations and data centers (``None`` where not given) of ``accounts``.

    Raises:
        TypeError: a row is none of the shapes the module docstring names.
    """
    ids: list[str] = []
    locations: list[object] = []
    data_centers: list[str | None] = []
    for position, row in enumerate(accounts):
        if isinstance(row, Account):
            account, location, data_center = row.account_id, row.location, row.data_center
        elif isinstance(row, tuple | list) and len(row) in {2, 3}:
            account, location = row[0], row[1]
            data_center = row[2] if len(row) == _WITH_DATA_CENTER else None
        elif isinstance(row, Mapping) and "account_id" in row:
            account = row["account_id"]
            location = row["country"] if "country" in row else row.get("location")
            data_center = row.get("data_center")
        else:
            message = (
                f"account {position}: an Account, a tuple (account_id, location[, data_center]) "
                f"or a mapping with account_id and country, not {type(row).__name__}"
            )
            raise TypeError(message)
        ids.append(account)
        locations.append(location)
        data_centers.append(data_center or None)
    return ids, locations, data_centers


FRAME_COLUMNS: Final = ("account_id", "country", "data_center")
"""The columns a frame of accounts has: the id, the location, and (optional for a plan) the
data center the account is on now."""


def _given(accounts: object) -> Any:  # noqa: ANN401 - columns of lists, or of pyarrow arrays
    """The accounts as pyarrow columns when the columnar path can take them; else as lists.

    A frame (pandas, polars, pyarrow) gives its columns of :data:`FRAME_COLUMNS`; rows give
    lists, turned into pyarrow arrays when pyarrow is installed and every location is text.
    """
    from residency import frames  # noqa: PLC0415 - no numpy here: frames imports it lazily

    if frames.is_frame(accounts):
        return frames.account_columns(accounts, FRAME_COLUMNS)
    listed = columns(accounts)  # type: ignore[arg-type]
    return frames.as_arrays(listed) or listed


def _index(
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement],
) -> AgreementIndex | AgreementStore:
    """Agreements a many-account call can ask account by account: an index, or a store."""
    if isinstance(agreements, AgreementIndex) or hasattr(agreements, "_index_for"):
        return agreements  # type: ignore[return-value]
    return AgreementIndex(list(agreements))


def _moment(at: datetime | None) -> datetime:
    return datetime.now(UTC) if at is None else aware(at, "at")


def _ids_of(policies: Iterable[Policy]) -> list[str]:
    """The data center ids of the policies' catalogs, sorted: what an unknown one is not."""
    return sorted({dc.id for policy in policies for dc in policy.catalog.data_centers})


def _data_center(policies: Iterable[Policy], data_center: str) -> DataCenter | None:
    for policy in policies:
        try:
            return policy.catalog.data_center(data_center)
        except UnknownDataCenter:
            continue
    return None


def plan_migration(
    old: Policy,
    new: Policy,
    accounts: Iterable[object],
    *,
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
    at: datetime | None = None,
) -> MigrationPlan:
    """The plan for moving ``accounts`` from catalog ``old`` to catalog ``new``.

    See :meth:`Policy.plan_migration <residency.Policy.plan_migration>`. With numpy and
    pyarrow installed the accounts are placed on the columnar path (:mod:`residency.frames`),
    which :func:`plan_rows` defines row by row; a test holds the two equal.
    """
    when = _moment(at)
    given = _given(accounts)
    if isinstance(given, tuple):
        return plan_rows(old, new, given, agreements=agreements, at=when)
    from residency import _columnar  # noqa: PLC0415 - numpy and pyarrow only when installed

    return _columnar.plan(old, new, given, _index(agreements), when)


def plan_rows(
    old: Policy,
    new: Policy,
    accounts: Iterable[object] | tuple[list[str], list[object], list[str | None]],
    *,
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
    at: datetime | None = None,
) -> MigrationPlan:
    """:func:`plan_migration` the plain way: ``assign_many``, then a decision per row."""
    when = _moment(at)
    ids, locations, currents = accounts if isinstance(accounts, tuple) else columns(accounts)
    before = old.assign_many(locations, account_ids=ids, at=when, errors="return")
    after = new.assign_many(locations, account_ids=ids, at=when, errors="return")
    index = _index(agreements)
    known = old._destinations | new._destinations  # noqa: SLF001 - the policies' own
    stay: Counter[tuple[str, str]] = Counter()  # (region, data center): accounts staying
    flows: Counter[tuple[str, str, str, str]] = Counter()  # (from region, dc, to region, dc)
    moves: list[Move] = []
    unresolved: list[Unresolved] = []
    reordered = 0
    policies = (old, new)
    for account, location, current, was, now in zip(
        ids, locations, currents, before, after, strict=True
    ):
        if not isinstance(was, Placement) or not isinstance(now, Placement):
            failed = now if isinstance(was, Placement) else was
            unresolved.append(Unresolved(str(account), str(location), failed))  # type: ignore[arg-type]
            continue
        source = was.primary if current is None else _data_center(policies, current)
        if source is None:
            error = UnknownDataCenter(current, catalog=new.catalog.id, known=_ids_of(policies))
            unresolved.append(Unresolved(str(account), str(location), error))
            continue
        target = now.primary
        if source.id == target.id and source.region == target.region:
            stay[target.region, target.id] += 1
            if tuple(map(_ID, was.data_centers)) != tuple(map(_ID, now.data_centers)):
                reordered += 1
            continue
        decision = decide(was, source, target, account, index, when, known)
        moves.append(move_of(decision))
        flows[source.region, source.id, target.region, target.id] += 1
    return finished(old, new, when, len(ids), (stay, flows, reordered), moves, unresolved)


def move_of(decision: TransferDecision) -> Move:
    """The move a transfer decision judged: from its source to its target, with the verdict."""
    if decision.basis is TransferBasis.IN_REGION:
        verdict = Verdict.ALLOWED
    elif decision.allowed:
        verdict = Verdict.AGREEMENT
    else:
        verdict = Verdict.BLOCKED
    source, target = decision.source, decision.target
    return Move(
        account_id=decision.account_id or "",
        country=decision.location.country,
        from_region=source.region,
        to_region=target.region,
        from_primary=source.id,
        to_primary=target.id,
        verdict=verdict,
        reason=decision.reason,
        agreement=decision.agreement.id if decision.agreement is not None else None,
    )


def finished(  # noqa: PLR0913 - the parts of a plan
    old: Policy,
    new: Policy,
    at: datetime,
    accounts: int,
    counts: tuple[Counter[tuple[str, str]], Counter[tuple[str, str, str, str]], int],
    moves: list[Move],
    unresolved: list[Unresolved],
) -> MigrationPlan:
    """The plan of ``accounts``: ``counts`` are the staying and moving pairs, and the reorders."""
    stay, flows, reordered = counts
    regions, centers = _tables(stay, flows)
    return MigrationPlan(
        from_catalog=old.catalog.id,
        to_catalog=new.catalog.id,
        at=at,
        accounts=accounts,
        staying=sum(stay.values()),
        reordered=reordered,
        moves=tuple(moves),
        unresolved=tuple(unresolved),
        regions=regions,
        data_centers=centers,
    )


def _tables(
    stay: Counter[tuple[str, str]], flows: Counter[tuple[str, str, str, str]]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Per region and per data center, by id: accounts moving out, moving in, staying."""
    regions: dict[str, dict[str, int]] = {}
    centers: dict[str, dict[str, int]] = {}
    for (region, center), count in stay.items():
        regions.setdefault(region, _zero())["staying"] += count
        centers.setdefault(center, _zero())["staying"] += count
    for (from_region, source, to_region, target), count in flows.items():
        centers.setdefault(source, _zero())["moving_out"] += count
        centers.setdefault(target, _zero())["moving_in"] += count
        if from_region == to_region:
            regions.setdefault(to_region, _zero())["staying"] += count
        else:
            regions.setdefault(from_region, _zero())["moving_out"] += count
            regions.setdefault(to_region, _zero())["moving_in"] += count
    return dict(sorted(regions.items())), dict(sorted(centers.items()))


def audit(
    policy: Policy,
    accounts: Iterable[object],
    *,
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
    at: datetime | None = None,
) -> AuditReport:
    """Where each of ``accounts`` stands against ``policy``'s catalog.

    See :meth:`Policy.audit <residency.Policy.audit>`. With numpy and pyarrow installed the
    accounts are placed on the columnar path, which :func:`audit_rows` defines row by row.
    """
    when = _moment(at)
    given = _given(accounts)
    if isinstance(given, tuple):
        return audit_rows(policy, given, agreements=agreements, at=when)
    from residency import _columnar  # noqa: PLC0415 - numpy and pyarrow only when installed

    return _columnar.audit(policy, given, _index(agreements), when)


def audit_rows(
    policy: Policy,
    accounts: Iterable[object] | tuple[list[str], list[object], list[str | None]],
    *,
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
    at: datetime | None = None,
) -> AuditReport:
    """:func:`audit` the plain way: ``assign_many``, then a status per row."""
    when = _moment(at)
    ids, locations, currents = accounts if isinstance(accounts, tuple) else columns(accounts)
    placements = policy.assign_many(locations, account_ids=ids, at=when, errors="return")
    index = _index(agreements)
    known = policy._destinations  # noqa: SLF001 - the policy's own
    catalog = policy.catalog
    rows: list[AuditRow] = []
    for account, location, current, placement in zip(
        ids, locations, currents, placements, strict=True
    ):
        where = current or ""
        if not isinstance(placement, Placement):
            rows.append(_unresolvable(account, location, where, placement))
            continue
        try:
            data_center = catalog.data_center(current or "")
        except UnknownDataCenter as error:
            rows.append(_unresolvable(account, location, where, error))
            continue
        primary = placement.primary
        region = placement.region
        if data_center.id == primary.id:
            status, reason, agreement = Status.IN_PLACE, "", None
        elif data_center.region == region:
            status, reason, agreement = Status.IN_REGION, "", None
        else:
            decision = decide(placement, primary, data_center, account, index, when, known)
            agreement = decision.agreement.id if decision.agreement is not None else None
            status = Status.UNDER_AGREEMENT if decision.allowed else Status.MISPLACED
            reason = decision.reason
        rows.append(
            AuditRow(
                account_id=account,
                location=str(location),
                data_center=data_center.id,
                status=status,
                region=region,
                primary=primary.id,
                reason=reason,
                agreement=agreement,
            )
        )
    return AuditReport(catalog=catalog.id, at=when, rows=tuple(rows))


def _unresolvable(account: object, location: object, where: str, error: object) -> AuditRow:
    return AuditRow(
        account_id=str(account),
        location=str(location),
        data_center=where,
        status=Status.UNRESOLVABLE,
        reason=str(error),
        error=type(error).__name__,
    )
