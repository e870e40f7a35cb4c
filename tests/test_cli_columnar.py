"""`assign`, `audit` and `plan` on the columnar path, and Parquet files read as CSV files are."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from residency import _bulk, default_policy
from residency.cli import _bulk as _cli_bulk
from residency.cli._app import cli

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ROOT / "examples" / "accounts.csv"
OLD = ROOT / "src" / "residency" / "data" / "catalog.toml"
NEW = ROOT / "examples" / "catalog-next.toml"
AT = ("--at", "2026-07-01T00:00:00Z")
AT_TIME = datetime(2026, 7, 1, tzinfo=UTC)

GOOD = ["DE", " fr ", "Germany", "Hoa Kỳ", "US-GA", "FR-NC", "276", "JPN", "Anh Quốc", "Brasil"]
BAD = ["Atlantis", "", "Korea", "AQ", "US-ZZ", "\x07", "x" * 300]


def run(*args: str | Path, input_text: str | None = None) -> Result:
    """Run ``residency`` in-process, without colour."""
    runner = CliRunner(env={"COLUMNS": "80", "FORCE_COLOR": None, "NO_COLOR": "1"})
    return runner.invoke(cli, [str(arg) for arg in args], input=input_text)


def generated(path: Path, count: int = 25_000) -> Path:
    """A CSV file of good and bad locations, empty and missing accounts, and short rows."""
    chooser = random.Random(20261201)  # noqa: S311 - test data, not secrets
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "country", "account"])
        for number in range(count):
            location = chooser.choice(BAD) if number % 7 == 0 else chooser.choice(GOOD)
            row = [str(number), location, f"account-{number}" if number % 11 else ""]
            writer.writerow(row[:2] if number % 13 == 0 else row)
    return path


@pytest.fixture(params=[False, True], ids=["rows", "columns"])
def forced(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """The path forced for the test: row by row, or in columns."""
    monkeypatch.setattr(_cli_bulk, "_COLUMNAR", request.param)
    return bool(request.param)


def both_paths(monkeypatch: pytest.MonkeyPatch, *args: str | Path) -> list[Result]:
    """The command run on the row path and on the columnar path, in that order."""
    results = []
    for columnar in (False, True):
        monkeypatch.setattr(_cli_bulk, "_COLUMNAR", columnar)
        results.append(run(*args))
    return results


def outcome(result: Result) -> tuple[int, str, str]:
    """What a run printed and how it ended."""
    return result.exit_code, result.stdout, result.stderr


# --- assign: the two paths write the same bytes ------------------------------------------------

ASSIGN_RUNS = {
    "accounts-csv": [ACCOUNTS, "--account-column", "account_id"],
    "accounts-json": [ACCOUNTS, "--account-column", "account_id", "--json"],
    "no-account-csv": [ACCOUNTS],
    "no-account-json": [ACCOUNTS, "--json"],
    "same-column": [ACCOUNTS, "--account-column", "country"],
    "data-center-as-location": [ACCOUNTS, "--column", "data_center"],
}


@pytest.mark.parametrize("args", ASSIGN_RUNS.values(), ids=ASSIGN_RUNS.keys())
def test_both_paths_write_the_same_bytes_for_the_examples(
    monkeypatch: pytest.MonkeyPatch, args: list[str | Path]
) -> None:
    """`assign` writes byte for byte the same on either path, exit code and stderr included."""
    rows, columns = both_paths(monkeypatch, "assign", *args, *AT)
    assert outcome(columns) == outcome(rows)
    assert rows.stdout


@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "json"])
@pytest.mark.parametrize("accounts", [False, True], ids=["no-accounts", "accounts"])
def test_both_paths_write_the_same_bytes_with_bad_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool, accounts: bool
) -> None:
    """Bad, unknown, ambiguous and empty locations, empty accounts, short rows: the same bytes."""
    source = generated(tmp_path / "customers.csv")
    args: list[str | Path] = [
        *("assign", source, *AT),
        *(["--account-column", "account"] if accounts else []),
        *(["--json"] if as_json else []),
    ]
    rows, columns = both_paths(monkeypatch, *args)
    assert outcome(columns) == outcome(rows)
    assert rows.exit_code == 2
    assert rows.stderr.startswith("BadRows: ")


def test_both_paths_write_the_same_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With -o FILE, the file written on either path holds the same bytes."""
    source = generated(tmp_path / "customers.csv", 3_000)
    written = []
    for columnar in (False, True):
        monkeypatch.setattr(_cli_bulk, "_COLUMNAR", columnar)
        target = tmp_path / f"out-{columnar}.csv"
        result = run("assign", source, "--account-column", "account", "-o", target, *AT)
        assert result.exit_code == 2
        written.append(target.read_bytes())
    assert written[0] == written[1]


