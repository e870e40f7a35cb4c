"""The support command line: every command and option, its output, its errors and exit codes."""

from __future__ import annotations

import io
import json
import pathlib
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import attrs
import click
import pytest
from click.testing import CliRunner

import residency.cli
from residency import Agreement, CatalogError, catalog_json_schema, default_policy, load_policy
from residency.catalog import NOT_STATED
from residency.cli import MISSING_EXTRA, _app, _render
from residency.cli._app import cli
from residency.store import AgreementStore

if TYPE_CHECKING:
    from click.testing import Result

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = ROOT / "examples" / "catalog.toml"
EXAMPLE_AGREEMENTS = ROOT / "examples" / "agreements.toml"
BUNDLED_CATALOG = ROOT / "src" / "residency" / "data" / "catalog.toml"

# The keys SPEC section 8 names for `where --json` and `check --json`.
WHERE_KEYS = {"country", "subdivision", "region", "data_centers", "primary", "rule", "catalog"}
CHECK_KEYS = {"allowed", "basis", "reason", "source", "target", "region", "agreement", "catalog"}

# Every data center of the bundled catalog: provider's legal name, location as the source
# states it (written out from the source, not computed).
DATA_CENTERS = {
    "linode-eu": ("Linode, LLC", "Europe"),
    "linode-uk": ("Linode, LLC", "United Kingdom"),
    "linode-us": ("Linode, LLC", "United States"),
    "linode-sg": ("Linode, LLC", "Singapore"),
    "aws-eu-west-1": ("Amazon Web Services, LLC", "Ireland"),
    "aws-us-west-1": ("Amazon Web Services, LLC", "N. California"),
    "aws-ap-southeast-1": ("Amazon Web Services, LLC", "Singapore"),
    "websupport-eu": ("Websupport, s.r.o.", NOT_STATED),
}
REGION_DATA_CENTERS = {
    "EU": ["linode-eu", "aws-eu-west-1", "websupport-eu"],
    "UK": ["linode-uk"],
    "US": ["linode-us", "aws-us-west-1"],
    "APAC": ["linode-sg", "aws-ap-southeast-1"],
}
AT = "2026-07-01T00:00:00Z"

# The agreements the check tests read, from a TOML file, a JSON file and an SQLite store.
AGREEMENTS = [
    Agreement(
        id="agr-future",
        account_id="acme-uk",
        destinations=["EU"],
        valid_from=datetime(2026, 6, 1, tzinfo=UTC),
        basis="dpa-amendment",
        reference="DPA amendment no. 2",
    ),
    Agreement(
        id="agr-revoked",
        account_id="globex-uk",
        destinations=["aws-eu-west-1"],
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        revoked_at=datetime(2026, 2, 15, 9, 30, tzinfo=UTC),
        basis="customer-consent",
        reference="ticket SUP-48213",
    ),
    Agreement(
        id="agr-expired",
        account_id="initech-us",
        destinations=["EU"],
        valid_from=datetime(2023, 5, 1, tzinfo=UTC),
        valid_until=datetime(2025, 5, 1, tzinfo=UTC),
        basis="standard-contractual-clauses",
        reference="SCC 2021/914, signed 2023-04-20",
    ),
]


def _toml(agreements: list[Agreement]) -> str:
    """Write ``agreements`` as an agreements file in TOML, times as offset date-times."""
    lines: list[str] = []
    for agreement in agreements:
        lines.append("[[agreements]]")
        for key, value in agreement.to_dict().items():
            if value is None:
                continue
            is_time = key in {"valid_from", "valid_until", "revoked_at"}
            lines.append(f"{key} = {value if is_time else json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def agreement_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """The same agreements as a TOML file, a JSON file, a store, and a store without suffix."""
    folder = tmp_path_factory.mktemp("agreements")
    toml = folder / "agreements.toml"
    toml.write_text(_toml(AGREEMENTS), encoding="utf-8")
    as_json = folder / "agreements.json"
    as_json.write_text(json.dumps({"agreements": [a.to_dict() for a in AGREEMENTS]}))
    stores = {}
    for name in ("agreements.sqlite3", "agreements.data"):
        path = folder / name
        with AgreementStore(path) as store:
            for agreement in AGREEMENTS:
                if agreement.revoked_at is None:
                    store.add(agreement, actor="support")
                else:  # revoked the way support would: added, then revoked
                    store.add(attrs.evolve(agreement, revoked_at=None))
                    store.revoke(agreement.id, version=1, at=agreement.revoked_at, note="withdrawn")
        stores[name] = path
    return {
        "toml": toml,
        "json": as_json,
        "sqlite3": stores["agreements.sqlite3"],
        "store-without-suffix": stores["agreements.data"],
    }


def run(*args: str | pathlib.Path) -> Result:
    """Run ``residency`` with ``args`` in-process, output going to a pipe of default width."""
    runner = CliRunner(env={"COLUMNS": None, "FORCE_COLOR": None, "NO_COLOR": "1"})
    return runner.invoke(cli, [str(arg) for arg in args])


def line_of(text: str, needle: str) -> str:
    """The one line of ``text`` that holds ``needle``."""
    lines = [line for line in text.splitlines() if needle in line]
    assert len(lines) == 1, f"{needle!r} is on {len(lines)} lines of:\n{text}"
    return lines[0]


def row_of(text: str, cell: str) -> str:
    """The one line of ``text`` that holds ``cell`` as a whole word: a table row of that id."""
    word = re.compile(rf"(?<![\w.-]){re.escape(cell)}(?![\w.-])")
    lines = [line for line in text.splitlines() if word.search(line)]
    assert len(lines) == 1, f"{cell!r} is on {len(lines)} lines of:\n{text}"
    return lines[0]


def as_json(result: Result) -> Any:  # noqa: ANN401 - the shape is the command's
    """The JSON object a ``--json`` run printed, after checking it succeeded quietly."""
    assert result.stderr == ""
    return json.loads(result.stdout)


def assert_one_error_line(result: Result, name: str) -> str:
    """Check exit 2, nothing on stdout, one ``name: message`` line on stderr; return it."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{name}: "), lines[0]
    assert len(lines[0]) > len(name) + 2
    assert "Traceback" not in result.stderr
    return lines[0]


# --- where ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "country", "region", "rule"),
    [
        ("Hoa Kỳ", "United States (US)", "US: United States", "us: The United States and"),
        ("Anh Quốc", "United Kingdom (GB)", "UK: United Kingdom", "uk: The United Kingdom"),
        ("Singapore", "Singapore (SG)", "APAC: Asia-Pacific", "asia-pacific: Eastern"),
        ("Ireland", "Ireland (IE)", "EU: Europe", "eu-eea: EU member states"),
        ("FR-NC", "New Caledonia (NC)", "APAC: Asia-Pacific", "asia-pacific: Eastern"),
        ("deu", "Germany (DE)", "EU: Europe", "eu-eea: EU member states"),
    ],
    ids=["vietnamese-us", "vietnamese-uk", "singapore", "ireland", "subdivision-nc", "alpha3"],
)
def test_where_shows_country_region_rule_and_every_data_center(
    location: str, country: str, region: str, rule: str
) -> None:
    """`where` names the country, the region, the deciding rule and each data center's facts."""
    result = run("where", location)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert line_of(out, "Country").endswith(country)
    assert line_of(out, "Region ").endswith(region)
    assert rule in line_of(out, "Rule ")
    assert line_of(out, "Catalog").endswith("liveagent-2019-10-28")
    assert line_of(out, "Primary").endswith("first in catalog order")
    region_id = region.partition(":")[0]
    table = out.partition(f"Data centers of region {region_id}")[2]
    for dc in REGION_DATA_CENTERS[region_id]:
        provider, place = DATA_CENTERS[dc]
        row = row_of(table, dc)
        assert provider in row
        assert row.endswith(place)


