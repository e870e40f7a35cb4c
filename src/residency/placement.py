"""Placement: the region a customer's data lives in, and the order of its data centers.

Without an account the data centers come in catalog order. With an account they come in
weighted rendezvous (highest random weight) order: every data center draws a score from a
stable hash of (account, data center) and the highest score is the primary. The score of a
pair depends on nothing else, so adding a data center to a region moves exactly the accounts
the newcomer outscores, and an account never leaves its region.

>>> from residency import default_policy
>>> placement = default_policy().assign("DE", account_id="acme-gmbh")
>>> placement.region, placement.rule.id
('EU', 'eu-eea')
>>> placement.primary.id in {"linode-eu", "aws-eu-west-1", "websupport-eu"}
True
>>> placement == default_policy().assign("Germany", account_id="acme-gmbh")
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency.errors import NoEligibleDataCenter

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from residency.catalog import DataCenter, Rule
    from residency.locations import Location

__all__ = ["Constraint", "Placement", "Ranker", "account_key", "rendezvous_order"]

_MASK: Final = (1 << 64) - 1


@attrs.frozen
class Placement:
    """Where a customer's data lives: the region, the rule that chose it, its data centers."""

    location: Location
    """The customer's location, resolved."""
    region: str
    """The id of the region the data lives in (``"EU"``)."""
    data_centers: tuple[DataCenter, ...]
    """The region's data centers in order: for an account, that account's stable order."""
    rule: Rule
    """The assignment rule that chose the region."""
    catalog: str
    """The id of the catalog that answered."""

    @property
    def primary(self) -> DataCenter:
        """The first data center: where the account's data is written."""
        return self.data_centers[0]


def _frozen(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):  # a lone "aws" would otherwise become {"a", "w", "s"}
        return frozenset((values,))
    return frozenset(values)


@attrs.frozen
class Constraint:
    """What a data center must offer to hold an account's data.

    Every field that is not empty must be met: the provider is one of ``providers``, the
    data center holds every one of ``certifications``, the provider's jurisdiction is one of
    ``jurisdictions``. A region with no such data center is an error, never a reason to pick
    another region.
    """

    providers: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    """Acceptable provider ids; empty for any."""
    certifications: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    """Certifications the data center must hold, all of them."""
    jurisdictions: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    """Acceptable alpha-2 codes of the provider's jurisdiction; empty for any."""

    def admits(self, data_center: DataCenter) -> bool:
        """Whether ``data_center`` meets every part of the constraint."""
        return (
            (not self.providers or data_center.provider.id in self.providers)
            and self.certifications <= data_center.certifications
            and (not self.jurisdictions or data_center.provider.jurisdiction in self.jurisdictions)
        )

    def apply(self, region: str, data_centers: Iterable[DataCenter]) -> tuple[DataCenter, ...]:
        """Keep the data centers that meet the constraint, in order; raise if none does."""
        kept = tuple(dc for dc in data_centers if self.admits(dc))
        if not kept:
            message = f"no data center of region {region} meets {self.describe()}"
            raise NoEligibleDataCenter(message, region=region, constraint=self)
        return kept

    def describe(self) -> str:
        """The constraint in words.

        >>> Constraint(providers={"aws"}, certifications={"ISO 27001"}).describe()
        'provider aws; certifications ISO 27001'
        """
        parts = [
            f"{label} {joiner.join(sorted(values))}"
            for label, values, joiner in (
                ("provider", self.providers, " or "),
                ("certifications", self.certifications, " and "),
                ("jurisdiction", self.jurisdictions, " or "),
            )
            if values
        ]
        return "; ".join(parts) or "no constraint"


def _stable_hash(data: bytes) -> int:
    """A 64-bit hash of ``data`` that is the same in every process (never the salted hash)."""
    return int.from_bytes(_blake2b(data, digest_size=8).digest(), "big")


def _blake2b(data: bytes, *, digest_size: int) -> Any:  # noqa: ANN401 - hashlib's own type
    # hashlib loads OpenSSL (several ms); placement without an account never hashes, so the
    # import waits for the first account and then replaces this function.
    from hashlib import blake2b  # noqa: PLC0415 - see above

    globals()["_blake2b"] = blake2b
    return blake2b(data, digest_size=digest_size)


