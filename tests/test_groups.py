"""Tests of residency.groups: the bundled group data, group semantics and parse_groups."""

from __future__ import annotations

import functools
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs
import pycountry
import pytest

from residency._data import load_toml
from residency.errors import Problem
from residency.groups import Group, Membership, bundled_groups, parse_groups

if TYPE_CHECKING:
    from collections.abc import Mapping

# --- truth tables -----------------------------------------------------------------------------

ISO_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)
KNOWN = ISO_COUNTRIES | {"XK"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def utc(
    year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Return the UTC instant of the given date and time of day."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# Every state that ever joined the EU (or the Communities before it), with its accession day.
EU_ACCESSIONS: dict[str, date] = {
    **dict.fromkeys(["BE", "DE", "FR", "IT", "LU", "NL"], date(1958, 1, 1)),
    **dict.fromkeys(["DK", "IE", "GB"], date(1973, 1, 1)),
    "GR": date(1981, 1, 1),
    **dict.fromkeys(["ES", "PT"], date(1986, 1, 1)),
    **dict.fromkeys(["AT", "FI", "SE"], date(1995, 1, 1)),
    **dict.fromkeys(["CY", "CZ", "EE", "HU", "LT", "LV", "MT", "PL", "SI", "SK"], date(2004, 5, 1)),
    **dict.fromkeys(["BG", "RO"], date(2007, 1, 1)),
    "HR": date(2013, 7, 1),
}
EU_WITHDRAWALS: dict[str, date] = {"GB": date(2020, 2, 1)}
EU_2026 = frozenset(EU_ACCESSIONS) - frozenset(EU_WITHDRAWALS)

# Each group's members on 2026-01-01.
MEMBERS_NOW: dict[str, frozenset[str]] = {
    "eu-member-states": EU_2026,
    "eea-efta": frozenset({"IS", "LI", "NO"}),
    "eu-outermost-regions": frozenset({"GP", "GF", "MQ", "YT", "RE", "MF"}),
    "eu-octs": frozenset({"GL", "NC", "PF", "WF", "TF", "PM", "BL", "AW", "CW", "SX", "BQ"}),
    "uk-crown-dependencies": frozenset({"JE", "GG", "IM"}),
    "uk-overseas-territories": frozenset(
        {"AI", "BM", "IO", "VG", "KY", "FK", "GI", "MS", "PN", "SH", "GS", "TC"}
    ),
    "us-territories": frozenset({"PR", "GU", "VI", "AS", "MP", "UM"}),
}

# Status changes of the non-M49 groups other than EU accessions: (group, country, instant,
# member from that instant on).
TRANSITIONS: list[tuple[str, str, datetime, bool]] = [
    ("eu-outermost-regions", "BL", utc(2012), False),
    ("eu-octs", "BL", utc(2012), True),
    ("eu-outermost-regions", "YT", utc(2014), True),
    ("eu-octs", "YT", utc(2014), False),
    ("eu-octs", "GL", utc(1985, 2, 1), True),
    ("eea-efta", "IS", utc(1994), True),
    ("eea-efta", "NO", utc(1994), True),
    ("eea-efta", "LI", utc(1995, 5, 1), True),
]

# The UN M49 tree: each group's id, M49 code and parts (sub-regions, intermediate regions).
M49_TREE: dict[str, tuple[str, tuple[str, ...]]] = {
    "m49-africa": ("002", ("m49-northern-africa", "m49-sub-saharan-africa")),
    "m49-northern-africa": ("015", ()),
    "m49-sub-saharan-africa": (
        "202",
        ("m49-eastern-africa", "m49-middle-africa", "m49-southern-africa", "m49-western-africa"),
    ),
    "m49-eastern-africa": ("014", ()),
    "m49-middle-africa": ("017", ()),
    "m49-southern-africa": ("018", ()),
    "m49-western-africa": ("011", ()),
    "m49-americas": ("019", ("m49-latin-america-and-the-caribbean", "m49-northern-america")),
    "m49-latin-america-and-the-caribbean": (
        "419",
        ("m49-caribbean", "m49-central-america", "m49-south-america"),
    ),
    "m49-caribbean": ("029", ()),
    "m49-central-america": ("013", ()),
    "m49-south-america": ("005", ()),
    "m49-northern-america": ("021", ()),
    "m49-asia": (
        "142",
        (
            "m49-central-asia",
            "m49-eastern-asia",
            "m49-south-eastern-asia",
            "m49-southern-asia",
            "m49-western-asia",
        ),
    ),
    "m49-central-asia": ("143", ()),
    "m49-eastern-asia": ("030", ()),
    "m49-south-eastern-asia": ("035", ()),
    "m49-southern-asia": ("034", ()),
    "m49-western-asia": ("145", ()),
    "m49-europe": (
        "150",
        ("m49-eastern-europe", "m49-northern-europe", "m49-southern-europe", "m49-western-europe"),
    ),
    "m49-eastern-europe": ("151", ()),
    "m49-northern-europe": ("154", ("m49-channel-islands",)),
    "m49-channel-islands": ("830", ()),
    "m49-southern-europe": ("039", ()),
    "m49-western-europe": ("155", ()),
    "m49-oceania": (
        "009",
        ("m49-australia-and-new-zealand", "m49-melanesia", "m49-micronesia", "m49-polynesia"),
    ),
    "m49-australia-and-new-zealand": ("053", ()),
    "m49-melanesia": ("054", ()),
    "m49-micronesia": ("057", ()),
    "m49-polynesia": ("061", ()),
}
M49_REGIONS = ("m49-africa", "m49-americas", "m49-asia", "m49-europe", "m49-oceania")
NOT_IN_M49 = frozenset({"AQ", "TW"})

# Country -> (M49 region, the innermost M49 group that lists it), as the UN publishes them.
M49_SPOT_CHECKS: dict[str, tuple[str, str]] = {
    "IR": ("asia", "southern-asia"),
    "AF": ("asia", "southern-asia"),
    "IN": ("asia", "southern-asia"),
    "CY": ("asia", "western-asia"),
    "TR": ("asia", "western-asia"),
    "GE": ("asia", "western-asia"),
    "AM": ("asia", "western-asia"),
    "AZ": ("asia", "western-asia"),
    "IL": ("asia", "western-asia"),
    "PS": ("asia", "western-asia"),
    "KZ": ("asia", "central-asia"),
    "CN": ("asia", "eastern-asia"),
    "HK": ("asia", "eastern-asia"),
    "KP": ("asia", "eastern-asia"),
    "SG": ("asia", "south-eastern-asia"),
    "TL": ("asia", "south-eastern-asia"),
    "GL": ("americas", "northern-america"),
    "BM": ("americas", "northern-america"),
    "PM": ("americas", "northern-america"),
    "US": ("americas", "northern-america"),
    "MX": ("americas", "central-america"),
    "PA": ("americas", "central-america"),
    "BV": ("americas", "south-america"),
    "GS": ("americas", "south-america"),
    "FK": ("americas", "south-america"),
    "GF": ("americas", "south-america"),
    "PR": ("americas", "caribbean"),
    "BL": ("americas", "caribbean"),
    "MF": ("americas", "caribbean"),
    "BQ": ("americas", "caribbean"),
    "TF": ("africa", "eastern-africa"),
    "IO": ("africa", "eastern-africa"),
    "RE": ("africa", "eastern-africa"),
    "YT": ("africa", "eastern-africa"),
    "MU": ("africa", "eastern-africa"),
    "SD": ("africa", "northern-africa"),
    "EH": ("africa", "northern-africa"),
    "SH": ("africa", "western-africa"),
    "CV": ("africa", "western-africa"),
    "ST": ("africa", "middle-africa"),
    "SZ": ("africa", "southern-africa"),
    "RU": ("europe", "eastern-europe"),
    "CZ": ("europe", "eastern-europe"),
    "GB": ("europe", "northern-europe"),
    "IM": ("europe", "northern-europe"),
    "AX": ("europe", "northern-europe"),
    "SJ": ("europe", "northern-europe"),
    "IE": ("europe", "northern-europe"),
    "JE": ("europe", "channel-islands"),
    "GG": ("europe", "channel-islands"),
    "GI": ("europe", "southern-europe"),
    "VA": ("europe", "southern-europe"),
    "MK": ("europe", "southern-europe"),
    "DE": ("europe", "western-europe"),
    "LI": ("europe", "western-europe"),
    "CX": ("oceania", "australia-and-new-zealand"),
    "CC": ("oceania", "australia-and-new-zealand"),
    "HM": ("oceania", "australia-and-new-zealand"),
    "NF": ("oceania", "australia-and-new-zealand"),
    "NC": ("oceania", "melanesia"),
    "UM": ("oceania", "micronesia"),
    "GU": ("oceania", "micronesia"),
    "MP": ("oceania", "micronesia"),
    "AS": ("oceania", "polynesia"),
    "PF": ("oceania", "polynesia"),
    "WF": ("oceania", "polynesia"),
}


@functools.cache
def _bundled() -> Mapping[str, Group]:
    groups, problems = parse_groups(load_toml("groups.toml")["groups"], known_countries=KNOWN)
    assert problems == []
    return groups


@pytest.fixture
def groups() -> Mapping[str, Group]:
    """The bundled groups, checked against pycountry's codes and XK."""
    return _bundled()


def _m49_groups(groups: Mapping[str, Group]) -> dict[str, Group]:
    return {gid: group for gid, group in groups.items() if gid.startswith("m49-")}


def _listed_directly(group: Group, groups: Mapping[str, Group]) -> frozenset[str]:
    """Return the countries a group lists itself, not through an included group."""
    included = frozenset().union(*(groups[gid].countries() for gid in group.includes))
    return group.countries() - included


# --- the bundled file -------------------------------------------------------------------------


def test_bundled_file_parses_without_problems() -> None:
    """The bundled groups.toml parses with no problem against ISO 3166-1 and XK."""
    groups, problems = parse_groups(load_toml("groups.toml")["groups"], known_countries=KNOWN)
    assert problems == []
    assert set(groups) == set(MEMBERS_NOW) | set(M49_TREE)


def test_bundled_file_is_versioned() -> None:
    """The bundled file carries its schema, version and date."""
    document = load_toml("groups.toml")
    assert document["schema"] == 1
    assert isinstance(document["version"], str)
    assert isinstance(document["updated"], date)


def test_every_bundled_group_names_its_source(groups: Mapping[str, Group]) -> None:
    """Every bundled group has a title and a source."""
    for group in groups.values():
        assert group.title.strip(), group.id
        assert group.source.strip(), group.id


def test_bundled_groups_is_cached_and_read_only(groups: Mapping[str, Group]) -> None:
    """bundled_groups parses once and returns a read-only mapping equal to the file's groups."""
    pytest.importorskip("residency.locations")
    bundled = bundled_groups()
    assert bundled is bundled_groups()
    assert isinstance(bundled, MappingProxyType)
    assert dict(bundled) == dict(groups)


@pytest.mark.parametrize(
    ("group_id", "expected"), sorted(MEMBERS_NOW.items()), ids=sorted(MEMBERS_NOW)
)
def test_group_members_now(
    groups: Mapping[str, Group], group_id: str, expected: frozenset[str]
) -> None:
    """Each named group has exactly the expected members on 2026-01-01."""
    assert groups[group_id].members_at(NOW) == expected


# --- the EU over time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "count"),
    [
        (utc(1958) - TICK, 0),
        (utc(1958), 6),
        (utc(1973), 9),
        (utc(1981), 10),
        (utc(1986), 12),
        (utc(1995), 15),
        (utc(2004, 5, 1), 25),
        (utc(2007), 27),
        (utc(2013, 7, 1), 28),
        (utc(2019, 6, 1), 28),
        (utc(2020, 2, 1), 27),
        (NOW, 27),
    ],
    ids=lambda value: value.date().isoformat() if isinstance(value, datetime) else str(value),
)
def test_eu_size_over_time(groups: Mapping[str, Group], at: datetime, count: int) -> None:
    """The EU has the number of member states that its enlargements and Brexit give."""
    assert len(groups["eu-member-states"].members_at(at)) == count


def test_eu_has_gb_in_2019_and_not_in_2026(groups: Mapping[str, Group]) -> None:
    """The EU of 2019-06-01 is the EU of 2026 plus GB."""
    eu = groups["eu-member-states"]
    assert eu.members_at(utc(2019, 6, 1)) == EU_2026 | {"GB"}
    assert eu.members_at(NOW) == EU_2026


@pytest.mark.parametrize(("country", "day"), sorted(EU_ACCESSIONS.items()), ids=str)
def test_eu_accession_instant(groups: Mapping[str, Group], country: str, day: date) -> None:
    """A state is an EU member from 00:00 UTC of its accession day, and not a moment before."""
    eu = groups["eu-member-states"]
    joined = utc(day.year, day.month, day.day)
    assert eu.contains(country, joined)
    assert not eu.contains(country, joined - TICK)
    assert joined in eu.change_points()


@pytest.mark.parametrize(
    ("at", "member"),
    [
        (utc(2020, 1, 31, 23, 59, 59), True),
        (utc(2020, 2, 1) - TICK, True),
        (utc(2020, 2, 1), False),
        (datetime(2020, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), True),
        (utc(2020, 12, 31), False),
    ],
    ids=["last-second", "last-microsecond", "exit-instant", "exit-instant-in-cet", "transition"],
)
def test_gb_last_day_is_2020_01_31(groups: Mapping[str, Group], at: datetime, member: bool) -> None:
    """GB is an EU member until the end of 2020-01-31 UTC, and not from 2020-02-01T00:00Z."""
    assert groups["eu-member-states"].contains("GB", at) is member
    assert ("GB" in groups["eu-member-states"].members_at(at)) is member


def test_gb_is_a_past_eu_member(groups: Mapping[str, Group]) -> None:
    """countries() counts GB, which was a member, among the EU's countries."""
    assert groups["eu-member-states"].countries() == EU_2026 | {"GB"}


@pytest.mark.parametrize(
    ("group_id", "country", "at", "member"),
    TRANSITIONS,
    ids=[f"{group}-{country}-{at.date()}" for group, country, at, _ in TRANSITIONS],
)
def test_status_changes(
    groups: Mapping[str, Group], group_id: str, country: str, at: datetime, member: bool
) -> None:
    """A country's status changes exactly at the dated instant, and not a moment earlier."""
    group = groups[group_id]
    assert group.contains(country, at) is member
    assert group.contains(country, at - TICK) is not member


def test_outermost_regions_and_octs_never_overlap(groups: Mapping[str, Group]) -> None:
    """No territory is an outermost region and an overseas country or territory at once."""
    outermost, octs = groups["eu-outermost-regions"], groups["eu-octs"]
    moments = {utc(1900), NOW} | outermost.change_points() | octs.change_points()
    for at in moments:
        assert not outermost.members_at(at) & octs.members_at(at), at


# --- UN M49 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group_id", "code", "parts"), [(k, *v) for k, v in M49_TREE.items()], ids=str
)
def test_m49_tree(
    groups: Mapping[str, Group], group_id: str, code: str, parts: tuple[str, ...]
) -> None:
    """Each M49 group carries its M49 code and includes exactly its parts."""
    group = groups[group_id]
    assert group.m49 == code
    assert set(group.includes) == set(parts)


