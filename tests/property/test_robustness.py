"""Robustness: any text, bytes or object, and any mangled catalog, end in a typed answer."""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import math
import time
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residency import (
    CatalogError,
    FileError,
    Location,
    Placement,
    Policy,
    ResidencyError,
    default_policy,
    load_policy,
    resolve_location,
)
from residency._data import load_toml
from residency.locations import countries

if TYPE_CHECKING:
    from pathlib import Path

# A generous bound on the CPU time of one call (so a busy machine does not trip it): the
# slowest inputs take a few milliseconds, most of it hashing a string of a million characters.
BOUND = 0.05

# Every code point: surrogates, controls, unassigned and private-use ones included.
anything = st.characters(codec=None, exclude_categories=())
texts = st.one_of(
    st.text(anything, max_size=60),
    st.text(anything, min_size=150, max_size=260),
    st.builds(
        lambda text, times: text * times,
        st.text(anything, min_size=1, max_size=4),
        st.integers(1, 250_000),
    ),
    # Almost a location: real codes and names with noise around or inside them.
    st.builds(
        lambda before, name, after: before + name + after,
        st.text(anything, max_size=3),
        st.sampled_from(["DE", "deu", "276", "US-GA", "Côte d'Ivoire", "Korea", "Georgia", "日本"]),
        st.text(anything, max_size=3),
    ),
)
decoded = st.builds(
    lambda data, encoding: data.decode(
        encoding, "surrogateescape" if encoding == "utf-8" else "replace"
    ),
    st.binary(max_size=80),
    st.sampled_from(["utf-8", "latin-1", "cp1252"]),
)
objects = st.one_of(
    st.binary(max_size=80),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.text(max_size=3)),
)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Read every table first, so that timing measures lookups, not the first file read."""
    for value in ("DE", "Atlantis", "Korea", "US-GA", "Ã§", "Germani"):
        with contextlib.suppress(ResidencyError):
            resolve_location(value)


def _resolve_typed(value: object) -> None:
    """Resolve ``value`` (and place it) within the bound, raising only residency's errors."""
    for ask in (resolve_location, default_policy().assign):
        answer: object = None
        gc.disable()  # a full collection can take 100 ms; the bound is for residency's work
        started = time.thread_time()
        try:
            answer = ask(value)
        except (ResidencyError, TypeError):
            pass
        finally:
            took = time.thread_time() - started
            gc.enable()
        assert took < BOUND, f"{value!r:.80} took {took * 1000:.0f} ms"
        if isinstance(answer, Location | Placement):
            location = answer if isinstance(answer, Location) else answer.location
            assert location.country in countries()


@given(st.one_of(texts, decoded))
def test_any_text_resolves_or_raises_a_typed_error(value: str) -> None:
    """Any text is a known country or a residency error, quickly; never a crash or a hang."""
    _resolve_typed(value)


@given(objects)
def test_any_object_resolves_or_raises_a_typed_error(value: object) -> None:
    """Bytes, numbers, None and containers raise residency's errors or TypeError, quickly."""
    _resolve_typed(value)


# --- catalogs -------------------------------------------------------------------------------