def test_the_placers_answer_alike() -> None:
    """place_rows and place_columns give every row the same answer, data centers included."""
    chooser = random.Random(7)  # noqa: S311 - test data, not secrets
    values = [chooser.choice(GOOD + BAD) for _ in range(5_000)]
    accounts = [chooser.choice(["", "a", "b", f"acct-{chooser.random()}"]) for _ in values]
    policy = default_policy()
    for given in (accounts, None):
        plain = _bulk.place_rows(policy, values, given, AT_TIME, True)  # noqa: FBT003
        fast = _bulk.place_columns(policy, values, given, AT_TIME, True)  # noqa: FBT003
        assert [_listed(answer) for answer in fast] == [_listed(answer) for answer in plain]


def _listed(answer: _bulk.Answer) -> object:
    return answer if isinstance(answer, str) else (*answer[:3], list(answer[3]))


def test_a_lone_surrogate_is_placed_as_on_the_row_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell that no UTF-8 holds (decoded by unicode_escape) is answered as row by row."""
    text = "country,account\nDE,a\\ud800\n\\udc00,b\n"
    results = []
    for columnar in (False, True):
        monkeypatch.setattr(_cli_bulk, "_COLUMNAR", columnar)
        args = ["assign", "-", "--encoding", "unicode_escape", "--account-column", "account"]
        results.append(run(*args, *AT, "--json", input_text=text))
    assert outcome(results[0]) == outcome(results[1])


def test_the_columnar_path_is_chosen_for_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Left to choose, accounts or Parquet go in columns; without numpy or pyarrow, rows."""
    assert _cli_bulk.placer(accounts=True) is _bulk.place_columns
    assert _cli_bulk.placer(accounts=False, parquet=True) is _bulk.place_columns
    assert _cli_bulk.placer(accounts=False) is _bulk.place_rows
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert not _cli_bulk.columnar_installed()
    assert _cli_bulk.placer(accounts=True) is _bulk.place_rows


# --- Parquet in: the same answers as the same rows in CSV --------------------------------------


def to_parquet(source: Path, target: Path) -> Path:
    """``source`` (CSV) written as Parquet, every column of strings."""
    with source.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    width = len(header)
    rows = [row + [""] * (width - len(row)) for row in rows]
    columns = [pa.array([row[at] for row in rows], type=pa.string()) for at in range(width)]
    pq.write_table(pa.table(columns, names=header), target)
    return target


@pytest.mark.usefixtures("forced")
@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "json"])
def test_parquet_assigns_as_the_same_rows_in_csv(tmp_path: Path, as_json: bool) -> None:
    """`assign` of a Parquet file writes what `assign` of the same rows as CSV writes."""
    source = tmp_path / "accounts.csv"
    source.write_bytes(ACCOUNTS.read_bytes())
    parquet = to_parquet(source, tmp_path / "accounts.parquet")
    args = ["--account-column", "account_id", *AT, *(["--json"] if as_json else [])]
    assert outcome(run("assign", parquet, *args)) == outcome(run("assign", source, *args))