def test_m49_groups_are_exactly_the_tree(groups: Mapping[str, Group]) -> None:
    """The bundled M49 groups are the M49 regions, sub-regions and intermediate regions."""
    assert set(_m49_groups(groups)) == set(M49_TREE)
    assert len({group.m49 for group in _m49_groups(groups).values()}) == len(M49_TREE)


@pytest.mark.parametrize("country", sorted(ISO_COUNTRIES - NOT_IN_M49))
def test_every_country_in_exactly_one_m49_region(groups: Mapping[str, Group], country: str) -> None:
    """Every ISO 3166-1 country but AQ and TW is in one M49 region and listed by one M49 group."""
    regions = [gid for gid in M49_REGIONS if country in groups[gid].countries()]
    assert len(regions) == 1, regions
    m49 = _m49_groups(groups)
    listing = [gid for gid, group in m49.items() if country in _listed_directly(group, m49)]
    assert len(listing) == 1, listing
    assert listing[0] not in M49_REGIONS


@pytest.mark.parametrize("country", sorted(NOT_IN_M49 | {"XK"}))
def test_countries_m49_does_not_list(groups: Mapping[str, Group], country: str) -> None:
    """Antarctica, Taiwan and Kosovo are in no M49 group, as the UN publishes M49."""
    assert not [gid for gid, group in _m49_groups(groups).items() if country in group.countries()]


