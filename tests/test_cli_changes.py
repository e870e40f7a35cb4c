"""`residency catalog diff`, `plan` and `audit`: the library's answers, printed, on real files.

The catalogs are real files: the bundled one, a TOML variant with one more EU data center (of
a provider new to the region), one more service sub-processor and ``notice_days = 30``, and a
JSON variant whose rule ``uk`` takes in Ireland. Accounts are real CSV files, agreements a
real SQLite store; every expectation is computed with the library itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from tests.hostile import assert_safe, hostile_files

from residency import Agreement, Policy, diff_catalogs, load_policy
from residency.cli import _changes
from residency.cli._app import cli
from residency.store import AgreementStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "src" / "residency" / "data" / "catalog.toml"
AT = "2026-07-01T00:00:00Z"
AT_TIME = datetime(2026, 7, 1, tzinfo=UTC)
WIDTH = 80
ERROR_LINE = re.compile(r"^[A-Za-z]+: ")
HOSTILE_TEXT = "acme\x1b[2J\x9b31m\u202eevil"
"""An escape that clears the screen, a C1 control sequence, and a right-to-left override."""

# Customers in many countries, so that a new EU data center wins some and Ireland has several.
COUNTRIES = ["DE", "FR", "IE", "GB", "US", "SG", "NL", "AT", "Ireland", "JP", "ES", "IT"]
GROWN_EXTRA = """
[[providers]]
id = "hetzner"
legal_name = "Hetzner Online GmbH"
jurisdiction = "DE"

[[data_centers]]
id = "hetzner-eu"
provider = "hetzner"
region = "EU"
location = "Falkenstein"
facility = "abundant-power"

[[subprocessors]]
id = "mailgun"
name = "Mailgun Technologies, Inc."
kind = "service"
role = "Sends LiveAgent's e-mail."
consent_required = false
condition = "May access service data to keep LiveAgent's functions running."

"""


def run(*args: object, input_text: str | None = None, width: int | None = None) -> Result:
    """Run ``residency`` in-process on a pipe (80 columns if ``width``), without colour."""
    columns = str(width) if width else None
    runner = CliRunner(
        env={"COLUMNS": columns, "FORCE_COLOR": None, "NO_COLOR": "1", "RESIDENCY_AGREEMENTS": None}
    )
    return runner.invoke(cli, [str(arg) for arg in args], input=input_text)


def as_json(result: Result, code: int = 0) -> Any:  # noqa: ANN401 - the shape is the command's
    """The one JSON object a run printed, after checking its exit code and empty stderr."""
    assert (result.exit_code, result.stderr) == (code, ""), result.output
    return json.loads(result.stdout)


def error_line(result: Result, name: str) -> str:
    """The one ``name: message`` line of a run that failed with exit 2 and printed nothing."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{name}: "), line
    assert "Traceback" not in result.stderr
    return line


def write_csv(path: Path, rows: Iterable[Iterable[str]], header: Iterable[str]) -> Path:
    """Write a CSV file of ``header`` and ``rows``; return its path."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[list[str]]:
    """The rows of a CSV file, its header first."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def assert_fits(out: str, ids: Iterable[str]) -> None:
    """No line of ``out`` is wider than 80 columns, and each id stands whole on some line."""
    lines = out.splitlines()
    wide = [line for line in lines if cell_len(line) > WIDTH]
    assert not wide, "\n".join(wide)
    for identifier in set(ids):
        whole = re.compile(rf"(?<![\w.-]){re.escape(identifier)}(?![\w-]|\.\w)")
        assert any(whole.search(line) for line in lines), f"{identifier!r} is cut in:\n{out}"