BUNDLED: dict[str, Any] = copy.deepcopy(load_toml("catalog.toml"))
REFERENCES: dict[str, list[Any]] = {
    "region": ["EU", "APAC", "XX", "", "eu"],
    "provider": ["aws", "nobody", ""],
    "facility": ["stable-power", "nowhere", ""],
    "country": ["GB", "ZZ", "AQ", "gb", ""],
    "jurisdiction": ["US", "ZZ", ""],
    "groups": [["m49-europe"], ["no-such-group"], []],
    "countries": [["AQ"], ["ZZ"], ["GB", "GB"]],
    "include": [["eu-member-states"], ["a"], ["b"]],
    "weight": [0, -1, 1e300, math.inf, math.nan, "1", True],
}
# The fields that refer to other entries or to countries, by section.
LINKS = [
    ("data_centers", "region"),
    ("data_centers", "provider"),
    ("data_centers", "facility"),
    ("data_centers", "country"),
    ("data_centers", "weight"),
    ("rules", "region"),
    ("rules", "groups"),
    ("rules", "countries"),
    ("unassigned", "country"),
    ("providers", "jurisdiction"),
    ("subprocessors", "country"),
]
plain = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    st.text(anything, max_size=12),
    st.sampled_from([value for values in REFERENCES.values() for value in values]),
)
values = st.recursive(
    plain,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
groups = st.dictionaries(
    st.sampled_from(["a", "b", "eu-member-states", "x y"]),
    st.fixed_dictionaries(
        {"title": st.just("t"), "source": st.just("s")},
        optional={
            "members": st.lists(
                st.sampled_from(["FR", "ZZ", "GB", 7])
                | st.fixed_dictionaries(
                    {"country": st.sampled_from(["DE", "ZZ"])},
                    optional={
                        "since": st.sampled_from(["2020-01-01", "x", "2030-02-30"]),
                        "until": st.sampled_from(["2019-01-01", "2040-01-01"]),
                    },
                ),
                max_size=3,
            ),
            "include": st.lists(st.sampled_from(["a", "b", "m49-europe", "nope"]), max_size=2),
        },
    ),
    max_size=3,
)


def _node(document: Any, path: list[str | int]) -> Any:  # noqa: ANN401 - any JSON value
    for key in path:
        document = document[key]
    return document


@st.composite
def _path(draw: st.DrawFn, document: Any, *, container: bool = False) -> list[str | int]:  # noqa: ANN401 - any JSON value
    """A path into ``document``: deeper with each step, ending at a container if asked."""
    path: list[str | int] = []
    node: Any = document
    while isinstance(node, dict | list) and node:
        keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        child = node[key]
        if container and not (isinstance(child, dict | list) and child):
            break
        path.append(key)
        node = child
        if draw(st.integers(0, 3)) == 0:
            break
    return path


def _drop(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Delete a key or an entry somewhere."""
    node = _node(document, draw(_path(document, container=True)))
    if isinstance(node, dict | list) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        del node[draw(st.sampled_from(keys))]


def _duplicate(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Append a copy of an entry to its list (a duplicate id, a rule twice, ...)."""
    node = _node(document, draw(_path(document, container=True)))
    if isinstance(node, list) and node:
        node.append(copy.deepcopy(draw(st.sampled_from(node))))


def _add(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Add a known or unknown key with any value to some object."""
    node = _node(document, draw(_path(document, container=True)))
    if isinstance(node, dict):
        node[draw(st.sampled_from([*REFERENCES, "id", "schema", "groups", "extra"]))] = draw(values)


def _rewire(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Point a reference (region, provider, group, country, ...) elsewhere, or nowhere."""
    section, field = draw(st.sampled_from(LINKS))
    entries = document.get(section)
    if isinstance(entries, list) and entries:
        entry = entries[draw(st.integers(0, len(entries) - 1))]
        if isinstance(entry, dict):
            entry[field] = draw(st.sampled_from(REFERENCES[field]))


def _regroup(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Give the catalog groups of its own (cycles, dates, unknown members), maybe used first."""
    document["groups"] = draw(groups)
    rules = document.get("rules")
    if document["groups"] and isinstance(rules, list) and draw(st.booleans()):
        rules.insert(0, {"id": "g", "region": "UK", "groups": list(document["groups"])})


def _retype(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Put any value (another type, out of range, nested) at some path."""
    path = draw(_path(document))
    if path:
        _node(document, path[:-1])[path[-1]] = draw(values)
    else:
        document.clear()
        document.update(draw(st.dictionaries(st.text(max_size=8), values, max_size=3)))


MUTATIONS = [_drop, _duplicate, _add, _rewire, _regroup, _retype]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A copy of the bundled catalog with one to four mutations at drawn paths."""
    document = copy.deepcopy(BUNDLED)
    for _ in range(draw(st.integers(1, 4))):
        draw(st.sampled_from(MUTATIONS))(draw, document)
    return document


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file that each example overwrites with its catalog."""
    return tmp_path_factory.mktemp("mutated") / "catalog.json"


@given(document=mutated())
def test_a_mutated_catalog_loads_or_lists_its_problems(
    catalog_file: Path, document: dict[str, Any]
) -> None:
    """A mangled catalog file loads, or raises CatalogError (or FileError) saying why."""
    catalog_file.write_text(json.dumps(document), encoding="utf-8")
    outcome = _load(catalog_file)
    if isinstance(outcome, Policy):
        assert outcome.catalog.regions
    elif isinstance(outcome, FileError):  # refused as a file: a 21-digit number, say
        assert str(outcome).startswith(str(catalog_file))
    else:
        assert outcome.problems
        for problem in outcome.problems:
            assert isinstance(problem.path, str)
            assert isinstance(problem.message, str)
            assert problem.message
        assert str(outcome)


def _load(path: Path) -> Policy | CatalogError | FileError:
    try:
        return load_policy(path)
    except (CatalogError, FileError) as error:
        return error