def test_m49_regions_cover_iso_3166_less_aq_and_tw(groups: Mapping[str, Group]) -> None:
    """The M49 regions together hold ISO 3166-1 less AQ and TW, and nothing else."""
    covered = frozenset().union(*(groups[gid].countries() for gid in M49_REGIONS))
    assert covered == ISO_COUNTRIES - NOT_IN_M49


@pytest.mark.parametrize(
    "group_id", [gid for gid, (_, parts) in M49_TREE.items() if parts], ids=str
)
def test_m49_parts_partition_their_group(groups: Mapping[str, Group], group_id: str) -> None:
    """The parts of an M49 group are disjoint, and with its own list make up the group."""
    group = groups[group_id]
    parts = [groups[part].countries() for part in group.includes]
    assert sum(len(part) for part in parts) == len(frozenset().union(*parts))
    own = _listed_directly(group, groups)
    assert not own & frozenset().union(*parts)
    assert own | frozenset().union(*parts) == group.countries()


def test_m49_groups_are_undated(groups: Mapping[str, Group]) -> None:
    """M49 membership carries no dates: the groups never change."""
    for group in _m49_groups(groups).values():
        assert group.change_points() == frozenset(), group.id


@pytest.mark.parametrize(
    ("country", "region", "leaf"),
    [(country, *places) for country, places in M49_SPOT_CHECKS.items()],
    ids=[f"{country}-{leaf}" for country, (_, leaf) in M49_SPOT_CHECKS.items()],
)
def test_m49_spot_checks(groups: Mapping[str, Group], country: str, region: str, leaf: str) -> None:
    """A country is in the M49 region and innermost M49 group that the UN publishes for it."""
    assert groups[f"m49-{region}"].contains(country, NOW)
    m49 = _m49_groups(groups)
    listing = [gid for gid, group in m49.items() if country in _listed_directly(group, m49)]
    assert listing == [f"m49-{leaf}"]


