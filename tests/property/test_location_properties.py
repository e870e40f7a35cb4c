"""Locations in every input form resolve, and are assigned or explicitly unassigned."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from residency import Location, UnassignedLocation, default_policy, resolve_location
from residency.locations import countries
from residency.testing import strategies as rst


@given(rst.locations(assigned=False))
@example("Antarctica")
def test_every_location_resolves_and_is_assigned_or_antarctica(location: str | Location) -> None:
    """Each drawn location resolves to a known country, which is assigned, or is AQ."""
    resolved = resolve_location(location)
    assert resolved.country in countries()
    policy = default_policy()
    if resolved.country == "AQ":
        with pytest.raises(UnassignedLocation) as unassigned:
            policy.assign(location)
        assert unassigned.value.country == "AQ"
        assert unassigned.value.catalog == policy.catalog.id
        return
    placement = policy.assign(location)
    assert placement.location == resolved
    policy.catalog.region(placement.region)


@given(rst.countries(assigned=False), st.data())
def test_every_form_of_a_country_names_it(country: str, data: st.DataObject) -> None:
    """Any two input forms of one country resolve to that same country."""
    first = data.draw(rst.locations(country=country), label="first")
    second = data.draw(rst.locations(country=country), label="second")
    assert resolve_location(first).country == resolve_location(second).country == country
