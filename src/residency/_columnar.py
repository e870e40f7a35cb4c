"""Plans and audits of whole customer bases on the columnar path, as the plain ones define them.

:func:`residency.migration.plan_rows` and :func:`residency.migration.audit_rows` define what a
plan and an audit are, row by row. Here the same answers come from the columnar path: every
account placed by :func:`residency.frames.place_columns` (each distinct location once, the
accounts ranked with numpy), the rows that stay put, or stand where they should, found with
numpy masks, and only the others (the moves, the accounts outside their region) decided one
by one. ``tests/test_columnar.py`` holds both paths equal.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Final

from residency._fast import decide
from residency.errors import ResidencyError, UnknownDataCenter
from residency.frames import _module, place_columns
from residency.migration import (
    AuditReport,
    AuditRow,
    MigrationPlan,
    Move,
    Status,
    Unresolved,
    _data_center,
    _ids_of,
    _unresolvable,
    finished,
    move_of,
)
from residency.placement import Placement

if TYPE_CHECKING:
    from datetime import datetime

    from residency.agreements import AgreementIndex
    from residency.catalog import DataCenter
    from residency.frames import ArrowColumns
    from residency.policy import Policy
    from residency.store import AgreementStore

__all__ = ["audit", "plan"]

_NONE_GIVEN: Final = -2
"""The number of a row's data center when the row names none."""
_OUTSIDE: Final = 2
"""An audit row outside its region (0: in place, 1: in region): decided one by one."""


def _codes(array: Any, universe: dict[str, int]) -> Any:  # noqa: ANN401 - pyarrow, numpy
    """A dictionary-encoded column as numbers of ``universe`` (-1 for null)."""
    numpy = _module("numpy")
    pc = _module("pyarrow.compute")
    indices = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False).astype(numpy.int64)
    names = array.dictionary.to_pylist()
    lookup = numpy.array([universe[name] for name in names] + [-1], dtype=numpy.int64)
    return lookup[indices]  # -1 indexes the final -1


def _orders(lists: Any, universe: dict[str, int]) -> tuple[Any, Any]:  # noqa: ANN401
    """Each row's data centers as numbers of ``universe``: (offsets, flat numbers)."""
    numpy = _module("numpy")
    offsets = lists.offsets.to_numpy(zero_copy_only=False).astype(numpy.int64)
    return offsets, _codes(lists.values, universe)


def _reordered(rows: Any, old: tuple[Any, Any], new: tuple[Any, Any]) -> int:  # noqa: ANN401
    """How many of ``rows`` have their data centers in another order (or another set)."""
    numpy = _module("numpy")
    old_offsets, old_values = old
    new_offsets, new_values = new
    old_lengths = old_offsets[rows + 1] - old_offsets[rows]
    new_lengths = new_offsets[rows + 1] - new_offsets[rows]
    same = old_lengths == new_lengths
    differ = int((~same).sum())
    rows, lengths = rows[same], old_lengths[same]
    lengths_kept = lengths > 0
    rows, lengths = rows[lengths_kept], lengths[lengths_kept]
    if not len(rows):
        return differ
    total = int(lengths.sum())
    starts = numpy.cumsum(lengths) - lengths
    within = numpy.arange(total) - numpy.repeat(starts, lengths)
    row_of = numpy.repeat(rows, lengths)
    unequal = old_values[old_offsets[row_of] + within] != new_values[new_offsets[row_of] + within]
    return differ + int(numpy.logical_or.reduceat(unequal, starts).sum())


def _error(policy: Policy, location: object, account: object, at: datetime) -> ResidencyError:
    """The typed error of a row the columnar path could not place (as assign_many gives it)."""
    accounts = [account]
    (answer,) = policy.assign_many([location], account_ids=accounts, at=at, errors="return")  # type: ignore[call-overload]
    if isinstance(answer, Placement):  # cannot be: the columnar path found an error
        message = "the columnar path and assign_many disagree on a row"
        raise TypeError(message)
    error: ResidencyError = answer
    return error


