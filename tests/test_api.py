"""The public surface: exported names, the exception tree, and what importing costs."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import residency
from residency import errors

EXPORTED = [
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


def test_exported_names() -> None:
    """The package exports exactly the pinned public names, each of them defined."""
    assert sorted(residency.__all__) == EXPORTED
    for name in EXPORTED:
        assert getattr(residency, name) is not None


def test_version_is_read_from_metadata() -> None:
    """The version comes from the installed metadata, and unknown attributes still fail."""
    assert residency.__version__.count(".") >= 1
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = residency.nothing


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (errors.LocationError, (errors.ResidencyError, ValueError)),
        (errors.InvalidLocation, (errors.LocationError, TypeError, ValueError)),
        (errors.UnknownLocation, (errors.LocationError, LookupError)),
        (errors.AmbiguousLocation, (errors.LocationError, LookupError)),
        (errors.UnassignedLocation, (errors.LocationError, LookupError)),
        (errors.InvalidAccount, (errors.ResidencyError, ValueError)),
        (errors.UnknownRegion, (errors.ResidencyError, LookupError)),
        (errors.UnknownDataCenter, (errors.ResidencyError, LookupError)),
        (errors.NoEligibleDataCenter, (errors.ResidencyError, LookupError)),
        (errors.CatalogError, (errors.ResidencyError, ValueError)),
        (errors.InvalidTime, (errors.ResidencyError, ValueError)),
        (errors.UnknownConsent, (errors.ResidencyError, ValueError)),
        (errors.InvalidAgreement, (errors.ResidencyError, ValueError)),
        (errors.AgreementConflict, (errors.ResidencyError, ValueError)),
        (errors.UnknownAgreement, (errors.ResidencyError, LookupError)),
        (errors.StoreError, (errors.ResidencyError, OSError)),
        (errors.StoreMissing, (errors.StoreError, FileNotFoundError)),
        (errors.StoreUnavailable, (errors.StoreError,)),
        (errors.StoreLocked, (errors.StoreError,)),
        (errors.StoreReadOnly, (errors.StoreError, PermissionError)),
        (errors.StoreFull, (errors.StoreError,)),
        (errors.StoreCorrupt, (errors.StoreError,)),
        (errors.StoreTampered, (errors.StoreCorrupt, errors.StoreError)),
        (errors.FileError, (errors.ResidencyError, OSError)),
        (errors.NotARegularFile, (errors.FileError, OSError)),
        (errors.FileTooLarge, (errors.FileError, OSError)),
        (errors.InvalidConstraint, (errors.ResidencyError, LookupError)),
        (errors.TransferDenied, (errors.ResidencyError, PermissionError)),
        (errors.MissingColumn, (errors.ResidencyError, LookupError)),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_exception_tree(error: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    """Every error is a ResidencyError and also the builtin a caller would already catch."""
    assert issubclass(error, bases)


def test_exception_tree_is_drawn_in_the_module_docstring() -> None:
    """The errors module's docstring draws every exception of the tree."""
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if name != "Problem":
            assert name in doc


def test_missing_column_names_the_columns_there_are_up_to_twenty() -> None:
    """A MissingColumn lists the table's columns, the first twenty of a wide one, and counts."""
    error = errors.MissingColumn("country", columns=[f"c{n}" for n in range(25)], option="--column")
    assert (error.column, len(error.columns)) == ("country", 25)
    assert str(error) == (
        "the table has no column 'country' (its columns: "
        + ", ".join(f"'c{n}'" for n in range(20))
        + " and 5 more); name it with --column"
    )
    assert (
        str(errors.MissingColumn("x", columns=[]))
        == "the table has no column 'x' (its columns: none)"
    )


def test_catalog_error_lists_every_problem() -> None:
    """A CatalogError keeps its problems and counts them in its message."""
    error = errors.CatalogError(
        [errors.Problem("regions[0]", "bad"), errors.Problem("", "worse")], source="c.toml"
    )
    assert str(error) == "c.toml: 2 problems: regions[0]: bad; worse"
    assert len(error.problems) == 2


def test_import_stays_light() -> None:
    """Importing residency and assigning by code loads no pydantic, pycountry or frame library."""
    script = (
        "import sys, json, residency; residency.default_policy().assign('DE'); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pydantic', 'pycountry', 'importlib_metadata', 'sqlite3', "
        "'numpy', 'pandas', 'pyarrow', 'polars', 'dask', 'distributed'})))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


def _modules_after(script: str) -> list[str]:
    """The modules of residency, and attrs, that a fresh interpreter has after ``script``."""
    code = (
        f"import sys, json; {script}; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'residency', 'attrs', 'attr'})))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return list(json.loads(result.stdout))


def test_importing_the_package_loads_no_module_of_it() -> None:
    """``import residency`` loads none of its modules: each name loads its own on first use."""
    assert _modules_after("import residency") == ["residency"]
    resolving = _modules_after("import residency; residency.resolve_location('DE')")
    assert "residency.locations" in resolving
    assert not {"residency.policy", "residency.transfers", "residency.agreements"} & {*resolving}


def test_placing_a_customer_loads_no_transfer_machinery() -> None:
    """A first assign loads neither transfers, agreements nor access; a first check does."""
    machinery = {
        "residency._fast",
        "residency.access",
        "residency.agreements",
        "residency.transfers",
    }
    placing = _modules_after("import residency; residency.default_policy().assign('DE')")
    assert not machinery & {*placing}
    checking = _modules_after(
        "import residency; "
        "residency.default_policy().check_transfer('DE', 'linode-eu', 'linode-us')"
    )
    assert {"residency._fast", "residency.agreements", "residency.transfers"} <= {*checking}


def test_each_name_comes_from_the_module_that_defines_it() -> None:
    """Every public name is its module's object, kept on the package once read."""
    for module, names in residency._HOMES.items():
        defining = importlib.import_module(f"residency.{module}")
        for name in names:
            assert getattr(residency, name) is getattr(defining, name)
            assert residency.__dict__[name] is getattr(defining, name)
    assert sorted(residency._HOME) == EXPORTED
    assert set(EXPORTED) <= set(dir(residency))


def test_every_public_module_is_an_attribute_of_the_package() -> None:
    """Each public module of residency is read as an attribute of the package, as before."""
    public = {
        module.name
        for module in pkgutil.iter_modules(residency.__path__)
        if not module.name.startswith("_")
    }
    assert public == residency._MODULES
    loaded = _modules_after("import residency; residency.catalog.NOT_STATED; residency.rules")
    assert {"residency.catalog", "residency.rules"} <= {*loaded}
    for name in sorted(public - {"dask", "frames"}):  # those two need their extras' imports
        assert getattr(residency, name) is importlib.import_module(f"residency.{name}")


def test_the_names_for_type_checkers_are_the_names_at_run_time() -> None:
    """The imports under ``TYPE_CHECKING`` name each module's public names as the table does."""
    tree = ast.parse(Path(residency.__file__).read_text(encoding="utf-8"))
    checking = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    imported = {
        str(statement.module): tuple(alias.name for alias in statement.names)
        for statement in checking.body
        if isinstance(statement, ast.ImportFrom)
    }
    assert imported.pop("typing") == ("Any", "Final")
    assert imported == {f"residency.{module}": names for module, names in residency._HOMES.items()}
