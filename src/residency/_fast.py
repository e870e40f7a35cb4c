"""The fast paths of residency's hot calls, fenced: each one pinned to a plain definition.

Provisioning code calls ``assign`` and ``check_transfer`` on every signup and every move, so
these two paths are written for speed, and only these: everything here computes exactly what
a plain definition elsewhere says, and ``tests/test_fast.py`` pins each pair equal on
thousands of inputs. Read the definition to know what a result means; read this module to
know how it is computed quickly.

- :func:`decide` applies the transfer rule, as :func:`residency.transfers.reference_decision`
  defines it: positional arguments (keywords cost a third of its time), an agreement index
  read by destination with each agreement's window beside it, and the clock read once.
- :func:`decision` builds a :class:`~residency.transfers.TransferDecision` as its
  constructor does, in one step.
- :func:`in_region_fields` gives the fields that every decision of one move within the home
  region shares, which ``Policy.check_transfer`` keeps per move and fills in place, as
  :func:`decide` fills its own.

The ranking of a region's data centers for an account (:mod:`residency._rank`), the ASCII
folds of names (:mod:`residency._normalize`) and the placement cache (:mod:`residency._cache`)
keep their fast paths beside their own definitions, likewise pinned;
the policy's memo of accounts is pinned to :func:`residency.placement.rendezvous_order` by
``tests/test_policy.py``, and every placement scheme to its golden table by
``tests/test_golden.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

from residency._time import micros
from residency.agreements import AgreementIndex
from residency.transfers import AT_MICROS, TransferBasis, TransferDecision

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Set as AbstractSet
    from datetime import datetime

    from residency.agreements import Agreement, UnusableAgreement
    from residency.catalog import DataCenter
    from residency.placement import Placement
    from residency.store import AgreementStore

__all__ = ["decide", "decision", "in_region_fields"]


def _index(
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement],
    account_id: str,
    known: AbstractSet[str],
) -> AgreementIndex:
    """The account's agreements as an index in which those naming unknown places are unusable.

    An :class:`AgreementIndex` and an agreement store answer for themselves (the store reads
    the account alone); any other collection is indexed for the account.
    """
    index_for = getattr(agreements, "_index_for", None)
    if index_for is not None:
        return cast("AgreementIndex", index_for(account_id, known))
    own = tuple(a for a in cast("Iterable[Agreement]", agreements) if a.account_id == account_id)
    return AgreementIndex(own)._index_for(account_id, known)  # noqa: SLF001 - its protocol


def decide(  # noqa: C901, PLR0912, PLR0913 - the inputs of a decision, decided inline
    placement: Placement,
    source: DataCenter,
    target: DataCenter,
    account_id: str | None,
    agreements: AgreementIndex | AgreementStore | Iterable[Agreement],
    at: datetime | int,
    known_destinations: AbstractSet[str],
    /,
) -> TransferDecision:
    """Apply the transfer rule at ``at``; agreements naming unknown places fail.

    The arguments are positional and the decision is built by :func:`decision`: this runs
    for every move a program makes. ``at`` is an aware datetime, or the clock read as
    integer microseconds (``time.time_ns() // 1000``), which the decision turns into
    its datetime only when asked. An :class:`AgreementIndex` checked against the catalog is
    read in place, and not at all for a move that no agreement can change (within the
    region, from it).
    """
    region = placement.region
    in_region = target.region == region
    source_covered = source.region == region
    checked = agreements.__class__ is AgreementIndex and (
        agreements.checked_against is known_destinations  # type: ignore[union-attr]
    )
    if in_region and source_covered and (account_id is None or checked):
        # The common answer, built in place: six of its eleven fields are the same for every
        # move within the home region from inside it, so the new decision's dict takes all
        # eleven from a template at once and then the five that vary (no new key, no resize:
        # about two thirds of building the dict afresh, as decision() does).
        made = _new(TransferDecision)
        fields = made.__dict__
        if at.__class__ is int:
            fields.update(_IN_REGION_NOW)
            fields[AT_MICROS] = at
        else:
            fields.update(_IN_REGION)
            fields["at"] = at
        fields["placement"] = placement
        fields["source"] = source
        fields["target"] = target
        fields["account_id"] = account_id
        return made
    agreement: Agreement | None = None
    lapsed: tuple[Agreement, ...] = ()
    unusable: tuple[UnusableAgreement, ...] = ()
    if account_id is not None:
        if checked:
            index: AgreementIndex = agreements  # type: ignore[assignment]
        elif agreements:
            index = _index(agreements, account_id, known_destinations)
        else:
            index = _EMPTY
        if not (in_region and source_covered):  # else no agreement can change the answer
            moment = at if isinstance(at, int) else micros(at)
            if not source_covered:
                source_covered = any(
                    start <= moment < end
                    for start, end, _ in index.covering(account_id, source.region, source.id)
                )
            if not in_region:
                out_of_force: list[Agreement] = []
                for start, end, candidate in index.covering(account_id, target.region, target.id):
                    if start <= moment < end:  # the first in force: the rest do not matter
                        agreement = candidate
                        break
                    out_of_force.append(candidate)
                else:  # none in force: each one lapsed, and the unusable ones are named
                    lapsed = tuple(out_of_force) if out_of_force else ()
                    unusable = index.unusable(account_id)
    if in_region:
        basis, allowed = TransferBasis.IN_REGION, True
    elif agreement is not None:
        basis, allowed = TransferBasis.AGREEMENT, True
    else:
        basis, allowed = TransferBasis.DENIED, False
    return decision(
        allowed,
        basis,
        placement,
        source,
        target,
        at,
        account_id,
        agreement,
        lapsed,
        not source_covered,
        unusable,
    )


_EMPTY: Final = AgreementIndex()
"""No agreements: what an empty collection of them indexes to."""
_new = object.__new__
_set = object.__setattr__


def decision(  # noqa: PLR0913 - every field of a decision
    allowed: bool,
    basis: TransferBasis,
    placement: Placement,
    source: DataCenter,
    target: DataCenter,
    at: datetime | int,
    account_id: str | None,
    agreement: Agreement | None,
    lapsed: tuple[Agreement, ...],
    misplaced: bool,
    unusable: tuple[UnusableAgreement, ...],
    /,
) -> TransferDecision:
    """A :class:`TransferDecision` of these fields, as its constructor makes it.

    The class is frozen and holds its fields in its ``__dict__``: giving it the whole dict at
    once costs about two thirds of eleven frozen attribute sets. It has no validators or
    converters to skip; ``tests/test_fast.py`` holds the two ways equal, field by field and
    by ``==``. ``at`` given as integer microseconds is kept as they are, and the decision
    makes its datetime from them when ``at`` is first read (exactly the same instant).
    """
    made = _new(TransferDecision)
    _set(
        made,
        "__dict__",
        {
            "allowed": allowed,
            "basis": basis,
            "placement": placement,
            "source": source,
            "target": target,
            "at" if at.__class__ is not int else AT_MICROS: at,
            "account_id": account_id,
            "agreement": agreement,
            "lapsed": lapsed,
            "misplaced": misplaced,
            "unusable": unusable,
        },
    )
    return made


_IN_REGION: Final[dict[str, Any]] = {
    "allowed": True,
    "basis": TransferBasis.IN_REGION,
    "placement": None,
    "source": None,
    "target": None,
    "at": None,
    "account_id": None,
    "agreement": None,
    "lapsed": (),
    "misplaced": False,
    "unusable": (),
}
"""The fields of a move within the home region from inside it; five are filled per move."""
_IN_REGION_NOW: Final[dict[str, Any]] = {
    (AT_MICROS if key == "at" else key): value for key, value in _IN_REGION.items()
}
"""The same, for a move decided now: the clock's microseconds in place of ``at``."""


def in_region_fields(
    placement: Placement, source: DataCenter, target: DataCenter, /
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of every decision of one move within the home region from inside it.

    ``Policy.check_transfer`` keeps them for the move, and builds each of its decisions as
    :func:`decide` does, from them and the two fields that vary: the moment (first dict: the
    clock's microseconds under ``AT_MICROS``; second: ``at``) and the account. The moment's
    and the account's places hold ``None`` here, so that filling them adds no key.
    """
    moved = {"placement": placement, "source": source, "target": target}
    return {**_IN_REGION_NOW, **moved}, {**_IN_REGION, **moved}