# --- Membership and Group ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("membership", "at", "active"),
    [
        (Membership("DE"), utc(1900), True),
        (Membership("DE", since=utc(2000)), utc(2000) - TICK, False),
        (Membership("DE", since=utc(2000)), utc(2000), True),
        (Membership("DE", until=utc(2000)), utc(2000) - TICK, True),
        (Membership("DE", until=utc(2000)), utc(2000), False),
        (Membership("DE", since=utc(2000), until=utc(2001)), utc(2000, 6, 1), True),
        (Membership("DE", since=utc(2000), until=utc(2001)), utc(2001), False),
    ],
    ids=[
        "undated",
        "before-since",
        "at-since",
        "before-until",
        "at-until",
        "inside-span",
        "at-end-of-span",
    ],
)
def test_membership_active_at(membership: Membership, at: datetime, active: bool) -> None:
    """A membership is active from since (inclusive) to until (exclusive)."""
    assert membership.active_at(at) is active


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (datetime(2000, 1, 1), None),  # noqa: DTZ001 - the naive time under test
        (None, datetime(2000, 1, 1)),  # noqa: DTZ001 - the naive time under test
        (utc(2000), utc(2000)),
        (utc(2001), utc(2000)),
    ],
    ids=["naive-since", "naive-until", "empty-span", "reversed-span"],
)
def test_membership_refuses_bad_spans(since: datetime | None, until: datetime | None) -> None:
    """A membership refuses naive instants and spans that end before they start."""
    with pytest.raises(ValueError, match=r"must be|naive"):
        Membership("DE", since=since, until=until)


