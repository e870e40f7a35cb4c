"""The testing toolkit: plugin fixtures, strategies, assertion helpers, and a fresh install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import residency.testing
from residency import (
    Agreement,
    AgreementIndex,
    DataCenter,
    Location,
    LocationError,
    Policy,
    TransferBasis,
    UnknownDataCenter,
    UnknownRegion,
    default_policy,
    load_policy,
    resolve_location,
)
from residency._data import load_toml
from residency.testing import (
    assert_assigned,
    assert_primary,
    assert_transfer_allowed,
    assert_transfer_denied,
)
from residency.testing import strategies as rst

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "test_placement_rules.py"
AT = datetime(2026, 6, 1, tzinfo=UTC)


def _agreement(**fields: Any) -> Agreement:  # noqa: ANN401 - any field of an agreement
    values: dict[str, Any] = {
        "id": "agr-7",
        "account_id": "acme",
        "destinations": ["US"],
        "valid_from": datetime(2025, 1, 1, tzinfo=UTC),
        "reference": "DPA amendment 7",
    }
    values.update(fields)
    return Agreement(**values)


# --- the package and the plugin's registration -----------------------------------------------


def test_the_exported_names_are_pinned() -> None:
    """residency.testing exports the helpers, and the fixture types lazily."""
    assert residency.testing.__all__ == [
        "AgreementFactory",
        "CatalogFactory",
        "assert_assigned",
        "assert_primary",
        "assert_transfer_allowed",
        "assert_transfer_denied",
    ]
    assert residency.testing.AgreementFactory.__name__ == "AgreementFactory"
    assert residency.testing.CatalogFactory.__name__ == "CatalogFactory"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        residency.testing.nothing  # noqa: B018 - the access is the test


def test_the_plugin_is_registered_by_its_entry_point() -> None:
    """Installing residency registers its plugin with pytest under the name residency."""
    (plugin,) = entry_points(group="pytest11", name="residency")
    assert plugin.value == "residency.testing.plugin"


# --- fixtures, through pytest's own runner ------------------------------------------------------

# Each case is a user's test module, with no conftest, and how many tests it has: all pass.
FIXTURE_CASES: dict[str, tuple[int, str]] = {
    "every-fixture-is-available": (
        4,
        """
        from datetime import UTC, timedelta

        def test_policy(residency_policy):
            assert residency_policy.assign("DE").region == "EU"
            assert residency_policy.catalog.id == "liveagent-2019-10-28"

        def test_now(residency_now):
            assert residency_now.tzinfo is UTC
            assert residency_now.microsecond == 0

        def test_document(residency_catalog_document):
            assert residency_catalog_document["id"] == "liveagent-2019-10-28"

        def test_agreement(residency_agreement, residency_now):
            first, second = residency_agreement(), residency_agreement("US", account_id="globex")
            assert (first.id, second.id) == ("agreement-1", "agreement-2")
            assert first.account_id == "acme" and second.account_id == "globex"
            assert first.destinations == {"EU", "UK", "US", "APAC"}
            assert second.destinations == {"US"}
            assert first.valid_from == residency_now - timedelta(days=1)
            assert first.valid_from.tzinfo is UTC
            assert first.in_force(residency_now)
            assert (first.valid_until, first.revoked_at) == (None, None)
    """,
    ),
    "fixtures-are-fresh-for-every-test": (
        2,
        """
        import pytest

        @pytest.mark.parametrize("round", [1, 2])
        def test_change_everything(
            round, residency_policy, residency_catalog_document, residency_agreement
        ):
            assert residency_policy.mode.value == "enforce"
            residency_policy.mode = "audit"
            assert "changed" not in residency_catalog_document
            residency_catalog_document["changed"] = True
            residency_catalog_document["regions"].clear()
            assert residency_agreement("US").id == "agreement-1"
            assert residency_agreement("US").id == "agreement-2"
    """,
    ),
    "catalogs-from-documents-and-files": (
        4,
        """
        import datetime

        import pytest
        from residency import CatalogError

        def test_document(residency_catalog, residency_catalog_document):
            residency_catalog_document["rules"].insert(
                0, {"id": "norway", "region": "UK", "countries": ["NO"]}
            )
            residency_catalog_document["groups"] = {
                "founders": {
                    "title": "t",
                    "source": "s",
                    "members": [{"country": "FR", "since": datetime.date(1958, 1, 1)}],
                }
            }
            policy = residency_catalog(residency_catalog_document)
            assert policy.assign("Norway").rule.id == "norway"
            assert policy is not residency_catalog(residency_catalog_document)

        def test_file(residency_catalog, tmp_path):
            from residency._data import read_bytes
            path = tmp_path / "ours.toml"
            path.write_bytes(read_bytes("catalog.toml"))
            assert residency_catalog(path).assign("GB").region == "UK"
            assert residency_catalog(str(path)).assign("GB").region == "UK"

        def test_invalid(residency_catalog, residency_catalog_document):
            residency_catalog_document["data_centers"][0]["region"] = "MARS"
            with pytest.raises(CatalogError, match="unknown region 'MARS'"):
                residency_catalog(residency_catalog_document)

        def test_not_json(residency_catalog):
            with pytest.raises(TypeError, match="cannot be written to a catalog file"):
                residency_catalog({"id": object()})
    """,
    ),
    "overriding-the-policy-reaches-every-fixture": (
        1,
        """
        import pytest
        from residency import Policy, default_policy

        @pytest.fixture
        def residency_policy(residency_catalog, residency_catalog_document):
            residency_catalog_document["regions"].append({"id": "MOON", "name": "The Moon"})
            residency_catalog_document["data_centers"].append(
                {"id": "tranquility", "provider": "aws", "region": "MOON"}
            )
            return residency_catalog(residency_catalog_document)

        def test_defaults_follow(residency_policy, residency_agreement):
            assert "MOON" in residency_agreement().destinations
    """,
    ),
    "the-clock-can-be-pinned": (
        1,
        """
        from datetime import UTC, datetime
        import pytest

        @pytest.fixture
        def residency_now():
            return datetime(2026, 1, 1, tzinfo=UTC)

        def test_pinned(residency_agreement):
            assert residency_agreement().valid_from == datetime(2025, 12, 31, tzinfo=UTC)
    """,
    ),
}


@pytest.mark.parametrize(("passed", "source"), FIXTURE_CASES.values(), ids=FIXTURE_CASES.keys())
def test_fixtures(pytester: pytest.Pytester, passed: int, source: str) -> None:
    """Each fixture works in a user's test module with no conftest, and never leaks."""
    pytester.makepyfile(textwrap.dedent(source))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=passed)