@pytest.mark.parametrize(
    "args",
    [["where"], ["check", "--from", "linode-us", "--to", "aws-us-west-1"], ["access"]],
    ids=["where", "check", "access"],
)
def test_a_subdivision_is_shown_by_name_and_code(args: list[str]) -> None:
    """A subdivision code keeps its subdivision, shown by name and code beside its country."""
    result = run(args[0], "US-GA", *args[1:])
    assert result.exit_code == 0
    assert line_of(result.stdout, "Subdivision").endswith("Georgia (US-GA)")
    assert line_of(result.stdout, "Country").endswith("United States (US)")


@pytest.mark.parametrize("account", ["acme-gmbh", "globex-ag", "initech-eu"])
def test_where_with_account_shows_its_primary_and_order(account: str) -> None:
    """With --account the data centers come in the account's order and its primary is named."""
    placement = default_policy().assign("DE", account_id=account)
    order = [dc.id for dc in placement.data_centers]
    result = run("where", "Germany", "--account", account)
    assert result.exit_code == 0
    out = result.stdout
    assert line_of(out, "Account").endswith(account)
    primary = placement.primary
    assert line_of(out, "Primary").endswith(f"{primary.id} ({primary.provider.legal_name})")
    table = out.partition("Data centers of region EU, in the account's order")[2]
    rows = [row_of(table, dc) for dc in order]
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]


def test_where_json_has_every_field() -> None:
    """`where --json` prints one object with the contract's fields and the details of each."""
    result = run("where", "Hoa Kỳ", "--account", "acme-inc", "--at", AT, "--json")
    assert result.exit_code == 0
    data = as_json(result)
    placement = default_policy().assign("US", account_id="acme-inc")
    assert set(data) >= WHERE_KEYS
    assert data == data | {
        "input": "Hoa Kỳ",
        "country": "US",
        "country_name": "United States",
        "subdivision": None,
        "subdivision_name": None,
        "region": "US",
        "region_name": "United States",
        "rule": "us",
        "rule_title": "The United States and its territories",
        "data_centers": [dc.id for dc in placement.data_centers],
        "primary": placement.primary.id,
        "account": "acme-inc",
        "at": "2026-07-01T00:00:00+00:00",
        "catalog": "liveagent-2019-10-28",
    }
    details = {detail["id"]: detail for detail in data["data_center_details"]}
    assert details["aws-us-west-1"]["provider"]["legal_name"] == "Amazon Web Services, LLC"
    assert details["aws-us-west-1"]["location"] == "N. California"
    assert details["aws-us-west-1"]["country"] is None


def test_where_json_without_account_names_the_catalog_primary() -> None:
    """Without an account the JSON primary is the first in catalog order, as the library says."""
    data = as_json(run("where", "US-GA", "--json"))
    assert data["primary"] == "linode-us" == default_policy().assign("US-GA").primary.id
    assert data["account"] is None
    assert (data["subdivision"], data["subdivision_name"]) == ("US-GA", "Georgia")
    assert data["data_centers"] == REGION_DATA_CENTERS["US"]


@pytest.mark.parametrize(
    ("location", "at", "region", "rule"),
    [
        ("HR", "2013-06-30T23:59:59Z", "EU", "europe-africa-west-central-asia"),
        ("HR", "2013-07-01T00:00:00Z", "EU", "eu-eea"),
        ("HR", "2013-07-01T01:00:00+02:00", "EU", "europe-africa-west-central-asia"),
        ("BL", "2011-12-31T12:00:00Z", "EU", "eu-eea"),
        ("BL", "2012-01-01T00:00:00Z", "US", "americas"),
    ],
    ids=["croatia-before", "croatia-joins", "croatia-offset-before", "st-barth-eu", "st-barth-us"],
)
def test_where_answers_for_the_moment_given(location: str, at: str, region: str, rule: str) -> None:
    """--at answers with the group memberships of that instant, offsets included."""
    data = as_json(run("where", location, "--at", at, "--json"))
    assert (data["region"], data["rule"]) == (region, rule)


# --- check ----------------------------------------------------------------------------------------

# (id, location, source, target, account, exit code, basis, agreement, lapsed)
CHECKS = [
    ("in-region", "DE", "linode-eu", "aws-eu-west-1", None, 0, "in-region", None, []),
    ("agreement", "GB", "linode-uk", "aws-eu-west-1", "acme-uk", 0, "agreement", "agr-future", []),
    ("agreement-dc", "GB", "linode-uk", "linode-eu", "acme-uk", 0, "agreement", "agr-future", []),
    ("not-covered", "GB", "linode-uk", "linode-sg", "acme-uk", 1, "denied", None, []),
    ("no-account", "GB", "linode-uk", "aws-eu-west-1", None, 1, "denied", None, []),
    ("other-account", "GB", "linode-uk", "linode-eu", "globex-uk", 1, "denied", None, []),
    (
        "revoked",
        "GB",
        "linode-uk",
        "aws-eu-west-1",
        "globex-uk",
        1,
        "denied",
        None,
        ["agr-revoked"],
    ),
    ("expired", "US", "linode-us", "linode-eu", "initech-us", 1, "denied", None, ["agr-expired"]),
]