def test_parquet_is_known_by_its_content(tmp_path: Path) -> None:
    """A Parquet file named .csv is read as Parquet: its first bytes say so."""
    parquet = to_parquet(ACCOUNTS, tmp_path / "accounts.csv")
    result = run("assign", parquet, "--account-column", "account_id", *AT)
    assert outcome(result) == outcome(
        run("assign", ACCOUNTS, "--account-column", "account_id", *AT)
    )


def test_parquet_columns_of_integers_and_nulls(tmp_path: Path) -> None:
    """Integer columns are read as their digits, and a null cell as an empty one."""
    table = pa.table(
        {
            "id": pa.array([1, 2, None], type=pa.int64()),
            "country": pa.array(["DE", None, "276"], type=pa.string()).dictionary_encode(),
        }
    )
    pq.write_table(table, tmp_path / "c.parquet")
    csv_text = "id,country\n1,DE\n2,\n,276\n"
    parquet = run("assign", tmp_path / "c.parquet", *AT)
    assert outcome(parquet) == outcome(run("assign", "-", *AT, input_text=csv_text))


@pytest.mark.usefixtures("forced")
@pytest.mark.parametrize("command", ["audit", "plan"])
def test_parquet_audits_and_plans_as_the_same_rows_in_csv(tmp_path: Path, command: str) -> None:
    """`audit` and `plan` of a Parquet file answer as of the same rows in CSV, -o FILE included."""
    parquet = to_parquet(ACCOUNTS, tmp_path / "accounts.parquet")
    catalogs = [OLD, NEW] if command == "plan" else []
    answers = []
    for source, name in ((ACCOUNTS, "csv"), (parquet, "parquet")):
        target = tmp_path / f"{name}-out.csv"
        json_run = run(command, *catalogs, source, *AT, "--json", "-o", target)
        table_run = run(command, *catalogs, source, *AT)
        answers.append((outcome(json_run), outcome(table_run), target.read_bytes()))
    assert answers[0] == answers[1]
    (json_answer, _, _), _ = answers
    assert json.loads(json_answer[1])


def test_audit_takes_other_column_names_from_parquet(tmp_path: Path) -> None:
    """Column options name the columns of a Parquet file as of a CSV file."""
    table = pa.table(
        {"kunde": ["a", "b"], "land": ["DE", "Japan"], "dc": ["linode-eu", "linode-us"]}
    )
    pq.write_table(table, tmp_path / "a.parquet")
    text = "kunde,land,dc\na,DE,linode-eu\nb,Japan,linode-us\n"
    options = [
        "--account-column",
        "kunde",
        "--location-column",
        "land",
        "--data-center-column",
        "dc",
    ]
    parquet = run("audit", tmp_path / "a.parquet", *options, *AT, "--json")
    assert parquet.exit_code == 1
    assert outcome(parquet) == outcome(run("audit", "-", *options, *AT, "--json", input_text=text))


# --- Parquet that cannot be read: one line, exit 2, nothing written ---------------------------


