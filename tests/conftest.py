"""Hypothesis profiles: "ci" is fixed and bounded, "dev" explores more.

``make test`` passes ``--hypothesis-profile=ci``; without the option, the ``CI`` environment
variable selects "ci" and its absence "dev".
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Fixed: the same examples on every run (derandomized, no example database, so no .hypothesis
# folder), bounded so that the property tests stay within make test's budget on two cores;
# the deadline only catches a call that hangs, not a slow machine.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=timedelta(seconds=2),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Random and wider, remembering failures in .hypothesis/ to replay them first.
settings.register_profile("dev", max_examples=300, deadline=timedelta(seconds=2))
settings.load_profile(
    "ci" if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"} else "dev"
)


@pytest.hookimpl(trylast=True)  # after Hypothesis's own plugin has loaded the chosen profile
def pytest_configure(config: pytest.Config) -> None:
    """Under "ci", keep Hypothesis's caches (Unicode tables, constants) in pytest's cache.

    No .hypothesis folder is written; the tables, which take seconds to build, are kept
    between runs where pytest keeps its cache, and in a temporary folder where it keeps none.
    """
    if settings.get_current_profile_name() != "ci":
        return
    cache = getattr(config, "cache", None)
    if cache is not None:
        folder = str(cache.mkdir("hypothesis"))
    else:
        folder = tempfile.mkdtemp(prefix="residency-hypothesis-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    set_hypothesis_home_dir(folder)