def _group(*members: Membership, includes: tuple[str, ...] = ()) -> Group:
    return Group("g", "G", "test", members, includes=includes)


def test_group_merges_spans_that_meet_or_overlap() -> None:
    """A country's spans are merged where they meet or overlap, so that no change is invented."""
    group = _group(
        Membership("DE", since=utc(2000), until=utc(2010)),
        Membership("DE", since=utc(2010), until=utc(2020)),
        Membership("DE", since=utc(2015), until=utc(2025)),
        Membership("FR", since=utc(1990), until=utc(1991)),
        Membership("FR", since=utc(1995)),
        Membership("IT", since=utc(1958)),
        Membership("IT"),
        spain := Membership("ES", since=utc(1986)),
    )
    assert group.members == (
        Membership("DE", since=utc(2000), until=utc(2025)),
        Membership("ES", since=utc(1986)),
        Membership("FR", since=utc(1990), until=utc(1991)),
        Membership("FR", since=utc(1995)),
        Membership("IT"),
    )
    assert group.members[1] is spain  # a lone span is its own union
    assert group.change_points() == {
        utc(2000),
        utc(2025),
        utc(1986),
        utc(1990),
        utc(1991),
        utc(1995),
    }


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(1980), {"IT"}),
        (utc(1990), {"IT", "FR"}),
        (utc(1991), {"IT"}),
        (utc(2000), {"IT", "DE"}),
        (utc(2024, 12, 31), {"IT", "DE"}),
        (utc(2025), {"IT"}),
    ],
    ids=lambda value: value.date().isoformat() if isinstance(value, datetime) else "",
)
def test_group_members_at_and_contains_agree(at: datetime, expected: set[str]) -> None:
    """members_at and contains give the members of the moment, for dated and undated members."""
    group = _group(
        Membership("DE", since=utc(2000), until=utc(2025)),
        Membership("FR", since=utc(1990), until=utc(1991)),
        Membership("IT"),
    )
    assert group.members_at(at) == expected
    for country in ("DE", "FR", "IT", "ES"):
        assert group.contains(country, at) is (country in expected)
    assert group.countries() == {"DE", "FR", "IT"}