@attrs.frozen
class Catalogs:
    """The catalog files of the tests and their policies."""

    old: Path
    grown: Path
    moved: Path

    def policy(self, path: Path) -> Policy:
        """The policy over one of them."""
        return load_policy(path)


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Catalogs:
    """The bundled catalog, its grown TOML variant and its JSON variant that moves Ireland."""
    folder = tmp_path_factory.mktemp("catalogs")
    text = BUNDLED.read_text(encoding="utf-8")
    grown_text = text.replace(
        'id = "liveagent-2019-10-28"', 'id = "liveagent-grown"\nnotice_days = 30', 1
    )
    marker = "# Sub-processors besides the hosting providers."
    assert marker in grown_text
    grown_text = grown_text.replace(marker, GROWN_EXTRA + marker, 1)
    grown = folder / "grown.toml"
    grown.write_text(grown_text, encoding="utf-8")
    data = tomllib.loads(text)
    data["id"] = "liveagent-ireland-uk"
    (rule,) = [rule for rule in data["rules"] if rule["id"] == "uk"]
    rule["countries"] = [*rule["countries"], "IE"]
    moved = folder / "moved.json"
    moved.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return Catalogs(old=BUNDLED, grown=grown, moved=moved)


def accounts(count: int = 240) -> list[tuple[str, str]]:
    """Accounts spread over the countries, with ids of their own."""
    return [(f"acct-{number:04d}", COUNTRIES[number % len(COUNTRIES)]) for number in range(count)]


@pytest.fixture
def accounts_csv(tmp_path: Path) -> Path:
    """The accounts as a CSV file of account_id and country."""
    return write_csv(tmp_path / "accounts.csv", accounts(), ("account_id", "country"))


# --- catalog diff ---------------------------------------------------------------------------------


def test_diff_lists_every_change_and_the_notices(catalogs: Catalogs) -> None:
    """Old to grown: one line per change, the added ids, then a notice per new sub-processor."""
    result = run("catalog", "diff", catalogs.old, catalogs.grown, "--at", AT, width=WIDTH)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Catalog liveagent-2019-10-28 -> liveagent-grown: 4 changes"
    rows = [line.split() for line in lines if line.split()[:1] and "-" in line.split()[0]]
    assert [" ".join(row) for row in rows if row[0].endswith(("added", "changed"))] == [
        "provider-added providers.hetzner none -> hetzner",
        "data-center-added data_centers.hetzner-eu none -> hetzner-eu",
        "subprocessor-added subprocessors.mailgun none -> mailgun",
        "notice-days-changed notice_days not stated in source -> 30 days",
    ]
    out = result.stdout
    mailgun = out[out.index("mailgun (added)") : out.index("hetzner (added)")]
    assert "Name      Mailgun Technologies, Inc." in mailgun
    assert "Function  Sends LiveAgent's e-mail." in mailgun
    assert "Tell      all customers" in mailgun
    assert "Window    30 days to object" in mailgun
    assert "May access service data to keep LiveAgent's functions running." in mailgun
    hetzner = out[out.index("hetzner (added)") :]
    assert "Tell      customers of EU" in hetzner
    assert "hetzner-eu (Falkenstein)" in hetzner
    assert "Window    30 days to object" in hetzner
    assert_fits(out, ["hetzner-eu", "data_centers.hetzner-eu", "subprocessors.mailgun"])


def test_diff_the_other_way_lists_removals_and_no_notice(catalogs: Catalogs) -> None:
    """Grown to old: every addition is a removal, the window goes, and no one is to be told."""
    result = run("catalog", "diff", catalogs.grown, catalogs.old, "--at", AT, width=WIDTH)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    rows = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for row in (
        "provider-removed providers.hetzner hetzner -> none",
        "data-center-removed data_centers.hetzner-eu hetzner-eu -> none",
        "subprocessor-removed subprocessors.mailgun mailgun -> none",
        "notice-days-changed notice_days 30 days -> not stated in source",
    ):
        assert row in rows
    assert "No notices: no sub-processor is added or replaced." in rows
    assert "to object" not in result.stdout


