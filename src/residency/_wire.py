"""The wire form of every value: one serialiser each, for the library and the command line.

A value's JSON form is written once, here, and reached two ways: the value's own
``to_dict()`` and the ``--json`` output of the command line, which composes these dicts and
adds only what the question was (the input, the account, the moment). So two commands can
never print the same fact two ways.

Conventions, the same for every value:

- a fact the source does not state (an empty text) is ``null``, never "not stated in source"
  (that is how tables show it);
- a value that refers to another names it by id (a placement lists data center ids), except
  where the other value is the answer's own detail (a data center's provider and facility);
- sets are sorted lists, instants RFC 3339 text, enums their value.

The ``*JSON`` TypedDicts are the output models: they type these dicts and document their
fields.

>>> from residency import default_policy
>>> placement = default_policy().assign("DE", account_id="acme")
>>> sorted(placement.to_dict())  # doctest: +NORMALIZE_WHITESPACE
['catalog', 'country', 'country_name', 'data_centers', 'primary', 'region', 'rule',
 'subdivision', 'subdivision_name']
>>> default_policy().catalog.data_center("websupport-eu").to_dict()["location"] is None
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from residency.locations import country_name, subdivision_name

if TYPE_CHECKING:
    from datetime import datetime

    from residency.access import Access, Party
    from residency.agreements import Agreement
    from residency.catalog import (
        DataCenter,
        Facility,
        Provider,
        Quote,
        Region,
        Rule,
        SubProcessor,
    )
    from residency.locations import Location
    from residency.placement import Placement
    from residency.transfers import TransferDecision

__all__ = [
    "AgreementJSON",
    "DataCenterJSON",
    "DecisionJSON",
    "PlacementJSON",
    "access",
    "agreement",
    "data_center",
    "decision",
    "facility",
    "location",
    "party",
    "placement",
    "provider",
    "quote",
    "region",
    "rule",
    "stated",
    "subprocessor",
]


def stated(text: str) -> str | None:
    """A fact as JSON: the text, or ``None`` where the source is silent (empty).

    >>> stated("Ireland"), stated("")
    ('Ireland', None)
    """
    return text or None


def _instant(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class LocationJSON(TypedDict):
    """A location: its codes and English names."""

    country: str
    country_name: str
    subdivision: str | None
    subdivision_name: str | None


class PlacementJSON(LocationJSON):
    """Where a customer's data lives."""

    region: str
    rule: str
    data_centers: list[str]
    primary: str
    catalog: str


class AgreementJSON(TypedDict):
    """An agreement, in the field names of agreements files."""

    id: str
    account_id: str
    destinations: list[str]
    valid_from: str
    valid_until: str | None
    revoked_at: str | None
    basis: str
    reference: str


class DecisionJSON(LocationJSON):
    """A transfer decision, with what decided it."""

    allowed: bool
    basis: str
    reason: str
    source: str
    source_region: str
    target: str
    target_region: str
    region: str
    rule: str
    account_id: str | None
    agreement: AgreementJSON | None
    lapsed: list[dict[str, Any]]
    unusable: list[dict[str, str]]
    misplaced: bool
    at: str
    catalog: str


class DataCenterJSON(TypedDict):
    """A data center, with its provider and facility statement."""

    id: str
    region: str
    provider: dict[str, Any]
    location: str | None
    serves: str | None
    country: str | None
    city: str | None
    as_written: str | None
    facility: dict[str, Any] | None
    certifications: list[str]
    weight: float
    ref: str | None


def location(value: Location) -> LocationJSON:
    """A location's codes and names."""
    sub = value.subdivision
    return {
        "country": value.country,
        "country_name": country_name(value.country),
        "subdivision": sub,
        "subdivision_name": subdivision_name(sub) if sub else None,
    }


def placement(value: Placement) -> PlacementJSON:
    """A placement: the location, the region and rule, the data centers in order, by id."""
    return {
        **location(value.location),
        "region": value.region,
        "rule": value.rule.id,
        "data_centers": [dc.id for dc in value.data_centers],
        "primary": value.primary.id,
        "catalog": value.catalog,
    }


def agreement(value: Agreement) -> AgreementJSON:
    """An agreement, in the field names of agreements files."""
    return {
        "id": value.id,
        "account_id": value.account_id,
        "destinations": sorted(value.destinations),
        "valid_from": value.valid_from.isoformat(),
        "valid_until": _instant(value.valid_until),
        "revoked_at": _instant(value.revoked_at),
        "basis": value.basis.value,
        "reference": value.reference,
    }