def plan(  # noqa: C901, PLR0915 - one pass: the masks, then each row that moves
    old: Policy,
    new: Policy,
    columns: ArrowColumns,
    index: AgreementIndex | AgreementStore,
    when: datetime,
) -> MigrationPlan:
    """:func:`residency.migration.plan_rows`, on the columnar path."""
    numpy = _module("numpy")
    before = place_columns(old, columns.locations, columns.accounts, when)
    after = place_columns(new, columns.locations, columns.accounts, when)
    universe: dict[str, int] = {}
    for policy in (old, new):
        for dc in policy.catalog.data_centers:
            universe.setdefault(dc.id, len(universe))
    known = old._destinations | new._destinations  # noqa: SLF001 - the policies' own
    ids = columns.accounts.to_pylist()
    locations = columns.locations.to_pylist()
    was_valid = before["error"].is_null().to_numpy(zero_copy_only=False)
    now_valid = after["error"].is_null().to_numpy(zero_copy_only=False)
    old_primary = _codes(before["primary"], universe)
    new_primary = _codes(after["primary"], universe)
    # Each data center's region, as a number: in the old catalog (where the data is now,
    # looked up there first, as the plain path does) and in the new one (where it goes).
    regions_of = {dc.id: dc.region for p in (new, old) for dc in p.catalog.data_centers}
    numbered = {region: number for number, region in enumerate(sorted(set(regions_of.values())))}
    old_region = numpy.full(len(universe) + 1, -1, dtype=numpy.int64)
    new_region = numpy.full(len(universe) + 1, -1, dtype=numpy.int64)
    for policy, table in ((new, old_region), (old, old_region), (new, new_region)):
        for dc in policy.catalog.data_centers:
            table[universe[dc.id]] = numbered[dc.region]
    # Where each account is now: the data center the row names, else its old primary.
    source = old_primary.copy()
    unknown_current = numpy.zeros(len(ids), dtype=bool)
    currents: list[str | None] = [None] * len(ids)
    if columns.data_centers is not None:
        currents = columns.data_centers.to_pylist()
        named = _current(columns.data_centers, (old, new), universe)
        given = named != _NONE_GIVEN
        unknown_current = named == -1
        source = numpy.where(given, named, source)
    valid = was_valid & now_valid & ~unknown_current
    staying = valid & (source == new_primary) & (old_region[source] == new_region[new_primary])
    staying_rows = numpy.nonzero(staying)[0]
    reordered = _reordered(
        staying_rows,
        _orders(before["data_centers"], universe),
        _orders(after["data_centers"], universe),
    )
    names = list(universe)
    stay: Counter[tuple[str, str]] = Counter()
    for number, count in enumerate(numpy.bincount(new_primary[staying_rows], minlength=1)):
        if count:
            stay[regions_of[names[number]], names[number]] += int(count)
    flows: Counter[tuple[str, str, str, str]] = Counter()
    moves: list[Move] = []
    unresolved: list[Unresolved] = []
    policies = (old, new)
    for row in numpy.nonzero(~staying)[0].tolist():
        account, location = ids[row], locations[row]
        if not was_valid[row]:
            unresolved.append(
                Unresolved(str(account), str(location), _error(old, location, account, when))
            )
            continue
        if not now_valid[row]:
            unresolved.append(
                Unresolved(str(account), str(location), _error(new, location, account, when))
            )
            continue
        if unknown_current[row]:
            error = UnknownDataCenter(
                currents[row], catalog=new.catalog.id, known=_ids_of(policies)
            )
            unresolved.append(Unresolved(str(account), str(location), error))
            continue
        was = old.assign(location, account_id=account, at=when)
        target = new.catalog.data_center(names[new_primary[row]])
        source_dc = _data_center(policies, names[source[row]])
        if source_dc is None:  # cannot be: every number names a data center of either catalog
            raise UnknownDataCenter(names[source[row]], catalog=new.catalog.id, known=names)
        decision = decide(was, source_dc, target, account, index, when, known)
        moves.append(move_of(decision))
        flows[source_dc.region, source_dc.id, target.region, target.id] += 1
    counts = (stay, flows, reordered)
    return finished(old, new, when, len(ids), counts, moves, unresolved)