@pytest.mark.parametrize("source_format", ["toml", "json", "sqlite3", "store-without-suffix"])
@pytest.mark.parametrize(
    ("location", "source", "target", "account", "code", "basis", "agreement", "lapsed"),
    [case[1:] for case in CHECKS],
    ids=[case[0] for case in CHECKS],
)
def test_check_json_against_agreements(
    agreement_files: dict[str, pathlib.Path],
    source_format: str,
    location: str,
    source: str,
    target: str,
    account: str | None,
    code: int,
    basis: str,
    agreement: str | None,
    lapsed: list[str],
) -> None:
    """`check --json` decides from any agreements source as the library does, exit 0 or 1."""
    path = agreement_files[source_format]
    args = ["check", location, "--from", source, "--to", target, "--agreements", str(path)]
    args += ["--at", AT, "--json"] + (["--account", account] if account else [])
    result = run(*args)
    assert result.exit_code == code, result.output
    data = as_json(result)
    assert set(data) >= CHECK_KEYS | {"misplaced", "lapsed", "at", "account_id"}
    expected = default_policy().check_transfer(
        location,
        source,
        target,
        account_id=account,
        agreements=AGREEMENTS,
        at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    assert data["allowed"] is (code == 0)
    assert (data["basis"], data["reason"]) == (basis, expected.reason)
    assert (data["source"], data["target"], data["account_id"]) == (source, target, account)
    assert data["region"] == expected.region
    assert data["agreement"] == (expected.agreement.to_dict() if expected.agreement else None)
    assert (data["agreement"] or {}).get("id") == agreement
    assert [item["id"] for item in data["lapsed"]] == lapsed
    assert data["misplaced"] is False
    assert data["at"] == "2026-07-01T00:00:00+00:00"
    assert data["catalog"] == "liveagent-2019-10-28"


def test_check_readable_denied() -> None:
    """A denied move prints DENIED, the route, the reason, and exits 1 with nothing on stderr."""
    result = run("check", "GB", "--from", "linode-uk", "--to", "aws-eu-west-1", "--account", "x")
    assert result.exit_code == 1
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("DENIED  linode-uk -> aws-eu-west-1\n")
    assert line_of(out, "Basis").endswith("denied")
    assert line_of(out, "To ").endswith("aws-eu-west-1 (region EU, Amazon Web Services, LLC)")
    assert line_of(out, "Denied: ").endswith(
        "account 'x' has no agreement that covers region EU or data center aws-eu-west-1."
    )


def test_check_readable_allowed_names_the_agreement(
    agreement_files: dict[str, pathlib.Path],
) -> None:
    """An allowed move names the agreement: id, basis, reference, window, status."""
    path = agreement_files["toml"]
    result = run(
        "check", "Anh Quốc", "--from", "linode-uk", "--to", "linode-eu", "--account", "acme-uk",
        "--agreements", path, "--at", AT,
    )  # fmt: skip
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("ALLOWED  linode-uk -> linode-eu\n")
    assert line_of(out, "Agreements  ").endswith(f"{path} (3 agreements)")
    assert "under agreement 'agr-future' of account 'acme-uk'" in line_of(out, "Allowed: ")
    assert line_of(out, "agr-future ").endswith("in force: allows the move")
    terms = out.partition("agr-future ")[2]
    for fact in (
        "dpa-amendment, reference DPA amendment no. 2",
        "from 2026-06-01T00:00:00+00:00 to no end",
    ):
        assert fact in terms


def test_check_readable_shows_why_an_agreement_lapsed(
    agreement_files: dict[str, pathlib.Path],
) -> None:
    """A revoked agreement that would cover the move is shown, with when it was revoked."""
    result = run(
        "check", "GB", "--from", "linode-uk", "--to", "aws-eu-west-1", "--account", "globex-uk",
        "--agreements", agreement_files["sqlite3"], "--at", AT,
    )  # fmt: skip
    assert result.exit_code == 1
    row = line_of(result.stdout, "agr-revoked ")
    assert row.endswith("not in force: it was revoked at 2026-02-15T09:30:00+00:00")
    terms = result.stdout.partition("agr-revoked ")[2]
    assert "customer-consent, reference ticket SUP-48213" in terms
    assert "to no end, revoked at 2026-02-15T09:30:00+00:00" in terms


@pytest.mark.parametrize(
    ("at", "code"),
    [
        ("2026-05-31T23:59:59Z", 1),
        ("2026-06-01T00:00:00Z", 0),
        ("2026-06-01T01:59:59+02:00", 1),
        ("2026-06-01T02:00:00+02:00", 0),
        ("2026-06-01 00:00:00.5z", 0),
    ],
    ids=["second-before", "first-instant", "offset-before", "offset-first-instant", "space-and-z"],
)
def test_check_honours_at(agreement_files: dict[str, pathlib.Path], at: str, code: int) -> None:
    """An agreement is not in force before its start and is from its first instant on."""
    result = run(
        "check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", "acme-uk",
        "--agreements", agreement_files["json"], "--at", at, "--json",
    )  # fmt: skip
    assert result.exit_code == code
    data = as_json(result)
    if code:
        assert [item["id"] for item in data["lapsed"]] == ["agr-future"]
        assert data["lapsed"][0]["not_in_force"] == "it starts only at 2026-06-01T00:00:00+00:00"
    else:
        assert data["agreement"]["id"] == "agr-future"


def test_check_without_at_answers_for_now() -> None:
    """Without --at, the answer is for now, to the second."""
    before = datetime.now(UTC).replace(microsecond=0)
    data = as_json(run("check", "DE", "--from", "linode-eu", "--to", "websupport-eu", "--json"))
    after = datetime.now(UTC)
    assert before <= datetime.fromisoformat(data["at"]) <= after


def test_check_reads_data_center_ids_in_any_case() -> None:
    """--from and --to name a data center in any case, and the answer names it by its id."""
    result = run("check", "GB", "--from", "LINODE-UK", "--to", "linode-EU", "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert (data["source"], data["target"]) == ("linode-uk", "linode-eu")


def test_check_flags_misplaced_data() -> None:
    """A move whose source is already outside the home region says the data is misplaced."""
    result = run("check", "DE", "--from", "linode-us", "--to", "linode-eu", "--json")
    data = as_json(result)
    assert result.exit_code == 0
    assert data["misplaced"] is True
    assert "already misplaced" in data["reason"]


def test_check_reads_the_example_agreements_file() -> None:
    """The shipped example file allows northwind-uk's move to the EU region, today."""
    result = run(
        "check", "GB", "--from", "linode-uk", "--to", "aws-eu-west-1", "--account",
        "northwind-uk", "--agreements", EXAMPLE_AGREEMENTS, "--json",
    )  # fmt: skip
    assert result.exit_code == 0
    assert as_json(result)["agreement"]["id"] == "agr-2025-017"


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consents", "withheld"),
    [((), ["support-24-7"]), (("support",), []), (("support-24-7", "twilio"), [])],
    ids=["no-consent", "support", "by-id"],
)
def test_access_json_is_the_library_answer(consents: tuple[str, ...], withheld: list[str]) -> None:
    """`access --json` prints Access.to_dict(), with the moment it answers for."""
    args = [arg for consent in consents for arg in ("--consent", consent)]
    data = as_json(run("access", "France", *args, "--at", AT, "--json"))
    expected = default_policy().who_can_access("FR", consents=consents).to_dict()
    assert data == expected | {"at": "2026-07-01T00:00:00+00:00"}
    assert [party["id"] for party in data["withheld"]] == withheld


def test_access_readable_withholds_support_without_consent() -> None:
    """Without consent the support sub-processors are listed apart, as withheld."""
    result = run("access", "France")
    assert result.exit_code == 0
    out = result.stdout
    can, _, only = out.partition("Only with the customer's consent, which is not given")
    assert "support-24-7" not in can
    row = line_of(only, "support-24-7")
    assert "not named in source" in row
    assert "not given" in row
    for dc in REGION_DATA_CENTERS["EU"]:
        provider, place = DATA_CENTERS[dc]
        row = row_of(can, dc)
        assert provider in row
        assert place in row
        assert "inside" in row
    assert "may be outside" in row_of(can, "twilio")
    assert "May access this information only with the customer's consent." in only
    assert "“trong đó có yêu cầu chỉ được tiếp cập" in only


def test_access_readable_lists_support_with_consent() -> None:
    """With consent to support, the support sub-processors can access, consent given."""
    result = run("access", "Pháp", "--consent", "support")
    assert result.exit_code == 0
    assert "which is not given" not in result.stdout
    assert line_of(result.stdout, "support-24-7").endswith("[3] consent given")
    assert line_of(result.stdout, "Consents").endswith("support")


# --- listings -------------------------------------------------------------------------------------


def test_datacenters_lists_every_data_center_with_provider_and_location() -> None:
    """`datacenters` shows each data center with its region, provider and stated location."""
    result = run("datacenters")
    assert result.exit_code == 0
    for dc, (provider, place) in DATA_CENTERS.items():
        row = row_of(result.stdout, dc)
        assert provider in row
        assert place in row
    assert row_of(result.stdout, "aws-eu-west-1").endswith("[2]")
    assert line_of(result.stdout, "[2] ").startswith("[2] stable-power: LiveAgent's servers")
    assert "These data centers run on stable power" in result.stdout


@pytest.mark.parametrize("region", ["EU", "eu", " Eu "], ids=["exact", "lower", "padded"])
def test_datacenters_of_one_region(region: str) -> None:
    """--region keeps the data centers of that region, in catalog order, in any case."""
    data = as_json(run("datacenters", "--region", region, "--json"))
    assert [dc["id"] for dc in data["data_centers"]] == REGION_DATA_CENTERS["EU"]
    websupport = data["data_centers"][2]
    assert (websupport["location"], websupport["serves"]) == (None, "European customers")
    assert websupport["facility"]["power"] == "abundant"


def test_subprocessors_lists_names_kinds_and_conditions() -> None:
    """`subprocessors` shows every sub-processor, the unnamed support one, and the conditions."""
    result = run("subprocessors")
    assert result.exit_code == 0
    out = result.stdout
    for name in ("Quality Unit, LLC", "Quality Unit Ukraine", "Twilio, Inc."):
        assert "service" in line_of(out, name)
    assert "required" in line_of(out, "not named in source")
    roles = out.partition("Roles")[2].partition("Conditions, as the source states them")[0]
    assert "Where: not stated in source; a group company." in roles
    assert "LiveAgent's VoIP service provider." in roles
    assert "May access service data to keep LiveAgent's functions running." in out
    data = as_json(run("subprocessors", "--json"))
    assert [sub["id"] for sub in data["subprocessors"]] == [
        "quality-unit-llc",
        "quality-unit-ukraine",
        "twilio",
        "support-24-7",
    ]
    assert data["subprocessors"][3]["name"] is None
    assert data["subprocessors"][3]["consent_required"] is True


def test_regions_lists_data_centers_and_rules() -> None:
    """`regions` shows each region with its data centers and the rules that assign it."""
    result = run("regions")
    assert result.exit_code == 0
    table, _, rules_table = result.stdout.partition("Rules, first match wins")
    for region, dcs in REGION_DATA_CENTERS.items():
        assert ", ".join(dcs) in row_of(table, region)
    assert "Unassigned: Antarctica (AQ)" in result.stdout
    data = as_json(run("regions", "--json"))
    rules = {region["id"]: region["rules"] for region in data["regions"]}
    assert rules == {
        "EU": ["eu-eea", "europe-africa-west-central-asia"],
        "UK": ["uk"],
        "US": ["us", "americas"],
        "APAC": ["asia-pacific"],
    }
    for region, ids in rules.items():
        for rule in ids:
            assert row_of(rules_table, rule).split()[2] == region
    assert data["unassigned"][0]["country"] == "AQ"


@pytest.mark.parametrize(
    ("at", "rule"), [("2011-06-01T00:00:00Z", "eu-eea"), ("2026-06-01T00:00:00Z", "americas")]
)
def test_regions_lists_each_rules_countries_at_the_moment(at: str, rule: str) -> None:
    """The countries a rule covers are those of the moment asked about."""
    data = as_json(run("regions", "--at", at, "--json"))
    covering = [item["id"] for item in data["rules"] if "BL" in item["countries"]]
    assert covering == [rule]
    assert sum(len(item["countries"]) for item in data["rules"]) == 249


# --- catalogs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (BUNDLED_CATALOG, "valid: liveagent-2019-10-28, 4 regions, 8 data centers, 6 rules"),
        (EXAMPLE_CATALOG, "valid: example-2026-01, 2 regions, 3 data centers, 3 rules"),
    ],
    ids=["bundled", "example"],
)
def test_catalog_validate_valid(path: pathlib.Path, line: str) -> None:
    """A valid catalog file gets one summary line and exit 0."""
    result = run("catalog", "validate", path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, line + "\n", "")


