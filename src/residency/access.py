"""Access: who can access a customer's data, where they sit, and on what condition.

The answer lists, in order, the hosting data centers of the customer's region, the service
sub-processors, and the support sub-processors, which may access data only with the
customer's consent: without it they are *withheld*, never silently dropped.

>>> from residency import default_policy
>>> policy = default_policy()
>>> access = policy.who_can_access("DE")
>>> [party.id for party in access.by_kind("hosting")]
['linode-eu', 'aws-eu-west-1', 'websupport-eu']
>>> twilio = access.party("twilio")
>>> twilio.outside_region.value, twilio.outside_reason
('unknown', 'may sit outside region EU: where it sits is not stated in source')
>>> [party.id for party in access.withheld]
['support-24-7']
>>> consented = policy.who_can_access("DE", consents=["support"])
>>> [(party.id, party.name) for party in consented.granted]
[('support-24-7', 'not named in source')]

Whether a party sits outside the customer's region has three answers (:class:`Side`): the
source states a country that the policy assigns to the region, states one it assigns
elsewhere (or to no region), or states none, in which case the party *may* sit outside.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency import _wire
from residency._text import quoted, shown
from residency.catalog import NOT_STATED, DataCenter, Facility, Provider, Quote, SubProcessor
from residency.errors import UnknownConsent
from residency.locations import country_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from residency.catalog import Catalog, Rule
    from residency.locations import Location
    from residency.placement import Placement

__all__ = [
    "HOSTING",
    "KINDS",
    "NOT_NAMED",
    "SERVICE",
    "SUPPORT",
    "Access",
    "Party",
    "Side",
    "who_can_access",
]

HOSTING: Final = "hosting"
"""The kind of a data center that stores the region's data."""
SERVICE: Final = "service"
"""The kind of a sub-processor that may access data to keep the service running."""
SUPPORT: Final = "support"
"""The kind of a sub-processor that keeps support running and needs the customer's consent."""
KINDS: Final = (HOSTING, SERVICE, SUPPORT)
"""Every kind of party, in the order an answer lists them."""

NOT_NAMED: Final = "not named in source"
"""How residency shows a party whose name the catalog's source does not give."""

_SERVER_ROLE: Final = "Server"
"""The source's heading for every hosting row ("Máy chủ")."""


class Side(enum.StrEnum):
    """Where a party sits relative to the customer's region.

    ``INSIDE``: its stated country is assigned to the region (or it is one of the region's own
    data centers); ``OUTSIDE``: its stated country is assigned to another region or to none;
    ``UNKNOWN``: the source does not say where it sits, so it may sit outside the region.
    """

    INSIDE = "inside"
    OUTSIDE = "outside"
    UNKNOWN = "unknown"


@attrs.frozen
class Party:
    """One party that can access the customer's data, or could with the customer's consent."""

    kind: str
    """``hosting``, ``service`` or ``support`` (see :data:`KINDS`)."""
    id: str
    """The data center id or sub-processor id in the catalog."""
    name: str
    """The provider's legal name or the sub-processor's name; :data:`NOT_NAMED` if unnamed."""
    place: str
    """Where it sits, as the source states it (``Ireland``); :data:`NOT_STATED` if silent."""
    country: str
    """The alpha-2 code of the country it sits in; empty where the source names none."""
    outside_region: Side
    """Whether it sits outside the customer's region: inside, outside, or unknown."""
    outside_reason: str
    """Why ``outside_region`` has its value, in one sentence for people."""
    condition: Quote
    """The condition under which it may access data, quoted from the source."""
    consent_required: bool
    """Whether it may access data only with the customer's consent."""
    consent_granted: bool
    """Whether the customer's consents cover it (by its id or its kind)."""
    role: str = attrs.field(default="", repr=False)
    """What it does, as the catalog says (``Server`` for every hosting data center)."""
    as_written: str = attrs.field(default="", repr=False)
    """The source's heading or description of it, verbatim."""
    provider: Provider | None = attrs.field(default=None, repr=False)
    """The company operating a hosting data center; None for sub-processors."""
    facility: Facility | None = attrs.field(default=None, repr=False)
    """The facility statement of a hosting data center; None for sub-processors."""
    record: DataCenter | SubProcessor | None = attrs.field(default=None, repr=False, eq=False)
    """The catalog value the party was built from, for everything else it holds."""

    @property
    def may_access(self) -> bool:
        """Whether it may access the data now: no consent needed, or consent given."""
        return not self.consent_required or self.consent_granted

    @property
    def named(self) -> bool:
        """Whether the source names it."""
        return self.name != NOT_NAMED

    def to_dict(self) -> dict[str, Any]:
        """The party as JSON-ready data; what the source does not state is None."""
        return _wire.party(self)

    def describe(self) -> str:
        """Return one line for people: who it is, where it sits, and whether consent is given.

        The condition is left out: :meth:`Access.explain` quotes each condition once.
        """
        consent = ""
        if self.consent_required:
            consent = "; consent given" if self.consent_granted else "; consent not given"
        return f"{self.kind} {self.id}: {self.name} ({self.place}); {self.outside_reason}{consent}"


