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
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Final

import attrs

from residency._data import load_toml
from residency.errors import CatalogError, Problem

__all__ = ["Group", "Membership", "bundled_groups", "parse_groups"]

_BUNDLED_FILE: Final = "groups.toml"

_GROUP_ID: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_COUNTRY_CODE: Final = re.compile(r"[A-Z]{2}")
_M49_CODE: Final = re.compile(r"[0-9]{3}")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_TIME_TEXT: Final = 40
_MAX_SHOWN: Final = 40
_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")

_GROUP_FIELDS: Final = frozenset({"title", "source", "note", "m49", "members", "include"})
_MEMBER_FIELDS: Final = frozenset({"country", "since", "until"})


def _check_utc(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        msg = f"{name} must be timezone-aware, got the naive {value.isoformat()}"
        raise ValueError(msg)


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
        _check_utc("since", self.since)
        _check_utc("until", self.until)
        if self.since is not None and self.until is not None and self.until <= self.since:
            msg = f"until ({self.until.isoformat()}) must be after since ({self.since.isoformat()})"
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
        spans = sorted(by_country[country], key=_start_key)
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

    Raises:
        CatalogError: the bundled file is invalid (a packaging bug; the tests prevent it).
    """
    # Imported here: the country table is only needed once the bundled file is read.
    from residency.locations import countries  # noqa: PLC0415 - lazy by design

    table = load_toml(_BUNDLED_FILE).get("groups")
    groups, problems = parse_groups(
        table if isinstance(table, Mapping) else {}, known_countries=countries()
    )
    if problems:
        raise CatalogError(problems, source=f"residency/data/{_BUNDLED_FILE}")
    return MappingProxyType(groups)


def parse_groups(
    data: Mapping[str, object],
    *,
    known_countries: Collection[str],
    path: str = "groups",
    available: Mapping[str, Group] | None = None,
) -> tuple[dict[str, Group], list[Problem]]:
    """Turn a table of groups (as in ``groups.toml`` or a catalog) into groups.

    ``data`` maps group ids to tables with ``title``, ``source``, optional ``note`` and
    ``m49``, and ``members`` and/or ``include``. A member is a country code or a table with
    ``country`` and optional ``since``/``until`` (an ISO date, meaning 00:00 UTC, or a
    timezone-aware date-time). Every problem is gathered, with its path under ``path``; the
    function never raises on malformed data. A group is returned only when it and every group
    it includes are free of problems. A group may include a group of ``data`` or one of
    ``available`` (a catalog's groups may include the bundled ones); ``data`` wins a tie.

    Args:
        data: The table of groups, keyed by group id.
        known_countries: The country codes a member may name.
        path: The path of ``data`` in its document, the prefix of every problem's path.
        available: Groups already built that the groups of ``data`` may include.

    Returns:
        The valid groups by id, and every problem found: each group's own problems in
        document order, then unknown included groups and include cycles.
    """
    problems: list[Problem] = []
    document: object = data  # typed as a Mapping, but catalogs hand over whatever they read
    if not isinstance(document, Mapping):
        problems.append(Problem(path, f"expected a table of groups, got {_kind(document)}"))
        return {}, problems
    parser = _Parser(frozenset(known_countries), problems)
    drafts: dict[str, _Draft] = {}
    for key, value in document.items():
        draft = parser.group(key, value, path)
        if draft is not None:
            drafts[draft.id] = draft
    return _Resolver(drafts, problems, available or {}).resolve(), problems


# --- parsing ----------------------------------------------------------------------------------


@attrs.define
class _Draft:
    """A group as written, before its includes are resolved."""

    id: str
    title: str = ""
    source: str = ""
    note: str = ""
    m49: str | None = None
    members: list[Membership] = attrs.Factory(list)
    include: list[tuple[str, str]] = attrs.Factory(list)
    """(group id, path of the entry) for each included group."""
    valid: bool = True


@attrs.define
class _Parser:
    """Checks one table at a time, appending what is wrong to ``problems``."""

    known: frozenset[str]
    problems: list[Problem]

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def group(self, key: object, value: object, parent: str) -> _Draft | None:
        if not isinstance(key, str) or not _GROUP_ID.fullmatch(key):
            self.report(
                _child(parent, key),
                "a group id is lower-case letters, digits and hyphens, "
                "starting and ending with a letter or digit",
            )
            return None
        path = f"{parent}.{key}"
        draft = _Draft(id=key)
        if not isinstance(value, Mapping):
            self.report(path, f"expected a table, got {_kind(value)}")
            draft.valid = False
            return draft
        before = len(self.problems)
        for field in value:
            if field not in _GROUP_FIELDS:
                expected = ", ".join(sorted(_GROUP_FIELDS))
                self.report(_child(path, field), f"unknown field; expected one of {expected}")
        draft.title = self.text(value, "title", path, required=True)
        draft.source = self.text(value, "source", path, required=True)
        draft.note = self.text(value, "note", path, required=False)
        draft.m49 = self.m49(value.get("m49"), f"{path}.m49")
        listed = len(self.problems)
        draft.members = self.members(value.get("members"), f"{path}.members")
        draft.include = self.include(value.get("include"), f"{path}.include")
        if not draft.members and not draft.include and len(self.problems) == listed:
            self.report(path, "a group needs members or include: at least one of them")
        draft.valid = len(self.problems) == before
        return draft

    def text(self, table: Mapping[object, object], field: str, path: str, *, required: bool) -> str:
        if field not in table:
            if required:
                self.report(f"{path}.{field}", "missing")
            return ""
        value = table[field]
        if not isinstance(value, str):
            self.report(f"{path}.{field}", f"expected text, got {_kind(value)}")
            return ""
        if required and not value.strip():
            self.report(f"{path}.{field}", "must not be empty")
        return value

    def m49(self, value: object, path: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and _M49_CODE.fullmatch(value):
            return value
        self.report(path, f'expected a three-digit UN M49 code as text ("150"), got {_show(value)}')
        return None

    def include(self, value: object, path: str) -> list[tuple[str, str]]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.report(path, f"expected a list of group ids, got {_kind(value)}")
            return []
        included: list[tuple[str, str]] = []
        seen: set[str] = set()
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if not isinstance(item, str):
                self.report(where, f"expected a group id, got {_kind(item)}")
            elif item in seen:
                self.report(where, f"{_show(item)} is included more than once")
            else:
                seen.add(item)
                included.append((item, where))
        return included

    def members(self, value: object, path: str) -> list[Membership]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.report(path, f"expected a list of members, got {_kind(value)}")
            return []
        members: list[tuple[Membership, str]] = []
        for index, item in enumerate(value):
            membership = self.member(item, f"{path}[{index}]")
            if membership is not None:
                members.append((membership, f"{path}[{index}]"))
        self.overlaps(members)
        return [membership for membership, _ in members]

    def member(self, value: object, path: str) -> Membership | None:
        if isinstance(value, str):
            return Membership(value) if self.country(value, path) else None
        if not isinstance(value, Mapping):
            self.report(
                path, f"expected a country code or a table with country, got {_kind(value)}"
            )
            return None
        unknown = [field for field in value if field not in _MEMBER_FIELDS]
        for field in unknown:
            self.report(_child(path, field), "unknown field; expected country, since, until")
        country = self.member_country(value.get("country"), f"{path}.country")
        since = self.instant(value.get("since"), f"{path}.since")
        until = self.instant(value.get("until"), f"{path}.until")
        if not self.span(since, until, f"{path}.until") or unknown or country is None:
            return None
        return Membership(country, since, until)

    def member_country(self, value: object, path: str) -> str | None:
        if value is None:
            self.report(path, "missing")
            return None
        if not isinstance(value, str):
            self.report(path, f"expected a country code, got {_kind(value)}")
            return None
        return value if self.country(value, path) else None

    def span(self, since: datetime | None, until: datetime | None, path: str) -> bool:
        """Return whether since and until make a span, reporting at ``path`` when not."""
        if since is _BAD or until is _BAD:
            return False
        if since is not None and until is not None and until <= since:
            self.report(path, f"must be after since ({_when(since)}), got {_when(until)}")
            return False
        return True

    def country(self, code: str, path: str) -> bool:
        if code in self.known:
            return True
        if _COUNTRY_CODE.fullmatch(code):
            self.report(path, f"unknown country code {_show(code)}")
        elif code.strip().upper() in self.known:
            self.report(
                path,
                f"{_show(code)} is not an upper-case ISO 3166-1 alpha-2 code; "
                f"write {_show(code.strip().upper())}",
            )
        else:
            self.report(path, f"{_show(code)} is not an ISO 3166-1 alpha-2 country code")
        return False

    def instant(self, value: object, path: str) -> datetime | None:
        """Return the instant ``value`` names, None when absent, or _BAD after a report."""
        if value is None:
            return None
        try:
            instant = _to_instant(value)
        except (ValueError, OverflowError) as error:
            self.report(path, str(error))
            return _BAD
        return instant

    def overlaps(self, members: Iterable[tuple[Membership, str]]) -> None:
        """Report a country listed twice with spans that share an instant (a likely typo)."""
        by_country: dict[str, list[tuple[Membership, str]]] = {}
        for membership, where in members:
            by_country.setdefault(membership.country, []).append((membership, where))
        for listed in by_country.values():
            listed.sort(key=lambda pair: _start_key(pair[0]))
            # reach: where the spans seen so far end (None: never), and which entry ends there.
            reach, reach_at = listed[0][0].until, listed[0][1]
            for membership, where in listed[1:]:
                if reach is None or membership.since is None or membership.since < reach:
                    self.report(
                        where,
                        f"{membership.country} is listed again with overlapping dates "
                        f"(see {reach_at})",
                    )
                if reach is not None and (membership.until is None or membership.until > reach):
                    reach, reach_at = membership.until, where


# A sentinel for "a time that was reported as bad", distinct from "no time given".
_BAD: Final = datetime.min.replace(tzinfo=UTC)


def _to_instant(value: object) -> datetime:
    """Return the UTC instant of a date (00:00 UTC) or an aware date-time, or raise ValueError."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            msg = (
                f"{value.isoformat()} has no UTC offset; "
                "write a date (2020-02-01) or a time with an offset"
            )
            raise ValueError(msg)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        msg = f"expected an ISO date (2020-02-01), got {_kind(value)}"
        raise ValueError(msg)  # noqa: TRY004 - reported as a problem of the document, not raised
    if len(value) > _MAX_TIME_TEXT:
        msg = f"expected an ISO date (2020-02-01), got {_show(value)}"
        raise ValueError(msg)
    if _ISO_DATE.fullmatch(value):
        try:
            return _to_instant(date.fromisoformat(value))
        except ValueError:
            msg = f"{_show(value)} is not a valid date"
            raise ValueError(msg) from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        msg = f"expected an ISO date (2020-02-01) or an RFC 3339 time, got {_show(value)}"
        raise ValueError(msg) from None
    return _to_instant(parsed)


def _when(instant: datetime) -> str:
    """Show an instant as it was most likely written: a date for midnight UTC."""
    if instant.hour == instant.minute == instant.second == instant.microsecond == 0:
        return instant.date().isoformat()
    return instant.isoformat()


def _child(path: str, key: object) -> str:
    """Return the path of ``key`` under ``path``: ``groups.eu``, or ``groups['a b']``."""
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{_show(key)}]"


