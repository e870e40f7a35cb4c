"""Named country groups (the EU, the EEA EFTA states, UN M49 regions, ...) read from data.

Assignment rules match a customer's country against groups, and membership of a group can
change over time: the United Kingdom was an EU member state until 2020-01-31. A group's
members therefore carry optional dates, ``since`` (inclusive) and ``until`` (exclusive), and
every question about a group names the moment it is asked for::

    >>> from datetime import UTC, datetime
    >>> groups, problems = parse_groups(
    ...     {
    ...         "eu-founders": {
    ...             "title": "The six founding states",
    ...             "source": "Treaty of Rome",
    ...             "members": [
    ...                 {"country": "FR", "since": "1958-01-01"},
    ...                 {"country": "DE", "since": "1958-01-01"},
    ...             ],
    ...         },
    ...         "eu-with-gb": {
    ...             "title": "Founders, and the UK while it was a member",
    ...             "source": "Treaties of accession",
    ...             "include": ["eu-founders"],
    ...             "members": [{"country": "GB", "since": "1973-01-01", "until": "2020-02-01"}],
    ...         },
    ...     },
    ...     known_countries={"DE", "FR", "GB"},
    ... )
    >>> problems
    []
    >>> group = groups["eu-with-gb"]
    >>> group.contains("GB", datetime(2020, 1, 31, 23, 59, 59, tzinfo=UTC))
    True
    >>> group.contains("GB", datetime(2020, 2, 1, tzinfo=UTC))
    False
    >>> sorted(group.members_at(datetime(2026, 1, 1, tzinfo=UTC)))
    ['DE', 'FR']

The bundled groups (``data/groups.toml``) come from :func:`bundled_groups`; a catalog that
defines groups of its own has them checked by :func:`parse_groups`, which reports every problem
with its path instead of stopping at the first.
"""

from __future__ import annotations

import bisect
import functools
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency._data import load_toml
from residency._text import quoted
from residency._time import aware, day_or_instant
from residency.errors import CatalogError, Problem

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

__all__ = ["Group", "Membership", "build_groups", "bundled_groups", "parse_groups"]

_BUNDLED_FILE: Final = "groups.toml"


@attrs.frozen
class Membership:
    """One country's membership of a group, for all time or between two instants."""

    country: str
    """The member's ISO 3166-1 alpha-2 code (or ``XK``)."""
    since: datetime | None = None
    """The first instant of membership (inclusive), timezone-aware; ``None``: always was."""
    until: datetime | None = None
    """The first instant after membership (exclusive), timezone-aware; ``None``: still is."""

    def __attrs_post_init__(self) -> None:
        """Refuse naive instants and empty spans, which would make answers depend on luck."""
        since, until = self.since, self.until
        if since is not None:
            aware(since, "since")
        if until is not None:
            aware(until, "until")
            if since is not None and until <= since:
                msg = f"until ({until.isoformat()}) must be after since ({since.isoformat()})"
                raise ValueError(msg)

    @property
    def dated(self) -> bool:
        """Whether the membership has a start or an end."""
        return self.since is not None or self.until is not None

    def active_at(self, at: datetime) -> bool:
        """Return whether the country is a member at the timezone-aware instant ``at``."""
        return (self.since is None or self.since <= at) and (self.until is None or at < self.until)


# Sorts before every real start: a span without ``since`` has always been.
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)


def _start_key(membership: Membership) -> tuple[bool, datetime]:
    return (membership.since is not None, membership.since or _EARLIEST)


def _merge(memberships: Iterable[Membership]) -> tuple[Membership, ...]:
    """Return the union of the memberships: per country, spans merged where they meet."""
    by_country: dict[str, list[Membership]] = {}
    for membership in memberships:
        by_country.setdefault(membership.country, []).append(membership)
    merged: list[Membership] = []
    for country in sorted(by_country):
        spans = by_country[country]
        if len(spans) == 1:  # most countries: the span is already its own union
            merged.append(spans[0])
            continue
        spans.sort(key=_start_key)
        since, until = spans[0].since, spans[0].until
        for span in spans[1:]:
            if until is not None and (span.since is None or span.since <= until):
                until = None if span.until is None else max(until, span.until)
            elif until is not None:
                merged.append(Membership(country, since, until))
                since, until = span.since, span.until
            # until is None: the current span runs forever and swallows the rest.
        merged.append(Membership(country, since, until))
    return tuple(merged)