@attrs.frozen
class Access:
    """Who can access a customer's data: the answer of :func:`who_can_access`."""

    location: Location
    """The customer's location, resolved."""
    region: str
    """The id of the customer's home region."""
    rule: Rule = attrs.field(repr=lambda rule: repr(rule.id))
    """The assignment rule that chose the region."""
    catalog: str
    """The id of the catalog that answered."""
    parties: tuple[Party, ...]
    """Who can access the data, in order: hosting, then service, then consented support."""
    withheld: tuple[Party, ...]
    """Who could access the data only with a consent the customer has not given."""
    consents: tuple[str, ...] = ()
    """The consents the answer took into account, in the order given, without repeats."""

    def by_kind(self, kind: str) -> tuple[Party, ...]:
        """Return the parties of ``kind`` that can access the data, in order.

        Raises:
            ValueError: ``kind`` is none of :data:`KINDS`.
        """
        if kind not in KINDS:
            message = f"unknown kind {shown(kind)}; the kinds are {', '.join(KINDS)}"
            raise ValueError(message)
        return tuple(party for party in self.parties if party.kind == kind)

    @property
    def granted(self) -> tuple[Party, ...]:
        """The parties that can access the data only because the customer consented."""
        return tuple(party for party in self.parties if party.consent_required)

    @property
    def possibly_outside(self) -> tuple[Party, ...]:
        """The parties that can access the data and sit, or may sit, outside the region."""
        return tuple(party for party in self.parties if party.outside_region is not Side.INSIDE)

    def party(self, party_id: str) -> Party:
        """Return the party ``party_id``, whether it can access the data or is withheld.

        Raises:
            KeyError: no party of the answer has that id (a data center of another region
                is no party).
        """
        for party in (*self.parties, *self.withheld):
            if party.id == party_id:
                return party
        known = ", ".join(party.id for party in (*self.parties, *self.withheld))
        message = f"{shown(party_id)} is no party of this answer; the parties are {known}"
        raise KeyError(message)

    def explain(self) -> str:
        """Return the answer in words for support staff: one line a party, then the conditions.

        Each condition the source states is quoted once, with the parties it applies to.
        """
        lines = [
            f"Customer in {self.location}: region {self.region} (rule {self.rule.id}), "
            f"catalog {self.catalog}.",
            "Can access the data:",
            *(f"- {party.describe()}" for party in self.parties),
        ]
        if self.withheld:
            lines.append("Only with the customer's consent, which is not given:")
            lines.extend(f"- {party.describe()}" for party in self.withheld)
        conditions: dict[str, list[str]] = {}
        for party in (*self.parties, *self.withheld):
            conditions.setdefault(party.condition.text or NOT_STATED, []).append(party.id)
        lines.append("Conditions, as the source states them:")
        lines.extend(f"- {', '.join(ids)}: {text}" for text, ids in conditions.items())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data (``residency access --json`` prints it)."""
        return _wire.access(self)


def who_can_access(
    catalog: Catalog,
    placement: Placement,
    *,
    consents: Iterable[str] = (),
    region_of: Callable[[str], str | None],
) -> Access:
    """Return who can access the data of the customer placed by ``placement``.

    The hosting data centers come first, in the placement's order, followed by any other data
    center of the region (data may move anywhere within its region, so a constrained placement
    hides none of them); then the service sub-processors, then the support ones, each in
    catalog order. A sub-processor that needs consent is listed only when ``consents`` covers
    it, by its id (``support-24-7``) or its kind (``support``); otherwise it is withheld.

    ``region_of(country)`` returns the id of the region the policy assigns an alpha-2 country
    code to, or None when it assigns it to none; it decides whether a party with a stated
    country sits inside the customer's region.

    Raises:
        ValueError: ``placement`` comes from another catalog, or ``consents`` names something
            that is neither a sub-processor id nor a sub-processor kind of the catalog.
        TypeError: ``consents`` is a bare str, or holds something other than str.
    """
    if placement.catalog != catalog.id:
        message = (
            f"the placement comes from catalog {placement.catalog!r}, "
            f"not from catalog {catalog.id!r}"
        )
        raise ValueError(message)
    given = _consents(catalog, consents)
    region = placement.region
    placed = {dc.id for dc in placement.data_centers}
    hosting = (
        *placement.data_centers,
        *(dc for dc in catalog.data_centers_in(region) if dc.id not in placed),
    )
    promise = catalog.statement("promise") or Quote("")
    parties = [_hosting(dc, region, promise, region_of) for dc in hosting]
    withheld: list[Party] = []
    for sub in sorted(catalog.subprocessors, key=_kind_order):
        party = _subprocessor(sub, region, given, region_of)
        (parties if party.may_access else withheld).append(party)
    return Access(
        location=placement.location,
        region=region,
        rule=placement.rule,
        catalog=catalog.id,
        parties=tuple(parties),
        withheld=tuple(withheld),
        consents=given,
    )


# --- machinery ------------------------------------------------------------------------------


def _kind_order(sub: SubProcessor) -> int:
    # sorted() is stable, so sub-processors of one kind keep their catalog order.
    return KINDS.index(sub.kind) if sub.kind in KINDS else len(KINDS)


def _consents(catalog: Catalog, consents: Iterable[str]) -> tuple[str, ...]:
    """Check the consent names against the catalog; report every unknown one at once."""
    if isinstance(consents, str):
        message = f"consents is a collection of names, not a str: write [{quoted(consents)}]"
        raise TypeError(message)
    ids = tuple(sub.id for sub in catalog.subprocessors)
    kinds = (SERVICE, SUPPORT)
    given: list[str] = []
    unknown: list[str] = []
    items: Iterable[object] = consents  # callers without type checking pass anything
    for raw in items:
        if not isinstance(raw, str):
            message = f"a consent is a sub-processor id or kind (a str), not {shown(raw)}"
            raise TypeError(message)
        name = raw.strip()
        if name not in ids and name not in kinds:
            unknown.append(name)
        elif name not in given:
            given.append(name)
    if unknown:
        noun = "consent" if len(unknown) == 1 else "consents"
        message = (
            f"unknown {noun} {', '.join(quoted(name) for name in unknown)} for catalog "
            f"{catalog.id!r}: a consent names a sub-processor id ({', '.join(ids)}) "
            f"or kind ({', '.join(kinds)})"
        )
        raise UnknownConsent(message, consents=unknown, catalog=catalog.id, known=ids + kinds)
    return tuple(given)


def _side(
    country: str, region: str, region_of: Callable[[str], str | None]
) -> tuple[Side, str] | None:
    """Place a stated country relative to ``region``; None when no country is stated."""
    if not country:
        return None
    assigned = region_of(country)
    if assigned == region:
        return Side.INSIDE, f"sits in {country}, which is assigned to region {region}"
    if assigned is None:
        return Side.OUTSIDE, f"sits in {country}, which is assigned to no region"
    return Side.OUTSIDE, f"sits in {country}, which is assigned to region {assigned}, not {region}"


def _hosting(
    dc: DataCenter, region: str, promise: Quote, region_of: Callable[[str], str | None]
) -> Party:
    # A data center belongs to its region by the catalog, which is what the source says of
    # each row; only a stated country assigned elsewhere contradicts that.
    side = _side(dc.country, region, region_of) or (
        Side.INSIDE,
        f"a data center of region {region}; the source states no country for it",
    )
    return Party(
        kind=HOSTING,
        id=dc.id,
        name=dc.provider.legal_name or NOT_NAMED,
        place=dc.location or NOT_STATED,
        country=dc.country,
        outside_region=side[0],
        outside_reason=side[1],
        condition=promise,
        consent_required=False,
        consent_granted=False,
        role=_SERVER_ROLE,
        as_written=dc.as_written,
        provider=dc.provider,
        facility=dc.facility,
        record=dc,
    )


def _subprocessor(
    sub: SubProcessor,
    region: str,
    consents: tuple[str, ...],
    region_of: Callable[[str], str | None],
) -> Party:
    side = _side(sub.country, region, region_of) or (
        Side.UNKNOWN,
        f"may sit outside region {region}: where it sits is not stated in source",
    )
    return Party(
        kind=sub.kind,
        id=sub.id,
        name=sub.name or NOT_NAMED,
        place=country_name(sub.country) if sub.country else NOT_STATED,
        country=sub.country,
        outside_region=side[0],
        outside_reason=side[1],
        condition=Quote(sub.condition, sub.condition_as_written, sub.ref),
        consent_required=sub.consent_required,
        consent_granted=sub.id in consents or sub.kind in consents,
        role=sub.role,
        as_written=sub.as_written,
        record=sub,
    )
