"""Transfers: may data move from one data center to another? A decision, with its reason.

The rule, from the promise: data may move between the data centers of the customer's own
region (to keep the service running and available); it may leave the region only under an
agreement of that customer's account that covers the destination (its region or the data
center itself) and is in force at the moment of the move.

>>> from residency import default_policy
>>> decision = default_policy().check_transfer("DE", "linode-eu", "aws-eu-west-1")
>>> decision.allowed, decision.basis
(True, <TransferBasis.IN_REGION: 'in-region'>)
>>> denied = default_policy().check_transfer("GB", "linode-uk", "aws-eu-west-1")
>>> denied.allowed, denied.basis.value
(False, 'denied')
>>> print(denied.reason)  # doctest: +NORMALIZE_WHITESPACE
Denied: aws-eu-west-1 is in region EU, outside UK, the home region of this customer (GB, rule
'uk'); data stays in its region unless the customer has agreed otherwise, and no account was
given whose agreements could allow the move.

Every decision can be logged as a structured event on the ``residency.decisions`` logger
(:data:`LOGGER_NAME`): at INFO for every decision, at WARNING for a denial that audit mode let
through. The event (``TransferDecision.to_event()``) is JSON-ready.
"""

from __future__ import annotations

import enum
import functools
from typing import TYPE_CHECKING, Any

import attrs

from residency import _wire
from residency._mode import Mode
from residency._text import shown
from residency._time import from_micros

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterable
    from collections.abc import Set as AbstractSet
    from datetime import datetime

    from residency.agreements import Agreement, UnusableAgreement
    from residency.catalog import DataCenter, Rule
    from residency.locations import Location
    from residency.placement import Placement

__all__ = [
    "LOGGER_NAME",
    "Mode",
    "TransferBasis",
    "TransferDecision",
    "decisions_logger",
    "emit",
    "reference_decision",
]

LOGGER_NAME = "residency.decisions"
"""The logger every decision is emitted on."""

_INFO, _WARNING = 20, 30  # logging.INFO and logging.WARNING, without importing logging


class TransferBasis(enum.StrEnum):
    """Why a move is allowed, or that it is not."""

    IN_REGION = "in-region"
    """The target is in the customer's home region."""
    AGREEMENT = "agreement"
    """The target is outside the home region, and an agreement in force covers it."""
    DENIED = "denied"
    """The target is outside the home region, and no agreement in force covers it."""


AT_MICROS = "_at_micros"
"""Where a decision made for the present keeps its moment, until ``at`` is first read."""


