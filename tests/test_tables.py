"""Every table of every command at 80 columns: no line is wider, and every id stays whole."""

from __future__ import annotations

import json
import pathlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from residency import default_policy, load_agreements, load_policy
from residency.cli._app import cli

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from click.testing import Result

    from residency import Policy

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = ROOT / "examples" / "catalog.toml"
EXAMPLE_AGREEMENTS = ROOT / "examples" / "agreements.toml"
WIDTH = 80
AT = "2026-07-01T00:00:00Z"
AT_TIME = datetime(2026, 7, 1, tzinfo=UTC)

# Ids as long as a catalog allows (64 characters), so that no table of theirs fits 80 columns.
LONG_DC = "hetzner-falkenstein-fsn1-dc14-primary-storage-cluster-for-the-eu"
LONG_REGION = "rest-of-the-world-outside-the-european-economic-area-and-of-dach"
LONG_RULE = "everyone-else-in-africa-the-americas-asia-europe-and-oceania-too"
LONG_AGREEMENT = "agreement-2026-00042-move-of-the-us-subsidiary-to-falkenstein-eu"


def run(*args: str | pathlib.Path) -> Result:
    """Run ``residency`` in-process on an 80-column pipe, without colour."""
    runner = CliRunner(env={"COLUMNS": str(WIDTH), "FORCE_COLOR": None, "NO_COLOR": "1"})
    return runner.invoke(cli, [str(arg) for arg in args])


def assert_fits(out: str, ids: Iterable[str]) -> None:
    """Check that no line of ``out`` is wider than the width and each id is whole on a line."""
    lines = out.splitlines()
    assert lines, "no output"
    wide = [line for line in lines if len(line) > WIDTH or cell_len(line) > WIDTH]
    assert not wide, "\n".join(wide)
    for identifier in set(ids):
        whole = re.compile(rf"(?<![\w.-]){re.escape(identifier)}(?![\w-]|\.\w)")
        assert any(whole.search(line) for line in lines), f"{identifier!r} is cut in:\n{out}"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """The example catalog with ids of the longest length, and an agreements file for it."""
    folder = tmp_path_factory.mktemp("long-ids")
    text = EXAMPLE_CATALOG.read_text(encoding="utf-8")
    text = text.replace('"fsn1"', f'"{LONG_DC}"').replace('"ROW"', f'"{LONG_REGION}"')
    text = text.replace('"everyone-else"', f'"{LONG_RULE}"')
    catalog = folder / "long.toml"
    catalog.write_text(text, encoding="utf-8")
    agreement = {
        "id": LONG_AGREEMENT,
        "account_id": "a-1",
        "destinations": [LONG_DC],
        "valid_from": "2026-01-01T00:00:00Z",
        "basis": "customer-consent",
        "reference": "ticket 4711",
    }
    agreements = folder / "long.json"
    agreements.write_text(json.dumps({"agreements": [agreement]}), encoding="utf-8")
    return {"catalog": catalog, "agreements": agreements}


Case = tuple[list[str], list[str]]
"""The arguments of a command, and the ids its answer must show whole."""


def _catalog_args(policy_file: pathlib.Path | None) -> list[str]:
    return [] if policy_file is None else ["--catalog", str(policy_file)]


def _policy(policy_file: pathlib.Path | None) -> Policy:
    return default_policy() if policy_file is None else load_policy(policy_file)


def where(
    location: str, account: str | None = None, *, catalog: pathlib.Path | None = None
) -> Case:
    """``where``: the region, the rule, the catalog and every data center."""
    placement = _policy(catalog).assign(location, account_id=account, at=AT_TIME)
    args = [*_catalog_args(catalog), "where", location, "--at", AT]
    args += ["--account", account] if account else []
    ids = [placement.region, placement.rule.id, placement.catalog, placement.primary.id]
    return args, ids + [dc.id for dc in placement.data_centers]


def check(
    location: str,
    source: str,
    target: str,
    account: str | None = None,
    *,
    agreements: pathlib.Path | None = None,
    catalog: pathlib.Path | None = None,
) -> Case:
    """``check``: both data centers, the home region and rule, and every agreement shown."""
    loaded = load_agreements(agreements) if agreements else ()
    decision = _policy(catalog).check_transfer(
        location, source, target, account_id=account, agreements=loaded, at=AT_TIME
    )
    args = [*_catalog_args(catalog), "check", location, "--from", source, "--to", target]
    args += ["--at", AT] + (["--account", account] if account else [])
    args += ["--agreements", str(agreements)] if agreements else []
    shown = ([decision.agreement] if decision.agreement else []) + list(decision.lapsed)
    ids = [decision.source.id, decision.target.id, decision.region, decision.rule.id]
    return args, ids + [decision.catalog] + [agreement.id for agreement in shown]


def access(location: str, *consents: str, catalog: pathlib.Path | None = None) -> Case:
    """``access``: the region, the rule and every party, withheld ones included."""
    answer = _policy(catalog).who_can_access(location, consents=consents, at=AT_TIME)
    args = [*_catalog_args(catalog), "access", location, "--at", AT]
    args += [word for consent in consents for word in ("--consent", consent)]
    parties = [party.id for party in (*answer.parties, *answer.withheld)]
    return args, [answer.region, answer.rule.id, answer.catalog, *parties]