def decision(value: TransferDecision) -> DecisionJSON:
    """A transfer decision: the verdict, its basis and reason, and everything that decided it.

    ``lapsed`` lists the agreements that would cover the move but are not in force, each
    with why (``not_in_force``).
    """
    return {
        "allowed": value.allowed,
        "basis": value.basis.value,
        "reason": value.reason,
        "source": value.source.id,
        "source_region": value.source.region,
        "target": value.target.id,
        "target_region": value.target.region,
        **location(value.location),
        "region": value.region,
        "rule": value.rule.id,
        "account_id": value.account_id,
        "agreement": agreement(value.agreement) if value.agreement else None,
        "lapsed": [
            {**agreement(item), "not_in_force": item.why_not_in_force(value.at) or None}
            for item in value.lapsed
        ],
        "unusable": [
            {"id": item.id, "account_id": item.account_id, "reason": item.reason}
            for item in value.unusable
        ],
        "misplaced": value.misplaced,
        "at": value.at.isoformat(),
        "catalog": value.catalog,
    }


def region(value: Region) -> dict[str, Any]:
    """A region."""
    return {"id": value.id, "name": value.name, "as_written": stated(value.as_written)}


def provider(value: Provider) -> dict[str, Any]:
    """A provider; an unstated jurisdiction is null."""
    return {
        "id": value.id,
        "legal_name": value.legal_name,
        "jurisdiction": stated(value.jurisdiction),
    }


def facility(value: Facility) -> dict[str, Any]:
    """A facility statement."""
    return {
        "id": value.id,
        "text": value.text,
        "as_written": stated(value.as_written),
        "standards": list(value.standards),
        "power": stated(value.power),
        "power_as_written": stated(value.power_as_written),
        "backup": list(value.backup),
    }


def data_center(value: DataCenter) -> DataCenterJSON:
    """A data center, its provider and its facility statement."""
    return {
        "id": value.id,
        "region": value.region,
        "provider": provider(value.provider),
        "location": stated(value.location),
        "serves": stated(value.serves),
        "country": stated(value.country),
        "city": stated(value.city),
        "as_written": stated(value.as_written),
        "facility": facility(value.facility) if value.facility is not None else None,
        "certifications": sorted(value.certifications),
        "weight": value.weight,
        "ref": stated(value.ref),
    }


def quote(value: Quote) -> dict[str, Any]:
    """A statement of the source: its English text, its own words, where it stands."""
    return {
        "text": stated(value.text),
        "as_written": stated(value.as_written),
        "ref": stated(value.ref),
    }


def subprocessor(value: SubProcessor) -> dict[str, Any]:
    """A sub-processor and the condition on which it may access data."""
    return {
        "id": value.id,
        "name": stated(value.name),
        "kind": value.kind,
        "role": stated(value.role),
        "as_written": stated(value.as_written),
        "group_company": value.group_company,
        "country": stated(value.country),
        "consent_required": value.consent_required,
        "condition": {
            "text": stated(value.condition),
            "as_written": stated(value.condition_as_written),
            "ref": stated(value.ref),
        },
    }


def rule(value: Rule) -> dict[str, Any]:
    """An assignment rule, with the countries it names itself (its groups are by id)."""
    return {
        "id": value.id,
        "region": value.region,
        "title": stated(value.title),
        "countries": sorted(value.countries),
        "groups": list(value.groups),
    }


def party(value: Party) -> dict[str, Any]:
    """One party that can access a customer's data, and on what condition."""
    return {
        "kind": value.kind,
        "id": value.id,
        "name": stated(value.name) if value.named else None,
        "role": stated(value.role),
        "as_written": stated(value.as_written),
        "country": stated(value.country),
        "outside_region": value.outside_region.value,
        "outside_reason": stated(value.outside_reason),
        "condition": quote(value.condition),
        "consent_required": value.consent_required,
        "consent_granted": value.consent_granted,
        "may_access": value.may_access,
        "provider": provider(value.provider) if value.provider is not None else None,
        "facility": facility(value.facility) if value.facility is not None else None,
    }


def access(value: Access) -> dict[str, Any]:
    """Who can access a customer's data: the parties, and those withheld for lack of consent."""
    return {
        **location(value.location),
        "region": value.region,
        "rule": value.rule.id,
        "catalog": value.catalog,
        "consents": list(value.consents),
        "parties": [party(item) for item in value.parties],
        "withheld": [party(item) for item in value.withheld],
    }
