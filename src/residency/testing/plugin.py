"""The residency pytest plugin: fixtures to pin placement rules in any test suite.

Installing residency registers this module under the ``pytest11`` entry point ``residency``,
so its fixtures are available in every test without a conftest:

- ``residency_policy``: a fresh :class:`~residency.Policy` over the bundled catalog;
- ``residency_catalog``: load a catalog of your own, from a file or a mapping;
- ``residency_catalog_document``: a fresh copy of the bundled catalog document, to change;
- ``residency_agreement``: make agreements with sensible defaults;
- ``residency_now``: the moment the test runs at, fixed for the whole test.

Every fixture is function-scoped and builds fresh values, so nothing one test does (a cached
answer, a changed mode, an edited document) reaches another. Override ``residency_policy`` in
a conftest to point every fixture at your own catalog, or ``residency_now`` to pin the clock.

It imports neither Hypothesis nor anything else outside residency's own dependencies; pass
``-p no:residency`` to pytest to turn it off.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

import pytest

from residency import _data
from residency.agreements import Agreement
from residency.policy import Policy, default_policy, load_policy

if TYPE_CHECKING:
    import os
    from pathlib import Path

__all__ = [
    "DEFAULT_ACCOUNT",
    "AgreementFactory",
    "CatalogFactory",
    "residency_agreement",
    "residency_catalog",
    "residency_catalog_document",
    "residency_now",
    "residency_policy",
]

DEFAULT_ACCOUNT: Final = "acme"
"""The account ``residency_agreement`` gives an agreement unless told otherwise."""


class CatalogFactory(Protocol):
    """The type of the ``residency_catalog`` fixture, for annotating tests."""

    def __call__(self, source: str | os.PathLike[str] | Mapping[str, Any], /) -> Policy:
        """Return a policy over ``source``: a catalog file (TOML or JSON), or a document."""
        ...


class AgreementFactory(Protocol):
    """The type of the ``residency_agreement`` fixture, for annotating tests."""

    def __call__(  # noqa: PLR0913 - the fields of an agreement
        self,
        *destinations: str,
        id: str | None = None,  # noqa: A002 - the field's name in Agreement
        account_id: str = DEFAULT_ACCOUNT,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        revoked_at: datetime | None = None,
        basis: str = "customer-consent",
        reference: str = "",
    ) -> Agreement:
        """Return an agreement of ``account_id`` that opens ``destinations``."""
        ...


def pytest_report_header() -> str:
    """Name the bundled catalog in the header, so a pinned rule's failure says what it ran on."""
    from importlib.metadata import version  # noqa: PLC0415 - only when pytest reports

    return f"residency: {version('residency')}, bundled catalog {default_policy().catalog.id}"


@pytest.fixture
def residency_now() -> datetime:
    """The moment the test runs at, fixed for the whole test: aware, UTC, whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def residency_policy() -> Policy:
    """A fresh policy over the bundled catalog; answers it caches never reach another test."""
    return Policy(default_policy().catalog)


@pytest.fixture
def residency_catalog_document() -> dict[str, Any]:
    """A fresh copy of the bundled catalog document, to change and load with residency_catalog."""
    return tomllib.loads(_data.read_bytes("catalog.toml").decode("utf-8"))


def _json_value(value: object) -> str:
    # TOML has dates (group members' since and until); JSON writes them as RFC 3339 text.
    if isinstance(value, date | datetime):
        return value.isoformat()
    message = f"{type(value).__name__} {value!r:.60} cannot be written to a catalog file"
    raise TypeError(message)


@pytest.fixture
def residency_catalog(tmp_path: Path) -> CatalogFactory:
    """Load a catalog of your own: from a file (TOML or JSON), or from a mapping.

    A mapping (such as a changed ``residency_catalog_document``) is written as JSON to a file
    in the test's temporary directory first, so it passes the same checks as any catalog
    file: an invalid one raises ``CatalogError`` listing every problem. Each call returns a
    fresh policy.
    """
    numbers = itertools.count(1)

    def load(source: str | os.PathLike[str] | Mapping[str, Any], /) -> Policy:
        if isinstance(source, Mapping):
            path = tmp_path / f"residency-catalog-{next(numbers)}.json"
            path.write_text(json.dumps(source, default=_json_value), encoding="utf-8")
            return load_policy(path)
        return load_policy(source)

    return load


@pytest.fixture
def residency_agreement(residency_policy: Policy, residency_now: datetime) -> AgreementFactory:
    """Make agreements: ``residency_agreement("US")``, with defaults for every other field.

    Ids count up (``agreement-1``, ``agreement-2``, ...), the account is ``"acme"``, the
    destinations (when none are given) every region of ``residency_policy``, ``valid_from``
    one day before ``residency_now``, with no end and no revocation. Times must be aware.
    """
    numbers = itertools.count(1)

    def make(  # noqa: PLR0913 - the fields of an agreement
        *destinations: str,
        id: str | None = None,  # noqa: A002 - the field's name in Agreement
        account_id: str = DEFAULT_ACCOUNT,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        revoked_at: datetime | None = None,
        basis: str = "customer-consent",
        reference: str = "",
    ) -> Agreement:
        number = next(numbers)
        return Agreement(
            id=f"agreement-{number}" if id is None else id,
            account_id=account_id,
            destinations=destinations or [r.id for r in residency_policy.catalog.regions],
            valid_from=residency_now - timedelta(days=1) if valid_from is None else valid_from,
            valid_until=valid_until,
            revoked_at=revoked_at,
            basis=basis,
            reference=reference,
        )

    return make