BAD_CATALOG_PROBLEMS = {
    "data_centers[2].region: unknown region 'MARS'",
    "regions[1]: region 'ROW' has no data centers",
    "rules[0].groups[1]: unknown group 'commonwealth'",
    "rules[2].region: unknown region 'MARS'",
}


def problems_of(path: pathlib.Path) -> list[str]:
    """The problems the library finds in the catalog file at ``path``, in its order."""
    with pytest.raises(CatalogError) as error:
        load_policy(path)
    return [str(problem) for problem in error.value.problems]


@pytest.fixture
def bad_catalog(tmp_path: pathlib.Path) -> pathlib.Path:
    """The example catalog broken four ways."""
    text = EXAMPLE_CATALOG.read_text(encoding="utf-8")
    text = text.replace('region = "ROW"', 'region = "MARS"')
    text = text.replace('groups = ["dach"]', 'groups = ["dach", "commonwealth"]')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_catalog_validate_lists_every_problem(bad_catalog: pathlib.Path) -> None:
    """An invalid file: each problem on its own stdout line, then one CatalogError line, exit 2."""
    result = run("catalog", "validate", bad_catalog)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == problems_of(bad_catalog)
    assert set(result.stdout.splitlines()) == BAD_CATALOG_PROBLEMS
    (line,) = result.stderr.splitlines()
    assert line == f"CatalogError: {bad_catalog}: 4 problems, listed above"


def test_catalog_validate_a_missing_file(tmp_path: pathlib.Path) -> None:
    """A file that cannot be read is one error line on stderr, not a list of problems."""
    path = tmp_path / "missing.toml"
    line = assert_one_error_line(run("catalog", "validate", path), "NotARegularFile")
    assert line.startswith(f"NotARegularFile: {path}: cannot read")
    assert line.endswith("No such file or directory")


def test_catalog_validate_json(bad_catalog: pathlib.Path) -> None:
    """`catalog validate --json` reports validity and every problem as data."""
    good = as_json(run("catalog", "validate", EXAMPLE_CATALOG, "--json"))
    assert good == {
        "valid": True,
        "file": str(EXAMPLE_CATALOG),
        "catalog": "example-2026-01",
        "regions": 2,
        "data_centers": 3,
        "rules": 3,
    }
    result = run("catalog", "validate", bad_catalog, "--json")
    assert result.exit_code == 2
    bad = json.loads(result.stdout)
    assert bad["valid"] is False
    assert [f"{p['path']}: {p['message']}" for p in bad["problems"]] == problems_of(bad_catalog)
    assert result.stderr.startswith("CatalogError: ")


