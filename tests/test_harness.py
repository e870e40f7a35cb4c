"""The test harness itself: what tests/conftest.py promises about tracing under coverage."""

from __future__ import annotations

import sys
import threading

import pytest


@pytest.fixture
def tracer_in_setup() -> object:
    """The tracer on the thread while this fixture is made, in the test's setup."""
    return sys.gettrace()


@pytest.mark.no_cover
def test_a_no_cover_test_and_its_fixtures_run_untraced(tracer_in_setup: object) -> None:
    """Neither a ``no_cover`` test nor the fixtures made for it run under a tracer."""
    assert tracer_in_setup is None
    assert sys.gettrace() is None
    assert threading.gettrace() is None


def test_other_tests_run_traced_under_coverage(
    request: pytest.FixtureRequest, tracer_in_setup: object
) -> None:
    """Under ``--cov`` (as make test runs), every other test and its fixtures are traced."""
    if not request.config.getoption("cov_source", None):
        pytest.skip("coverage is off in this run")
    assert tracer_in_setup is not None
    assert sys.gettrace() is not None