# Dict-backed: a frozen class built positionally builds in half the time of a slotted one,
# and residency._fast.decide builds one on every check.
@attrs.frozen(slots=False)
class TransferDecision:
    """The answer to "may this data move?", with everything that decided it."""

    allowed: bool
    """Whether the move is allowed."""
    basis: TransferBasis
    """Why: in the home region, under an agreement, or denied."""
    placement: Placement = attrs.field(repr=False)
    """The customer's placement, which gives the home region and the rule that chose it."""
    source: DataCenter
    """Where the data is now."""
    target: DataCenter
    """Where it would go."""
    at: datetime = attrs.field(repr=False)
    """The moment the decision is for."""
    account_id: str | None = None
    """The account whose agreements were considered, if any."""
    agreement: Agreement | None = None
    """The agreement that allows the move, for ``basis == AGREEMENT``."""
    lapsed: tuple[Agreement, ...] = attrs.field(default=(), repr=False)
    """Agreements of the account that cover the target but are not in force at ``at``."""
    misplaced: bool = False
    """Whether the source itself lies outside what is allowed: the data is already misplaced."""
    unusable: tuple[UnusableAgreement, ...] = attrs.field(default=(), repr=False)
    """For a denial: agreements of the account that cannot be used, each with the reason."""

    if not TYPE_CHECKING:  # to type checkers, a decision has its fields and nothing more

        def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the attribute asked for
            # A check made for the present reads the clock as integer microseconds (a
            # datetime costs more to build than the rest of the check): ``at`` is made from
            # them, exactly, when first read, and kept. Nothing else is looked up here.
            held = self.__dict__
            if name == "at" and AT_MICROS in held:
                at = held["at"] = from_micros(held[AT_MICROS])
                return at
            message = f"{type(self).__name__!r} object has no attribute {name!r}"
            raise AttributeError(message, name=name, obj=self)

    @property
    def region(self) -> str:
        """The customer's home region."""
        return self.placement.region

    @property
    def location(self) -> Location:
        """The customer's location, resolved."""
        return self.placement.location

    @property
    def rule(self) -> Rule:
        """The assignment rule that decided the home region."""
        return self.placement.rule

    @property
    def catalog(self) -> str:
        """The id of the catalog that answered."""
        return self.placement.catalog

    @property
    def reason(self) -> str:
        """The decision in words a support agent can read to the customer."""
        target = self.target
        home = (
            f"{self.region}, the home region of this customer "
            f"({self.location}, rule {self.rule.id!r})"
        )
        if self.basis is TransferBasis.IN_REGION:
            text = (
                f"Allowed: {target.id} is in {home}; data may move between the data centers "
                "of its region to keep the service running and available."
            )
        elif self.basis is TransferBasis.AGREEMENT and self.agreement is not None:
            agreement = self.agreement
            reference = f", reference {agreement.reference}" if agreement.reference else ""
            text = (
                f"Allowed: {target.id} is in region {target.region}, outside {home}, under "
                f"agreement {shown(agreement.id)} of account {shown(self.account_id)} "
                f"({agreement.basis.value}{reference}), in force at {self.at.isoformat()}."
            )
        else:
            text = (
                f"Denied: {target.id} is in region {target.region}, outside {home}; data stays "
                f"in its region unless the customer has agreed otherwise, and {self._why_denied()}."
            )
        if self.misplaced:
            text += (
                f" Note: the source {self.source.id} is in region {self.source.region}, outside "
                "the home region, and no agreement in force covers it: the data is already "
                "misplaced."
            )
        return text

    def _why_denied(self) -> str:
        if self.account_id is None:
            return "no account was given whose agreements could allow the move"
        if self.lapsed:
            lapsed = self.lapsed[0]
            why = (
                f"agreement {shown(lapsed.id)} of account {shown(self.account_id)} covers the "
                f"move but {lapsed.why_not_in_force(self.at)}"
            )
        else:
            why = (
                f"account {shown(self.account_id)} has no agreement that covers region "
                f"{self.target.region} or data center {self.target.id}"
            )
        if self.unusable:
            unusable = self.unusable[0]
            more = f" (and {len(self.unusable) - 1} more)" if len(self.unusable) > 1 else ""
            why += (
                f"; agreement {shown(unusable.id)}{more} is recorded for the account but "
                f"cannot be used: {unusable.reason}"
            )
        return why

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data: verdict, basis, reason, what decided it, catalog."""
        return dict(_wire.decision(self))

    def to_event(self) -> dict[str, Any]:
        """The decision as a JSON-ready event: its wire form, named as an event."""
        return {"event": "residency.transfer", **_wire.decision(self)}


def reference_decision(  # noqa: PLR0913 - the inputs of a decision
    placement: Placement,
    source: DataCenter,
    target: DataCenter,
    account_id: str | None,
    agreements: Iterable[Agreement],
    at: datetime,
    known: AbstractSet[str] | None = None,
) -> TransferDecision:
    """The transfer rule of the module docstring, written plainly: the definition of a decision.

    ``residency._fast.decide`` computes the same decision faster (the test suite pins the two
    equal); this one reads every agreement of the account in order and asks it directly. An
    agreement naming a place outside ``known`` (the catalog's regions and data centers) cannot
    be used: it allows nothing, and a denial names it.
    """
    from residency.agreements import unknown_destinations  # noqa: PLC0415 - no import cycle

    home = placement.region
    own = sorted(
        (agreement for agreement in agreements if agreement.account_id == account_id),
        key=lambda agreement: (agreement.window[0], agreement.id),
    )
    unusable: list[UnusableAgreement] = []
    if hasattr(agreements, "unusable") and account_id is not None:
        unusable.extend(agreements.unusable(account_id))
    if known is not None:
        unusable.extend(unknown_destinations(a, known) for a in own if not a.destinations <= known)
        own = [agreement for agreement in own if agreement.destinations <= known]
    covering = [a for a in own if a.covers(target.region, target.id)]
    in_force = [a for a in covering if a.in_force(at)]
    source_covered = source.region == home or any(
        a.covers(source.region, source.id) and a.in_force(at) for a in own
    )
    lapsed: tuple[Agreement, ...] = ()
    agreement: Agreement | None = None
    if target.region == home:
        basis = TransferBasis.IN_REGION
        unusable = []
    elif in_force:
        basis, agreement = TransferBasis.AGREEMENT, in_force[0]
        unusable = []
    else:
        basis, lapsed = TransferBasis.DENIED, tuple(covering)
    return TransferDecision(
        allowed=basis is not TransferBasis.DENIED,
        basis=basis,
        placement=placement,
        source=source,
        target=target,
        at=at,
        account_id=account_id,
        agreement=agreement,
        lapsed=lapsed if account_id is not None else (),
        misplaced=not source_covered,
        unusable=tuple(unusable) if account_id is not None else (),
    )


@functools.cache
def decisions_logger() -> logging.Logger:
    """The ``residency.decisions`` logger (logging is imported on the first call only)."""
    # logging costs several milliseconds to import: only code that checks transfers pays.
    import logging  # noqa: PLC0415 - see above

    return logging.getLogger(LOGGER_NAME)


def emit(decision: TransferDecision, *, mode: Mode, enforced: bool = False) -> None:
    """Log ``decision`` on the ``residency.decisions`` logger, if anyone listens.

    A denial that ``enforce_transfer`` let through in audit mode is logged at WARNING; every
    other decision at INFO. The event rides in the record's ``residency`` attribute.
    """
    logger = decisions_logger()
    let_through = enforced and mode is Mode.AUDIT and not decision.allowed
    level = _WARNING if let_through else _INFO
    if logger.isEnabledFor(level):
        event = decision.to_event()
        event["mode"] = mode.value
        event["enforced"] = enforced
        logger.log(level, "%s", decision.reason, extra={"residency": event})