def datacenters(region: str | None = None, *, catalog: pathlib.Path | None = None) -> Case:
    """``datacenters``: every data center shown, its region and its facility statement."""
    values = _policy(catalog).catalog
    chosen = values.data_centers_in(values.region(region).id) if region else values.data_centers
    args = [*_catalog_args(catalog), "datacenters", *(["--region", region] if region else [])]
    facilities = [dc.facility.id for dc in chosen if dc.facility is not None]
    return args, [values.id, *(dc.id for dc in chosen), *(dc.region for dc in chosen), *facilities]


def subprocessors(*, catalog: pathlib.Path | None = None) -> Case:
    """``subprocessors``: every sub-processor of the catalog."""
    values = _policy(catalog).catalog
    args = [*_catalog_args(catalog), "subprocessors"]
    return args, [values.id, *(sub.id for sub in values.subprocessors)]


def regions(*, catalog: pathlib.Path | None = None) -> Case:
    """``regions``: every region, data center and rule of the catalog."""
    values = _policy(catalog).catalog
    args = [*_catalog_args(catalog), "regions", "--at", AT]
    ids = [region.id for region in values.regions] + [dc.id for dc in values.data_centers]
    return args, [values.id, *ids, *(rule.id for rule in values.rules)]


# (id, the case, given the long-id files)
CASES: list[tuple[str, Callable[[dict[str, pathlib.Path]], Case]]] = [
    ("where", lambda _: where("DE")),
    ("where-account", lambda _: where("Germany", "acme-gmbh")),
    ("where-subdivision", lambda _: where("US-GA", "initech-us")),
    ("where-apac", lambda _: where("Singapore", "acme-sg")),
    ("where-rest-of-europe", lambda _: where("Norway")),
    ("check-in-region", lambda _: check("DE", "linode-eu", "aws-eu-west-1")),
    ("check-no-account", lambda _: check("GB", "linode-uk", "aws-eu-west-1")),
    ("check-misplaced", lambda _: check("DE", "linode-us", "aws-ap-southeast-1", "acme")),
    (
        "check-agreement",
        lambda _: check(
            "GB", "linode-uk", "aws-eu-west-1", "northwind-uk", agreements=EXAMPLE_AGREEMENTS
        ),
    ),
    (
        "check-revoked",
        lambda _: check(
            "GB", "linode-uk", "aws-eu-west-1", "globex-uk", agreements=EXAMPLE_AGREEMENTS
        ),
    ),
    (
        "check-not-covered",
        lambda _: check(
            "DE", "linode-eu", "aws-ap-southeast-1", "acme-gmbh", agreements=EXAMPLE_AGREEMENTS
        ),
    ),
    ("access", lambda _: access("France")),
    ("access-consent", lambda _: access("US-GA", "support")),
    ("access-uk", lambda _: access("GB", "support-24-7")),
    ("datacenters", lambda _: datacenters()),
    ("datacenters-region", lambda _: datacenters("apac")),
    ("subprocessors", lambda _: subprocessors()),
    ("regions", lambda _: regions()),
    ("example-where", lambda _: where("AT", "a-1", catalog=EXAMPLE_CATALOG)),
    ("example-access", lambda _: access("US", catalog=EXAMPLE_CATALOG)),
    ("example-datacenters", lambda _: datacenters(catalog=EXAMPLE_CATALOG)),
    ("example-subprocessors", lambda _: subprocessors(catalog=EXAMPLE_CATALOG)),
    ("example-regions", lambda _: regions(catalog=EXAMPLE_CATALOG)),
    ("long-where", lambda f: where("US", "a-1", catalog=f["catalog"])),
    (
        "long-check",
        lambda f: check(
            "US", "aws-us-east-1", LONG_DC, "a-1", agreements=f["agreements"], catalog=f["catalog"]
        ),
    ),
    ("long-access", lambda f: access("BR", catalog=f["catalog"])),
    ("long-datacenters", lambda f: datacenters(catalog=f["catalog"])),
    ("long-datacenters-region", lambda f: datacenters(LONG_REGION, catalog=f["catalog"])),
    ("long-regions", lambda f: regions(catalog=f["catalog"])),
]


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_every_line_fits_and_every_id_is_whole(
    files: dict[str, pathlib.Path], case: Callable[[dict[str, pathlib.Path]], Case]
) -> None:
    """At 80 columns no line is wider than 80 and every id of the answer stands whole."""
    args, ids = case(files)
    result = run(*args)
    assert result.exit_code in {0, 1}, result.output
    assert result.stderr == ""
    assert_fits(result.stdout, ids)


def test_long_ids_turn_rows_into_blocks(files: dict[str, pathlib.Path]) -> None:
    """Where the ids cannot share a line, each row is a block: its id, then a line per fact."""
    out = run("--catalog", files["catalog"], "datacenters").stdout
    lines = out.splitlines()
    assert LONG_DC in lines
    details = lines[lines.index(LONG_DC) + 1 : lines.index(LONG_DC) + 6]
    assert details == [
        "  Region: EU",
        "  Provider: Hetzner Online GmbH",
        "  Location: Falkenstein",
        "  Serves: not stated in source",
        "  Facility: not stated in source",
    ]


def test_a_table_that_fits_keeps_its_columns() -> None:
    """The bundled data centers fit 80 columns as a table: one row per data center."""
    out = run("datacenters").stdout
    (header,) = [line for line in out.splitlines() if line.startswith("Data center ")]
    assert header.split()[:3] == ["Data", "center", "Region"]
    for dc in default_policy().catalog.data_centers:
        assert any(line.startswith(f"{dc.id} ") for line in out.splitlines())
