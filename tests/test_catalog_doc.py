"""The generated page of the bundled catalog: current, complete, and built from the data."""

from __future__ import annotations

import pathlib
import re
from typing import TYPE_CHECKING

import pytest
from tests import scripts

from residency import default_policy
from residency.catalog import NOT_STATED
from residency.locations import countries, country_name

if TYPE_CHECKING:
    from types import ModuleType

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "bundled-catalog.md"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """The page builder, imported from its file (scripts are not a package)."""
    return scripts.load("build_catalog_doc")


@pytest.fixture(scope="module")
def page(script: ModuleType) -> str:
    """The page as the script renders it now."""
    rendered: str = script.render()
    return rendered


def test_committed_page_is_current(page: str) -> None:
    """docs/bundled-catalog.md is exactly what scripts/build_catalog_doc.py produces now."""
    committed = PAGE.read_text(encoding="utf-8")
    assert committed == page, "docs/bundled-catalog.md is stale: run scripts/build_catalog_doc.py"


@pytest.mark.parametrize(
    ("data_center", "cells"),
    [
        ("linode-eu", ["Linode, LLC", "`EU`", "Europe", "`abundant-power`"]),
        ("aws-us-west-1", ["Amazon Web Services, LLC", "`US`", "N. California"]),
        ("websupport-eu", ["Websupport, s.r.o.", "`EU`", NOT_STATED, "European customers"]),
    ],
)
def test_data_center_rows(page: str, data_center: str, cells: list[str]) -> None:
    """Each data center row shows its provider, region, stated location and facility."""
    (row,) = [line for line in page.splitlines() if line.startswith(f"| `{data_center}` |")]
    for cell in cells:
        assert f"| {cell} |" in row


def test_every_country_is_listed_once_under_its_rule(page: str) -> None:
    """The map lists every country exactly once, with its name, under the rule that assigns it."""
    map_section = page.partition("## Countries by region")[2].partition("### Changes over time")[0]
    listed = re.findall(r"`([A-Z]{2})` ", map_section)
    assert sorted(listed) == sorted(countries())
    rules = default_policy().assignment.segments()[-1].rules
    for block in map_section.split("**Rule ")[1:]:
        rule_id = re.match(r"\d+, `([a-z-]+)`", block)
        assert rule_id is not None
        paragraph = block.split("\n\n")[1]
        for code in re.findall(r"`([A-Z]{2})` ", paragraph):
            assert rules[code].id == rule_id[1]
            assert f"`{code}` {country_name(code)}" in paragraph


def test_check_mode_reports_a_stale_page(
    script: ModuleType, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--check exits 1 for a stale page and 0 once the script has rewritten it."""
    monkeypatch.setattr(script, "PAGE", tmp_path / "bundled-catalog.md")
    assert script.main(["--check"]) == 1
    assert script.main([]) == 0
    assert script.main(["--check"]) == 0