def _encode(account_id: str) -> bytes:
    try:
        return account_id.encode()
    except UnicodeEncodeError:  # a lone surrogate: still an id, hashed by its code points
        return account_id.encode("utf-8", "surrogatepass")


def account_key(account_id: str) -> int:
    """The 64-bit key of an account, stable across processes, platforms and versions.

    :meth:`Ranker.order` computes the same key inline, on its hot path.
    """
    return _stable_hash(_encode(account_id))


def data_center_key(data_center_id: str) -> int:
    """The 64-bit seed of a data center id, stable across processes."""
    return _stable_hash(b"residency.dc\x00" + data_center_id.encode("utf-8"))


_GOLDEN: Final = 0x9E3779B97F4A7C15
"""An odd 64-bit multiplier (2**64 divided by the golden ratio), for multiplicative hashing."""


def pair_hash(account: int, seed: int) -> int:
    """The 64-bit hash of an (account key, data center seed) pair.

    Both keys are BLAKE2b outputs, so one multiplication modulo 2**64 mixes them enough for
    ranking: every order of a region's data centers comes out equally often, and the pair's
    hash depends on nothing else.
    """
    return ((account ^ seed) * _GOLDEN) & _MASK


def score(account: int, seed: int, weight: float = 1.0) -> float:
    """The rendezvous score of an account (by key) for a data center (by seed and weight).

    Weighted highest-random-weight: ``-weight / ln(u)`` for ``u`` uniform in (0, 1), so a data
    center wins a share of accounts proportional to its weight.
    """
    unit = (pair_hash(account, seed) + 0.5) / 2.0**64
    return -weight / math.log(unit)


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

    __slots__ = ("_seeds", "_uniform", "_weights", "data_centers")

    def __init__(self, data_centers: Sequence[DataCenter]) -> None:
        """Prepare to rank ``data_centers``; their order breaks exact ties (odds of 2**-64)."""
        self.data_centers: tuple[DataCenter, ...] = tuple(data_centers)
        """The data centers ranked, in catalog order."""
        self._seeds: tuple[int, ...] | None = None  # hashed on the first account
        self._weights = tuple(dc.weight for dc in self.data_centers)
        # Equal weights rank by the pair hash alone: same order as the score, no logarithm.
        self._uniform = len(set(self._weights)) <= 1

    def order(self, account_id: str) -> tuple[int, ...]:
        """The positions of the data centers, best first, for ``account_id``."""
        seeds = self._seeds
        if seeds is None:
            seeds = self._seeds = tuple(data_center_key(dc.id) for dc in self.data_centers)
        try:
            data = account_id.encode()
        except UnicodeEncodeError:  # a lone surrogate: still an id, hashed by its code points
            data = account_id.encode("utf-8", "surrogatepass")
        account = int.from_bytes(_blake2b(data, digest_size=8).digest(), "big")
        count = len(seeds)
        keys: list[float] | list[int]
        if self._uniform:
            if count == 3:  # the common case, spelled out: no list, no sort
                s0, s1, s2 = seeds
                return _order_of_three(
                    ((account ^ s0) * _GOLDEN) & _MASK,
                    ((account ^ s1) * _GOLDEN) & _MASK,
                    ((account ^ s2) * _GOLDEN) & _MASK,
                )
            keys = [((account ^ seed) * _GOLDEN) & _MASK for seed in seeds]
        else:
            keys = [score(account, seed, weight) for seed, weight in zip(seeds, self._weights)]  # noqa: B905 - equal by construction
        if count == 3:
            return _order_of_three(*keys)
        if count == 2:
            return _ORDER_2[keys[0] < keys[1]]
        return tuple(sorted(range(count), key=keys.__getitem__, reverse=True))


def rendezvous_order(account_id: str, data_centers: Sequence[DataCenter]) -> tuple[DataCenter, ...]:
    """Order ``data_centers`` for ``account_id``: highest score first, stable everywhere.

    The order of a pair of data centers never depends on the others, nor on the input order:

    >>> from residency import default_policy
    >>> eu = default_policy().catalog.data_centers_in("EU")
    >>> ids = [dc.id for dc in rendezvous_order("acme", eu)]
    >>> ids == [dc.id for dc in rendezvous_order("acme", tuple(reversed(eu)))]
    True
    """
    ranker = Ranker(data_centers)
    return tuple(ranker.data_centers[index] for index in ranker.order(account_id))