def test_the_header_names_the_bundled_catalog(pytester: pytest.Pytester) -> None:
    """The pytest header says which residency and bundled catalog the rules were pinned on."""
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["residency: *, bundled catalog liveagent-2019-10-28"])


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    """With -p no:residency its fixtures are gone."""
    pytester.makepyfile("def test_policy(residency_policy): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:residency")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'residency_policy' not found*"])


def test_the_documented_example_module_passes(pytester: pytest.Pytester) -> None:
    """examples/test_placement_rules.py, the module docs/testing.md shows, passes as written."""
    pytester.makepyfile(test_placement_rules=EXAMPLE.read_text(encoding="utf-8"))
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=17)


# --- strategies -------------------------------------------------------------------------------


STRATEGIES: dict[str, tuple[Callable[[], st.SearchStrategy[Any]], type | tuple[type, ...]]] = {
    "countries": (rst.countries, str),
    "locations": (rst.locations, (str, Location)),
    "data_centers": (rst.data_centers, DataCenter),
    "account_ids": (rst.account_ids, str),
    "agreements": (rst.agreements, Agreement),
    "transfers": (rst.transfers, rst.Transfer),
}


@pytest.mark.parametrize(("strategy", "kind"), STRATEGIES.values(), ids=STRATEGIES.keys())
@given(data=st.data())
def test_every_strategy_draws_with_no_arguments(
    strategy: Callable[[], st.SearchStrategy[Any]],
    kind: type | tuple[type, ...],
    data: st.DataObject,
) -> None:
    """Each strategy can be called bare, and draws values of its kind."""
    assert isinstance(data.draw(strategy()), kind)


