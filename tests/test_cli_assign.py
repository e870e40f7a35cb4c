"""`residency assign FILE.csv`: every row placed as assign would; bad rows reported, not fatal."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from residency import ResidencyError, default_policy
from residency.cli import _bulk
from residency.cli._app import cli

GOOD = ["DE", " fr ", "Germany", "Hoa Kỳ", "US-GA", "FR-NC", "276", "JPN", "Anh Quốc", "Brasil"]
BAD = ["Atlantis", "", "Korea", "AQ", "US-ZZ", "\x07"]


def _write(
    path: Path, rows: list[list[str]], header: tuple[str, ...] = ("id", "country", "account")
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _generated(path: Path, count: int, *, bad_every: int = 97) -> Path:
    chooser = random.Random(20261128)  # noqa: S311 - test data, not secrets
    rows = [
        [
            str(number),
            chooser.choice(BAD) if number % bad_every == 0 else chooser.choice(GOOD),
            f"account-{number}" if number % 101 else "",
        ]
        for number in range(count)
    ]
    return _write(path, rows)


def _expected(location: str, account: str | None) -> list[str]:
    try:
        placement = default_policy().assign(location, account_id=account)
    except ResidencyError as error:
        return ["", "", "", f"{type(error).__name__}: {' '.join(str(error).split())}"]
    return [placement.region, placement.primary.id, placement.rule.id, ""]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_output_matches_assign_row_by_row(tmp_path: Path) -> None:
    """Twenty thousand rows with bad ones mixed in come out as row-by-row assign answers."""
    source = _generated(tmp_path / "customers.csv", 20_000)
    result = CliRunner().invoke(cli, ["assign", str(source), "--account-column", "account"])
    rows = _rows(result.stdout)
    assert rows[0] == ["id", "country", "account", "region", "primary", "rule", "error"]
    assert len(rows) == 20_001
    for row in rows[1:]:
        assert row[3:] == _expected(row[1], row[2]), row
    bad = sum(1 for row in rows[1:] if row[6])
    assert bad > 200
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"BadRows: {bad} of 20,000 rows could not be placed")


def test_without_accounts_the_catalog_primary(tmp_path: Path) -> None:
    """Without an account column each row gets the catalog order's primary."""
    source = _write(tmp_path / "c.csv", [["1", "DE", "x"], ["2", "Hoa Kỳ", "y"]])
    result = CliRunner().invoke(cli, ["assign", str(source)])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert [row[3:] for row in _rows(result.stdout)[1:]] == [
        ["EU", "linode-eu", "eu-eea", ""],
        ["US", "linode-us", "us", ""],
    ]


def test_other_column_names_and_an_output_file(tmp_path: Path) -> None:
    """--column and --output name the location column and where the rows go."""
    source = _write(tmp_path / "c.csv", [["Singapore", "acme"]], header=("land", "kunde"))
    target = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli,
        ["assign", str(source), "--column", "land", "--account-column", "kunde", "-o", str(target)],
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    expected = ["Singapore", "acme", *_expected("Singapore", "acme")]
    assert _rows(target.read_text(encoding="utf-8"))[1] == expected


def test_a_file_of_only_a_header() -> None:
    """A file with a header and no rows gives the header with the added columns, exit 0."""
    result = CliRunner().invoke(cli, ["assign", "-"], input="id,country\n")
    assert (result.exit_code, result.stdout) == (0, "id,country,region,primary,rule,error\n")


def test_json_lines_place_each_row_or_say_why_not() -> None:
    """`assign --json` writes one object per row: its columns, then its placement or its error."""
    result = CliRunner().invoke(cli, ["assign", "-", "--json"], input="id,country\n1,DE\n2,Korea\n")
    assert result.exit_code == 2
    good, bad = (json.loads(line) for line in result.stdout.splitlines())
    placement = default_policy().assign("DE")
    assert good == {
        "id": "1",
        "country": "DE",
        "region": "EU",
        "primary": placement.primary.id,
        "data_centers": [dc.id for dc in placement.data_centers],
        "rule": "eu-eea",
        "error": None,
    }
    assert bad == {
        "id": "2",
        "country": "Korea",
        "region": None,
        "primary": None,
        "data_centers": None,
        "rule": None,
        "error": _expected("Korea", None)[3],
    }
    (line,) = result.stderr.splitlines()
    assert line.startswith("BadRows: 1 of 2 rows could not be placed (see the error column)")


def test_reads_standard_input() -> None:
    """A dash reads the CSV from standard input."""
    result = CliRunner().invoke(cli, ["assign", "-"], input="country\nUK\n")
    assert result.exit_code == 0
    assert _rows(result.stdout)[1] == ["UK", "UK", "linode-uk", "uk", ""]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--column", "nation"], "the file has no column 'nation'"),
        (["--account-column", "customer"], "the file has no column 'customer'"),
    ],
    ids=["location-column", "account-column"],
)
def test_missing_column_is_one_error_line(tmp_path: Path, args: list[str], message: str) -> None:
    """A column the header lacks is one MissingColumn line, exit 2, and no row written."""
    source = _write(tmp_path / "c.csv", [["1", "DE", "a"]])
    result = CliRunner().invoke(cli, ["assign", str(source), *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("MissingColumn: ")
    assert message in line
    assert "(its columns: 'id', 'country', 'account')" in line


def test_missing_file_is_one_error_line(tmp_path: Path) -> None:
    """A file that cannot be read is one NotARegularFile line and exit 2."""
    result = CliRunner().invoke(cli, ["assign", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("NotARegularFile: ")
    assert "cannot read" in line


def test_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long file on a terminal shows a progress bar on stderr; stdout keeps only rows."""
    source = _generated(tmp_path / "c.csv", 300, bad_every=10_000)
    monkeypatch.setattr(_bulk, "_PROGRESS_FROM_ROWS", 100)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with _bulk._progress(str(source)) as advance:
        assert advance is not None
        advance(300)
    assert _bulk._count_lines(str(source)) == 301
    monkeypatch.setattr(_bulk, "_PROGRESS_FROM_ROWS", 1_000)
    with _bulk._progress(str(source)) as advance:
        assert advance is None


@pytest.mark.slow
def test_installed_command_on_a_file(tmp_path: Path) -> None:
    """The installed console script places a generated file and says how many rows were bad."""
    source = _generated(tmp_path / "c.csv", 3_000)
    script = Path(sys.executable).with_name("residency")
    result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(script), "assign", str(source)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("BadRows: ")
    assert len(_rows(result.stdout)) == 3_001
