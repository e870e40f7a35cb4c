"""Loading catalog files: TOML and JSON, every problem reported at once with its path."""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING, Any

import pytest

from residency import (
    CatalogError,
    FileError,
    NotARegularFile,
    catalog_json_schema,
    default_policy,
    load_policy,
)
from residency._data import read_bytes

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def _document() -> dict[str, Any]:
    return tomllib.loads(read_bytes("catalog.toml").decode("utf-8"))


def _write_json(tmp_path: Path, data: object, name: str = "catalog.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _problems(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> list[str]:
    data = _document()
    change(data)
    with pytest.raises(CatalogError) as caught:
        load_policy(_write_json(tmp_path, data))
    return [str(problem) for problem in caught.value.problems]


def test_toml_round_trip(tmp_path: Path) -> None:
    """The bundled TOML file loads from disk into a policy equal to the default one."""
    path = tmp_path / "catalog.toml"
    path.write_bytes(read_bytes("catalog.toml"))
    policy = load_policy(path)
    assert policy.catalog == default_policy().catalog
    assert policy.assign("Anh Quốc").region == "UK"


def test_json_round_trip(tmp_path: Path) -> None:
    """The same catalog written as JSON loads into an equal catalog."""
    policy = load_policy(_write_json(tmp_path, _document()))
    assert policy.catalog == default_policy().catalog
    assert policy.assign("SG", account_id="acme") == default_policy().assign(
        "SG", account_id="acme"
    )


def test_a_catalog_may_define_its_own_groups(tmp_path: Path) -> None:
    """A catalog's own groups can be named by its rules, before the bundled ones."""

    def nordics_first(data: dict[str, Any]) -> None:
        data["groups"] = {
            "nordics": {
                "title": "The Nordic countries",
                "source": "Nordic Council",
                "members": ["DK", "FI", "IS", "NO", "SE"],
            }
        }
        data["rules"].insert(0, {"id": "nordics", "region": "UK", "groups": ["nordics"]})

    data = _document()
    nordics_first(data)
    policy = load_policy(_write_json(tmp_path, data))
    assert policy.assign("Norway").region == "UK"
    assert policy.assign("Norway").rule.id == "nordics"
    assert policy.assign("DE").region == "EU"


def test_own_group_may_include_bundled_groups(tmp_path: Path) -> None:
    """A catalog's group can include a bundled group, and must not reuse a bundled id."""
    data = _document()
    data["groups"] = {
        "eu-and-uk": {
            "title": "The EU and the UK",
            "source": "operator",
            "members": ["GB"],
            "include": ["eu-member-states"],
        },
        "eea-efta": {"title": "shadow", "source": "operator", "members": ["FR"]},
    }
    data["rules"].insert(0, {"id": "eu-and-uk", "region": "EU", "groups": ["eu-and-uk"]})
    with pytest.raises(CatalogError) as caught:
        load_policy(_write_json(tmp_path, data))
    assert [str(p) for p in caught.value.problems] == [
        "groups.eea-efta: group 'eea-efta' is already a bundled group"
    ]
    del data["groups"]["eea-efta"]
    policy = load_policy(_write_json(tmp_path, data))
    assert policy.assign("GB").region == "EU"
    assert policy.assign("Croatia").rule.id == "eu-and-uk"


def test_dated_rules_answer_for_the_moment(tmp_path: Path) -> None:
    """A catalog whose first rule names the EU puts GB in EU before 2020-02-01 only."""
    from datetime import UTC, datetime  # noqa: PLC0415

    def eu_first(data: dict[str, Any]) -> None:
        data["rules"].insert(0, {"id": "eu", "region": "EU", "groups": ["eu-member-states"]})

    data = _document()
    eu_first(data)
    policy = load_policy(_write_json(tmp_path, data))
    assert policy.assign("GB", at=datetime(2020, 1, 31, 23, 59, tzinfo=UTC)).region == "EU"
    assert policy.assign("GB", at=datetime(2020, 2, 1, tzinfo=UTC)).region == "UK"
    assert policy.assign("GB").region == "UK"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["data_centers"][0].update(region="EMEA"),
            "data_centers[0].region: unknown region 'EMEA'",
        ),
        (
            lambda d: d["data_centers"].append(dict(d["data_centers"][0])),
            "data_centers[8].id: duplicate id 'linode-eu'",
        ),
        (
            lambda d: d["rules"][0]["groups"].append("commonwealth"),
            "rules[0].groups[1]: unknown group 'commonwealth'",
        ),
        (
            lambda d: d["regions"].append({"id": "MARS", "name": "Mars"}),
            "regions[4]: region 'MARS' has no data centers",
        ),
        (
            lambda d: d["data_centers"][3].update(provider="digitalocean"),
            "data_centers[3].provider: unknown provider 'digitalocean'",
        ),
        (
            lambda d: d["rules"][0]["countries"].append("ZZ"),
            "rules[0].countries[2]: unknown country code 'ZZ'",
        ),
        (
            lambda d: d["data_centers"][0].update(facility="tier-5"),
            "data_centers[0].facility: unknown facility 'tier-5'",
        ),
        (
            lambda d: d.update(unassigned=[]),
            "rules: no rule covers AQ and it is not listed as unassigned",
        ),
        (
            lambda d: d["unassigned"].append({"country": "DE"}),
            "unassigned: DE is listed as unassigned but rule",
        ),
        (lambda d: d["data_centers"][0].update(weight=0), "data_centers[0].weight"),
        (lambda d: d.pop("regions"), "regions: needs at least one entry"),
        (lambda d: d["data_centers"][0].update(colour="blue"), "data_centers[0].colour"),
        (lambda d: d["subprocessors"][0].update(kind="friend"), "subprocessors[0].kind"),
    ],
    ids=[
        "unknown-region",
        "duplicate-id",
        "unknown-group",
        "region-without-data-centers",
        "unknown-provider",
        "unknown-country",
        "unknown-facility",
        "country-not-covered",
        "unassigned-but-covered",
        "zero-weight",
        "missing-section",
        "unknown-field",
        "bad-kind",
    ],
)
def test_each_problem_is_reported_with_its_path(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """Each kind of problem is reported with the path where it stands."""
    problems = _problems(tmp_path, change)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_at_once(tmp_path: Path) -> None:
    """A file with several problems reports all of them in one error."""

    def break_three_ways(data: dict[str, Any]) -> None:
        data["data_centers"][0]["region"] = "EMEA"
        data["rules"][1]["groups"].append("commonwealth")
        data["regions"].append({"id": "MARS", "name": "Mars"})

    problems = _problems(tmp_path, break_three_ways)
    assert len(problems) == 3, problems


def test_error_names_the_file(tmp_path: Path) -> None:
    """The error message names the file and counts the problems."""
    data = _document()
    data["data_centers"][0]["region"] = "EMEA"
    path = _write_json(tmp_path, data)
    with pytest.raises(CatalogError) as caught:
        load_policy(path)
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: 1 problem: ")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("catalog.toml", b"id = [", "not valid TOML"),
        ("catalog.json", b"{", "not valid JSON"),
        ("catalog.json", b"[]", "must be an object"),
        ("catalog.json", b"\xff\xfe", "not UTF-8"),
        ("catalog.yaml", b"id: x", "unsupported file type '.yaml'"),
        ("catalog.json", b'{"id": "a", "id": "b"}', "the key 'id' appears twice"),
    ],
    ids=["toml-syntax", "json-syntax", "json-array", "not-utf8", "yaml", "duplicate-key"],
)
def test_malformed_files(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    """A file that is no TOML or JSON document is a FileError naming the file and why."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileError, match=expected) as caught:
        load_policy(path)
    assert caught.value.path == str(path)


def test_an_empty_document_lists_what_it_lacks(tmp_path: Path) -> None:
    """An empty catalog document is a CatalogError listing every missing essential."""
    path = tmp_path / "catalog.json"
    path.write_bytes(b"{}")
    with pytest.raises(CatalogError) as caught:
        load_policy(path)
    assert [str(problem) for problem in caught.value.problems] == [
        "id: missing",
        "source: missing",
        "regions: needs at least one entry",
        "data_centers: needs at least one entry",
        "rules: needs at least one entry",
    ]


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a NotARegularFile error, not an OSError traceback."""
    with pytest.raises(NotARegularFile, match="No such file"):
        load_policy(tmp_path / "nowhere.toml")


def test_json_schema() -> None:
    """The JSON Schema of catalog files names the sections and requires the essentials."""
    schema = catalog_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"id", "source", "regions", "data_centers", "rules"} <= set(schema["required"])
    assert "unassigned" in schema["properties"]
    json.dumps(schema)


def test_example_catalog_loads() -> None:
    """The example catalog of the docs loads and answers by its own rules."""
    from pathlib import Path  # noqa: PLC0415

    path = Path(__file__).resolve().parents[1] / "examples" / "catalog.toml"
    policy = load_policy(path)
    assert policy.catalog.id == "example-2026-01"
    assert policy.assign("Austria").rule.id == "dach"
    assert policy.assign("France").rule.id == "eea"
    assert policy.assign("Brazil").region == "ROW"