def _bad_parquet(tmp_path: Path, case: str) -> Path:
    whole = to_parquet(ACCOUNTS, tmp_path / "whole.parquet").read_bytes()
    target = tmp_path / "x.parquet"
    if case == "truncated":
        target.write_bytes(whole[: len(whole) // 2])
    elif case == "corrupt":
        middle = len(whole) - 200
        target.write_bytes(whole[:middle] + bytes(150) + whole[middle + 150 :])
    elif case == "pages":
        target.write_bytes(whole[:4] + b"\xff" * 200 + whole[204:])
    elif case == "footer":
        target.write_bytes(whole[:4] + b"\xff" * 20 + whole[-4:])
    elif case == "only-magic":
        target.write_bytes(b"PAR1PAR1")
    elif case == "fifo":
        os.mkfifo(target)
    elif case == "no-column":
        pq.write_table(pa.table({"account_id": ["a"], "land": ["DE"]}), target)
    elif case == "floats":
        pq.write_table(
            pa.table({"account_id": ["a"], "country": [1.5], "data_center": ["x"]}), target
        )
    else:  # a list column
        pq.write_table(
            pa.table({"account_id": ["a"], "country": [["DE"]], "data_center": ["x"]}), target
        )
    (tmp_path / "whole.parquet").unlink()
    return target


BAD_PARQUET = {
    "truncated": "FileError: ",
    "corrupt": "FileError: ",
    "pages": "FileError: ",
    "footer": "FileError: ",
    "only-magic": "FileError: ",
    "fifo": "NotARegularFile: ",
    "no-column": "MissingColumn: ",
    "floats": "FileError: ",
    "list": "FileError: ",
}


@pytest.mark.parametrize("command", ["assign", "audit", "plan"])
@pytest.mark.parametrize(("case", "error"), BAD_PARQUET.items(), ids=BAD_PARQUET.keys())
def test_a_parquet_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, case: str, error: str, command: str
) -> None:
    """Truncated, damaged, a FIFO, without the column, not text: one line, exit 2, no output."""
    source = _bad_parquet(tmp_path, case)
    before = sorted(path.name for path in tmp_path.iterdir())
    catalogs = [OLD, OLD] if command == "plan" else []
    result = run(command, *catalogs, source, "-o", tmp_path / "out.csv", *AT)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(error), line
    assert "Traceback" not in result.stderr
    assert len(line) < 500
    assert sorted(path.name for path in tmp_path.iterdir()) == before


def test_a_truncated_parquet_says_so(tmp_path: Path) -> None:
    """A Parquet file cut short is named as one, not as a pyarrow message."""
    result = run("assign", _bad_parquet(tmp_path, "truncated"))
    assert "x.parquet: is not a whole Parquet file: it does not end with PAR1" in result.stderr


def test_without_pyarrow_parquet_is_a_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pyarrow a Parquet file is refused in one line, and a CSV file still placed."""
    parquet = to_parquet(ACCOUNTS, tmp_path / "accounts.parquet")
    expected = outcome(run("assign", ACCOUNTS, "--account-column", "account_id", *AT))
    for name in ("pyarrow", "pyarrow.parquet", "pyarrow.compute", "numpy"):
        monkeypatch.setitem(sys.modules, name, None)
    runs: list[list[str | Path]] = [
        ["assign", parquet],
        ["audit", parquet],
        ["plan", OLD, NEW, parquet],
    ]
    for args in runs:
        result = run(*args)
        assert result.exit_code == 2
        assert result.stderr == (
            "MissingDependency: pyarrow is not installed: pip install 'residency[frames]'\n"
        )
    assert outcome(run("assign", ACCOUNTS, "--account-column", "account_id", *AT)) == expected
    assert run("audit", ACCOUNTS, *AT).exit_code == 1


# --- the library is given a Table ---------------------------------------------------------------


def test_accounts_table_names_the_library_columns() -> None:
    """The accounts go to the library as account_id, country, data_center; an empty dc is null."""
    from residency.cli._changes import accounts_table  # noqa: PLC0415 - the helper under test

    table = accounts_table([("a", "DE", "linode-eu"), ("b", "JP", "")], 3)
    assert table.column_names == ["account_id", "country", "data_center"]
    assert table.column("data_center").to_pylist() == ["linode-eu", None]
    assert accounts_table([], 2).column_names == ["account_id", "country"]


def test_importing_residency_loads_neither_numpy_nor_pyarrow() -> None:
    """`import residency` and `residency where DE` import neither numpy nor pyarrow."""
    code = (
        "import sys, residency\n"
        "from residency.cli._app import cli\n"
        "cli.main(['where', 'DE'], standalone_mode=False)\n"
        "print(sorted(m for m in ('numpy', 'pyarrow') if m in sys.modules))\n"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"


def test_pyarrow_reads_what_assign_writes(tmp_path: Path) -> None:
    """The columnar path's CSV reads back with pyarrow as the rows with four more columns."""
    target = tmp_path / "out.csv"
    run("assign", ACCOUNTS, "--account-column", "account_id", "-o", target, *AT)
    table = pa_csv.read_csv(target)
    assert table.column_names[-4:] == list(_bulk.ADDED_COLUMNS)
    assert table.num_rows == 3_000