@pytest.mark.parametrize("form", rst.FORMS)
@given(data=st.data())
def test_locations_draw_each_form_and_it_resolves(form: rst.Form, data: st.DataObject) -> None:
    """Every input form can be drawn alone, and what is drawn resolves to its country."""
    value = data.draw(rst.locations(forms=[form], assigned=False))
    resolved = resolve_location(value)
    if form == "location":
        assert value == resolved
        return
    assert isinstance(value, str)
    code = value.strip()
    shapes: dict[str, Callable[[], bool]] = {
        "alpha2": lambda: len(code) == 2 and code.isascii(),
        "alpha3": lambda: len(code) == 3 and code.isalpha() and code.isascii(),
        "numeric": lambda: len(code) == 3 and code.isdigit(),
        "name": lambda: len(code) > 3,
        "translation": lambda: " " not in code,
        "subdivision": lambda: code[2] == "-",
    }
    assert shapes[form]()


def test_locations_covers_every_form_of_a_country() -> None:
    """Germany can be written in every form, and each value the tables hold names Germany."""
    for form in rst.FORMS:
        values = rst._forms_of(resolve_location("DE").country, form)
        assert values, form
        assert {resolve_location(value).country for value in values} == {"DE"}
    translations = rst._forms_of(resolve_location("DE").country, "translation")
    assert {"deutschland", "DEUTSCHLAND", "allemagne", "ドイツ"} <= set(translations)
    assert "UK" in rst._forms_of(resolve_location("GB").country, "alpha2")
    assert "FR-NC" in rst._forms_of(resolve_location("NC").country, "subdivision")
    assert "FR-NC" not in rst._forms_of(resolve_location("FR").country, "subdivision")
    assert not rst._forms_of(resolve_location("XK").country, "numeric")
    assert not rst._names("Germany" + " " * 200, resolve_location("DE").country)


def test_ambiguous_names_are_never_drawn() -> None:
    """A translation that fits several countries is not among the values of either."""
    korea = {*rst._forms_of(resolve_location("KR").country, "translation")}
    korea |= {*rst._forms_of(resolve_location("KP").country, "translation")}
    assert "korea" not in korea
    assert "KOREA" not in korea


@pytest.mark.parametrize(
    ("region", "at", "expected", "absent"),
    [
        ("UK", None, {"GB", "GI", "JE", "IM"}, {"FR"}),
        ("US", None, {"US", "PR", "BR", "BL"}, {"GB"}),
        ("EU", datetime(2000, 1, 1, tzinfo=UTC), {"FR", "BL"}, {"GB"}),
        (None, None, {"DE", "US", "JP"}, {"AQ"}),
    ],
    ids=["uk", "us-now", "eu-in-2000", "assigned"],
)
def test_countries_are_narrowed_by_region_and_moment(
    region: str | None, at: datetime | None, expected: set[str], absent: set[str]
) -> None:
    """countries() keeps the countries a region holds at a moment (BL left the EU in 2012)."""
    pool = set(rst._pool(region, None, assigned=True, at=at))
    assert expected <= pool
    assert not absent & pool
    assert "AQ" in rst._pool(None, None, assigned=False, at=None)


@given(rst.countries("APAC"), rst.data_centers("APAC"))
def test_narrowed_countries_and_data_centers_stay_in_their_region(
    country: str, data_center: DataCenter
) -> None:
    """Countries and data centers drawn for a region belong to it."""
    assert default_policy().assign(country).region == "APAC"
    assert data_center.region == "APAC"


@given(rst.locations(country="Germany"))
def test_a_location_can_be_fixed_to_one_country(location: str | Location) -> None:
    """locations(country=...) draws only that country, in any form."""
    assert resolve_location(location).country == "DE"


@given(st.booleans(), st.data())
def test_agreements_are_in_force_or_not_as_asked(in_force: bool, data: st.DataObject) -> None:
    """Agreements drawn for a moment are in force then, or not, with a valid window."""
    agreement = data.draw(
        rst.agreements(
            account_id="acme", destinations=["US", "linode-sg"], in_force_at=AT, in_force=in_force
        )
    )
    assert agreement.in_force(AT) is in_force
    assert agreement.account_id == "acme"
    assert agreement.destinations == {"US", "linode-sg"}
    for moment in (agreement.valid_from, agreement.valid_until, agreement.revoked_at):
        assert moment is None or moment.utcoffset() is not None
    assert agreement.valid_until is None or agreement.valid_until > agreement.valid_from