def _kind(value: object) -> str:
    """Name the type of a value the way the document's author would see it."""
    names = {
        type(None): "nothing",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        tuple: "a list",
        dict: "a table",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _show(value: object) -> str:
    """Quote a value for a message, cut short so that garbage cannot flood it."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else f"{text[: _MAX_SHOWN - 3]}..."


# --- resolving includes -----------------------------------------------------------------------


@attrs.define
class _Resolver:
    """Resolves includes in dependency order, reporting unknown ids and cycles."""

    drafts: dict[str, _Draft]
    problems: list[Problem]
    available: Mapping[str, Group]
    resolved: dict[str, Group | None] = attrs.Factory(dict)

    def resolve(self) -> dict[str, Group]:
        for draft in self.drafts.values():
            for included, where in draft.include:
                if included not in self.drafts and included not in self.available:
                    self.problems.append(Problem(where, f"unknown group {_show(included)}"))
                    draft.valid = False
        self.report_cycles()
        for group_id in self.drafts:
            self.build(group_id)
        return {group_id: group for group_id, group in self.resolved.items() if group is not None}

    def report_cycles(self) -> None:
        """Report each include cycle once, at the entry that closes it; iterative, no recursion."""
        done: set[str] = set()
        for root in self.drafts:
            if root in done:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            on_path: dict[str, int] = {root: 0}
            while stack:
                group_id, index = stack[-1]
                edges = self.drafts[group_id].include
                if index == len(edges):
                    stack.pop()
                    del on_path[group_id]
                    done.add(group_id)
                    continue
                stack[-1] = (group_id, index + 1)
                target, where = edges[index]
                if target in on_path:
                    cycle = [gid for gid, _ in stack[on_path[target] :]] + [target]
                    self.problems.append(Problem(where, f"include cycle: {' -> '.join(cycle)}"))
                    for gid in cycle:
                        self.drafts[gid].valid = False
                elif target in self.drafts and target not in done:
                    on_path[target] = len(stack)
                    stack.append((target, 0))

    def build(self, root: str) -> Group | None:
        """Build ``root`` after everything it includes, without recursion."""
        stack = [root]
        while stack:
            group_id = stack[-1]
            if group_id in self.resolved:
                stack.pop()
                continue
            draft = self.drafts[group_id]
            pending = [
                gid
                for gid, _ in draft.include
                if gid in self.drafts and gid not in self.resolved and self.drafts[gid].valid
            ]
            if draft.valid and pending:
                stack.extend(pending)
                continue
            stack.pop()
            self.resolved[group_id] = self.assemble(draft)
        return self.resolved[root]

    def assemble(self, draft: _Draft) -> Group | None:
        if not draft.valid:
            return None
        parts: list[Membership] = list(draft.members)
        for included, _ in draft.include:
            if included in self.drafts:
                group = self.resolved.get(included)
            else:
                group = self.available[included]
            if group is None:
                return None
            parts.extend(group.members)
        return Group(
            id=draft.id,
            title=draft.title,
            source=draft.source,
            members=parts,
            note=draft.note,
            m49=draft.m49,
            includes=tuple(gid for gid, _ in draft.include),
        )