def test_diff_names_the_country_that_moves(catalogs: Catalogs) -> None:
    """A rule that takes in Ireland is one change: the country, its old and new region and rule."""
    result = run("catalog", "diff", catalogs.old, catalogs.moved, "--at", AT, width=WIDTH)
    assert result.exit_code == 0
    rows = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "country-region-changed countries.IE Ireland: EU (rule eu-eea) -> UK (rule uk)" in rows
    assert rows[0] == "Catalog liveagent-2019-10-28 -> liveagent-ireland-uk: 1 change"


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_diff_json_is_the_library_diff(catalogs: Catalogs, direction: str) -> None:
    """`catalog diff --json` prints CatalogDiff.to_dict(): its keys, each change's four fields."""
    old, new = (catalogs.old, catalogs.grown)[:: 1 if direction == "forward" else -1]
    data = as_json(run("catalog", "diff", old, new, "--at", AT, "--json"))
    assert list(data) == ["from_catalog", "to_catalog", "at", "changes", "notices"]
    expected = diff_catalogs(load_policy(old), load_policy(new), at=AT_TIME).to_dict()
    assert data == expected
    assert data["at"] == "2026-07-01T00:00:00+00:00"
    assert all(list(change) == ["kind", "path", "old", "new"] for change in data["changes"])
    notices = [(notice["subprocessor"], notice["customers"]) for notice in data["notices"]]
    assert notices == ([("mailgun", "all"), ("hetzner", "regions")] if old == BUNDLED else [])


def test_same_catalog_has_no_changes(catalogs: Catalogs) -> None:
    """A catalog compared with itself has no change and no notice."""
    result = run("catalog", "diff", catalogs.grown, catalogs.grown, "--at", AT)
    assert result.exit_code == 0
    assert "No changes: liveagent-grown places every account as liveagent-grown does." in (
        result.stdout
    )
    assert as_json(run("catalog", "diff", catalogs.old, catalogs.old, "--json"))["changes"] == []


def test_a_new_placement_scheme_is_a_loud_first_line(capsys: pytest.CaptureFixture[str]) -> None:
    """When the placement scheme changes, the first line warns that every account may move."""
    old = load_policy(BUNDLED)
    new = Policy(attrs.evolve(old.catalog, id="next", placement="rendezvous-sha256-v2"))
    _changes.diff(old, new, at=AT_TIME, as_json=False)
    out = capsys.readouterr().out
    first = " ".join(out.split("\n\n")[0].split())  # the first paragraph, however wrapped
    assert out.startswith("WARNING: the placement scheme changes")
    assert first.startswith(
        "WARNING: the placement scheme changes (rendezvous-blake2b-v1 -> rendezvous-sha256-v2)"
    )
    assert "every account's order of data centers may change" in first


def test_diff_of_an_invalid_catalog_is_one_error_line(tmp_path: Path, catalogs: Catalogs) -> None:
    """An OLD or NEW that is no catalog is one CatalogError line and exit 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n', encoding="utf-8")
    for args in ([bad, catalogs.old], [catalogs.old, bad]):
        error_line(run("catalog", "diff", *args), "CatalogError")


# --- plan -----------------------------------------------------------------------------------------


def expected_moves(old: Policy, new: Policy, rows: Iterable[tuple[str, str]]) -> list[str]:
    """The accounts whose region or primary differ between the two catalogs' assign."""
    moved = []
    for account, location in rows:
        was = old.assign(location, account_id=account, at=AT_TIME)
        now = new.assign(location, account_id=account, at=AT_TIME)
        if (was.region, was.primary.id) != (now.region, now.primary.id):
            moved.append(account)
    return moved


