"""The ranking of a region's data centers for an account, fenced: pinned to its definition.

:class:`Ranker` orders a region's data centers for an account as
:func:`residency.placement.rendezvous_order` defines it: one BLAKE2b of the account, the
seeds of the data centers hashed once, the pair hash inlined, and for three data centers a
decision tree in place of a sort. ``tests/test_fast.py`` pins the two equal on thousands of
accounts, and ``tests/test_golden.py`` pins both to the golden table of the scheme. It stands
apart from :mod:`residency._fast` (the transfer decisions), so that placing a customer loads
nothing of the transfer machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from residency.placement import data_center_key, score

if TYPE_CHECKING:
    from collections.abc import Sequence

    from residency.catalog import DataCenter

__all__ = ["Ranker"]

_from_bytes = int.from_bytes
_MASK: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15
"""residency.placement.pair_hash, inlined: ((account ^ seed) * _GOLDEN) & _MASK."""

# The orders of three data centers, by which keys are larger: a decision tree that does the
# work of a sort in two or three comparisons (equal keys keep catalog order, as a sort would).
_ORDER_2: Final = ((0, 1), (1, 0))
_ORDER_3: Final = ((0, 1, 2), (0, 2, 1), (2, 0, 1), (1, 0, 2), (1, 2, 0), (2, 1, 0))


def _order_of_three(k0: float, k1: float, k2: float) -> tuple[int, ...]:
    if k0 >= k1:
        if k1 >= k2:
            return _ORDER_3[0]
        return _ORDER_3[1] if k0 >= k2 else _ORDER_3[2]
    if k0 >= k2:
        return _ORDER_3[3]
    return _ORDER_3[4] if k1 >= k2 else _ORDER_3[5]


class Ranker:
    """Ranks one region's data centers for accounts; the seeds are computed once."""

    __slots__ = ("_blake2b", "_seeds", "_uniform", "_weights", "data_centers")

    def __init__(self, data_centers: Sequence[DataCenter]) -> None:
        """Prepare to rank ``data_centers``; their order breaks exact ties (odds of 2**-64)."""
        self.data_centers: tuple[DataCenter, ...] = tuple(data_centers)
        """The data centers ranked, in catalog order."""
        self._seeds: tuple[int, ...] | None = None  # hashed on the first account
        # An empty BLAKE2b of 8 bytes, copied for each account: the same hash as
        # hashlib.blake2b(data, digest_size=8), without parsing its keywords every time.
        # hashlib loads OpenSSL: only the first account pays for it.
        self._blake2b: Any = None
        self._weights = tuple(dc.weight for dc in self.data_centers)
        # Equal weights rank by the pair hash alone: same order as the score, no logarithm.
        self._uniform = len(set(self._weights)) <= 1

    def order(self, account_id: str) -> tuple[int, ...]:  # noqa: C901, PLR0911 - spelled out
        """The positions of the data centers, best first, for ``account_id``."""
        seeds = self._seeds
        blake2b = self._blake2b
        if seeds is None or blake2b is None:
            import hashlib  # noqa: PLC0415 - see __init__

            seeds = self._seeds = tuple(data_center_key(dc.id) for dc in self.data_centers)
            blake2b = self._blake2b = hashlib.blake2b(digest_size=8)
        try:
            data = account_id.encode()
        except UnicodeEncodeError:  # a lone surrogate: still an id, hashed by its code points
            data = account_id.encode("utf-8", "surrogatepass")
        hashed = blake2b.copy()
        hashed.update(data)
        account = _from_bytes(hashed.digest())  # big-endian, the default
        count = len(seeds)
        keys: list[float] | list[int]
        if self._uniform:
            if count == 3:  # the common case, spelled out: no list, no sort, no call
                s0, s1, s2 = seeds
                k0 = ((account ^ s0) * _GOLDEN) & _MASK
                k1 = ((account ^ s1) * _GOLDEN) & _MASK
                k2 = ((account ^ s2) * _GOLDEN) & _MASK
                if k0 >= k1:
                    if k1 >= k2:
                        return _ORDER_3[0]
                    return _ORDER_3[1] if k0 >= k2 else _ORDER_3[2]
                if k0 >= k2:
                    return _ORDER_3[3]
                return _ORDER_3[4] if k1 >= k2 else _ORDER_3[5]
            if count == 2:
                return _ORDER_2[
                    ((account ^ seeds[0]) * _GOLDEN) & _MASK
                    < (((account ^ seeds[1]) * _GOLDEN) & _MASK)
                ]
            keys = [((account ^ seed) * _GOLDEN) & _MASK for seed in seeds]
        else:
            keys = [score(account, seed, weight) for seed, weight in zip(seeds, self._weights)]  # noqa: B905 - equal by construction
        if count == 3:
            return _order_of_three(*keys)
        if count == 2:
            return _ORDER_2[keys[0] < keys[1]]
        return tuple(sorted(range(count), key=keys.__getitem__, reverse=True))
