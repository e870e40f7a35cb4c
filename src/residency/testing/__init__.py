"""Test your placement rules: a pytest plugin, Hypothesis strategies and assertion helpers.

- :mod:`residency.testing.plugin`: fixtures (``residency_policy``, ``residency_catalog``,
  ``residency_catalog_document``, ``residency_agreement``, ``residency_now``), registered by
  the ``pytest11`` entry point, so installing residency makes them available with no conftest;
- :mod:`residency.testing.strategies`: Hypothesis strategies for countries, locations in every
  input form, data centers, agreements and transfers (needs the ``test`` extra);
- :mod:`residency.testing.assertions`: ``assert_assigned``, ``assert_primary``,
  ``assert_transfer_allowed`` and ``assert_transfer_denied``, re-exported here, whose failure
  messages show the decision.

>>> from residency import default_policy
>>> from residency.testing import assert_transfer_allowed
>>> assert_transfer_allowed(default_policy(), "DE", "linode-eu", "aws-eu-west-1").basis.value
'in-region'

Importing this package imports neither pytest nor Hypothesis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from residency.testing.assertions import (
    assert_assigned,
    assert_primary,
    assert_transfer_allowed,
    assert_transfer_denied,
)

if TYPE_CHECKING:
    from residency.testing.plugin import AgreementFactory, CatalogFactory

__all__ = [
    "AgreementFactory",
    "CatalogFactory",
    "assert_assigned",
    "assert_primary",
    "assert_transfer_allowed",
    "assert_transfer_denied",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - each lazy name has its own type
    # The fixture types live with the fixtures, which import pytest: only annotations ask.
    if name in {"AgreementFactory", "CatalogFactory"}:
        from residency.testing import plugin  # noqa: PLC0415 - lazy by design

        return getattr(plugin, name)
    message = f"module 'residency.testing' has no attribute {name!r}"
    raise AttributeError(message)
