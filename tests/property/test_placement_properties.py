"""Placement: regions of the catalog, stable orders, minimal moves, batches equal to rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residency import Location, Policy, default_policy, load_policy, resolve_location
from residency._data import load_toml
from residency.testing import strategies as rst

if TYPE_CHECKING:
    from collections.abc import Callable

    from residency import Placement

NEW = "new-dc"
REGIONS = ("EU", "UK", "US", "APAC")
WEIGHTS = (1.0, 2.5)

accounts = st.none() | rst.account_ids()
moments = st.datetimes(
    min_value=datetime(1950, 1, 1),  # noqa: DTZ001 - st.datetimes takes naive bounds
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001 - st.datetimes takes naive bounds
    timezones=st.just(UTC),
)


def _ids(placement: Placement) -> list[str]:
    return [dc.id for dc in placement.data_centers]


@given(rst.locations(), accounts, moments)
def test_a_placement_lies_in_one_region_of_the_catalog(
    location: str | Location, account_id: str | None, at: datetime
) -> None:
    """The region is the catalog's, its data centers all of that region, the primary first."""
    policy = default_policy()
    placement = policy.assign(location, account_id=account_id, at=at)
    assert placement.region in {region.id for region in policy.catalog.regions}
    assert placement.region == placement.rule.region
    assert {dc.region for dc in placement.data_centers} == {placement.region}
    assert sorted(_ids(placement)) == sorted(
        dc.id for dc in policy.catalog.data_centers_in(placement.region)
    )
    assert placement.primary is placement.data_centers[0]
    assert placement.catalog == policy.catalog.id


@given(rst.countries(), rst.account_ids(), st.data())
def test_an_account_order_is_stable_across_forms_and_policies(
    country: str, account_id: str, data: st.DataObject
) -> None:
    """One account gets one order for a country, whatever form names it and whichever policy."""
    first = data.draw(rst.locations(country=country), label="first")
    second = data.draw(rst.locations(country=country), label="second")
    shared = default_policy().assign(first, account_id=account_id)
    fresh = Policy(default_policy().catalog).assign(second, account_id=account_id)
    assert _ids(shared) == _ids(fresh)
    assert _ids(shared) == _ids(default_policy().assign(second, account_id=account_id))


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, float], Policy]:
    """Policies over the bundled catalog plus one data center, built from files on first use."""
    folder = tmp_path_factory.mktemp("grown")
    built: dict[tuple[str, float], Policy] = {}

    def policy(region: str, weight: float) -> Policy:
        if (region, weight) not in built:
            document: dict[str, Any] = dict(load_toml("catalog.toml"))
            new = {"id": NEW, "provider": "linode", "region": region, "weight": weight}
            document["data_centers"] = [*document["data_centers"], new]
            path = folder / f"{region}-{weight}.json"
            path.write_text(json.dumps(document), encoding="utf-8")
            built[region, weight] = load_policy(path)
        return built[region, weight]

    return policy


@given(
    location=rst.locations(),
    account_id=rst.account_ids(),
    region=st.sampled_from(REGIONS),
    weight=st.sampled_from(WEIGHTS),
)
def test_adding_a_data_center_moves_only_accounts_to_it(
    grown: Callable[[str, float], Policy],
    location: str | Location,
    account_id: str,
    region: str,
    weight: float,
) -> None:
    """A new data center changes no other region, and in its own moves accounts only onto it."""
    before = _ids(default_policy().assign(location, account_id=account_id))
    after = _ids(grown(region, weight).assign(location, account_id=account_id))
    if default_policy().assign(location).region != region:
        assert after == before
    else:
        assert [dc for dc in after if dc != NEW] == before
        assert after[0] in {before[0], NEW}


@given(st.lists(st.tuples(rst.locations(), rst.account_ids()), max_size=20), st.booleans())
def test_assign_many_equals_assign_row_by_row(
    rows: list[tuple[str | Location, str]], with_accounts: bool
) -> None:
    """A batch gives the placement of each row, in order, with and without account ids."""
    policy = default_policy()
    places = [location for location, _ in rows]
    if with_accounts:
        ids = [account for _, account in rows]
        expected = [policy.assign(p, account_id=a) for p, a in zip(places, ids, strict=True)]
        assert policy.assign_many(places, account_ids=ids) == expected
    else:
        assert policy.assign_many(places) == [policy.assign(place) for place in places]
    assert [placement.location for placement in policy.assign_many(places)] == [
        resolve_location(place) for place in places
    ]