def test_group_is_an_immutable_value() -> None:
    """Groups compare and hash by value and cannot be changed in place."""
    one, other = _group(Membership("DE")), _group(Membership("DE"))
    assert one == other
    assert hash(one) == hash(other)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        one.title = "changed"  # type: ignore[misc]


def test_importing_groups_loads_neither_pycountry_nor_pydantic() -> None:
    """Importing residency.groups imports neither pycountry nor pydantic."""
    code = (
        "import sys, residency.groups; "
        "print(sorted(m for m in ('pycountry', 'pydantic') if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- parse_groups -----------------------------------------------------------------------------


def test_parse_groups_reports_every_problem_with_its_path() -> None:
    """One malformed document yields all of its problems, each at its path, and the good groups."""
    document: dict[str, object] = {
        "eu": {
            "title": "EU",
            "source": "Treaties",
            "members": [
                "DE",
                "ZZ",
                {"country": "GB", "since": "1973-01-01", "until": "1973-01-01"},
                {"country": "FR", "since": "1958-13-01"},
                {"country": "DE", "since": "2000-01-01"},
            ],
            "include": ["nordics"],
        },
        "a": {"title": "A", "source": "S", "include": ["b"]},
        "b": {"title": "B", "source": "S", "include": ["a"]},
        "broken": {"source": 5, "members": "DE", "untill": "2020-01-01"},
        "uses-broken": {"title": "U", "source": "S", "include": ["broken"]},
        "fine": {"title": "F", "source": "S", "members": ["FR"]},
    }
    groups, problems = parse_groups(document, known_countries=KNOWN, path="catalog.groups")
    assert [(problem.path, problem.message) for problem in problems] == [
        ("catalog.groups.eu.members[3].since", "'1958-13-01' is not a valid date"),
        ("catalog.groups.broken.title", "missing"),
        ("catalog.groups.broken.source", "expected text, not a number"),
        ("catalog.groups.broken.members", "expected a list, not text"),
        ("catalog.groups.broken.untill", "unknown field"),
        ("catalog.groups.eu.members[1]", "unknown country code 'ZZ'"),
        ("catalog.groups.eu.members[2].until", "must be after since (1973-01-01), not 1973-01-01"),
        (
            "catalog.groups.eu.members[4]",
            "DE is listed again with overlapping dates (see catalog.groups.eu.members[0])",
        ),
        ("catalog.groups.eu.include[0]", "unknown group 'nordics'"),
        ("catalog.groups.b.include[0]", "include cycle: a -> b -> a"),
    ]
    assert set(groups) == {"fine"}


VALID_GROUP: dict[str, object] = {"title": "T", "source": "S", "members": ["DE"]}

SINGLE_PROBLEMS: list[tuple[str, object, str, str]] = [
    ("not-a-table", ["DE"], "groups", "expected a table of groups, not a list"),
    ("bad-id", {"EU Members": VALID_GROUP}, "groups['EU Members']", "a group id is lower-case"),
    ("group-not-a-table", {"g": "DE"}, "groups.g", "expected a table, not text"),
    ("no-members", {"g": {"title": "T", "source": "S"}}, "groups.g", "needs members or include"),
    (
        "empty-members",
        {"g": {"title": "T", "source": "S", "members": []}},
        "groups.g",
        "needs members or include",
    ),
    ("empty-title", {"g": {**VALID_GROUP, "title": " "}}, "groups.g.title", "must not be empty"),
    ("note-not-text", {"g": {**VALID_GROUP, "note": 1}}, "groups.g.note", "expected text"),
    ("m49-number", {"g": {**VALID_GROUP, "m49": 150}}, "groups.g.m49", "three-digit UN M49"),
    ("m49-short", {"g": {**VALID_GROUP, "m49": "15"}}, "groups.g.m49", "three-digit UN M49"),
    (
        "lower-case-code",
        {"g": {**VALID_GROUP, "members": ["de"]}},
        "groups.g.members[0]",
        "write 'DE'",
    ),
    (
        "alpha-3-code",
        {"g": {**VALID_GROUP, "members": ["DEU"]}},
        "groups.g.members[0]",
        "expected an ISO 3166-1 alpha-2 code",
    ),
    (
        "member-number",
        {"g": {**VALID_GROUP, "members": [276]}},
        "groups.g.members[0]",
        "a country code (DE) or a table with country, not a number",
    ),
    (
        "member-without-country",
        {"g": {**VALID_GROUP, "members": [{"since": "2000-01-01"}]}},
        "groups.g.members[0].country",
        "missing",
    ),
    (
        "member-unknown-field",
        {"g": {**VALID_GROUP, "members": [{"country": "DE", "untill": "2000-01-01"}]}},
        "groups.g.members[0].untill",
        "unknown field",
    ),
    (
        "date-not-iso",
        {"g": {**VALID_GROUP, "members": [{"country": "DE", "since": "01/02/2000"}]}},
        "groups.g.members[0].since",
        "expected an ISO date",
    ),
    (
        "date-a-number",
        {"g": {**VALID_GROUP, "members": [{"country": "DE", "since": 2000}]}},
        "groups.g.members[0].since",
        "not a number",
    ),
    (
        "naive-datetime",
        {"g": {**VALID_GROUP, "members": [{"country": "DE", "since": "2000-01-01T00:00:00"}]}},
        "groups.g.members[0].since",
        "has no offset",
    ),
    (
        "until-before-since",
        {
            "g": {
                **VALID_GROUP,
                "members": [{"country": "DE", "since": "2001-01-01", "until": "2000-01-01"}],
            }
        },
        "groups.g.members[0].until",
        "must be after since (2001-01-01), not 2000-01-01",
    ),
    (
        "duplicate-undated",
        {"g": {**VALID_GROUP, "members": ["DE", "DE"]}},
        "groups.g.members[1]",
        "listed again with overlapping dates",
    ),
    (
        "duplicate-overlapping",
        {
            "g": {
                **VALID_GROUP,
                "members": [
                    {"country": "DE", "since": "2000-01-01", "until": "2010-01-01"},
                    {"country": "DE", "since": "2009-01-01"},
                ],
            }
        },
        "groups.g.members[1]",
        "listed again with overlapping dates",
    ),
    ("include-not-a-list", {"g": {**VALID_GROUP, "include": "x"}}, "groups.g.include", "a list"),
    (
        "include-twice",
        {"g": {**VALID_GROUP, "include": ["h", "h"]}, "h": VALID_GROUP},
        "groups.g.include[1]",
        "more than once",
    ),
    (
        "include-unknown",
        {"g": {**VALID_GROUP, "include": ["h"]}},
        "groups.g.include[0]",
        "unknown group 'h'",
    ),
    (
        "include-self",
        {"g": {**VALID_GROUP, "include": ["g"]}},
        "groups.g.include[0]",
        "include cycle: g -> g",
    ),
]


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [case[1:] for case in SINGLE_PROBLEMS],
    ids=[case[0] for case in SINGLE_PROBLEMS],
)
def test_parse_groups_single_problem(document: object, path: str, message: str) -> None:
    """Each kind of mistake is reported once, at its path, with a message that names it."""
    groups, problems = parse_groups(document, known_countries=KNOWN)
    assert len(problems) == 1, problems
    assert problems[0].path == path
    assert message in problems[0].message
    assert "g" not in groups


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (["DE"], (Membership("DE"),)),
        (
            [{"country": "DE", "since": date(2000, 1, 1)}],
            (Membership("DE", since=utc(2000)),),
        ),
        (
            [{"country": "DE", "since": "2000-01-01T01:00:00+01:00"}],
            (Membership("DE", since=utc(2000)),),
        ),
        (
            [{"country": "DE", "until": datetime(2000, 1, 1, 12, tzinfo=UTC)}],
            (Membership("DE", until=utc(2000, 1, 1, 12)),),
        ),
        (
            [
                {"country": "DE", "since": "2000-01-01", "until": "2010-01-01"},
                {"country": "DE", "since": "2010-01-01"},
            ],
            (Membership("DE", since=utc(2000)),),
        ),
    ],
    ids=["plain-code", "toml-date", "offset-time", "aware-datetime", "adjacent-spans"],
)
def test_parse_groups_reads_members(
    members: list[object], expected: tuple[Membership, ...]
) -> None:
    """Members may be codes, or tables whose times are dates (00:00 UTC) or aware times."""
    groups, problems = parse_groups(
        {"g": {"title": "T", "source": "S", "members": members}}, known_countries=KNOWN
    )
    assert problems == []
    assert groups["g"].members == expected


