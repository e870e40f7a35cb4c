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

__all__ = [
    "Constraint",
    "Placement",
    "account_key",
    "data_center_key",
    "pair_hash",
    "rendezvous_order",
    "score",
]

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

    def to_dict(self) -> dict[str, Any]:
        """The placement as JSON-ready data: the location, region, rule and data center ids."""
        from residency import _wire  # noqa: PLC0415 - the wire forms import the location names

        return dict(_wire.placement(self))


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
    from hashlib import blake2b  # noqa: PLC0415 - hashlib loads OpenSSL: only accounts pay

    return int.from_bytes(blake2b(data, digest_size=8).digest(), "big")


def _encode(account_id: str) -> bytes:
    try:
        return account_id.encode()
    except UnicodeEncodeError:  # a lone surrogate: still an id, hashed by its code points
        return account_id.encode("utf-8", "surrogatepass")


def account_key(account_id: str) -> int:
    """The 64-bit key of an account, stable across processes, platforms and versions.

    :meth:`residency._rank.Ranker.order` computes the same key inline, on its hot path.
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


def rendezvous_order(account_id: str, data_centers: Sequence[DataCenter]) -> tuple[DataCenter, ...]:
    """Order ``data_centers`` for ``account_id``: highest score first, stable everywhere.

    This is the definition of the order, written plainly: every data center scores the
    account (:func:`score`), the highest comes first, and equal scores keep catalog order.
    :class:`residency._rank.Ranker` computes the same order faster, and the test suite pins
    the two equal on thousands of accounts and region shapes.

    The order of a pair of data centers never depends on the others, nor on the input order:

    >>> from residency import default_policy
    >>> eu = default_policy().catalog.data_centers_in("EU")
    >>> ids = [dc.id for dc in rendezvous_order("acme", eu)]
    >>> ids == [dc.id for dc in rendezvous_order("acme", tuple(reversed(eu)))]
    True
    """
    account = account_key(account_id)
    uniform = len({dc.weight for dc in data_centers}) <= 1

    def key(item: tuple[int, DataCenter]) -> tuple[float, int]:
        position, dc = item
        seed = data_center_key(dc.id)
        # Equal weights rank by the pair hash alone, which orders exactly as the score does.
        value = pair_hash(account, seed) if uniform else score(account, seed, dc.weight)
        return (value, -position)

    return tuple(dc for _, dc in sorted(enumerate(data_centers), key=key, reverse=True))