@pytest.mark.parametrize("variant", ["grown", "moved"])
def test_plan_moves_exactly_the_accounts_assign_moves(
    catalogs: Catalogs, accounts_csv: Path, variant: str
) -> None:
    """Every move is an account whose assign primary differs, with both ends and a verdict."""
    new_path = getattr(catalogs, variant)
    old, new = catalogs.policy(catalogs.old), catalogs.policy(new_path)
    data = as_json(run("plan", catalogs.old, new_path, accounts_csv, "--at", AT, "--json"))
    assert list(data) == [
        "from_catalog",
        "to_catalog",
        "at",
        "summary",
        "moves",
        "notices",
        "unresolvable",
    ]
    expected = expected_moves(old, new, accounts())
    assert expected  # the variants do move someone
    assert [move["account_id"] for move in data["moves"]] == expected
    for move in data["moves"]:
        location = dict(accounts())[move["account_id"]]
        was = old.assign(location, account_id=move["account_id"], at=AT_TIME)
        now = new.assign(location, account_id=move["account_id"], at=AT_TIME)
        assert (move["from_region"], move["from_primary"]) == (was.region, was.primary.id)
        assert (move["to_region"], move["to_primary"]) == (now.region, now.primary.id)
        in_region = was.region == now.region
        assert move["verdict"] == ("allowed" if in_region else "blocked")
        assert move["agreement"] is None
        assert move["reason"].startswith("Allowed: " if in_region else "Denied: ")
    summary = data["summary"]
    assert summary["accounts"] == 240
    assert summary["moving"] == len(expected)
    assert summary["staying"] == 240 - len(expected)
    assert summary["allowed"] + summary["blocked"] == len(expected)
    assert summary["unresolvable"] == 0
    assert data["unresolvable"] == []
    notices = diff_catalogs(old, new, at=AT_TIME).notices
    assert data["notices"] == [notice.to_dict() for notice in notices]
    assert (data["from_catalog"], data["to_catalog"]) == (old.catalog.id, new.catalog.id)


def test_plan_output_is_every_move_as_csv(
    catalogs: Catalogs, accounts_csv: Path, tmp_path: Path
) -> None:
    """`plan -o FILE` writes a header and one row per move, in the columns of the JSON."""
    target = tmp_path / "moves.csv"
    args = ["plan", catalogs.old, catalogs.moved, accounts_csv, "--at", AT]
    data = as_json(run(*args, "--json", "-o", target))
    rows = read_csv(target)
    assert rows[0] == [
        "account_id",
        "from_region",
        "to_region",
        "from_primary",
        "to_primary",
        "verdict",
        "reason",
        "agreement",
    ]
    assert len(rows) == 1 + len(data["moves"]) == 1 + 40  # IE and Ireland: 2 in 12
    for row, move in zip(rows[1:], data["moves"], strict=True):
        assert row == [move[name] or "" for name in rows[0]]
    out = run(*args, "-o", target, width=WIDTH).stdout
    assert "".join(out.split()).endswith(f"Wrote40movesto{target}.")  # a long path wraps


def test_plan_in_tables_counts_and_shows_the_blocked_moves(
    catalogs: Catalogs, accounts_csv: Path
) -> None:
    """The table output sums the plan up, counts per region and data center, lists blocked moves."""
    old, new = catalogs.policy(catalogs.old), catalogs.policy(catalogs.moved)
    plan = old.plan_migration(new, accounts(), at=AT_TIME)
    result = run("plan", catalogs.old, catalogs.moved, accounts_csv, "--at", AT, width=WIDTH)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    out = result.stdout
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert "Accounts 240" in rows
    assert f"Blocked {len(plan.blocked)} (out of the home region, no agreement in force)" in rows
    eu, uk = plan.regions["EU"], plan.regions["UK"]
    assert f"EU {eu['moving_out']} {eu['moving_in']} {eu['staying']}" in rows
    assert f"UK {uk['moving_out']} {uk['moving_in']} {uk['staying']}" in rows
    for name, counts in plan.data_centers.items():
        assert f"{name} {counts['moving_out']} {counts['moving_in']} {counts['staying']}" in rows
    blocked = out[out.index("Blocked moves") :]
    for move in plan.blocked:
        assert re.search(rf"^{move.account_id}\s+{move.from_primary} \(EU\)", blocked, re.MULTILINE)
    ids = [move.account_id for move in plan.moves] + list(plan.data_centers)
    assert_fits(out, ids)


def test_plan_of_the_grown_catalog_shows_its_notices(
    catalogs: Catalogs, accounts_csv: Path
) -> None:
    """A plan to a catalog with new sub-processors ends with the notices customers are owed."""
    result = run("plan", catalogs.old, catalogs.grown, accounts_csv, "--at", AT, width=WIDTH)
    assert result.exit_code == 0
    out = result.stdout
    assert "mailgun (added)" in out
    assert "hetzner (added)" in out
    assert out.count("30 days to object") == 2
    assert "Blocked moves" not in out  # a new EU data center moves accounts within EU only