@given(
    rst.agreements(
        account_id=st.sampled_from(["a", "b"]),
        destinations=st.just(frozenset({"EU"})),
        in_force_at=AT,
        ids=st.just("fixed"),
    )
)
def test_agreements_take_strategies_for_their_parts(agreement: Agreement) -> None:
    """Account ids, destinations and ids can each be given as a strategy."""
    assert agreement.account_id in {"a", "b"}
    assert (agreement.id, agreement.destinations) == ("fixed", frozenset({"EU"}))
    assert agreement.in_force(AT)


@given(rst.transfers(cross_region=True, at=AT, account_id="acme"))
def test_cross_region_transfers_leave_the_home_region(transfer: rst.Transfer) -> None:
    """A cross-region transfer targets another region; its agreements have unique ids."""
    policy = default_policy()
    home = policy.assign(transfer.location, at=AT).region
    assert policy.data_center(transfer.target).region != home
    assert transfer.account_id == "acme"
    assert len({a.id for a in transfer.agreements}) == len(transfer.agreements)
    assert transfer.check(policy, at=AT) == policy.check_transfer(
        transfer.location,
        transfer.source,
        transfer.target,
        account_id="acme",
        agreements=transfer.agreements,
        at=AT,
    )


@given(rst.transfers("UK", cross_region=False, forms=["alpha2"], max_agreements=0))
def test_in_region_transfers_stay_home(transfer: rst.Transfer) -> None:
    """An in-region transfer of a UK customer targets a UK data center, with no agreements."""
    assert default_policy().data_center(transfer.target).region == "UK"
    assert transfer.agreements == ()
    assert resolve_location(transfer.location).country in {"GB", "GG", "GI", "IM", "JE"}


