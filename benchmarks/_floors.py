"""Floors the benchmark sets residency's hot paths against: the same answer, nothing else.

Two of them are bounds rather than floors: :class:`BareAssign` and :class:`BareTransfers`
give the answer residency gives, as objects of the same kind, with every call inlined,
every check left out and every table built beforehand. What they cost is what the contract
costs by itself: the placement scheme's hashes, or the decision object and the account's
agreements read from memory. A figure that the bound misses cannot be met by residency's
design (its placement scheme, its decision objects, pure Python) on the machine that
measured it.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import TYPE_CHECKING, Any

import attrs

from residency.placement import _GOLDEN, _MASK, data_center_key  # the pair hash's constants
from residency.policy import ACCOUNT_CACHE_SIZE
from residency.transfers import AT_MICROS, TransferBasis, TransferDecision

if TYPE_CHECKING:
    from collections.abc import Sequence

    from residency import Placement, Policy

__all__ = ["BareAssign", "BareTransfers", "EmptyPolicy", "PlainTransfers"]


class EmptyPolicy:
    """The floor of the call itself: a method that does nothing, with the signature of assign.

    Its keyword-only arguments have defaults, as SPEC section 11 names them. A call that
    leaves them out looks each default up in the function's ``__kwdefaults__`` dict: calling
    it costs almost twice what calling a function with positional defaults does.
    """

    def assign(
        self,
        location: object,
        *,
        account_id: str | None = None,  # noqa: ARG002 - the signature is the point
        at: object = None,  # noqa: ARG002
        constraint: object = None,  # noqa: ARG002
    ) -> object:
        """Nothing: the location back."""
        return location


class PlainTransfers:
    """The floor of check_transfer: the transfer rule over plain dicts, built beforehand."""

    def __init__(self, policy: Policy, locations: Sequence[str], agreements: Sequence[Any]) -> None:
        self.home = {text: policy.assign(text).region for text in locations}
        self.region = {dc.id: dc.region for dc in policy.catalog.data_centers}
        self.windows: dict[str, dict[str, list[tuple[int, int]]]] = {}
        for agreement in agreements:
            start, until, revoked = agreement.window
            held = self.windows.setdefault(agreement.account_id, {})
            for destination in agreement.destinations:
                held.setdefault(destination, []).append((start, min(until, revoked)))

    def decide(self, location: str, target: str, account: str) -> tuple[bool, str]:
        """(allowed, basis) of moving ``account``'s data to ``target``."""
        region = self.region[target]
        if region == self.home[location]:
            return (True, "in-region")
        now = time.time_ns() // 1000
        held = self.windows.get(account)
        if held:
            for start, end in (*held.get(region, ()), *held.get(target, ())):
                if start <= now < end:
                    return (True, "agreement")
        return (False, "denied")