def test_plan_reads_where_accounts_are_and_renamed_columns(
    catalogs: Catalogs, tmp_path: Path
) -> None:
    """A data center column sets where an account is now; the options rename every column."""
    source = write_csv(
        tmp_path / "c.csv",
        [["a-1", "Ireland", "linode-us"], ["a-2", "IE", ""], ["a-3", "Atlantis", ""]],
        ("kunde", "land", "rechenzentrum"),
    )
    args = ["plan", catalogs.old, catalogs.moved, source, "--at", AT, "--json"]
    names = ["--account-column", "kunde", "--location-column", "land"]
    data = as_json(run(*args, *names, "--data-center-column", "rechenzentrum"))
    first, second = data["moves"]
    assert (first["account_id"], first["from_primary"], first["from_region"]) == (
        "a-1",
        "linode-us",
        "US",
    )
    old = catalogs.policy(catalogs.old)
    assert second["from_primary"] == old.assign("IE", account_id="a-2", at=AT_TIME).primary.id
    (unresolvable,) = data["unresolvable"]
    assert (unresolvable["account_id"], unresolvable["error"]) == ("a-3", "UnknownLocation")
    line = error_line(run(*args, *names, "--data-center-column", "dc"), "MissingColumn")
    assert "the file has no column 'dc'" in line
    assert "name it with --data-center-column" in line


@pytest.mark.parametrize(
    ("header", "option", "column"),
    [
        (("id", "country"), "--account-column", "account_id"),
        (("account_id", "land"), "--location-column", "country"),
    ],
    ids=["account", "location"],
)
def test_plan_missing_column_is_one_error_line(
    catalogs: Catalogs, tmp_path: Path, header: tuple[str, str], option: str, column: str
) -> None:
    """A required column the header lacks is one MissingColumn line, exit 2, nothing printed."""
    source = write_csv(tmp_path / "c.csv", [["a-1", "DE"]], header)
    line = error_line(run("plan", catalogs.old, catalogs.moved, source), "MissingColumn")
    assert f"the file has no column '{column}'" in line
    assert f"name it with {option}" in line


@pytest.mark.parametrize("which", ["accounts", "old", "new"])
def test_plan_never_writes_over_an_input(
    catalogs: Catalogs, accounts_csv: Path, tmp_path: Path, which: str
) -> None:
    """`-o` naming the accounts file or a catalog is refused before anything is written."""
    old = tmp_path / "old.toml"
    old.write_bytes(catalogs.old.read_bytes())
    new = tmp_path / "new.json"
    new.write_bytes(catalogs.moved.read_bytes())
    target = {"accounts": accounts_csv, "old": old, "new": new}[which]
    before = target.read_bytes()
    result = run(
        "plan", old, new, accounts_csv, "-o", tmp_path / ".." / tmp_path.name / target.name
    )
    line = error_line(result, "FileError")
    assert "the output is the same file as the input" in line
    assert target.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "accounts.csv",
        "new.json",
        "old.toml",
    ]


def test_plan_reads_standard_input(catalogs: Catalogs) -> None:
    """A dash reads the accounts from standard input."""
    text = "account_id,country\nacct-0002,IE\n"
    data = as_json(run("plan", catalogs.old, catalogs.moved, "-", "--json", input_text=text))
    assert [(move["account_id"], move["verdict"]) for move in data["moves"]] == [
        ("acct-0002", "blocked")
    ]