@pytest.fixture(scope="module")
def one_region(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    """The bundled catalog with its four regions merged into one."""
    document = dict(load_toml("catalog.toml"))
    document["regions"] = [{"id": "ALL", "name": "Everywhere"}]
    document["data_centers"] = [{**dc, "region": "ALL"} for dc in document["data_centers"]]
    document["rules"] = [{**rule, "region": "ALL"} for rule in document["rules"]]
    path = tmp_path_factory.mktemp("one") / "one.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_policy(path)


INVALID: dict[str, tuple[Callable[[], object], type[Exception], str]] = {
    "unknown-region": (lambda: rst.countries("MARS"), UnknownRegion, "MARS"),
    "unknown-region-of-data-centers": (lambda: rst.data_centers("MARS"), UnknownRegion, "MARS"),
    "region-and-unassigned": (
        lambda: rst.countries("EU", assigned=False),
        InvalidArgument,
        "drop assigned=False",
    ),
    "naive-moment": (
        lambda: rst.countries(at=datetime(2026, 1, 1)),  # noqa: DTZ001 - the point
        InvalidArgument,
        "aware",
    ),
    "no-forms": (lambda: rst.locations(forms=[]), InvalidArgument, "non-empty"),
    "unknown-form": (
        lambda: rst.locations(forms=["nickname"]),  # type: ignore[list-item]
        InvalidArgument,
        "nickname",
    ),
    "no-country-in-form": (
        lambda: rst.locations(forms=["numeric"], country="XK"),
        InvalidArgument,
        "numeric",
    ),
    "unknown-country": (lambda: rst.locations(country="Atlantis"), LocationError, "Atlantis"),
    "in-force-without-moment": (
        lambda: rst.agreements(in_force=True),
        InvalidArgument,
        "in_force_at",
    ),
    "far-off-moment": (
        lambda: rst.agreements(in_force_at=datetime(2500, 1, 1, tzinfo=UTC)),
        InvalidArgument,
        "between 1900 and 2200",
    ),
    "no-destination": (lambda: rst.agreements(destinations=[]), InvalidArgument, "at least one"),
    "naive-transfer-moment": (
        lambda: rst.transfers(at=datetime(2026, 1, 1)),  # noqa: DTZ001 - the point
        InvalidArgument,
        "aware",
    ),
}


@pytest.mark.parametrize(("make", "error", "match"), INVALID.values(), ids=INVALID.keys())
def test_strategies_refuse_impossible_arguments(
    make: Callable[[], object], error: type[Exception], match: str
) -> None:
    """A strategy asked for what cannot be drawn says why at once."""
    with pytest.raises(error, match=match):
        make()


def test_a_catalog_without_what_is_asked_is_refused(one_region: Policy) -> None:
    """Crossing regions in a one-region catalog, or a region with no country, is refused."""
    with pytest.raises(InvalidArgument, match="one region"):
        rst.transfers(cross_region=True, policy=one_region)
    unruled = Policy(attrs.evolve(one_region.catalog, rules=()))
    with pytest.raises(InvalidArgument, match="assigns no country to region 'ALL'"):
        rst.countries("ALL", policy=unruled)


@given(rst.locations(forms="numeric"))
def test_one_form_may_be_named_alone(location: str | Location) -> None:
    """A single form may be named as a str."""
    assert isinstance(location, str)
    assert location.strip().isdigit()


# --- assertion helpers ----------------------------------------------------------------------


# The order of acme-gmbh's data centers in Germany, as placement computes it (pinned elsewhere).
ACME_ORDER = [dc.id for dc in default_policy().assign("DE", account_id="acme-gmbh").data_centers]
PASSING: dict[str, Callable[[Policy], object]] = {
    "assigned": lambda p: assert_assigned(p, "Anh Quốc", "UK", rule="uk"),
    "assigned-with-account": lambda p: assert_assigned(p, "DE", "EU", account_id="acme", at=AT),
    "primary": lambda p: assert_primary(p, "DE", ACME_ORDER[0], account_id="acme-gmbh"),
    "allowed-in-region": lambda p: assert_transfer_allowed(
        p, "DE", "linode-eu", "aws-eu-west-1", basis="in-region"
    ),
    "allowed-by-agreement": lambda p: assert_transfer_allowed(
        p,
        "GB",
        "linode-uk",
        "aws-us-west-1",
        account_id="acme",
        agreements=iter([_agreement()]),
        at=AT,
        basis=TransferBasis.AGREEMENT,
        agreement="agr-7",
    ),
    "denied": lambda p: assert_transfer_denied(p, "GB", "linode-uk", "aws-us-west-1", at=AT),
}


@pytest.mark.parametrize("check", PASSING.values(), ids=PASSING.keys())
def test_helpers_pass_and_return_the_answer(check: Callable[[Policy], object]) -> None:
    """A helper whose expectation holds returns the placement or decision it checked."""
    assert check(default_policy()) is not None


ENDED = _agreement(valid_until=datetime(2026, 1, 1, tzinfo=UTC))
OTHERS = [_agreement(id=f"other-{n}", account_id="globex") for n in range(7)]
FAILING: dict[str, tuple[Callable[[Policy], object], list[str]]] = {
    "wrong-region": (
        lambda p: assert_assigned(p, "Norway", "UK"),
        [
            "expected 'Norway' to be assigned to region 'UK', but it is assigned to region 'EU'",
            "  location:     NO (Norway), from 'Norway'",
            "  region:       EU (Europe)",
            "  rule:         'eu-eea': EU member states and outermost regions, Åland, the EEA EFTA "
            "states and Switzerland",
            "  data centers: linode-eu, aws-eu-west-1, websupport-eu (catalog order: no account)",
            "  at:           now",
            "  catalog:      liveagent-2019-10-28",
        ],
    ),
    "wrong-rule": (
        lambda p: assert_assigned(p, "Serbia", "EU", rule="eu-eea", account_id="acme", at=AT),
        [
            "expected 'Serbia' to be assigned to region 'EU' by rule 'eu-eea', but rule "
            "'europe-africa-west-central-asia' decides it",
            "(the order of account 'acme')",
            "  at:           2026-06-01T00:00:00+00:00",
        ],
    ),
    "no-such-region": (
        lambda p: assert_assigned(p, Location(resolve_location("DE").country), "Europe"),
        [
            "  location:     DE (Germany)\n",
            "  note:         'Europe' is not a region of catalog 'liveagent-2019-10-28'; the "
            "regions are EU, UK, US, APAC",
        ],
    ),
    "unassigned": (
        lambda p: assert_assigned(p, "Antarctica", "EU"),
        [
            "expected 'Antarctica' to be assigned to region 'EU', but UnassignedLocation: AQ is "
            "not assigned to any region by catalog 'liveagent-2019-10-28'",
            "  catalog:      liveagent-2019-10-28",
        ],
    ),
    "unknown-location": (
        lambda p: assert_assigned(p, "Atlantis", "EU"),
        ["but UnknownLocation: 'Atlantis' is not a country code"],
    ),
    "primary": (
        lambda p: assert_primary(p, "DE", ACME_ORDER[-1], account_id="acme-gmbh"),
        [
            f"expected {ACME_ORDER[-1]!r} to be the primary data center of account 'acme-gmbh' "
            f"at 'DE', but it is {ACME_ORDER[0]!r}",
            f"  data centers: {', '.join(ACME_ORDER)} (the order of account 'acme-gmbh')",
        ],
    ),
    "denied-lapsed": (
        lambda p: assert_transfer_allowed(
            p,
            "United Kingdom",
            "linode-uk",
            "aws-us-west-1",
            account_id="acme",
            agreements=[ENDED, *OTHERS[:1]],
            at=AT,
        ),
        [
            "expected the move from linode-uk to aws-us-west-1 to be allowed, but it is denied",
            "  outcome:    denied",
            "  basis:      denied",
            "  reason:     Denied: aws-us-west-1 is in region US, outside UK, the home region of "
            "this customer (GB, rule 'uk'); data stays in its region unless the customer has "
            "agreed otherwise, and agreement 'agr-7' of account 'acme' covers the move but it "
            "ended at 2026-01-01T00:00:00+00:00.",
            "  location:   GB (United Kingdom), from 'United Kingdom'",
            "  home:       region UK, by rule 'uk': The United Kingdom, the Crown Dependencies "
            "and Gibraltar",
            "  source:     linode-uk (region UK)",
            "  target:     aws-us-west-1 (region US)",
            "  account:    'acme'",
            "  agreement:  none in force; lapsed: 'agr-7' (it ended at 2026-01-01T00:00:00+00:00)",
            "  agreements: 2 given, 1 of account 'acme': 'agr-7' to US, from "
            "2025-01-01T00:00:00+00:00 until 2026-01-01T00:00:00+00:00 (customer-consent)",
            "  at:         2026-06-01T00:00:00+00:00",
            "  catalog:    liveagent-2019-10-28",
        ],
    ),
    "denied-without-account": (
        lambda p: assert_transfer_allowed(
            p, "GB", "linode-uk", "aws-us-west-1", agreements=[ENDED], at=AT
        ),
        [
            "  location:   GB (United Kingdom)\n",
            "  account:    none",
            "  agreement:  none\n",
            "  agreements: 1 given, none considered without an account",
        ],
    ),
    "wrong-basis": (
        lambda p: assert_transfer_allowed(p, "GB", "linode-uk", "linode-uk", basis="agreement"),
        [
            "expected the move from linode-uk to linode-uk to be allowed on basis 'agreement', "
            "but it is allowed on basis 'in-region'",
            "  outcome:    allowed",
        ],
    ),
    "wrong-agreement": (
        lambda p: assert_transfer_allowed(
            p,
            "GB",
            "linode-uk",
            "aws-us-west-1",
            account_id="globex",
            agreements=AgreementIndex(OTHERS),
            at=AT,
            agreement="agr-7",
        ),
        [
            "to be allowed under agreement 'agr-7', but it is allowed under agreement 'other-0'",
            "  agreement:  'other-0' to US, from 2025-01-01T00:00:00+00:00 (customer-consent)",
            "  agreements: 7 given, 7 of account 'globex': 'other-0' to US",
            "; and 2 more",
        ],
    ),
    "in-region-not-agreement": (
        lambda p: assert_transfer_allowed(p, "GB", "linode-uk", "linode-uk", agreement="agr-7"),
        ["but it is allowed in region"],
    ),
    "allowed-not-denied": (
        lambda p: assert_transfer_denied(
            p,
            "GB",
            "linode-uk",
            "aws-us-west-1",
            account_id="acme",
            agreements=[_agreement(revoked_at=datetime(2027, 1, 1, tzinfo=UTC))],
            at=AT,
        ),
        [
            "expected the move from linode-uk to aws-us-west-1 to be denied, but it is allowed "
            "on basis 'agreement'",
            "  reason:     Allowed: aws-us-west-1 is in region US, outside UK",
            "  agreement:  'agr-7' to US, from 2025-01-01T00:00:00+00:00, revoked at "
            "2027-01-01T00:00:00+00:00 (customer-consent)",
        ],
    ),
}


@pytest.mark.parametrize(("check", "lines"), FAILING.values(), ids=FAILING.keys())
def test_helper_failures_explain_the_decision(
    check: Callable[[Policy], object], lines: list[str]
) -> None:
    """A failing helper raises AssertionError showing the outcome, reason, rule and catalog."""
    with pytest.raises(AssertionError) as failure:
        check(default_policy())
    message = str(failure.value) + "\n"
    for line in lines:
        assert line in message


def test_helpers_raise_residency_errors_for_bad_inputs() -> None:
    """An unknown data center is residency's error, not a failed expectation."""
    with pytest.raises(UnknownDataCenter):
        assert_transfer_denied(default_policy(), "GB", "linode-uk", "linode-mars")
    with pytest.raises(UnknownDataCenter):
        assert_transfer_allowed(default_policy(), "GB", "linode-mars", "linode-uk")


# --- without Hypothesis, and from a fresh install -------------------------------------------


def _clean_environment() -> dict[str, str]:
    """The environment without anything that would steer an inner Python or pytest."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST", "PYTHON", "COV_", "COVERAGE", "VIRTUAL_ENV"))
    }


@pytest.mark.slow
def test_the_plugin_and_helpers_work_without_hypothesis(tmp_path: Path) -> None:
    """Where Hypothesis cannot be imported, the fixtures and the helpers still work."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_user.py").write_text(
        textwrap.dedent("""
            import sys

            import pytest
            from residency.testing import assert_transfer_allowed, assert_transfer_denied

            def test_fixtures_and_helpers(residency_policy, residency_agreement):
                assert "hypothesis" not in sys.modules
                with pytest.raises(ImportError):
                    import hypothesis
                assert_transfer_denied(residency_policy, "GB", "linode-uk", "aws-us-west-1",
                                       account_id="acme")
                assert_transfer_allowed(residency_policy, "GB", "linode-uk", "aws-us-west-1",
                                        account_id="acme", agreements=[residency_agreement("US")])

            def test_strategies_say_what_is_missing():
                with pytest.raises(ImportError, match="needs Hypothesis"):
                    import residency.testing.strategies
        """),
        encoding="utf-8",
    )
    # A "hypothesis" first on the path that fails to import, as a missing one does; pytest's
    # import hooks find it too (a meta path blocker would be bypassed for pytest plugins).
    stub = tmp_path / "stub" / "hypothesis"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'hypothesis'\", name='hypothesis')\n",
        encoding="utf-8",
    )
    env = {**_clean_environment(), "PYTHONPATH": str(tmp_path / "stub")}
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-p", "no:hypothesispytest", "-p", "no:cacheprovider"],
        cwd=tmp_path / "project",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


@pytest.mark.slow
def test_a_fresh_install_runs_the_example_module(tmp_path: Path) -> None:
    """In a new virtual environment, pip install .[test] alone gives fixtures and strategies."""
    environment = tmp_path / "venv"
    # No pip of its own: the running pip installs into it (--python), which saves seconds.
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    env = _clean_environment()
    install = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            # Python compiles what the run imports; compiling every installed module costs
            # seconds and proves nothing more.
            "--no-compile",
            f"{ROOT}[test]",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / EXAMPLE.name).write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    run = subprocess.run(  # noqa: S603 - the new environment's interpreter, fixed arguments
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", EXAMPLE.name],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "17 passed" in run.stdout
    assert "bundled catalog liveagent-2019-10-28" in run.stdout