@pytest.mark.parametrize("flag", [[], ["--json"]], ids=["plain", "json-flag"])
def test_catalog_schema_prints_the_json_schema(flag: list[str]) -> None:
    """`catalog schema` prints the JSON Schema of catalog files."""
    result = run("catalog", "schema", *flag)
    assert result.exit_code == 0
    assert as_json(result) == catalog_json_schema()


def test_custom_catalog_answers_every_command() -> None:
    """--catalog answers from the file given: its rules, providers and data centers."""
    policy = load_policy(EXAMPLE_CATALOG)
    data = as_json(run("--catalog", EXAMPLE_CATALOG, "where", "AT", "--account", "a-1", "--json"))
    expected = policy.assign("AT", account_id="a-1")
    assert (data["rule"], data["catalog"]) == ("dach", "example-2026-01")
    assert data["data_centers"] == [dc.id for dc in expected.data_centers]
    result = run("--catalog", EXAMPLE_CATALOG, "datacenters")
    assert "Hetzner Online GmbH" in row_of(result.stdout, "fsn1")
    assert "N. Virginia" in row_of(result.stdout, "aws-us-east-1")
    check = run(
        "--catalog", EXAMPLE_CATALOG, "check", "US", "--from", "aws-us-east-1", "--to", "fsn1"
    )
    assert check.exit_code == 1
    assert "outside ROW" in check.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--catalog", "{catalog}", "where", "AT", "--json"],
        ["--catalog={catalog}", "where", "AT", "--json"],
        ["where", "AT", "--catalog", "{catalog}", "--json"],
        ["where", "--catalog={catalog}", "AT", "--json"],
        ["--catalog", "{catalog}", "where", "AT", "--catalog", "{catalog}", "--json"],
    ],
    ids=["before", "before-equals", "after", "after-equals", "both-agreeing"],
)
def test_catalog_is_taken_before_or_after_the_command(args: list[str]) -> None:
    """--catalog works on either side of the command; given on both, the same file."""
    data = as_json(run(*(arg.format(catalog=EXAMPLE_CATALOG) for arg in args)))
    assert data["catalog"] == "example-2026-01"


def test_catalog_given_twice_differently_is_refused() -> None:
    """Two different catalogs for one answer is a usage error, not a silent choice."""
    result = run("--catalog", EXAMPLE_CATALOG, "where", "AT", "--catalog", "other.toml")
    assert result.exit_code == 2
    assert result.stderr.startswith("UsageError: Invalid value for '--catalog': given twice")
    assert result.stdout == ""


def test_custom_catalog_without_statements_says_so() -> None:
    """A catalog that states no conditions and lists no sub-processors says so, never invents."""
    access = run("--catalog", EXAMPLE_CATALOG, "access", "AT")
    assert access.exit_code == 0
    assert "[1]" in row_of(access.stdout, "fsn1")
    assert line_of(access.stdout, "[1] ") == f"[1] {NOT_STATED}"
    result = run("--catalog", EXAMPLE_CATALOG, "subprocessors")
    assert result.stdout == (
        "Catalog example-2026-01 lists no sub-processors besides its data centers.\n"
    )
    assert as_json(run("--catalog", EXAMPLE_CATALOG, "subprocessors", "--json")) == {
        "catalog": "example-2026-01",
        "subprocessors": [],
    }


def test_catalog_text_is_never_read_as_markup(tmp_path: pathlib.Path) -> None:
    """Brackets in a catalog are printed as written, never taken as rich markup."""
    text = EXAMPLE_CATALOG.read_text(encoding="utf-8")
    path = tmp_path / "markup.toml"
    path.write_text(text.replace('"Falkenstein"', '"[bold]Falkenstein[/bold] :smile:"'))
    result = run("--catalog", path, "datacenters")
    assert "[bold]Falkenstein[/bold] :smile:" in row_of(result.stdout, "fsn1")


def test_readable_output_has_no_trailing_blanks() -> None:
    """Table rows end with their last character, not with rich's padding."""
    for args in (["where", "DE"], ["access", "DE"], ["regions"], ["datacenters"]):
        out = run(*args).stdout
        assert out.endswith("\n")
        assert all(line == line.rstrip() for line in out.splitlines())


# --- errors and exit codes ------------------------------------------------------------------------


@pytest.fixture
def bad_files(tmp_path: pathlib.Path, bad_catalog: pathlib.Path) -> dict[str, pathlib.Path]:
    """Files that are not what the option expects."""
    files = {"bad-catalog": bad_catalog, "missing": tmp_path / "missing.toml"}
    files["naive-agreements"] = tmp_path / "naive.toml"
    files["naive-agreements"].write_text(
        '[[agreements]]\nid = "a"\naccount_id = "b"\ndestinations = ["EU"]\n'
        "valid_from = 2026-01-01T00:00:00\n"
    )
    files["unknown-destination"] = tmp_path / "mars.json"
    files["unknown-destination"].write_text(
        json.dumps({"agreements": [{**AGREEMENTS[0].to_dict(), "destinations": ["EU", "MARS"]}]})
    )
    files["text-as-store"] = tmp_path / "agreements.sqlite3"
    files["text-as-store"].write_text("id,account\nagr-1,acme\n")
    files["foreign-database"] = tmp_path / "crm.db"
    with sqlite3.connect(files["foreign-database"]) as connection:
        connection.execute("CREATE TABLE customer (id TEXT)")
    connection.close()
    files["blank-database"] = tmp_path / "blank"
    with sqlite3.connect(files["blank-database"]) as connection:  # a header and no schema
        connection.execute("CREATE TABLE scratch (x)")
        connection.execute("DROP TABLE scratch")
    connection.close()
    return files


CHECK_GB = ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", "acme-uk"]

