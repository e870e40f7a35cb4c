"""Floors the benchmark sets residency's hot paths against: the same answer, nothing else."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from residency import Policy

__all__ = ["EmptyPolicy", "PlainTransfers"]


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
