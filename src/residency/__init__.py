"""residency: where a customer's data lives, whether it may move, and who can see it.

>>> import residency
>>> placement = residency.default_policy().assign("DE")
>>> placement.region, placement.rule.id
('EU', 'eu-eea')

Every public name is imported from here; each loads its module when it is first used.
"""

from __future__ import annotations

import importlib

# Not typing.TYPE_CHECKING: importing typing would be most of what importing this package
# costs (type checkers read any name TYPE_CHECKING so).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

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
    from residency.changes import CatalogDiff, Change, ChangeKind, Notice, diff_catalogs
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
    from residency.migration import AuditReport, MigrationPlan
    from residency.placement import Constraint, Placement
    from residency.policy import Policy, default_policy, load_policy
    from residency.store import AgreementStore
    from residency.transfers import Mode, TransferBasis, TransferDecision

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

_HOMES: Final[dict[str, tuple[str, ...]]] = {
    "access": ("Access", "Party", "Side"),
    "agreements": (
        "Agreement",
        "AgreementIndex",
        "LegalBasis",
        "UnusableAgreement",
        "load_agreements",
    ),
    "catalog": (
        "Catalog",
        "DataCenter",
        "Provider",
        "Region",
        "Rule",
        "SubProcessor",
        "catalog_json_schema",
    ),
    "changes": ("CatalogDiff", "Change", "ChangeKind", "Notice", "diff_catalogs"),
    "errors": (
        "AgreementConflict",
        "AmbiguousLocation",
        "CatalogError",
        "DuplicateColumn",
        "FileError",
        "FileTooLarge",
        "InvalidAccount",
        "InvalidAgreement",
        "InvalidConstraint",
        "InvalidLocation",
        "InvalidTime",
        "LocationError",
        "MissingColumn",
        "MissingDependency",
        "NoEligibleDataCenter",
        "NotARegularFile",
        "Problem",
        "ResidencyError",
        "StoreCorrupt",
        "StoreError",
        "StoreFull",
        "StoreLocked",
        "StoreMissing",
        "StoreReadOnly",
        "StoreTampered",
        "StoreUnavailable",
        "TransferDenied",
        "UnassignedLocation",
        "UnknownAgreement",
        "UnknownConsent",
        "UnknownDataCenter",
        "UnknownLocation",
        "UnknownRegion",
    ),
    "locations": ("CountryCode", "Location", "resolve_location"),
    "migration": ("AuditReport", "MigrationPlan"),
    "placement": ("Constraint", "Placement"),
    "policy": ("Policy", "default_policy", "load_policy"),
    "store": ("AgreementStore",),
    "transfers": ("Mode", "TransferBasis", "TransferDecision"),
}
"""Each module of residency, by name, and the public names it defines."""

_HOME: Final = {name: module for module, names in _HOMES.items() for name in names}
"""Each public name -> the module that defines it."""

_MODULES: Final = frozenset(
    {
        *_HOMES,
        *("cli", "dask", "data", "frames", "groups", "rules", "testing"),
    }
)
"""The public modules of residency, each imported when first read as an attribute of the
package (``residency.catalog.NOT_STATED`` after ``import residency``), as a package that
imported them itself would have them."""


def __getattr__(name: str) -> Any:  # noqa: ANN401 - each lazy name has its own type
    # Read only when asked for, then kept as a global of the package, so that this runs once
    # per name: a program that only resolves locations never imports sqlite3 (the store), the
    # catalog diff or the transfer machinery, and the command line sets up its handling of
    # Ctrl-C before the library loads. importlib.metadata (the version) is never kept: it is
    # read from the installed metadata each time.
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - lazy by design

        return version("residency")
    module = _HOME.get(name)
    if module is None:
        if name in _MODULES:
            return importlib.import_module(f"residency.{name}")  # the import binds it here
        message = f"module 'residency' has no attribute {name!r}"
        raise AttributeError(message)
    value = getattr(importlib.import_module(f"residency.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
