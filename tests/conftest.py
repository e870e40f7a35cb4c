"""Hypothesis profiles: "ci" is fixed and bounded, "dev" explores more.

``make test`` passes ``--hypothesis-profile=ci``; without the option, the ``CI`` environment
variable selects "ci" and its absence "dev".
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import shutil
import sys
import tempfile
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from tests import postgres

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Generator, Iterator

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


SERIAL: Final = frozenset({"test_store_faults.py", "test_cli_hostile.py"})
"""The test modules that time things (kills at random moments, concurrent writers, answers
within a second): marked serial, so that make runs them with the machine to itself."""


def pytest_ignore_collect(collection_path: pathlib.Path, config: pytest.Config) -> bool | None:
    """Under ``-m serial``, collect the :data:`SERIAL` modules alone: no other file holds one.

    The other modules, doctests and documents would all be deselected; collecting them costs
    seconds of imports, Hypothesis strategies and parametrisations.
    """
    if config.getoption("markexpr") == "serial" and collection_path.is_file():
        return collection_path.name not in SERIAL or None
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of the :data:`SERIAL` modules ``serial``."""
    for item in items:
        if item.path.name in SERIAL:
            item.add_marker(pytest.mark.serial)


@contextlib.contextmanager
def _untraced() -> Iterator[None]:
    """Run the body with no tracer on this thread or on new threads, then put them back."""
    tracer, threads = sys.gettrace(), threading.gettrace()
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]  # None clears it, as for sys.settrace
    try:
        yield
    finally:
        sys.settrace(tracer)
        threading.settrace(threads)  # type: ignore[arg-type]  # what it was, None included


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    """Make the fixtures of a ``no_cover`` test untraced too (pytest-cov pauses for its call).

    A costly session fixture (the name index the build produces) is made in the setup of
    the first test that asks for it; its tests are marked ``no_cover``, and so is its making.
    """
    if item.get_closest_marker("no_cover") is None:
        return (yield)
    with _untraced():
        return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Run a ``no_cover`` test untraced, in a pytest-xdist worker too.

    In a worker, pytest-cov's pause for the marker leaves another tracer of coverage on the
    thread (a different CTracer is installed once it has paused), and the million-account
    frames test took 40 s instead of 15 s. This wrapper runs innermost, after that pause:
    the test runs with no tracer, and the tracers are put back before coverage resumes.
    """
    if item.get_closest_marker("no_cover") is None:
        return (yield)
    with _untraced():
        return (yield)


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    """A fresh, empty agreement store target of each backend (see tests/stores.py)."""
    if request.param == "sqlite":
        return str(tmp_path / "agreements.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


# --- PostgreSQL: one throwaway server per session, a new database per test (tests/postgres.py)

REQUIRE_POSTGRES: Final = "RESIDENCY_REQUIRE_POSTGRES"
"""Set to 1 (as CI does), a test that needs PostgreSQL fails where it would skip."""


@dataclasses.dataclass
class _PostgresUse:
    """What the session did with PostgreSQL, for the terminal summary."""

    server: postgres.Server | None = None
    why_not: str = ""
    tests: set[str] = dataclasses.field(default_factory=set)


_POSTGRES_USE = pytest.StashKey[_PostgresUse]()


def _postgres_use(config: pytest.Config) -> _PostgresUse:
    return config.stash.setdefault(_POSTGRES_USE, _PostgresUse())


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[postgres.Server]:
    """A PostgreSQL server started for the session, stopped and removed at its end.

    Skips the tests that need it (fails them under ``RESIDENCY_REQUIRE_POSTGRES=1``) when it
    cannot start: no binaries, no driver, or a server that would not start.
    """
    use = _postgres_use(request.config)
    try:
        importlib.import_module("psycopg")
        server = postgres.start()
    except (ImportError, postgres.Unavailable) as error:
        use.why_not = " ".join(str(error).split())
        if os.environ.get(REQUIRE_POSTGRES) == "1":
            pytest.fail(f"{REQUIRE_POSTGRES}=1, but {use.why_not}", pytrace=False)
        pytest.skip(use.why_not)
    use.server = server
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database on the session's server, dropped after the test."""
    _postgres_use(request.config).tests.add(request.node.nodeid)
    server: postgres.Server = request.getfixturevalue("postgres_server")
    url = server.database()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):  # one left behind goes with the whole cluster
            server.drop(url)


def _postgres_line(config: pytest.Config) -> str:
    """Whether the PostgreSQL server ran in this process, and how many tests used it."""
    use = _postgres_use(config)
    count = len(use.tests)
    tests = f"{count} test{'' if count == 1 else 's'}"
    if use.server is not None:
        return f"PostgreSQL: a throwaway {use.server.version} server ran; {tests} used it"
    if use.why_not:
        outcome = "failed" if os.environ.get(REQUIRE_POSTGRES) == "1" else "skipped"
        return f"PostgreSQL: not run ({use.why_not}); {tests} that need it {outcome}"
    return "PostgreSQL: not started (no test collected needed it)"


_WORKER_LINES: Final = pytest.StashKey[list[str]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a worker of pytest-xdist, hand the PostgreSQL line to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["residency_postgres"] = _postgres_line(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:  # noqa: ANN401, ARG001 - xdist's hook
    """In the controller of pytest-xdist, keep each worker's PostgreSQL line."""
    line = getattr(node, "workeroutput", {}).get("residency_postgres")
    if line:
        node.config.stash.setdefault(_WORKER_LINES, []).append(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say whether the PostgreSQL server ran, and how many tests used it (per worker)."""
    lines = terminalreporter.config.stash.get(_WORKER_LINES, [])
    for number, line in enumerate(sorted(lines)):
        terminalreporter.write_line(f"worker {number + 1}: {line}")
    if not lines:
        terminalreporter.write_line(_postgres_line(terminalreporter.config))
