"""Assertion helpers whose failures explain the decision: outcome, basis, reason, rule, catalog.

Each helper asks the policy, checks the answer, and returns it; when the answer is not the
one expected it raises :class:`AssertionError` with everything that decided it, so a failing
test reads like a support ticket:

>>> from datetime import UTC, datetime
>>> from residency import default_policy
>>> from residency.testing import assert_assigned
>>> assert_assigned(default_policy(), "Norway", "UK")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: expected 'Norway' to be assigned to region 'UK', but it is assigned to region 'EU'
  location:     NO (Norway), from 'Norway'
  region:       EU (Europe)
  rule:         'eu-eea': EU member states and outermost regions, ...
  data centers: linode-eu, aws-eu-west-1, websupport-eu (catalog order: no account)
  at:           now
  catalog:      liveagent-2019-10-28

They need neither pytest nor Hypothesis. Errors in the inputs themselves (a data center id
the catalog lacks, a naive datetime) are raised as residency raises them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from residency.agreements import AgreementIndex
from residency.errors import LocationError, UnknownRegion
from residency.locations import country_name
from residency.transfers import TransferBasis

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from residency.agreements import Agreement
    from residency.catalog import Catalog, Rule
    from residency.locations import Location
    from residency.placement import Placement
    from residency.policy import Policy
    from residency.transfers import TransferDecision

__all__ = [
    "assert_assigned",
    "assert_primary",
    "assert_transfer_allowed",
    "assert_transfer_denied",
]

_SHOWN_AGREEMENTS = 5


# --- placements -----------------------------------------------------------------------------


def assert_assigned(  # noqa: PLR0913 - the question, and what to expect of its answer
    policy: Policy,
    location: object,
    region: str,
    *,
    rule: str | None = None,
    account_id: str | None = None,
    at: datetime | None = None,
) -> Placement:
    """Assert that ``policy`` assigns ``location`` to ``region`` (by ``rule``, if given).

    Returns the placement. An input that resolves to no assignable place (unknown,
    ambiguous, unassigned) fails the assertion too, with residency's reason.

    Raises:
        AssertionError: the region or the rule is not the one expected; the message shows the
            placement: location, region, rule, data centers, account, moment, catalog.
    """
    __tracebackhide__ = True
    expected = f"to be assigned to region {region!r}" + (f" by rule {rule!r}" if rule else "")
    try:
        placement = policy.assign(location, account_id=account_id, at=at)
    except LocationError as error:
        message = (
            f"expected {location!r} {expected}, but {type(error).__name__}: {error}\n"
            f"  at:           {_moment(at)}\n"
            f"  catalog:      {policy.catalog.id}"
        )
        raise AssertionError(message) from error
    if placement.region != region:
        found = f"it is assigned to region {placement.region!r}"
    elif rule is not None and placement.rule.id != rule:
        found = f"rule {placement.rule.id!r} decides it"
    else:
        return placement
    message = (
        f"expected {location!r} {expected}, but {found}\n"
        f"{_placement(policy.catalog, placement, location, account_id=account_id, at=at)}"
        f"{_unknown_region(policy.catalog, region)}"
    )
    raise AssertionError(message)


def assert_primary(
    policy: Policy,
    location: object,
    data_center: str,
    *,
    account_id: str,
    at: datetime | None = None,
) -> Placement:
    """Assert that the data of ``account_id`` at ``location`` is written to ``data_center``.

    Returns the placement.

    Raises:
        AssertionError: another data center comes first for that account; the message shows
            the account's order, the region, the rule and the catalog.
    """
    __tracebackhide__ = True
    placement = policy.assign(location, account_id=account_id, at=at)
    if placement.primary.id == data_center:
        return placement
    message = (
        f"expected {data_center!r} to be the primary data center of account {account_id!r} "
        f"at {location!r}, but it is {placement.primary.id!r}\n"
        f"{_placement(policy.catalog, placement, location, account_id=account_id, at=at)}"
    )
    raise AssertionError(message)


def _placement(
    catalog: Catalog,
    placement: Placement,
    location: object,
    *,
    account_id: str | None,
    at: datetime | None,
) -> str:
    order = ", ".join(dc.id for dc in placement.data_centers)
    how = f"the order of account {account_id!r}" if account_id else "catalog order: no account"
    return (
        f"  location:     {_where(placement.location, location)}\n"
        f"  region:       {placement.region} ({catalog.region(placement.region).name})\n"
        f"  rule:         {_rule(placement.rule)}\n"
        f"  data centers: {order} ({how})\n"
        f"  at:           {_moment(at)}\n"
        f"  catalog:      {placement.catalog}"
    )


def _unknown_region(catalog: Catalog, region: str) -> str:
    try:
        catalog.region(region)
    except UnknownRegion as error:
        return f"\n  note:         {error}"
    return ""


# --- transfers ------------------------------------------------------------------------------


def assert_transfer_allowed(  # noqa: PLR0913 - check_transfer's arguments, and what to expect
    policy: Policy,
    location: object,
    source: str,
    target: str,
    *,
    account_id: str | None = None,
    agreements: AgreementIndex | Iterable[Agreement] = (),
    at: datetime | None = None,
    basis: TransferBasis | str | None = None,
    agreement: str | None = None,
) -> TransferDecision:
    """Assert that ``policy`` allows the move (on ``basis``, under ``agreement``, if given).

    Takes the arguments of :meth:`~residency.Policy.check_transfer`, and returns its decision.
    ``basis`` is ``"in-region"`` or ``"agreement"``; ``agreement`` the id of the agreement
    expected to allow the move.

    Raises:
        AssertionError: the move is denied, or allowed on another basis or agreement; the
            message shows the decision: outcome, basis, reason, rule, agreements, catalog.
    """
    __tracebackhide__ = True
    given = agreements if isinstance(agreements, AgreementIndex) else tuple(agreements)
    decision = policy.check_transfer(
        location, source, target, account_id=account_id, agreements=given, at=at
    )
    wanted = TransferBasis(basis) if basis is not None else None
    used = decision.agreement.id if decision.agreement is not None else None
    if not decision.allowed:
        found = "it is denied"
    elif wanted is not None and decision.basis is not wanted:
        found = f"it is allowed on basis {decision.basis.value!r}"
    elif agreement is not None and used != agreement:
        found = f"it is allowed {f'under agreement {used!r}' if used else 'in region'}"
    else:
        return decision
    expected = "to be allowed"
    if wanted is not None:
        expected += f" on basis {wanted.value!r}"
    if agreement is not None:
        expected += f" under agreement {agreement!r}"
    raise AssertionError(_transfer(decision, location, given, expected=expected, found=found))


def assert_transfer_denied(  # noqa: PLR0913 - check_transfer's arguments
    policy: Policy,
    location: object,
    source: str,
    target: str,
    *,
    account_id: str | None = None,
    agreements: AgreementIndex | Iterable[Agreement] = (),
    at: datetime | None = None,
) -> TransferDecision:
    """Assert that ``policy`` denies the move.

    Takes the arguments of :meth:`~residency.Policy.check_transfer`, and returns its decision.

    Raises:
        AssertionError: the move is allowed; the message shows the decision: outcome, basis,
            reason, rule, the agreement that allowed it, catalog.
    """
    __tracebackhide__ = True
    given = agreements if isinstance(agreements, AgreementIndex) else tuple(agreements)
    decision = policy.check_transfer(
        location, source, target, account_id=account_id, agreements=given, at=at
    )
    if not decision.allowed:
        return decision
    found = f"it is allowed on basis {decision.basis.value!r}"
    raise AssertionError(_transfer(decision, location, given, expected="to be denied", found=found))


def _transfer(
    decision: TransferDecision,
    location: object,
    given: AgreementIndex | tuple[Agreement, ...],
    *,
    expected: str,
    found: str,
) -> str:
    source, target = decision.source, decision.target
    lines = [
        f"expected the move from {source.id} to {target.id} {expected}, but {found}",
        f"  outcome:    {'allowed' if decision.allowed else 'denied'}",
        f"  basis:      {decision.basis.value}",
        f"  reason:     {decision.reason}",
        f"  location:   {_where(decision.location, location)}",
        f"  home:       region {decision.region}, by rule {_rule(decision.rule)}",
        f"  source:     {source.id} (region {source.region})",
        f"  target:     {target.id} (region {target.region})",
        f"  account:    {'none' if decision.account_id is None else repr(decision.account_id)}",
        f"  agreement:  {_agreement_used(decision)}",
        f"  agreements: {_agreements_given(given, decision.account_id)}",
        f"  at:         {decision.at.isoformat()}",
        f"  catalog:    {decision.catalog}",
    ]
    return "\n".join(lines)


def _agreement_used(decision: TransferDecision) -> str:
    if decision.agreement is not None:
        return _describe(decision.agreement)
    if decision.lapsed:
        lapsed = "; ".join(f"{a.id!r} ({a.why_not_in_force(decision.at)})" for a in decision.lapsed)
        return f"none in force; lapsed: {lapsed}"
    return "none"


def _agreements_given(given: AgreementIndex | tuple[Agreement, ...], account: str | None) -> str:
    every = tuple(given)
    if account is None:
        return f"{len(every)} given, none considered without an account"
    own = [a for a in every if a.account_id == account]
    shown = "; ".join(_describe(a) for a in own[:_SHOWN_AGREEMENTS])
    more = f"; and {len(own) - _SHOWN_AGREEMENTS} more" if len(own) > _SHOWN_AGREEMENTS else ""
    return f"{len(every)} given, {len(own)} of account {account!r}" + (
        f": {shown}{more}" if own else ""
    )


def _describe(agreement: Agreement) -> str:
    until = f" until {agreement.valid_until.isoformat()}" if agreement.valid_until else ""
    revoked = f", revoked at {agreement.revoked_at.isoformat()}" if agreement.revoked_at else ""
    return (
        f"{agreement.id!r} to {', '.join(sorted(agreement.destinations))}, "
        f"from {agreement.valid_from.isoformat()}{until}{revoked} ({agreement.basis.value})"
    )


# --- shared ---------------------------------------------------------------------------------


def _where(resolved: Location, given: object) -> str:
    text = f"{resolved} ({country_name(resolved.country)})"
    same = given == resolved or (isinstance(given, str) and given == str(resolved))
    return text if same else f"{text}, from {given!r}"


def _rule(rule: Rule) -> str:
    return f"{rule.id!r}: {rule.title}" if rule.title else repr(rule.id)


def _moment(at: datetime | None) -> str:
    return "now" if at is None else at.isoformat()