def _ids(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class Group:
    """A named set of countries whose membership may change over time.

    The members of included groups are merged into ``members`` when the group is built (by
    :func:`parse_groups`); lookups are answered from indexes built once, here.
    """

    id: str
    """The id that catalogs use to refer to the group (``eu-member-states``)."""
    title: str
    """A human-readable name."""
    source: str
    """The authority and the document the members come from."""
    members: tuple[Membership, ...] = attrs.field(converter=_merge)
    """Every membership, sorted by country and time; a country's spans are merged where they
    overlap or meet, so that they never share an instant."""
    note: str = ""
    """Caveats: what the group leaves out, places without a code of their own, and so on."""
    m49: str | None = None
    """The UN M49 numeric code of the area, for the M49 groups (``"150"`` for Europe)."""
    includes: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    """The ids of the groups whose members were merged in, as the group names them."""

    _always: frozenset[str] = attrs.field(init=False, repr=False, eq=False)
    _timeline: tuple[datetime, ...] = attrs.field(init=False, repr=False, eq=False)
    _snapshots: tuple[frozenset[str], ...] = attrs.field(init=False, repr=False, eq=False)
    _countries: frozenset[str] = attrs.field(init=False, repr=False, eq=False)
    _change_points: frozenset[datetime] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        """Index the members so that the hot paths are a set lookup or a bisection."""
        always = frozenset(m.country for m in self.members if not m.dated)
        timeline = sorted(
            {m.since for m in self.members if m.since is not None}
            | {m.until for m in self.members if m.until is not None}
        )
        # Membership is constant between two change points: snapshots[i] holds the members
        # from timeline[i - 1] (inclusive) to timeline[i] (exclusive); snapshots[0] the
        # members before the first change.
        before = frozenset(m.country for m in self.members if m.since is None)
        snapshots = [before] + [
            frozenset(m.country for m in self.members if m.active_at(point)) for point in timeline
        ]
        object.__setattr__(self, "_always", always)
        object.__setattr__(self, "_timeline", tuple(timeline))
        object.__setattr__(self, "_snapshots", tuple(snapshots))
        object.__setattr__(self, "_countries", frozenset(m.country for m in self.members))
        object.__setattr__(self, "_change_points", frozenset(timeline))

    def members_at(self, at: datetime) -> frozenset[str]:
        """Return the countries that are members at the timezone-aware instant ``at``."""
        if not self._timeline:
            return self._always
        return self._snapshots[bisect.bisect_right(self._timeline, at)]

    def contains(self, country: str, at: datetime) -> bool:
        """Return whether ``country`` is a member at the timezone-aware instant ``at``."""
        if country in self._always:
            return True
        if not self._timeline:
            return False
        return country in self._snapshots[bisect.bisect_right(self._timeline, at)]

    def countries(self) -> frozenset[str]:
        """Return every country that is, was or will be a member at some moment."""
        return self._countries

    def change_points(self) -> frozenset[datetime]:
        """Return every instant at which the group's membership changes."""
        return self._change_points


@functools.cache
def bundled_groups() -> Mapping[str, Group]:
    """Return the groups of the bundled ``data/groups.toml`` by id, parsed once, read-only.

    The bundled file is trusted for its shape (the test suite checks it against the file
    schema), so this path imports no pydantic.

    Raises:
        CatalogError: the bundled file is invalid (a packaging bug; the tests prevent it).
    """
    # Imported here: the country table is only needed once the bundled file is read.
    from residency.locations import countries  # noqa: PLC0415 - lazy by design

    groups, problems = build_groups(load_toml(_BUNDLED_FILE)["groups"], known_countries=countries())
    if problems:
        raise CatalogError(problems, source=f"residency/data/{_BUNDLED_FILE}")
    return MappingProxyType(groups)


def parse_groups(
    data: object,
    *,
    known_countries: Collection[str],
    path: str = "groups",
    available: Mapping[str, Group] | None = None,
) -> tuple[dict[str, Group], list[Problem]]:
    """Turn a table of groups (as in ``groups.toml`` or a catalog file) into groups.

    ``data`` maps group ids to tables with ``title``, ``source``, optional ``note`` and
    ``m49``, and ``members`` and/or ``include``. A member is a country code or a table with
    ``country`` and optional ``since``/``until`` (an ISO date, meaning 00:00 UTC, or a
    timezone-aware date-time). The shape is checked by the file schema, then what refers to
    what (countries, included groups, cycles); every problem is gathered with its path under
    ``path``, and the function never raises on malformed data. A group is returned only when
    it and every group it includes are free of problems. A group may include a group of
    ``data`` or one of ``available`` (a catalog's groups may include the bundled ones).

    Returns:
        The valid groups by id, and every problem found.
    """
    from residency import _schema  # noqa: PLC0415 - pydantic loads only for files

    checked = _schema.check_groups(data, path=path)
    groups, problems = build_groups(
        checked.data,
        known_countries=known_countries,
        path=path,
        available=available,
        broken=checked.broken.get("groups", frozenset()),
        positions=checked.positions,
    )
    return groups, [*checked.problems, *problems]


def build_groups(  # noqa: PLR0913 - the table and what it is checked against, keyword-only
    table: Mapping[str, Mapping[str, Any]],
    *,
    known_countries: Collection[str],
    path: str = "groups",
    available: Mapping[str, Group] | None = None,
    broken: Collection[str] = frozenset(),
    positions: Mapping[str, Sequence[int]] | None = None,
) -> tuple[dict[str, Group], list[Problem]]:
    """Build groups from a table whose shape is checked (or trusted), gathering every problem.

    Checks what the shape cannot: member countries, spans that end before they start, a
    country listed twice with overlapping dates, included groups that do not exist (except
    those in ``broken``, whose own problems are reported), and include cycles. A group in
    ``broken`` is checked for what it names but never built; ``positions`` gives, for a group
    checked without some of its members, where in the file the others stand.
    """
    known = frozenset(known_countries)
    available = available or {}
    problems: list[Problem] = []
    members: dict[str, list[Membership] | None] = {}
    for group_id, raw in table.items():
        listed = raw.get("members", ())
        places = (positions or {}).get(group_id, range(len(listed)))
        members[group_id] = _members(
            zip(places, listed, strict=True), f"{path}.{group_id}.members", known, problems
        )
        if group_id in broken:
            members[group_id] = None
    includes = {group_id: list(raw.get("include", ())) for group_id, raw in table.items()}
    for group_id in _bad_includes(includes, path, available, broken, problems):
        members[group_id] = None
    built: dict[str, Group | None] = {}
    for group_id in _dependency_order(includes):
        own = members[group_id]
        parts = None if own is None else list(own)
        for other in includes[group_id]:
            group = built.get(other) if other in table else available.get(other)
            if parts is None or group is None:
                parts = None
                break
            parts.extend(group.members)
        raw = table[group_id]
        built[group_id] = (
            None
            if parts is None
            else Group(
                id=group_id,
                title=raw["title"],
                source=raw["source"],
                members=parts,
                note=raw.get("note", ""),
                m49=raw.get("m49"),
                includes=tuple(includes[group_id]),
            )
        )
    return {group_id: group for group_id, group in built.items() if group is not None}, problems


def _bad_includes(
    includes: Mapping[str, list[str]],
    path: str,
    available: Mapping[str, Group],
    broken: Collection[str],
    problems: list[Problem],
) -> set[str]:
    """Report includes of unknown groups and include cycles; return the groups they spoil."""
    spoiled: set[str] = set()
    for group_id, included in includes.items():
        for position, other in enumerate(included):
            if other in included[:position]:
                where = f"{path}.{group_id}.include[{position}]"
                problems.append(Problem(where, f"{quoted(other)} is included more than once"))
                spoiled.add(group_id)
            elif other not in includes and other not in available:
                if other not in broken:  # a group with its own problems, reported already
                    where = f"{path}.{group_id}.include[{position}]"
                    problems.append(Problem(where, f"unknown group {quoted(other)}"))
                spoiled.add(group_id)
    for cycle in _cycles(includes):
        where = f"{path}.{cycle[-2]}.include[{includes[cycle[-2]].index(cycle[-1])}]"
        problems.append(Problem(where, f"include cycle: {' -> '.join(cycle)}"))
        spoiled.update(cycle)
    return spoiled


def _members(
    listed: Iterable[tuple[int, object]],
    path: str,
    known: frozenset[str],
    problems: list[Problem],
) -> list[Membership] | None:
    """The memberships a group lists (with their positions), or None after reporting problems."""
    memberships: list[tuple[Membership, str]] = []
    fine = True
    for index, entry in listed:
        where = f"{path}[{index}]"
        raw: Mapping[str, Any] = {"country": entry} if isinstance(entry, str) else entry  # type: ignore[assignment]
        country = raw["country"]
        if country not in known:
            problems.append(
                Problem(
                    where if isinstance(entry, str) else f"{where}.country",
                    f"unknown country code {quoted(country)}",
                )
            )
            fine = False
            continue
        since = raw.get("since")
        until = raw.get("until")
        if since is not None:
            since = day_or_instant(since)
        if until is not None:
            until = day_or_instant(until)
        if since is not None and until is not None and until <= since:
            problems.append(
                Problem(
                    f"{where}.until", f"must be after since ({_when(since)}), not {_when(until)}"
                )
            )
            fine = False
            continue
        memberships.append((Membership(country, since, until), where))
    fine &= _no_overlaps(memberships, problems)
    return [membership for membership, _ in memberships] if fine else None


def _no_overlaps(memberships: list[tuple[Membership, str]], problems: list[Problem]) -> bool:
    """Report a country listed twice with spans that share an instant (a likely typo)."""
    by_country: dict[str, list[tuple[Membership, str]]] = {}
    for membership, where in memberships:
        by_country.setdefault(membership.country, []).append((membership, where))
    fine = True
    for listed in by_country.values():
        listed.sort(key=lambda pair: _start_key(pair[0]))
        # reach: where the spans seen so far end (None: never), and which entry ends there.
        reach, reach_at = listed[0][0].until, listed[0][1]
        for membership, where in listed[1:]:
            if reach is None or membership.since is None or membership.since < reach:
                message = (
                    f"{membership.country} is listed again with overlapping dates (see {reach_at})"
                )
                problems.append(Problem(where, message))
                fine = False
            if reach is not None and (membership.until is None or membership.until > reach):
                reach, reach_at = membership.until, where
    return fine


def _cycles(includes: Mapping[str, list[str]]) -> list[list[str]]:
    """Every include cycle, once, as the path that closes it; iterative, no recursion."""
    cycles: list[list[str]] = []
    done: set[str] = set()
    for root in includes:
        if root in done:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        on_path: dict[str, int] = {root: 0}
        while stack:
            group_id, index = stack[-1]
            edges = includes[group_id]
            if index == len(edges):
                stack.pop()
                del on_path[group_id]
                done.add(group_id)
                continue
            stack[-1] = (group_id, index + 1)
            target = edges[index]
            if target in on_path:
                cycles.append([gid for gid, _ in stack[on_path[target] :]] + [target])
            elif target in includes and target not in done:
                on_path[target] = len(stack)
                stack.append((target, 0))
    return cycles


def _dependency_order(includes: Mapping[str, list[str]]) -> list[str]:
    """The groups, each after every group of the table it includes (cycles broken anywhere)."""
    order: list[str] = []
    placed: set[str] = set()
    for root in includes:
        stack = [(root, iter(includes[root]))]
        entered = {root}
        while stack:
            group_id, pending = stack[-1]
            for other in pending:
                if other in includes and other not in placed and other not in entered:
                    entered.add(other)
                    stack.append((other, iter(includes[other])))
                    break
            else:
                stack.pop()
                if group_id not in placed:
                    placed.add(group_id)
                    order.append(group_id)
    return order


def _when(instant: datetime) -> str:
    """Show an instant as it was most likely written: a date for midnight UTC."""
    if instant.hour == instant.minute == instant.second == instant.microsecond == 0:
        return instant.date().isoformat()
    return instant.isoformat()