def test_included_groups_are_merged_with_their_dates() -> None:
    """A group holds the members of the groups it includes, with their dates, as a union."""
    document = {
        "inner": {
            "title": "I",
            "source": "S",
            "members": [{"country": "GB", "until": "2020-02-01"}],
        },
        "other": {
            "title": "O",
            "source": "S",
            "members": [{"country": "GB", "since": "2015-01-01"}],
        },
        "outer": {"title": "U", "source": "S", "include": ["inner", "other"], "members": ["FR"]},
    }
    groups, problems = parse_groups(document, known_countries=KNOWN)
    assert problems == []
    outer = groups["outer"]
    assert outer.includes == ("inner", "other")
    assert outer.members == (Membership("FR"), Membership("GB"))
    assert groups["inner"].members_at(NOW) == frozenset()


def test_catalog_groups_may_include_available_groups(groups: Mapping[str, Group]) -> None:
    """A catalog's group may include an already-built group, with its dates, by id."""
    document = {
        "europe-plus": {
            "title": "EU and Switzerland",
            "source": "S",
            "include": ["eu-member-states"],
            "members": ["CH"],
        },
        "shadow": {"title": "S", "source": "S", "include": ["m49-oceania"]},
        "m49-oceania": {"title": "Local", "source": "S", "members": ["FR"]},
    }
    built, problems = parse_groups(document, known_countries=KNOWN, available=groups)
    assert problems == []
    assert built["europe-plus"].members_at(NOW) == EU_2026 | {"CH"}
    assert built["europe-plus"].contains("GB", utc(2019, 6, 1))
    assert built["shadow"].countries() == {"FR"}
    _, problems = parse_groups(document, known_countries=KNOWN)
    assert [problem.path for problem in problems] == ["groups.europe-plus.include[0]"]


