"""residency: where a customer's data lives, whether it may move, and who can see it.

>>> import residency
>>> placement = residency.default_policy().assign("DE")
>>> placement.region, placement.rule.id
('EU', 'eu-eea')
"""

from __future__ import annotations

from residency.access import Access, Party, Side
from residency.agreements import Agreement, AgreementIndex, LegalBasis, load_agreements
from residency.catalog import (
    Catalog,
    DataCenter,
    Provider,
    Region,
    Rule,
    SubProcessor,
    catalog_json_schema,
)
from residency.errors import (
    AgreementConflict,
    AmbiguousLocation,
    CatalogError,
    InvalidAccount,
    InvalidAgreement,
    InvalidLocation,
    InvalidTime,
    LocationError,
    NoEligibleDataCenter,
    Problem,
    ResidencyError,
    TransferDenied,
    UnassignedLocation,
    UnknownConsent,
    UnknownDataCenter,
    UnknownLocation,
)
from residency.locations import CountryCode, Location, resolve_location
from residency.placement import Constraint, Placement
from residency.policy import Policy, default_policy, load_policy
from residency.transfers import Mode, TransferBasis, TransferDecision

__all__ = [
    "Access",
    "Agreement",
    "AgreementConflict",
    "AgreementIndex",
    "AmbiguousLocation",
    "Catalog",
    "CatalogError",
    "Constraint",
    "CountryCode",
    "DataCenter",
    "InvalidAccount",
    "InvalidAgreement",
    "InvalidLocation",
    "InvalidTime",
    "LegalBasis",
    "Location",
    "LocationError",
    "Mode",
    "NoEligibleDataCenter",
    "Party",
    "Placement",
    "Policy",
    "Problem",
    "Provider",
    "Region",
    "ResidencyError",
    "Rule",
    "Side",
    "SubProcessor",
    "TransferBasis",
    "TransferDecision",
    "TransferDenied",
    "UnassignedLocation",
    "UnknownConsent",
    "UnknownDataCenter",
    "UnknownLocation",
    "catalog_json_schema",
    "default_policy",
    "load_agreements",
    "load_policy",
    "resolve_location",
]


def __getattr__(name: str) -> str:
    # The version comes from the installed metadata, read only when asked for: importlib.metadata
    # costs more at import than all of residency's own modules.
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - lazy by design

        return version("residency")
    message = f"module 'residency' has no attribute {name!r}"
    raise AttributeError(message)
