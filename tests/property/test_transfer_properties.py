"""Transfers: free within the region, across it exactly under an agreement in force."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from residency import Agreement, TransferBasis, TransferDenied, default_policy
from residency.testing import strategies as rst

moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - st.datetimes takes naive bounds
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001 - st.datetimes takes naive bounds
    timezones=st.just(UTC),
)


def _opens(agreement: Agreement, account_id: str | None, target: str, at: datetime) -> bool:
    """The rule, written out: the account's agreement names the target and is in force."""
    region = default_policy().data_center(target).region
    return (
        agreement.account_id == account_id
        and (region in agreement.destinations or target in agreement.destinations)
        and agreement.valid_from <= at
        and (agreement.valid_until is None or at < agreement.valid_until)
        and (agreement.revoked_at is None or at < agreement.revoked_at)
    )


@given(moments, st.data())
def test_a_move_within_the_home_region_is_always_allowed(at: datetime, data: st.DataObject) -> None:
    """Whatever the account, agreements and moment, a move inside the home region is allowed."""
    # The home region depends on the moment (Saint Barthélemy left the EU in 2012).
    transfer = data.draw(rst.transfers(cross_region=False, at=at))
    decision = transfer.check(default_policy(), at=at)
    assert decision.allowed
    assert decision.basis is TransferBasis.IN_REGION
    assert decision.agreement is None


@given(moments, st.data())
def test_a_move_across_regions_needs_an_agreement_in_force(
    at: datetime, data: st.DataObject
) -> None:
    """A move out of the home region is allowed exactly when an agreement in force opens it."""
    transfer = data.draw(rst.transfers(cross_region=True, at=at))
    decision = transfer.check(default_policy(), at=at)
    opening = [
        a for a in transfer.agreements if _opens(a, transfer.account_id, transfer.target, at)
    ]
    assert decision.allowed == bool(opening)
    assert decision.basis is (TransferBasis.AGREEMENT if opening else TransferBasis.DENIED)
    if opening:
        assert decision.agreement in opening
    else:
        assert decision.agreement is None
    if not opening:
        with pytest.raises(TransferDenied) as denied:
            default_policy().enforce_transfer(
                transfer.location,
                transfer.source,
                transfer.target,
                account_id=transfer.account_id,
                agreements=transfer.agreements,
                at=at,
            )
        assert denied.value.decision == decision


@given(moments, st.booleans(), st.data())
def test_adding_an_agreement_never_denies_what_was_allowed(
    at: datetime, in_force: bool, data: st.DataObject
) -> None:
    """One more agreement, in force or not, of the account or not, never turns allowed to denied."""
    transfer = data.draw(rst.transfers(at=at))
    owner = st.sampled_from([transfer.account_id or "acme", "someone-else"])
    extra = data.draw(rst.agreements(account_id=owner, in_force_at=at, in_force=in_force))
    more = transfer._replace(agreements=(*transfer.agreements, attrs.evolve(extra, id="extra")))
    before = transfer.check(default_policy(), at=at)
    after = more.check(default_policy(), at=at)
    assert after.allowed >= before.allowed
    if before.allowed:
        assert after.basis is before.basis