def test_parse_groups_accepts_any_collection_of_known_countries() -> None:
    """known_countries may be any collection, a list included."""
    groups, problems = parse_groups({"g": VALID_GROUP}, known_countries=["DE"])
    assert problems == []
    assert groups["g"].countries() == {"DE"}


def test_long_include_chains_resolve_without_recursion() -> None:
    """A chain of thousands of includes resolves, and a cycle as long is one problem."""
    size = 5000
    chain: dict[str, object] = {
        f"g{i}": {"title": "T", "source": "S", "include": [f"g{i + 1}"]} for i in range(size)
    }
    chain[f"g{size}"] = VALID_GROUP
    groups, problems = parse_groups(chain, known_countries=KNOWN)
    assert problems == []
    assert groups["g0"].countries() == {"DE"}
    cycle: dict[str, object] = {
        f"g{i}": {"title": "T", "source": "S", "include": [f"g{(i + 1) % size}"]}
        for i in range(size)
    }
    groups, problems = parse_groups(cycle, known_countries=KNOWN)
    assert len(problems) == 1
    assert problems[0].message.startswith("include cycle: g0 -> g1 -> ")
    assert groups == {}


def _one(group: object) -> dict[str, object]:
    return {"g": group}


def _member(country: object) -> dict[str, object]:
    return {"country": country}


GARBAGE: list[object] = [
    None,
    42,
    "groups",
    b"groups",
    [],
    [{"title": "T"}],
    {"": {}},
    {1: VALID_GROUP},
    {("a",): VALID_GROUP},
    _one(None),
    _one([]),
    _one({}),
    {"g": {"title": None, "source": None, "members": None, "include": None, "m49": None}},
    {"g": {"title": [], "source": {}, "note": 1.5, "m49": True, "members": {}, "include": {}}},
    {
        "g": {
            "title": "T",
            "source": "S",
            "members": [None, 1, 2.5, True, [], {}, {"country": None}, _member([]), b"DE"],
        }
    },
    {
        "g": {
            "title": "T",
            "source": "S",
            "members": [
                {"country": "DE", "since": []},
                {"country": "DE", "since": True},
                {"country": "DE", "since": "9999-99-99T99:99"},
                {"country": "DE", "since": "x" * 10_000},
                {"country": "DE", "since": datetime(2000, 1, 1)},  # noqa: DTZ001 - garbage on purpose
                {
                    "country": "DE",
                    "since": datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
                },
                {"country": "DE", "since": date.min, "until": date.max},
                {"country": "X" * 10_000},
                {"country": "DE", 7: 8},
            ],
        }
    },
    {"g": {"title": "T", "source": "S", "include": [None, {}, [], 3, "g", "h" * 10_000]}},
    {"g": {"title": "T", "source": "S", "members": None, "include": None}},
    {"x" * 10_000: VALID_GROUP},
]


@pytest.mark.parametrize("document", GARBAGE, ids=lambda value: _garbage_id(value))
def test_parse_groups_survives_garbage(document: object) -> None:
    """parse_groups reports problems for garbage of every type and never raises."""
    groups, problems = parse_groups(document, known_countries=KNOWN)
    assert problems
    for problem in problems:
        assert isinstance(problem, Problem)
        assert len(str(problem)) < 400
    assert all(isinstance(group, Group) for group in groups.values())


def _garbage_id(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:27]}..."