def test_an_agreement_in_a_store_turns_a_blocked_move_into_agreement(
    catalogs: Catalogs, accounts_csv: Path, tmp_path: Path
) -> None:
    """With --agreements STORE, the account with an agreement to UK moves under it; no other."""
    store = tmp_path / "agreements.sqlite3"
    agreement = Agreement(
        id="agr-ie-1",
        account_id="acct-0002",
        destinations=["UK"],
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        basis="dpa-amendment",
        reference="DPA amendment no. 7",
    )
    with AgreementStore(store, policy=catalogs.policy(catalogs.moved)) as opened:
        opened.add(agreement, actor="alice", note="the customer agreed")
    args = ["plan", catalogs.old, catalogs.moved, accounts_csv, "--at", AT]
    without = {move["account_id"]: move for move in as_json(run(*args, "--json"))["moves"]}
    assert without["acct-0002"]["verdict"] == "blocked"
    data = as_json(run(*args, "--json", "--agreements", store))
    moves = {move["account_id"]: move for move in data["moves"]}
    assert (moves["acct-0002"]["verdict"], moves["acct-0002"]["agreement"]) == (
        "agreement",
        "agr-ie-1",
    )
    assert "agr-ie-1" in moves["acct-0002"]["reason"]
    changed = [key for key in moves if moves[key]["verdict"] != without[key]["verdict"]]
    assert changed == ["acct-0002"]
    assert (data["summary"]["agreement"], data["summary"]["blocked"]) == (1, 39)
    out = run(*args, "--agreements", store).stdout
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert f"Agreements {store} (1 agreement)" in rows
    assert "Agreement 1 (out of the home region, under an agreement)" in rows
    blocked = out[out.index("Blocked moves") :]
    assert "acct-0002" not in blocked
    assert "acct-0014" in blocked


# --- audit ----------------------------------------------------------------------------------------


def audit_csv(folder: Path, rows: list[list[str]]) -> Path:
    """An audit's accounts file."""
    return write_csv(folder / "where.csv", rows, ("account_id", "country", "data_center"))


def test_audit_with_a_misplaced_account_exits_1_and_shows_it(tmp_path: Path) -> None:
    """A misplaced account: exit 1, its row in full, the counts per region and in total."""
    primary = load_policy(BUNDLED).assign("DE", account_id="a-1", at=AT_TIME).primary.id
    source = audit_csv(
        tmp_path, [["a-1", "DE", primary], ["a-2", "DE", "linode-us"], ["a-3", "GB", "linode-uk"]]
    )
    result = run("audit", source, "--at", AT, width=WIDTH)
    assert (result.exit_code, result.stderr) == (1, ""), result.output
    out = result.stdout
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert rows[0] == "NOT CLEAN 1 misplaced, 0 unresolvable of 3 accounts"
    assert "EU 1 0 0 1 0" in rows
    assert "UK 1 0 0 0 0" in rows
    assert "Total 2 0 0 1 0" in rows
    misplaced = out[out.index("Misplaced: ") :]
    assert re.search(
        r"^a-2\s+linode-us\s+EU\s+Denied: linode-us is in region US", misplaced, re.MULTILINE
    )
    assert_fits(out, ["a-2", "linode-us", "liveagent-2019-10-28"])


def test_audit_of_a_clean_base_exits_0(tmp_path: Path) -> None:
    """Every account on a data center of its region: CLEAN, exit 0."""
    source = audit_csv(tmp_path, [["a-1", "DE", "aws-eu-west-1"], ["a-2", "US", "linode-us"]])
    result = run("audit", source, "--at", AT)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "CLEAN  all 2 accounts are where they may be"
    assert "Misplaced" not in result.stdout.replace("Misplaced  Unresolvable", "")


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (["a-2", "Atlantis", "linode-eu"], "UnknownLocation"),
        (["a-2", "DE", "linode-zz"], "UnknownDataCenter"),
        (["", "DE", "linode-eu"], "InvalidAccount"),
    ],
    ids=["location", "data-center", "account"],
)
def test_audit_with_an_unresolvable_account_exits_1(
    tmp_path: Path, row: list[str], error: str
) -> None:
    """An account not known to be in place is not in place: exit 1, its error listed."""
    source = audit_csv(tmp_path, [["a-1", "DE", "linode-eu"], row])
    result = run("audit", source, "--at", AT, width=WIDTH)
    assert (result.exit_code, result.stderr) == (1, ""), result.output
    unresolvable = result.stdout[result.stdout.index("Unresolvable: ") :]
    assert f"{error}: " in unresolvable
    data = as_json(run("audit", source, "--at", AT, "--json"), code=1)
    assert data["summary"]["unresolvable"] == 1
    assert [item["error"] for item in data["unresolvable"]] == [error]


