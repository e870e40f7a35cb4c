"""The bundled policy's assignment rules, over every country and over time."""

from __future__ import annotations

from datetime import UTC, datetime

import pycountry
import pytest

import residency
from residency import UnassignedLocation, default_policy
from residency._time import moment

# The truth list: the region of every ISO 3166-1 country plus Kosovo under the bundled policy,
# written out by hand from SPEC section 3 (not computed from the groups it checks).
REGION_OF = {
    "UK": "GB JE GG IM GI",
    "US": """
        US PR GU VI AS MP UM
        AI AG AW BS BB BQ VG KY CU CW DM DO GD HT JM MS BL KN LC VC SX TT TC
        BZ CR SV GT HN MX NI PA
        AR BO BV BR CL CO EC FK GY PY PE GS SR UY VE
        BM CA GL PM
    """,
    "EU": """
        AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE
        GP GF MQ YT RE MF AX IS LI NO CH
        BY MD RU UA FO SJ AL AD BA VA ME MK SM RS MC XK
        DZ EG LY MA SD TN EH
        IO BI KM DJ ER ET TF KE MG MW MU MZ RW SC SO SS UG TZ ZM ZW
        AO CM CF TD CG CD GQ GA ST
        BW SZ LS NA ZA
        BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG
        AM AZ BH GE IQ IL JO KW LB OM QA SA PS SY TR AE YE
        KZ KG TJ TM UZ
        IR
    """,
    "APAC": """
        CN HK MO KP JP MN KR TW
        BN KH ID LA MY MM PH SG TH TL VN
        AF BD BT IN MV NP PK LK
        AU NZ CX CC HM NF FJ NC PG SB VU KI MH FM NR PW CK PF NU PN WS TK TO TV WF
    """,
}
EXPECTED = {code: region for region, codes in REGION_OF.items() for code in codes.split()}
ALL_CODES = sorted({country.alpha_2 for country in pycountry.countries} | {"XK"})
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_truth_list_names_every_country_once() -> None:
    """The truth list holds every ISO 3166-1 code plus XK exactly once, and AQ is left out."""
    listed = [code for codes in REGION_OF.values() for code in codes.split()]
    assert len(listed) == len(set(listed))
    assert set(listed) | {"AQ"} == set(ALL_CODES)


@pytest.mark.parametrize("code", ALL_CODES)
def test_region_of_every_country(code: str) -> None:
    """Every country gets the region of the truth list, and Antarctica none."""
    if code == "AQ":
        with pytest.raises(UnassignedLocation):
            default_policy().assign(code, at=NOW)
    else:
        assert default_policy().assign(code, at=NOW).region == EXPECTED[code]


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("GB", "uk"),
        ("JE", "uk"),
        ("GI", "uk"),
        ("US", "us"),
        ("PR", "us"),
        ("UM", "us"),
        ("DE", "eu-eea"),
        ("RE", "eu-eea"),
        ("MF", "eu-eea"),
        ("AX", "eu-eea"),
        ("NO", "eu-eea"),
        ("CH", "eu-eea"),
        ("XK", "europe-africa-west-central-asia"),
        ("UA", "europe-africa-west-central-asia"),
        ("IR", "europe-africa-west-central-asia"),
        ("TR", "europe-africa-west-central-asia"),
        ("KZ", "europe-africa-west-central-asia"),
        ("ZA", "europe-africa-west-central-asia"),
        ("GL", "americas"),
        ("BL", "americas"),
        ("CW", "americas"),
        ("BR", "americas"),
        ("TW", "asia-pacific"),
        ("NC", "asia-pacific"),
        ("IN", "asia-pacific"),
        ("AU", "asia-pacific"),
    ],
)
def test_deciding_rule(code: str, rule: str) -> None:
    """Each answer names the first rule that matches the country."""
    assert default_policy().assign(code, at=NOW).rule.id == rule


@pytest.mark.parametrize(
    ("code", "at", "rule"),
    [
        ("HR", datetime(2013, 6, 30, 23, 59, tzinfo=UTC), "europe-africa-west-central-asia"),
        ("HR", datetime(2013, 7, 1, tzinfo=UTC), "eu-eea"),
        ("PL", datetime(2004, 4, 30, tzinfo=UTC), "europe-africa-west-central-asia"),
        ("PL", datetime(2004, 5, 1, tzinfo=UTC), "eu-eea"),
        ("GB", datetime(2019, 6, 1, tzinfo=UTC), "uk"),
    ],
)
def test_membership_of_the_moment(code: str, at: datetime, rule: str) -> None:
    """An answer for a past moment uses the group membership of that moment."""
    assert default_policy().assign(code, at=at).rule.id == rule


def test_unassigned_names_the_catalog() -> None:
    """Antarctica is an error that names the catalog and the country, never a default region."""
    with pytest.raises(UnassignedLocation) as caught:
        default_policy().assign("Antarctica")
    assert caught.value.country == "AQ"
    assert caught.value.catalog == "liveagent-2019-10-28"
    assert "liveagent-2019-10-28" in str(caught.value)
    assert isinstance(caught.value, LookupError)


def test_bundled_catalog_covers_every_country_at_every_moment() -> None:
    """No moment leaves a country uncovered, and no rule covers the unassigned Antarctica."""
    policy = default_policy()
    assert policy.assignment.coverage_problems(["AQ"]) == []
    assert len(policy.assignment.segments()) == len(policy.assignment.change_points) + 1


@pytest.mark.parametrize(
    "value",
    [datetime(2026, 1, 1), "2026-01-01", 1_700_000_000, datetime(2026, 1, 1).date()],  # noqa: DTZ001
    ids=["naive", "str", "int", "date"],
)
def test_moment_refuses_what_is_not_an_aware_datetime(value: object) -> None:
    """A naive datetime or anything but a datetime is refused, never taken as UTC."""
    with pytest.raises(residency.InvalidTime):
        moment(value)
    with pytest.raises(residency.InvalidTime):
        default_policy().assign("DE", at=value)  # type: ignore[arg-type]
