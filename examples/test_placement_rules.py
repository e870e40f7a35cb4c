"""Pin our placement rules: where customers' data lives, and when it may move.

An example of a user's test module: installing residency (with the ``test`` extra) is all it
needs. The fixtures (``residency_policy``, ``residency_agreement``, ...) come from residency's
pytest plugin, with no conftest; the strategies from ``residency.testing.strategies``.
residency's own test suite runs this file in CI.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import residency
from residency.testing import (
    assert_assigned,
    assert_primary,
    assert_transfer_allowed,
    assert_transfer_denied,
)
from residency.testing import strategies as rst

if TYPE_CHECKING:
    from residency import Location, Policy
    from residency.testing import AgreementFactory, CatalogFactory

# --- examples: the answers we promised, written out ---------------------------------------


@pytest.mark.parametrize(
    ("location", "region", "rule"),
    [
        ("DE", "EU", "eu-eea"),
        ("Norway", "EU", "eu-eea"),
        ("Serbia", "EU", "europe-africa-west-central-asia"),
        ("Anh Quốc", "UK", "uk"),
        ("US-PR", "US", "us"),
        ("Brasil", "US", "americas"),
        ("jpn", "APAC", "asia-pacific"),
        ("FR-NC", "APAC", "asia-pacific"),
    ],
    ids=[
        "germany",
        "norway",
        "serbia",
        "uk-in-vietnamese",
        "puerto-rico",
        "brazil",
        "japan",
        "new-caledonia",
    ],
)
def test_where_customers_live(
    residency_policy: Policy, location: str, region: str, rule: str
) -> None:
    """Each customer location lands in the region, and by the rule, that we promised."""
    assert_assigned(residency_policy, location, region, rule=rule)


def test_an_account_keeps_its_primary_data_center(residency_policy: Policy) -> None:
    """Provisioning writes acme-gmbh's data to the data center it always used."""
    assert_primary(residency_policy, "DE", "websupport-eu", account_id="acme-gmbh")


def test_uk_data_stays_in_the_uk_without_an_agreement(residency_policy: Policy) -> None:
    """Without an agreement, a UK customer's data may not move to the US."""
    assert_transfer_denied(residency_policy, "GB", "linode-uk", "aws-us-west-1", account_id="acme")


def test_an_agreement_opens_the_us(
    residency_policy: Policy, residency_agreement: AgreementFactory, residency_now: datetime
) -> None:
    """With acme's agreement to the US in force, the move is allowed under that agreement."""
    agreement = residency_agreement("US", account_id="acme", reference="DPA amendment 7")
    assert_transfer_allowed(
        residency_policy,
        "GB",
        "linode-uk",
        "aws-us-west-1",
        account_id="acme",
        agreements=[agreement],
        at=residency_now,
        basis="agreement",
        agreement=agreement.id,
    )


def test_a_revoked_agreement_opens_nothing(
    residency_policy: Policy, residency_agreement: AgreementFactory, residency_now: datetime
) -> None:
    """Once revoked, an agreement no longer allows the move."""
    revoked = residency_agreement("US", revoked_at=residency_now - timedelta(hours=1))
    assert_transfer_denied(
        residency_policy,
        "GB",
        "linode-uk",
        "aws-us-west-1",
        account_id="acme",
        agreements=[revoked],
        at=residency_now,
    )


def test_our_own_catalog_sends_the_nordics_to_the_uk(
    residency_catalog_document: dict[str, Any], residency_catalog: CatalogFactory
) -> None:
    """A catalog of our own, changed from the bundled one, answers by its own first rule."""
    document = residency_catalog_document
    document["groups"] = {
        "nordics": {
            "title": "The Nordic countries",
            "source": "Nordic Council",
            "members": ["DK", "FI", "IS", "NO", "SE"],
        }
    }
    document["rules"].insert(0, {"id": "nordics", "region": "UK", "groups": ["nordics"]})
    policy = residency_catalog(document)
    assert_assigned(policy, "Norway", "UK", rule="nordics")
    assert_assigned(policy, "DE", "EU", rule="eu-eea")


# --- properties: what holds for every customer ---------------------------------------------

POLICY = residency.default_policy()
MOMENT = datetime(2026, 6, 1, tzinfo=UTC)


@given(rst.locations(region="EU"), rst.account_ids())
def test_eu_customers_are_stored_in_the_eu(location: str | Location, account_id: str) -> None:
    """Every EU customer, in any spelling, is placed in EU data centers only."""
    placement = POLICY.assign(location, account_id=account_id)
    assert {dc.region for dc in placement.data_centers} == {"EU"}


@given(rst.transfers(cross_region=True, account_id=st.none()))
def test_without_an_account_no_data_leaves_its_region(transfer: rst.Transfer) -> None:
    """A move out of the home region is denied when no account's agreements can be asked."""
    assert not transfer.check(POLICY).allowed


@given(rst.agreements(account_id="acme", destinations="US", in_force_at=MOMENT))
def test_any_agreement_to_the_us_in_force_opens_it(agreement: residency.Agreement) -> None:
    """Any agreement of acme naming the US, in force at the moment, allows the move then."""
    assert_transfer_allowed(
        POLICY,
        "GB",
        "linode-uk",
        "aws-us-west-1",
        account_id="acme",
        agreements=[agreement],
        at=MOMENT,
        agreement=agreement.id,
    )


@given(rst.agreements(account_id="acme", destinations="US", in_force_at=MOMENT, in_force=False))
def test_an_agreement_not_in_force_opens_nothing(agreement: residency.Agreement) -> None:
    """An agreement not yet started, ended or revoked at the moment allows nothing then."""
    assert_transfer_denied(
        POLICY,
        "GB",
        "linode-uk",
        "aws-us-west-1",
        account_id="acme",
        agreements=[agreement],
        at=MOMENT,
    )
