"""Ordered first-match assignment rules, evaluated over time.

A catalog assigns each country to a region with an ordered list of rules; the first rule that
matches wins. Group membership can carry dates, so the answer depends on the moment asked
about. The dates at which any named group changes cut time into segments; within a segment
every country has one answer, which :class:`Assignment` computes once per segment and keeps.

>>> from datetime import UTC, datetime
>>> from residency import default_policy
>>> assignment = default_policy().assignment
>>> assignment.rule_for("HR", datetime(2026, 1, 1, tzinfo=UTC)).id
'eu-eea'
>>> assignment.rule_for("HR", datetime(2010, 1, 1, tzinfo=UTC)).id
'europe-africa-west-central-asia'
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from residency.errors import Problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from residency.catalog import Rule
    from residency.groups import Group

__all__ = ["Assignment", "Segment"]


@attrs.frozen
class Segment:
    """A stretch of time in which no group named by the rules changes."""

    start: datetime | None
    """The first instant of the segment (inclusive); ``None`` for the beginning of time."""
    end: datetime | None
    """The instant the next segment starts (exclusive); ``None`` for no end."""
    rules: Mapping[str, Rule]
    """The deciding rule of every country that some rule covers in this segment."""


class Assignment:
    """The ordered rules of a catalog, answering "which rule decides this country, then?"."""

    def __init__(
        self,
        rules: Iterable[Rule],
        groups: Mapping[str, Group],
        countries: Iterable[str],
    ) -> None:
        """Prepare ``rules`` over ``groups`` for the ``countries`` that can be asked about."""
        self.rules: tuple[Rule, ...] = tuple(rules)
        """The rules in order; the first that matches wins."""
        self._groups = groups
        self._countries = tuple(countries)
        named = {group for rule in self.rules for group in rule.groups}
        points = {point for group in named for point in groups[group].change_points()}
        self._points: tuple[datetime, ...] = tuple(sorted(points))
        self._segments: list[Segment | None] = [None] * (len(self._points) + 1)

    @property
    def change_points(self) -> tuple[datetime, ...]:
        """The instants at which some answer may change, in order."""
        return self._points

    def rule_for(self, country: str, at: datetime) -> Rule | None:
        """Return the first rule that matches ``country`` at ``at``, or ``None``."""
        return self.segment_at(at).rules.get(country)

    def segment_at(self, at: datetime) -> Segment:
        """Return the segment that holds the instant ``at``, computing it on first use."""
        index = bisect.bisect_right(self._points, at)
        segment = self._segments[index]
        if segment is None:
            segment = self._segments[index] = self._compute(index)
        return segment

    def segments(self) -> tuple[Segment, ...]:
        """Return every segment, from the beginning of time on."""
        points = self._points
        return tuple(
            self.segment_at(points[index - 1] if index else _before(points))
            for index in range(len(points) + 1)
        )

    def _compute(self, index: int) -> Segment:
        points = self._points
        start = points[index - 1] if index else None
        end = points[index] if index < len(points) else None
        probe = start if start is not None else _before(points)
        table: dict[str, Rule] = {}
        for rule in self.rules:
            members = set(rule.countries)
            for group in rule.groups:
                members.update(self._groups[group].members_at(probe))
            for country in members:
                table.setdefault(country, rule)
        return Segment(start, end, MappingProxyType(table))

    def coverage_problems(self, unassigned: Iterable[str]) -> list[Problem]:
        """Return a problem for every country no rule covers, at any moment, unless unassigned.

        Also reports an unassigned country that a rule does cover, since the two contradict.
        """
        left_out = frozenset(unassigned)
        problems: list[Problem] = []
        reported: set[str] = set()
        for segment in self.segments():
            when = (
                f" from {segment.start:%Y-%m-%d}"
                if segment.start
                else f" before {segment.end:%Y-%m-%d}"
                if segment.end
                else ""
            )
            for country in self._countries:
                covered = country in segment.rules
                if covered == (country in left_out) and country not in reported:
                    reported.add(country)
                    if covered:
                        rule = segment.rules[country].id
                        message = f"{country} is listed as unassigned but rule {rule!r} covers it"
                        problems.append(Problem("unassigned", message + when))
                    else:
                        message = f"no rule covers {country} and it is not listed as unassigned"
                        problems.append(Problem("rules", message + when))
        return problems


def _before(points: tuple[datetime, ...]) -> datetime:
    """An instant of the first segment: before every change point (or any time if none)."""
    return points[0] - timedelta(days=1) if points else datetime(2000, 1, 1, tzinfo=UTC)