def _current(
    data_centers: Any,  # noqa: ANN401 - a pyarrow array
    policies: tuple[Policy, ...],
    universe: dict[str, int],
) -> Any:  # noqa: ANN401 - a numpy array
    """Each row's data center as a number of ``universe``: -1 unknown, -2 none given."""
    numpy = _module("numpy")
    pc = _module("pyarrow.compute")
    encoded = pc.dictionary_encode(data_centers)
    numbers = []
    for value in encoded.dictionary.to_pylist():
        if not value:
            numbers.append(-2)
            continue
        found = None
        for policy in policies:
            try:
                found = policy.catalog.data_center(value).id
                break
            except UnknownDataCenter:
                continue
        numbers.append(-1 if found is None else universe[found])
    lookup = numpy.array([*numbers, -2], dtype=numpy.int64)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(numpy.int64)
    return lookup[indices]


def audit(
    policy: Policy,
    columns: ArrowColumns,
    index: AgreementIndex | AgreementStore,
    when: datetime,
) -> AuditReport:
    """:func:`residency.migration.audit_rows`, on the columnar path."""
    numpy = _module("numpy")
    pa = _module("pyarrow")
    pc = _module("pyarrow.compute")
    catalog = policy.catalog
    placed = place_columns(policy, columns.locations, columns.accounts, when)
    count = len(columns)
    currents = columns.data_centers
    if currents is None:
        currents = pa.nulls(count, type=pa.string())
    # Each distinct data center named: its id and region, or the error naming it.
    encoded = pc.dictionary_encode(pc.fill_null(currents, ""))
    found: list[DataCenter | UnknownDataCenter] = []
    for value in encoded.dictionary.to_pylist():
        try:
            found.append(catalog.data_center(value))
        except UnknownDataCenter as error:
            found.append(error)
    where = encoded.indices.to_numpy(zero_copy_only=False).astype(numpy.int64)
    universe = {dc.id: number for number, dc in enumerate(catalog.data_centers)}
    named = numpy.array(
        [universe[item.id] if not isinstance(item, UnknownDataCenter) else -1 for item in found]
        or [-1],
        dtype=numpy.int64,
    )[where]
    primary = _codes(placed["primary"], universe)
    region_names = [region.id for region in catalog.regions]
    regions = {region: number for number, region in enumerate(region_names)}
    row_region = _codes(placed["region"], regions)
    dc_region = numpy.array([regions[dc.region] for dc in catalog.data_centers] + [-1])
    located = placed["error"].is_null().to_numpy(zero_copy_only=False)
    in_place = located & (named >= 0) & (named == primary)
    in_region = located & (named >= 0) & ~in_place & (dc_region[named] == row_region)
    ids = columns.accounts.to_pylist()
    locations = columns.locations.to_pylist()
    dc_names = [dc.id for dc in catalog.data_centers]
    statuses = numpy.where(in_place, 0, numpy.where(in_region, 1, _OUTSIDE)).tolist()
    rows: list[AuditRow] = []
    for row, status in enumerate(statuses):
        account, location = ids[row], locations[row]
        text = str(location)
        if status < _OUTSIDE:  # in place, or in region
            rows.append(
                AuditRow(
                    account_id=account,
                    location=text,
                    data_center=dc_names[named[row]],
                    status=Status.IN_PLACE if status == 0 else Status.IN_REGION,
                    region=region_names[row_region[row]],
                    primary=dc_names[primary[row]],
                )
            )
            continue
        given = found[where[row]]
        mark = given.id if not isinstance(given, UnknownDataCenter) else ""
        current = "" if columns.data_centers is None else (currents[row].as_py() or "")
        if not located[row]:
            rows.append(
                _unresolvable(account, location, current, _error(policy, location, account, when))
            )
            continue
        if isinstance(given, UnknownDataCenter):
            rows.append(_unresolvable(account, location, current, given))
            continue
        placement = policy.assign(location, account_id=account, at=when)
        known = policy._destinations  # noqa: SLF001 - the policy's own
        decision = decide(placement, placement.primary, given, account, index, when, known)
        rows.append(
            AuditRow(
                account_id=account,
                location=text,
                data_center=mark,
                status=Status.UNDER_AGREEMENT if decision.allowed else Status.MISPLACED,
                region=placement.region,
                primary=placement.primary.id,
                reason=decision.reason,
                agreement=decision.agreement.id if decision.agreement is not None else None,
            )
        )
    return AuditReport(catalog=catalog.id, at=when, rows=tuple(rows))