def test_audit_json_is_the_report(tmp_path: Path) -> None:
    """`audit --json` prints AuditReport.to_dict(): summary, regions, the rows in full."""
    rows = [
        ["a-1", "DE", "linode-eu"],
        ["a-2", "DE", "linode-us"],
        ["a-3", "Atlantis", "linode-eu"],
        ["a-4", "FR", "aws-eu-west-1"],
    ]
    source = audit_csv(tmp_path, rows)
    data = as_json(run("audit", source, "--at", AT, "--json"), code=1)
    report = load_policy(BUNDLED).audit([tuple(row) for row in rows], at=AT_TIME)
    assert data == report.to_dict()
    assert list(data) == ["catalog", "at", "summary", "regions", "misplaced", "unresolvable"]
    assert list(data["summary"]) == [
        "in_place",
        "in_region",
        "under_agreement",
        "misplaced",
        "unresolvable",
    ]
    assert sum(data["summary"].values()) == 4
    (misplaced,) = data["misplaced"]
    assert (misplaced["account_id"], misplaced["data_center"], misplaced["region"]) == (
        "a-2",
        "linode-us",
        "EU",
    )
    assert misplaced["reason"].startswith("Denied: linode-us is in region US")


def test_audit_output_is_every_row_with_its_status(tmp_path: Path) -> None:
    """`audit -o FILE` writes every account with its status, region, primary and reason."""
    rows = [["a-1", "DE", "linode-eu"], ["a-2", "DE", "linode-us"], ["a-3", "XX", "linode-eu"]]
    source = audit_csv(tmp_path, rows)
    target = tmp_path / "audit.csv"
    result = run("audit", source, "--at", AT, "-o", target)
    assert result.exit_code == 1
    written = read_csv(target)
    assert written[0] == [
        "account_id",
        "location",
        "data_center",
        "status",
        "region",
        "primary",
        "reason",
        "agreement",
        "error",
    ]
    report = load_policy(BUNDLED).audit([tuple(row) for row in rows], at=AT_TIME)
    assert [row[:4] for row in written[1:]] == [
        [row.account_id, row.location, row.data_center, row.status.value] for row in report.rows
    ]
    assert written[3][3:] == [
        "unresolvable",
        "",
        "",
        report.rows[2].reason,
        "",
        "UnknownLocation",
    ]
    error_line(run("audit", source, "-o", source), "FileError")
    assert read_csv(source)[1:] == rows


def test_audit_needs_the_data_center_column(tmp_path: Path) -> None:
    """An audit without the data center column is one MissingColumn line, exit 2."""
    source = write_csv(tmp_path / "c.csv", [["a-1", "DE"]], ("account_id", "country"))
    line = error_line(run("audit", source), "MissingColumn")
    assert "the file has no column 'data_center'" in line


def test_audit_takes_the_catalog_in_use_and_an_agreements_store(
    catalogs: Catalogs, tmp_path: Path
) -> None:
    """--catalog (after the command too) is the catalog audited; a store's agreement is used."""
    source = audit_csv(tmp_path, [["a-1", "IE", "aws-eu-west-1"], ["a-2", "IE", "linode-uk"]])
    old = as_json(run("audit", source, "--at", AT, "--json"), code=1)
    assert [row["account_id"] for row in old["misplaced"]] == ["a-2"]
    moved = as_json(run("audit", source, "--at", AT, "--json", "--catalog", catalogs.moved), 1)
    assert [row["account_id"] for row in moved["misplaced"]] == ["a-1"]
    store = tmp_path / "agreements.sqlite3"
    agreement = Agreement(
        id="agr-2", account_id="a-2", destinations=["linode-uk"], valid_from=AT_TIME
    )
    with AgreementStore(store) as opened:
        opened.add(agreement, actor="alice")
    data = as_json(run("audit", source, "--at", AT, "--json", "--agreements", store))
    assert data["summary"]["under_agreement"] == 1
    assert data["misplaced"] == []