# (id, arguments ({name} is a file of bad_files), error name, a part of the message)
ERRORS = [
    ("ambiguous", ["where", "Korea"], "AmbiguousLocation", "KP (Korea, Democratic"),
    ("unknown", ["access", "Narnia"], "UnknownLocation", "'Narnia' is not a country"),
    ("empty", ["where", ""], "InvalidLocation", "cannot be empty"),
    ("control", ["where", "D\x00E"], "InvalidLocation", "control character"),
    ("antarctica", ["where", "AQ"], "UnassignedLocation", "AQ is not assigned to any region"),
    ("unknown-source", ["check", "GB", "--from", "x", "--to", "linode-eu"], "UnknownDataCenter",
     "'x' is not a data center of catalog 'liveagent-2019-10-28'"),
    ("unknown-target", ["check", "GB", "--from", "linode-uk", "--to", "eu"], "UnknownDataCenter",
     "known: linode-eu, "),
    ("mistyped-source", ["check", "GB", "--from", "linode-ukk", "--to", "linode-eu"],
     "UnknownDataCenter", "did you mean 'linode-uk'"),
    ("bad-catalog", ["--catalog", "{bad-catalog}", "where", "DE"], "CatalogError", "4 problems"),
    ("missing-catalog", ["--catalog", "{missing}", "regions"], "NotARegularFile",
     "missing.toml: cannot read"),
    ("naive-agreement", [*CHECK_GB, "--agreements", "{naive-agreements}"], "InvalidAgreement",
     "agreements[0].valid_from"),
    ("unknown-destination", [*CHECK_GB, "--agreements", "{unknown-destination}"],
     "InvalidAgreement", "mars.json: agr-future.destinations: 'MARS' is neither"),
    ("missing-agreements", [*CHECK_GB, "--agreements", "{missing}"], "NotARegularFile",
     "missing.toml: cannot read"),
    ("text-as-store", [*CHECK_GB, "--agreements", "{text-as-store}"], "StoreCorrupt",
     "not an SQLite database"),
    ("foreign-database", [*CHECK_GB, "--agreements", "{foreign-database}"], "StoreCorrupt",
     "not a residency agreement store"),
    ("blank-database", [*CHECK_GB, "--agreements", "{blank-database}"], "StoreCorrupt",
     "an empty SQLite database, not an agreement store"),
    ("naive-at", ["where", "DE", "--at", "2026-01-01T00:00:00"], "InvalidTime", "no offset"),
    ("date-only-at", [*CHECK_GB, "--at", "2026-01-01"], "InvalidTime", "not an RFC 3339 time"),
    ("word-at", ["access", "DE", "--at", "yesterday"], "InvalidTime", "not an RFC 3339 time"),
    ("impossible-at", ["regions", "--at", "2026-02-30T00:00:00Z"], "InvalidTime",
     "not a valid time"),
    ("consent", ["access", "DE", "--consent", "hosting"], "UnknownConsent", "'hosting'"),
    ("account", ["where", "DE", "--account", ""], "InvalidAccount", "non-empty str"),
    ("unknown-option", ["where", "DE", "--frm", "x"], "UsageError", "No such option: --frm"),
    ("missing-argument", ["where"], "UsageError", "Missing argument 'LOCATION'"),
    ("missing-to", ["check", "GB", "--from", "linode-uk"], "UsageError", "Missing option '--to'"),
    ("unknown-command", ["wher", "DE"], "UsageError", "No such command 'wher'"),
    ("no-command", [], "UsageError", "Missing command. (see 'residency --help')"),
    ("no-catalog-command", ["catalog"], "UsageError", "(see 'residency catalog --help')"),
    ("unknown-region", ["datacenters", "--region", "MARS"], "UnknownRegion",
     "'MARS' is not a region of catalog 'liveagent-2019-10-28'; the regions are EU, UK, US, APAC"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "name", "message"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_bad_input_is_one_line_and_exit_2(
    bad_files: dict[str, pathlib.Path], args: list[str], name: str, message: str
) -> None:
    """Every kind of bad input exits 2 with one line ``ErrorName: message`` and no traceback."""
    named = {f"{{{key}}}": str(path) for key, path in bad_files.items()}
    line = assert_one_error_line(run(*(named.get(arg, arg) for arg in args)), name)
    assert message in line


NO_STORE = "residency creates no agreement store to read one"


def test_a_missing_store_is_not_created(tmp_path: pathlib.Path) -> None:
    """A store path that does not exist is refused, and no file is made there."""
    path = tmp_path / "new" / "agreements.sqlite3"
    line = assert_one_error_line(run(*CHECK_GB, "--agreements", path), "StoreMissing")
    assert line == f"StoreMissing: {path}: no such file ({NO_STORE})"
    assert not path.parent.exists()


def test_a_blank_database_is_left_as_it_was(bad_files: dict[str, pathlib.Path]) -> None:
    """An SQLite file that is no store is refused without a byte written to it."""
    for name in ("blank-database", "foreign-database"):
        before = bad_files[name].read_bytes()
        run(*CHECK_GB, "--agreements", bad_files[name])
        assert bad_files[name].read_bytes() == before


def test_a_multi_line_message_stays_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error whose message spans lines is still printed as one line."""

    def broken(*_args: object, **_kwargs: object) -> None:
        message = "first line\nsecond line\n  third"
        raise residency.InvalidTime(message)

    monkeypatch.setattr(_app, "parse_instant", broken)
    line = assert_one_error_line(run("where", "DE", "--at", "noon"), "InvalidTime")
    assert line == "InvalidTime: first line second line third"


@pytest.mark.parametrize(
    ("raised", "code", "line"),
    [
        (click.FileError("f.txt", "locked"), 2, "FileError: Could not open file 'f.txt': locked"),
        (RuntimeError("boom"), 3, "InternalError: RuntimeError: boom (a bug in residency: "),
        (KeyError("x"), 3, "InternalError: KeyError: 'x' (a bug in residency: please report it)"),
        (KeyboardInterrupt(), 130, "Interrupted: stopped before an answer"),
    ],
    ids=["click-error", "bug", "key-error", "interrupt"],
)
def test_unexpected_exceptions(
    monkeypatch: pytest.MonkeyPatch, raised: BaseException, code: int, line: str
) -> None:
    """Click's own errors exit 2, a bug 3, an interruption 130; one stderr line, no traceback."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(_render, "where_view", broken)
    result = run("where", "DE")
    assert result.exit_code == code
    (printed,) = result.stderr.splitlines()  # a terminal's "^C" line is ended only on a terminal
    assert printed.startswith(line)
    assert "Traceback" not in result.output


def test_an_interruption_on_a_terminal_ends_its_line_first(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a terminal, Ctrl-C's line is ended before the one Interrupted line, exit 130."""

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_render, "where_view", interrupted)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main(["where", "DE"], standalone_mode=False) == 130
    assert capsys.readouterr().err == "\nInterrupted: stopped before an answer\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["where", "--help"],
        ["check", "--help"],
        ["access", "--help"],
        ["datacenters", "--help"],
        ["subprocessors", "--help"],
        ["regions", "--help"],
        ["catalog", "--help"],
        ["catalog", "validate", "--help"],
        ["catalog", "schema", "--help"],
    ],
    ids=lambda args: "-".join(args[:-1]) or "residency",
)
def test_help_exits_0(args: list[str]) -> None:
    """--help prints the usage of each command and exits 0."""
    result = run(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: residency")
    assert result.stderr == ""


def test_group_help_documents_the_exit_codes() -> None:
    """The top-level help lists every command and every exit code."""
    out = run("--help").stdout
    for command in ("where", "check", "access", "datacenters", "subprocessors", "regions"):
        assert f"  {command} " in out
    for code in ("0  answered", "1  check: the move is denied", "2  bad input", "3  a bug"):
        assert code in out


def test_version() -> None:
    """--version prints the installed version and exits 0."""
    result = run("--version")
    assert (result.exit_code, result.stdout) == (0, f"residency, version {residency.__version__}\n")


def test_main_returns_the_code_when_not_standalone(capsys: pytest.CaptureFixture[str]) -> None:
    """Called with standalone_mode=False, the group returns its exit code instead of exiting."""
    assert cli.main(["where", "AQ"], standalone_mode=False) == 2
    assert capsys.readouterr().err.startswith("UnassignedLocation: ")
    assert cli.main(["where", "AT", "--json"], standalone_mode=False) == 0


def test_main_runs_the_group(capsys: pytest.CaptureFixture[str]) -> None:
    """residency.cli.main() runs the command line and exits with its code."""
    with pytest.raises(SystemExit) as exit_info:
        residency.cli.main(["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--json"])
    assert exit_info.value.code == 1
    assert json.loads(capsys.readouterr().out)["allowed"] is False


@pytest.mark.parametrize("missing", ["click", "rich", "rich.table"])
def test_main_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    """Without click or rich, main() prints one MissingExtra line and exits 2."""
    monkeypatch.setitem(sys.modules, missing, None)
    for name in ("_app", "_render"):  # as in a fresh process: neither imported yet
        monkeypatch.delitem(sys.modules, f"residency.cli.{name}")
        monkeypatch.delattr(residency.cli, name)
    with pytest.raises(SystemExit) as exit_info:
        residency.cli.main(["where", "DE"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", MISSING_EXTRA + "\n")


def test_every_side_of_an_access_answer_has_its_words() -> None:
    """Each Side an access answer can give has its words in the output, found by the member."""
    from residency.access import Side  # noqa: PLC0415 - beside the only use

    assert set(_render._SIDES) == {side.value for side in Side}
    assert all(_render._SIDES[side] for side in Side)


def _python(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter of this environment."""
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("loading", ["click", "residency.policy", "residency.cli._app"])
def test_ctrl_c_while_the_commands_load_is_one_line(loading: str) -> None:
    """A Ctrl-C while click or the library is still loading exits 130 with one line."""
    script = f"""
import sys

class Interrupt:  # a Ctrl-C the moment {loading} is looked for
    def find_spec(self, name, path=None, target=None):
        if name == {loading!r}:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupt())
from residency.cli import main
main(["where", "DE"])
"""
    result = _python(script)
    assert (result.returncode, result.stdout) == (130, "")
    assert result.stderr == residency.cli.INTERRUPTED + "\n"


def test_the_command_line_package_loads_no_library() -> None:
    """Importing the entry point loads neither click nor the library, only the package."""
    script = (
        "import sys; from residency.cli import main; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'residency', 'click', 'rich', 'attrs', 'attr'}))"
    )
    assert _python(script).stdout == "['residency', 'residency.cli']\n"


_MACHINERY: Final = (
    "residency._fast",
    "residency.access",
    "residency.agreements",
    "residency.cli._agreement_commands",
    "residency.cli._agreements",
    "residency.transfers",
)
"""What placing a customer does not need: transfers, access and the agreements' commands."""


def test_where_loads_no_transfer_machinery() -> None:
    """``residency where`` places a customer and loads none of :data:`_MACHINERY`."""
    script = (
        "import sys\nfrom residency.cli import main\ntry:\n    main(['where', 'DE'])\n"
        "except SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m in {set(_MACHINERY)!r}), file=sys.stderr)"
    )
    result = _python(script)
    assert result.stdout.startswith("DE: region EU")
    assert result.stderr == "[]\n"


def test_the_agreements_group_loads_when_named_and_is_listed_before() -> None:
    """The group is in the help before it loads, and loads when a command line names it."""
    script = (
        "import sys\nfrom residency.cli._app import cli\nfrom click.testing import CliRunner\n"
        "loaded = lambda: 'residency.cli._agreement_commands' in sys.modules\n"
        "before = loaded()\n"
        "names = cli.list_commands(None)\n"
        "listed = loaded()\n"
        "result = CliRunner().invoke(cli, ['agreements', '--help'])\n"
        "print(before, listed, 'agreements' in names, result.exit_code, loaded())\n"
        "print(result.stdout.splitlines()[0])"
    )
    assert _python(script).stdout.splitlines() == [
        "False False True 0 True",
        "Usage: residency agreements [OPTIONS] COMMAND [ARGS]...",
    ]


def test_the_commands_load_without_collecting_then_the_collector_runs() -> None:
    """No collection runs while the commands load; what they made is frozen, once."""
    script = """
import gc, json
from residency.cli import _commands
starts = []
gc.callbacks.append(lambda phase, info: starts.append(phase) if phase == "start" else None)
before = gc.get_freeze_count()
_commands()
loading = len(starts)
frozen = gc.get_freeze_count()
enabled = gc.isenabled()
garbage = [[[] for _ in range(100)] for _ in range(100)]
_commands()
print(json.dumps([before, loading, frozen, enabled, gc.get_freeze_count(), len(starts) > 0]))
"""
    before, loading, frozen, enabled, again, collected_since = json.loads(_python(script).stdout)
    assert (before, loading, enabled, collected_since) == (0, 0, True, True)
    assert frozen > 10_000
    assert again == frozen


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    """When the caller has disabled the collector, loading the commands leaves it so."""
    script = (
        "import gc; gc.disable(); from residency.cli import _commands; _commands(); "
        "print(gc.isenabled(), gc.get_freeze_count())"
    )
    assert _python(script).stdout == "False 0\n"


def test_main_does_not_hide_other_import_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module of residency itself that fails to import is a bug, not a missing extra."""
    monkeypatch.setitem(sys.modules, "residency.cli._render", None)
    for name in ("_app", "_render"):
        monkeypatch.delattr(residency.cli, name)
    monkeypatch.delitem(sys.modules, "residency.cli._app")
    with pytest.raises(ModuleNotFoundError, match=r"residency\.cli\._render"):
        residency.cli.main(["where", "DE"])


# --- plain output ---------------------------------------------------------------------------------

# Answers printed for people on a pipe, as plain lines (rich not loaded) where nothing folds.
PLAIN_ANSWERS = [
    ["where", "DE", "--at", AT],
    ["where", "Hoa Kỳ", "--account", "账户-一二三", "--at", AT],
    ["where", "US-GA", "--account", "acme\u0301 inc", "--at", AT],
    ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--at", AT],
    ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", "acme-uk",
     "--agreements", "toml", "--at", AT],
    ["access", "DE", "--consent", "support", "--at", AT],
    ["datacenters"],
    ["subprocessors"],
    ["--catalog", EXAMPLE_CATALOG, "subprocessors"],
    ["regions", "--at", AT],
    ["catalog", "diff", EXAMPLE_CATALOG, ROOT / "examples" / "catalog-next.toml", "--at", AT],
    ["agreements", "list", "--store", "sqlite3"],
    ["agreements", "history", "--store", "sqlite3"],
    ["agreements", "verify", "--store", "sqlite3"],
]  # fmt: skip


def _answer_args(args: list[Any], files: dict[str, pathlib.Path]) -> list[str]:
    """``args`` with the names of :func:`agreement_files` (``toml``, ``sqlite3``) as paths."""
    return [str(files.get(arg, arg)) if isinstance(arg, str) else str(arg) for arg in args]


@pytest.mark.parametrize("columns", [None, "200", "80", "40"])
@pytest.mark.parametrize("args", PLAIN_ANSWERS, ids=lambda args: "-".join(map(str, args[:2])))
def test_plain_lines_are_those_rich_prints(
    monkeypatch: pytest.MonkeyPatch,
    agreement_files: dict[str, pathlib.Path],
    args: list[Any],
    columns: str | None,
) -> None:
    """An answer on a pipe is the same, character for character, printed plain or by rich.

    On a pipe of the default width nothing folds: the plain lines are printed, and rich is
    not asked for a console at all. Narrower, a part that must fold is rich's to lay out.
    """
    given = _answer_args(args, agreement_files)
    runner = CliRunner(env={"COLUMNS": columns, "FORCE_COLOR": None, "NO_COLOR": "1"})

    def no_console() -> None:
        pytest.fail("rich was asked for a console")

    with monkeypatch.context() as patched:
        if columns is None:
            patched.setattr(_render, "console", no_console)
        plain = runner.invoke(cli, given)
    monkeypatch.setattr(_render, "plain_width", lambda: None)
    by_rich = runner.invoke(cli, given)
    assert plain.exit_code in {0, 1}, plain.output
    assert (plain.exit_code, plain.stdout, plain.stderr) == (
        by_rich.exit_code,
        by_rich.stdout,
        by_rich.stderr,
    )


class _Stdout(io.StringIO):
    """Standard output as :func:`_render.plain_width` sees it: a terminal or not, an encoding."""

    def __init__(self, *, tty: bool, encoding: str | None) -> None:
        super().__init__()
        self.tty = tty
        self._encoding = encoding

    @property
    def encoding(self) -> str | None:  # type: ignore[override]
        """The encoding this output is written in."""
        return self._encoding

    def isatty(self) -> bool:
        """Whether this output is a terminal."""
        return self.tty


@pytest.mark.parametrize(
    ("env", "tty", "encoding", "width"),
    [
        ({}, False, "utf-8", _render.PIPE_WIDTH),
        ({"COLUMNS": ""}, False, "utf-8", _render.PIPE_WIDTH),
        ({"COLUMNS": "80"}, False, "UTF-8", 80),
        ({"COLUMNS": "80"}, False, None, 80),
        ({"COLUMNS": "0"}, False, "utf-8", None),
        ({"COLUMNS": "wide"}, False, "utf-8", None),
        ({}, True, "utf-8", None),
        ({"TTY_COMPATIBLE": "0"}, True, "utf-8", None),
        ({}, False, "latin-1", None),
        ({"FORCE_COLOR": "1"}, False, "utf-8", None),
        ({"FORCE_COLOR": ""}, False, "utf-8", _render.PIPE_WIDTH),
        ({"TTY_COMPATIBLE": "1"}, False, "utf-8", None),
        ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1", "COLUMNS": "90"}, False, "utf-8", 90),
    ],
    ids=[
        "pipe",
        "empty-columns",
        "columns",
        "no-encoding",
        "zero-columns",
        "columns-not-digits",
        "terminal",
        "terminal-not-compatible",
        "latin-1",
        "force-color",
        "force-color-empty",
        "tty-compatible",
        "not-compatible-overrides-force-color",
    ],
)
def test_plain_width_only_where_rich_writes_no_style(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    tty: bool,
    encoding: str | None,
    width: int | None,
) -> None:
    """Plain lines are printed only where rich would write no style, at rich's own width."""
    for name in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdout", _Stdout(tty=tty, encoding=encoding))
    assert _render.plain_width() == width


# --- the installed command ------------------------------------------------------------------------


def test_importing_residency_loads_no_cli_dependency() -> None:
    """`import residency` and answering a question load neither click, rich nor the CLI."""
    script = (
        "import sys, json, residency; residency.default_policy().assign('DE'); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {'click', 'rich'} "
        "or m.startswith('residency.cli'))))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


# What no command below loads, in a fresh interpreter: rich lays out only what goes to a
# terminal or must fold, the agreement store opens only for the commands that read one, and
# the file readers and the columnar libraries load only for files.
NOT_LOADED = {
    "rich",
    "residency.store",
    "sqlite3",
    "residency._files",
    "residency.cli._bulk",
    "residency.cli._changes",
    "csv",
    "pydantic",
    "numpy",
    "pyarrow",
    "pandas",
    "polars",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["where", "DE"], 0),
        (["where", "DE", "--json"], 0),
        (["where", "Hoa Kỳ", "--account", "acme-inc"], 0),
        (["where", "Korea"], 2),
        (["check", "GB", "--from", "linode-uk", "--to", "linode-eu"], 1),
        (["access", "DE", "--consent", "support"], 0),
        (["datacenters"], 0),
        (["subprocessors", "--json"], 0),
        (["regions"], 0),
        (["--help"], 0),
    ],
    ids=lambda value: "-".join(value[:2]) if isinstance(value, list) else None,
)
def test_a_command_loads_only_what_it_needs(args: list[str], code: int) -> None:
    """A command answered on a pipe loads none of NOT_LOADED: no rich, no store, no file reader."""
    script = (
        "import json, sys\n"
        "from residency.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit:\n"
        "    sys.stdout.write(json.dumps([exit.code, sorted(sys.modules)]) + '\\n')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )
    exit_code, loaded = json.loads(result.stdout.splitlines()[-1])
    assert exit_code == code, result.stderr
    assert NOT_LOADED.isdisjoint(loaded), sorted(NOT_LOADED.intersection(loaded))


def installed(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``residency`` console script next to this interpreter."""
    script = pathlib.Path(sys.executable).with_name("residency")
    assert script.exists(), f"{script} is missing: pip install -e '.[cli]'"
    return subprocess.run(  # noqa: S603 - the project's own script, fixed arguments
        [str(script), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )


@pytest.mark.slow
def test_installed_where_json() -> None:
    """The installed command answers `where --json` with the library's placement."""
    result = installed("where", "Hoa Kỳ", "--account", "acme-inc", "--json")
    assert (result.returncode, result.stderr) == (0, "")
    data = json.loads(result.stdout)
    assert data["primary"] == default_policy().assign("US", account_id="acme-inc").primary.id
    assert data["country"] == "US"


@pytest.mark.slow
def test_installed_check_denied_exits_1() -> None:
    """The installed command exits 1 on a denied move and says DENIED on stdout."""
    result = installed("check", "GB", "--from", "linode-uk", "--to", "aws-eu-west-1")
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.startswith("DENIED")


@pytest.mark.slow
def test_installed_error_exits_2_with_one_line() -> None:
    """The installed command exits 2 on bad input with one stderr line and no traceback."""
    result = installed("where", "Korea")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("AmbiguousLocation: 'Korea' fits several countries: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.slow
def test_installed_without_the_extra() -> None:
    """With click blocked from importing, the entry point prints one MissingExtra line, exit 2."""
    script = (
        "import sys; sys.modules['click'] = None; "
        "from residency.cli import main; main(['where', 'DE'])"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (2, "", MISSING_EXTRA + "\n")
