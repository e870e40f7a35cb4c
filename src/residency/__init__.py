"""residency: where a customer's data lives, whether it may move, and who can see it.

>>> import residency
>>> placement = residency.default_policy().assign("DE")
>>> placement.region, placement.rule.id
('EU', 'eu-eea')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from residency.access import Access, Party, Side
from residency.agreements import (
    Agreement,
    AgreementIndex,
    LegalBasis,
    UnusableAgreement,
    load_agreements,
)
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
    DuplicateColumn,
    FileError,
    FileTooLarge,
    InvalidAccount,
    InvalidAgreement,
    InvalidConstraint,
    InvalidLocation,
    InvalidTime,
    LocationError,
    MissingColumn,
    MissingDependency,
    NoEligibleDataCenter,
    NotARegularFile,
    Problem,
    ResidencyError,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreMissing,
    StoreReadOnly,
    StoreTampered,
    StoreUnavailable,
    TransferDenied,
    UnassignedLocation,
    UnknownAgreement,
    UnknownConsent,
    UnknownDataCenter,
    UnknownLocation,
    UnknownRegion,
)
from residency.locations import CountryCode, Location, resolve_location
from residency.placement import Constraint, Placement
from residency.policy import Policy, default_policy, load_policy
from residency.transfers import Mode, TransferBasis, TransferDecision

if TYPE_CHECKING:
    from residency.changes import CatalogDiff, Change, ChangeKind, Notice, diff_catalogs
    from residency.migration import AuditReport, MigrationPlan
    from residency.store import AgreementStore

_CHANGES = frozenset({"CatalogDiff", "Change", "ChangeKind", "Notice", "diff_catalogs"})
_MIGRATION = frozenset({"AuditReport", "MigrationPlan"})

__all__ = [
    "Access",
    "Agreement",
    "AgreementConflict",
    "AgreementIndex",
    "AgreementStore",
    "AmbiguousLocation",
    "AuditReport",
    "Catalog",
    "CatalogDiff",
    "CatalogError",
    "Change",
    "ChangeKind",
    "Constraint",
    "CountryCode",
    "DataCenter",
    "DuplicateColumn",
    "FileError",
    "FileTooLarge",
    "InvalidAccount",
    "InvalidAgreement",
    "InvalidConstraint",
    "InvalidLocation",
    "InvalidTime",
    "LegalBasis",
    "Location",
    "LocationError",
    "MigrationPlan",
    "MissingColumn",
    "MissingDependency",
    "Mode",
    "NoEligibleDataCenter",
    "NotARegularFile",
    "Notice",
    "Party",
    "Placement",
    "Policy",
    "Problem",
    "Provider",
    "Region",
    "ResidencyError",
    "Rule",
    "Side",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreMissing",
    "StoreReadOnly",
    "StoreTampered",
    "StoreUnavailable",
    "SubProcessor",
    "TransferBasis",
    "TransferDecision",
    "TransferDenied",
    "UnassignedLocation",
    "UnknownAgreement",
    "UnknownConsent",
    "UnknownDataCenter",
    "UnknownLocation",
    "UnknownRegion",
    "UnusableAgreement",
    "catalog_json_schema",
    "default_policy",
    "diff_catalogs",
    "load_agreements",
    "load_policy",
    "resolve_location",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - each lazy name has its own type
    # Read only when asked for: importlib.metadata (the version) and sqlite3 (the store) cost
    # more at import than residency's whole cold path of placing a customer.
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - lazy by design

        return version("residency")
    if name in _CHANGES:
        from residency import changes  # noqa: PLC0415 - lazy by design

        return getattr(changes, name)
    if name in _MIGRATION:
        from residency import migration  # noqa: PLC0415 - lazy by design

        return getattr(migration, name)
    if name == "AgreementStore":
        from residency.store import AgreementStore  # noqa: PLC0415 - lazy by design

        return AgreementStore
    message = f"module 'residency' has no attribute {name!r}"
    raise AttributeError(message)