def test_help_says_what_the_exit_codes_mean() -> None:
    """`audit --help` says exit 1 comes of a misplaced or an unresolvable account."""
    result = run("audit", "--help", width=WIDTH)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Exit 1 when any account is misplaced or unresolvable" in text
    assert "an account not known to be in place is not in place" in text
    for args in (["plan", "--help"], ["catalog", "diff", "--help"]):
        assert run(*args).stdout.startswith("Usage: residency ")


# --- hostile input --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The hostile corpus in a folder of its own."""
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hostile_files(folder)


# The places a hostile file is given: (id, the arguments, given the file and the catalogs)
HOSTILE_PLACES: dict[str, Callable[[Path, Catalogs], list[object]]] = {
    "plan-accounts": lambda path, c: ["plan", c.old, c.moved, path],
    "plan-old": lambda path, c: ["plan", path, c.moved, c.old],
    "plan-new": lambda path, c: ["plan", c.old, path, c.old],
    "plan-agreements": lambda path, c: ["plan", c.old, c.moved, "-", "--agreements", path],
    "audit-accounts": lambda path, _: ["audit", path],
    "audit-catalog": lambda path, _: ["audit", "-", "--catalog", path],
    "audit-agreements": lambda path, _: ["audit", "-", "--agreements", path],
    "diff-old": lambda path, c: ["catalog", "diff", path, c.old],
}
# A byte order mark before an empty agreements file is a valid one.
READABLE = {("bom", "plan-agreements"), ("bom", "audit-agreements")}
STREAMED = ("fifo", "dev-zero")
"""Those that block when read as a stream: refused by the installed command (test_cli_hostile)."""


@pytest.mark.parametrize("place", list(HOSTILE_PLACES))
def test_a_hostile_file_is_refused_in_one_line(
    corpus: tuple[Path, dict[str, Path]], catalogs: Catalogs, tmp_path: Path, place: str
) -> None:
    """Every hostile file, wherever given, is exit 2 and one short line, with nothing leaked."""
    folder, files = corpus
    before = sorted(path.name for path in folder.iterdir())
    accounts_text = "account_id,country,data_center\na-1,DE,linode-eu\n"
    for case, path in files.items():
        if case in STREAMED:
            continue
        args = [*HOSTILE_PLACES[place](path, catalogs), "-o", tmp_path / "out.csv"]
        result = run(*args, input_text=accounts_text)
        assert_safe(result.stdout, result.stderr)
        if (case, place) in READABLE:
            assert result.exit_code == 0, result.output
            (tmp_path / "out.csv").unlink()
            continue
        assert result.exit_code == 2, f"{case}: {result.output[:300]}"
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert ERROR_LINE.match(line), line[:200]
        assert len(line) <= 500, line[:200]
        assert not (tmp_path / "out.csv").exists()
    assert sorted(path.name for path in folder.iterdir()) == before


@pytest.mark.parametrize("as_json_flag", [False, True], ids=["table", "json"])
def test_control_characters_in_accounts_never_reach_the_terminal(
    catalogs: Catalogs, tmp_path: Path, as_json_flag: bool
) -> None:
    """Account ids and locations with escapes are printed escaped, in tables and in JSON."""
    rows = [[HOSTILE_TEXT, "IE", "linode-us"], ["a-2", HOSTILE_TEXT, "linode-eu"]]
    source = audit_csv(tmp_path, rows)
    flag = ["--json"] if as_json_flag else []
    for args in (["audit", source, *flag], ["plan", catalogs.old, catalogs.moved, source, *flag]):
        result = run(*args, "--at", AT, width=WIDTH)
        assert result.exit_code in {0, 1}, result.output
        assert_safe(result.stdout, result.stderr)
        assert "acme\\x1b[2J" in result.stdout or "acme\\u001b[2J" in result.stdout
    target = tmp_path / "out.csv"
    run("audit", source, "-o", target)
    assert read_csv(target)[1][0] == HOSTILE_TEXT  # a file keeps the cells as they were read