class BareAssign:
    """A bound of ``assign`` with a new account: the placement scheme's work, nothing else.

    Per call: one lookup of the location (its data centers' seeds and its placement in each
    of their orders, all made beforehand), the account's BLAKE2b from a copied state (the
    cheapest way hashlib gives it), one pair hash per data center, the comparisons that
    order them, one lookup of the ordered placement, and the account remembered as
    ``assign`` remembers it, so that a repeated account costs a lookup (SPEC section 10):
    one entry in a memo of two generations of :data:`residency.policy.ACCOUNT_CACHE_SIZE`.
    Nothing is checked: not the location, the account, the moment or the constraint. The
    same signature as ``assign``, so the same call.
    """

    def __init__(self, policy: Policy, locations: Sequence[str]) -> None:
        self._blake2b = hashlib.blake2b(digest_size=8)
        self.seen: dict[str, tuple[str, Placement]] = {}
        self.before: dict[str, tuple[str, Placement]] = {}
        self._places: dict[str, tuple[tuple[int, ...], dict[tuple[int, ...], Placement]]] = {}
        for text in set(locations):
            placement = policy.assign(text)
            centers = placement.data_centers
            seeds = tuple(data_center_key(dc.id) for dc in centers)
            ordered = {
                order: attrs.evolve(placement, data_centers=tuple(centers[i] for i in order))
                for order in itertools.permutations(range(len(centers)))
            }
            self._places[text] = (seeds, ordered)

    def assign(
        self,
        location: str,
        *,
        account_id: str = "",  # a default, as the real one has: the same call
        at: object = None,  # noqa: ARG002 - the signature is the point
        constraint: object = None,  # noqa: ARG002
    ) -> Placement:
        """``location``'s placement in ``account_id``'s order."""
        seeds, ordered = self._places[location]
        hashed = self._blake2b.copy()
        hashed.update(account_id.encode())
        account = int.from_bytes(hashed.digest())
        order: tuple[int, ...]
        count = len(seeds)
        if count == 1:
            order = (0,)
        elif count == 2:
            order = (
                (0, 1)
                if ((account ^ seeds[0]) * _GOLDEN) & _MASK
                >= ((account ^ seeds[1]) * _GOLDEN) & _MASK
                else (1, 0)
            )
        elif count == 3:
            s0, s1, s2 = seeds
            k0 = ((account ^ s0) * _GOLDEN) & _MASK
            k1 = ((account ^ s1) * _GOLDEN) & _MASK
            k2 = ((account ^ s2) * _GOLDEN) & _MASK
            if k0 >= k1:
                order = (0, 1, 2) if k1 >= k2 else (0, 2, 1) if k0 >= k2 else (2, 0, 1)
            else:
                order = (1, 0, 2) if k0 >= k2 else (1, 2, 0) if k1 >= k2 else (2, 1, 0)
        else:
            keys = [((account ^ seed) * _GOLDEN) & _MASK for seed in seeds]
            order = tuple(sorted(range(count), key=keys.__getitem__, reverse=True))
        placement = ordered[order]
        seen = self.seen
        if len(seen) >= ACCOUNT_CACHE_SIZE:
            self.before = seen
            seen = self.seen = {}
        seen[account_id] = (location, placement)
        return placement


class BareTransfers:
    """A bound of ``check_transfer`` across regions: the decision and the account's windows.

    Per call: the clock read once, one lookup of the move (its placement and both data
    centers, made beforehand), one lookup of the account and one of the target among its
    windows (each agreement's window and the agreement, by data center, the region's
    agreements and the data center's merged in the account's order beforehand), and a
    :class:`TransferDecision` built from one dict, as residency builds it. No check of the
    location, the account, the agreements or the moment; no lapsed or unusable agreement
    named; the same signature as ``check_transfer``, so the same call.
    """

    def __init__(self, policy: Policy, locations: Sequence[str], agreements: Any) -> None:  # noqa: ANN401 - an AgreementIndex
        catalog = policy.catalog
        self._moves: dict[tuple[str, str, str], tuple[Placement, Any, Any]] = {
            (text, source.id, target.id): (policy.assign(text), source, target)
            for text in set(locations)
            for source in catalog.data_centers
            for target in catalog.data_centers
        }
        self.windows: dict[str, dict[str, tuple[tuple[int, int, Any], ...]]] = {}
        for account in agreements.accounts():
            own = agreements.for_account(account)
            self.windows[account] = {
                dc.id: rows
                for dc in catalog.data_centers
                if (
                    rows := tuple(
                        (a.window[0], min(a.window[1:]), a)
                        for a in own
                        if dc.id in a.destinations or dc.region in a.destinations
                    )
                )
            }

    def check_transfer(  # noqa: PLR0913 - the signature is the point
        self,
        location: str,
        source: str,
        target: str,
        *,
        account_id: str = "",  # a default, as the real one has: the same call
        agreements: object = (),  # noqa: ARG002
        at: object = None,  # noqa: ARG002
    ) -> TransferDecision:
        """The decision of moving ``account_id``'s data from ``source`` to ``target``, now."""
        now = time.time_ns() // 1000
        placement, source_dc, target_dc = self._moves[location, source, target]
        agreement = None
        held = self.windows.get(account_id)
        if held:
            for start, end, candidate in held.get(target, ()):
                if start <= now < end:
                    agreement = candidate
                    break
        made = object.__new__(TransferDecision)
        made.__dict__.update(
            {
                "allowed": agreement is not None,
                "basis": TransferBasis.DENIED if agreement is None else TransferBasis.AGREEMENT,
                "placement": placement,
                "source": source_dc,
                "target": target_dc,
                AT_MICROS: now,
                "account_id": account_id,
                "agreement": agreement,
                "lapsed": (),
                "misplaced": False,
                "unusable": (),
            }
        )
        return made
