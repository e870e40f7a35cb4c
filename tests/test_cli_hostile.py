"""Hostile input at the command line: every file fails closed, and no control character gets out.

Every command that reads a file is given every file of the hostile corpus (``hostile.py``);
text with terminal escapes comes in through options, agreements and catalogs; ids run to a
megabyte; ``assign`` is pointed at its own input and interrupted. Whatever the input, stdout
and stderr carry no control character but the line feed, an error is one short line, and
nothing is left behind in the folder.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from tests.hostile import assert_safe, hostile_files

from residency import Policy, _bulk, default_policy
from residency._text import escape, json_escape
from residency.cli import _bulk as _cli_bulk
from residency.cli._app import cli

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = ROOT / "examples" / "catalog.toml"
SCRIPT = Path(sys.executable).with_name("residency")

ERROR_LINE = re.compile(r"^[A-Za-z]+: ")
SHORT = 500
"""The longest an error line may be, whatever the input."""
HOSTILE_TEXT = "acme\x1b[2J\x9b31m\u202eevil"
"""An escape that clears the screen, a C1 control sequence, and a right-to-left override."""
MEGABYTE = 1_000_000


def run(*args: str | Path, input_text: str | None = None) -> Result:
    """Run ``residency`` in-process on a pipe of default width, without colour."""
    runner = CliRunner(env={"COLUMNS": None, "FORCE_COLOR": None, "NO_COLOR": "1"})
    return runner.invoke(cli, [str(arg) for arg in args], input=input_text)


def assert_one_error_line(stderr: str) -> str:
    """Exactly one short ``ErrorName: message`` line on stderr, and no traceback; return it."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr[:2000]
    assert ERROR_LINE.match(lines[0]), lines[0][:200]
    assert len(lines[0]) <= SHORT, lines[0][:200]
    assert "Traceback" not in stderr
    return lines[0]


def listing(folder: Path) -> list[str]:
    """The names in ``folder``, temporary files included."""
    return sorted(path.name for path in folder.iterdir())


# --- the hostile corpus, through every command that reads a file --------------------------------

BUNDLED = ROOT / "src" / "residency" / "data" / "catalog.toml"
ACCOUNTS = ROOT / "examples" / "accounts.csv"

# (id, the arguments given the hostile file and its folder)
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "where": lambda path, _: ["--catalog", str(path), "where", "DE"],
    "validate": lambda path, _: ["catalog", "validate", str(path)],
    "check": lambda path, _: [
        *("check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", "a"),
        *("--agreements", str(path)),
    ],
    "assign": lambda path, _: ["assign", str(path)],
    "assign-output": lambda path, folder: ["assign", str(path), "-o", str(folder / "out.csv")],
    "diff": lambda path, _: ["catalog", "diff", str(path), str(BUNDLED)],
    "plan-catalog": lambda path, _: ["plan", str(BUNDLED), str(path), str(ACCOUNTS)],
    "plan-accounts": lambda path, _: ["plan", str(BUNDLED), str(BUNDLED), str(path)],
    "audit": lambda path, _: ["audit", str(path)],
}
# The files that block or never end when read as a stream: run in a process of their own.
DEVICES = ("fifo", "dev-zero")
_AT_ONCE = 4
# (case, command): why the file is a valid input for that command after all.
READABLE = {
    ("bom", "check"): "an agreements file with a byte order mark and no agreements: a denial",
}
CASE_IDS = (
    "fifo", "dev-zero", "directory", "missing", "deep-json", "deep-toml", "huge-int-json",
    "huge-int-toml", "duplicate-key-json", "non-utf8", "bom", "control-characters-in-values",
    "one-megabyte-id", "huge-field-csv", "binary-garbage",
)  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The hostile corpus in a folder of its own, the bundled catalog read already."""
    default_policy()  # once per process: what a second is allowed for is the hostile file
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hostile_files(folder)


def test_the_corpus_is_the_one_tested(corpus: tuple[Path, dict[str, Path]]) -> None:
    """Every case of the corpus is given to the commands, so a new case is never skipped."""
    _, files = corpus
    assert set(files) == set(CASE_IDS)


def _assert_refused(case: str, command: str, code: int, stdout: str, stderr: str) -> None:
    """A hostile file: exit 2, one error line, and no answer (validate lists its problems)."""
    assert code == 2, f"{case} {command}: exit {code}: {stderr[:300]}"
    assert_one_error_line(stderr)
    if command != "validate":
        assert stdout == "", stdout[:300]


HOSTILE_RUNS = [
    pytest.param(
        case,
        command,
        id=f"{case}-{command}" + ("-readable" if (case, command) in READABLE else ""),
    )
    for case in CASE_IDS
    if case not in DEVICES
    for command in COMMANDS
]


@pytest.mark.parametrize(("case", "command"), HOSTILE_RUNS)
def test_a_hostile_file_fails_closed(
    corpus: tuple[Path, dict[str, Path]], case: str, command: str
) -> None:
    """A hostile file is refused within a second in one line, writes nothing, leaks nothing."""
    folder, files = corpus
    before = listing(folder)
    started = time.perf_counter()
    result = run(*COMMANDS[command](files[case], folder))
    assert time.perf_counter() - started < 1.0
    assert_safe(result.stdout, result.stderr)
    assert listing(folder) == before
    if (case, command) in READABLE:
        assert result.exit_code in {0, 1, 2}
        assert "Traceback" not in result.stderr
    else:
        _assert_refused(case, command, result.exit_code, result.stdout, result.stderr)


@pytest.mark.slow
def test_devices_fail_at_once_in_the_installed_command(
    corpus: tuple[Path, dict[str, Path]],
) -> None:
    """A FIFO without a writer and /dev/zero are refused at once by every command, not read."""
    folder, files = corpus
    before = listing(folder)
    assert SCRIPT.exists(), f"{SCRIPT} is missing: pip install -e '.[cli]'"
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    runs = [(case, command) for case in DEVICES for command in COMMANDS]
    # A few at a time, so that a second is the command's, not a queue for the processor's.
    for start in range(0, len(runs), _AT_ONCE):
        started = {
            (case, command): subprocess.Popen(  # noqa: S603 - the project's own script, fixed arguments
                [str(SCRIPT), *COMMANDS[command](files[case], folder)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            for case, command in runs[start : start + _AT_ONCE]
        }
        try:
            for (case, command), process in started.items():
                out, err = process.communicate(timeout=5)
                stdout, stderr = out.decode("utf-8"), err.decode("utf-8")
                assert_safe(stdout, stderr)
                _assert_refused(case, command, process.returncode, stdout, stderr)
        finally:
            for process in started.values():
                if process.poll() is None:
                    process.kill()
                process.communicate()  # reaps it and closes its pipes
    assert listing(folder) == before


# --- terminal escapes in what the commands are given -------------------------------------------


def _json_text(value: str) -> str:
    """``value`` as the JSON output writes it, without the quotes."""
    return json_escape(json.dumps(value, ensure_ascii=False))[1:-1]


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["where", "DE", "--account", HOSTILE_TEXT], "account"),
        (
            ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", HOSTILE_TEXT],
            "account_id",
        ),
    ],
    ids=["where", "check"],
)
def test_an_account_id_with_escapes_is_shown_escaped(
    args: list[str], field: str, as_json: bool
) -> None:
    """An account id with terminal escapes is escaped in tables and JSON, and JSON keeps it."""
    result = run(*args, *(["--json"] if as_json else []))
    assert result.exit_code in {0, 1}
    assert_safe(result.stdout, result.stderr)
    if as_json:
        assert json.loads(result.stdout)[field] == HOSTILE_TEXT
        assert "acme\\u001b[2J\\u009b31m\\u202eevil" in result.stdout
    else:
        assert escape(HOSTILE_TEXT) in result.stdout
        assert "acme\\x1b[2J\\x9b31m\\u202eevil" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["where", f"D{HOSTILE_TEXT}"],
        ["check", "GB", "--from", HOSTILE_TEXT, "--to", "linode-eu"],
        ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--at", HOSTILE_TEXT],
        ["access", "DE", "--consent", HOSTILE_TEXT],
        ["datacenters", "--region", HOSTILE_TEXT],
        ["--catalog", f"{HOSTILE_TEXT}.toml", "regions"],
        ["check", "GB", "--from", "linode-uk", "--to", "eu", "--agreements", HOSTILE_TEXT],
        ["assign", f"{HOSTILE_TEXT}.csv"],
        ["where", "DE", f"--{HOSTILE_TEXT}"],
        [HOSTILE_TEXT],
    ],
    ids=[
        "location", "data-center", "time", "consent", "region", "catalog-path",
        "agreements-path", "csv-path", "option", "command",
    ],
)  # fmt: skip
def test_an_error_about_escapes_is_one_safe_line(args: list[str]) -> None:
    """An error that quotes text with terminal escapes is one line with every escape written out."""
    result = run(*args)
    assert result.exit_code == 2
    assert_safe(result.stdout, result.stderr)
    assert_one_error_line(result.stderr)


@pytest.fixture
def hostile_agreements(tmp_path: Path) -> Path:
    """An agreements file whose id, account and reference hold terminal escapes."""
    path = tmp_path / "agreements.json"
    agreement = {
        "id": f"agr-{HOSTILE_TEXT}",
        "account_id": HOSTILE_TEXT,
        "destinations": ["EU"],
        "valid_from": "2024-01-01T00:00:00Z",
        "basis": "customer-consent",
        "reference": f"ticket\t{HOSTILE_TEXT}\r\n\x07",
    }
    path.write_text(json.dumps({"agreements": [agreement]}), encoding="utf-8")
    return path


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_agreements_with_escapes_are_shown_escaped(hostile_agreements: Path, as_json: bool) -> None:
    """An agreement's id and reference with escapes are escaped in the table; JSON keeps them."""
    result = run(
        "check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", HOSTILE_TEXT,
        "--agreements", hostile_agreements, "--at", "2026-07-01T00:00:00Z",
        *(["--json"] if as_json else []),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_safe(result.stdout, result.stderr)
    if as_json:
        agreement = json.loads(result.stdout)["agreement"]
        assert agreement["id"] == f"agr-{HOSTILE_TEXT}"
        assert agreement["reference"] == f"ticket\t{HOSTILE_TEXT}\r\n\x07"
    else:
        assert f"agr-{escape(HOSTILE_TEXT)}  in force: allows the move" in result.stdout
        reference = escape(f"ticket\t{HOSTILE_TEXT}\r\n\x07")
        assert f"customer-consent, reference {reference}" in result.stdout


@pytest.fixture
def hostile_catalog(tmp_path: Path) -> Path:
    """The example catalog with terminal escapes in a location, a region name and a reason."""
    text = EXAMPLE_CATALOG.read_text(encoding="utf-8")
    escapes = "\\u001b[2J\\u009b31m\\u202e\\t\\u0007"
    replaced = {
        'location = "Falkenstein"': f'location = "Falken{escapes}stein"',
        'name = "Rest of the world"': f'name = "Rest of{escapes} the world"',
        'reason = "No customers in Antarctica."': f'reason = "No customers{escapes}."',
    }
    for old, new in replaced.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "escapes.toml"
    path.write_text(text, encoding="utf-8")
    return path


RAW = "\x1b[2J\x9b31m\u202e\t\x07"
"""The escapes of the hostile catalog, as its text holds them."""


@pytest.mark.parametrize(
    ("args", "kept"),
    [
        (["where", "AT"], [f"Falken{RAW}stein"]),
        (["where", "US", "--account", "a-1"], [f"Rest of{RAW} the world"]),
        (["access", "DE"], []),
        (["datacenters"], [f"Falken{RAW}stein"]),
        (["regions"], [f"Rest of{RAW} the world", f"No customers{RAW}."]),
        (["subprocessors"], []),
        (["catalog", "validate", "{catalog}"], []),
    ],
    ids=["where", "where-region", "access", "datacenters", "regions", "subprocessors", "validate"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_catalog_text_with_escapes_is_shown_escaped(
    hostile_catalog: Path, args: list[str], kept: list[str], as_json: bool
) -> None:
    """A catalog's prose with escapes is escaped in every table, and JSON keeps it as written."""
    named = [str(hostile_catalog) if arg == "{catalog}" else arg for arg in args]
    result = run("--catalog", hostile_catalog, *named, *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert_safe(result.stdout, result.stderr)
    if as_json:
        text = json.dumps(json.loads(result.stdout), ensure_ascii=False)
        assert all(json.dumps(raw, ensure_ascii=False)[1:-1] in text for raw in kept)
    else:
        assert all(escape(raw) in result.stdout for raw in kept)


def test_catalog_text_is_escaped_where_tables_show_it(hostile_catalog: Path) -> None:
    """The escaped location, region name and reason appear in the tables, written out."""
    shown = "\\x1b[2J\\x9b31m\\u202e\\x09\\x07"
    datacenters = run("--catalog", hostile_catalog, "datacenters").stdout
    assert f"Falken{shown}stein" in datacenters
    regions = run("--catalog", hostile_catalog, "regions").stdout
    assert f"Rest of{shown} the world" in regions
    assert f"No customers{shown}." in regions


def test_problems_that_quote_escapes_are_listed_escaped(tmp_path: Path) -> None:
    """A bad reference with escapes is listed as a problem with the escapes written out."""
    text = EXAMPLE_CATALOG.read_text(encoding="utf-8")
    path = tmp_path / "bad.toml"
    path.write_text(text.replace('region = "ROW"', 'region = "R\\u001b[2J\\u202eOW"'))
    result = run("catalog", "validate", path)
    assert result.exit_code == 2
    assert_safe(result.stdout, result.stderr)
    assert "R\\x1b[2J\\u202eOW" in result.stdout
    assert assert_one_error_line(result.stderr).startswith("CatalogError: ")


# --- a megabyte of id -----------------------------------------------------------------------

BIG_ACCOUNT = ("acme\x1b[2J" * (MEGABYTE // 8 + 1))[:MEGABYTE]


def test_a_megabyte_account_id_is_shown_once_escaped() -> None:
    """`where --account` shows a megabyte account id once, escaped, in lines of the width."""
    result = CliRunner(env={"COLUMNS": "80", "FORCE_COLOR": None}).invoke(
        cli, ["where", "DE", "--account", BIG_ACCOUNT]
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    assert_safe(result.stdout)
    assert max(map(len, result.stdout.splitlines())) <= 80
    assert re.sub(r"\s", "", result.stdout).count(escape(BIG_ACCOUNT)) == 1


def test_a_megabyte_account_id_is_in_json_once() -> None:
    """`where --account --json` holds a megabyte account id once, in its account field."""
    result = run("where", "DE", "--account", BIG_ACCOUNT, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["account"] == BIG_ACCOUNT
    assert result.stdout.count(_json_text(BIG_ACCOUNT)) == 1
    assert_safe(result.stdout)


BIG = "x" * MEGABYTE


@pytest.mark.parametrize(
    "args",
    [
        ["where", BIG],
        ["check", "GB", "--from", BIG, "--to", "linode-eu"],
        ["check", "GB", "--from", "linode-uk", "--to", BIG],
        ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--agreements", BIG],
        ["datacenters", "--region", BIG],
        ["regions", "--at", BIG],
        ["--catalog", BIG, "where", "DE"],
        ["assign", BIG],
        ["assign", "-", "--column", BIG],
        ["assign", "-", "-o", BIG],
        ["assign", "-", "--encoding", BIG],
        ["access", "DE", "--consent", BIG],
    ],
    ids=[
        "location", "from", "to", "agreements-path", "region", "time", "catalog-path",
        "csv-path", "column", "output-path", "encoding", "consent",
    ],
)  # fmt: skip
def test_a_megabyte_argument_is_quoted_short(args: list[str]) -> None:
    """An error about a megabyte argument quotes a short prefix of it and its length."""
    result = run(*args, input_text="country\nDE\n")
    assert result.exit_code == 2
    assert result.stdout == ""
    line = assert_one_error_line(result.stderr)
    assert "1,000,000" in line


def test_a_megabyte_account_id_in_check_keeps_lines_short() -> None:
    """`check` with a megabyte account id answers in lines of the width, nothing on stderr."""
    result = CliRunner(env={"COLUMNS": "80", "FORCE_COLOR": None}).invoke(
        cli, ["check", "GB", "--from", "linode-uk", "--to", "linode-eu", "--account", BIG]
    )
    assert result.exit_code == 1
    assert result.stderr == ""
    assert max(map(len, result.stdout.splitlines())) <= 80


# --- assign: never over its input, never a partial file -------------------------------------------


def _csv(path: Path, rows: int = 3) -> Path:
    countries = ["DE", "Hoa Kỳ", "US-GA", "JP"]
    lines = ["id,country"] + [f"{n},{countries[n % len(countries)]}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def placed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder, made the working directory, with x.csv, a link to it and a catalog."""
    monkeypatch.chdir(tmp_path)
    _csv(tmp_path / "x.csv")
    (tmp_path / "link.csv").symlink_to("x.csv")
    (tmp_path / "catalog.toml").write_bytes(EXAMPLE_CATALOG.read_bytes())
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["assign", "x.csv", "-o", "x.csv"],
        ["assign", "x.csv", "-o", "./x.csv"],
        ["assign", "./x.csv", "--output", "x.csv"],
        ["assign", "x.csv", "-o", "link.csv"],
        ["assign", "link.csv", "-o", "x.csv"],
        ["assign", "x.csv", "-o", "{folder}/x.csv"],
        ["assign", "x.csv", "--json", "-o", "x.csv"],
        ["--catalog", "catalog.toml", "assign", "x.csv", "-o", "catalog.toml"],
        ["assign", "x.csv", "-o", "catalog.toml", "--catalog", "./catalog.toml"],
    ],
    ids=[
        "same", "dot-output", "dot-input", "link-output", "link-input", "absolute", "json",
        "catalog", "catalog-after",
    ],
)  # fmt: skip
def test_assign_never_writes_over_an_input(placed: Path, args: list[str]) -> None:
    """An output that is an input, by any name, is refused: exit 2, one line, the file as it was."""
    before = {name: (placed / name).read_bytes() for name in ("x.csv", "catalog.toml")}
    names = listing(placed)
    result = run(*(arg.replace("{folder}", str(placed)) for arg in args))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert assert_one_error_line(result.stderr).startswith("FileError: ")
    assert "the output is the same file as the input" in result.stderr
    assert {name: (placed / name).read_bytes() for name in before} == before
    assert listing(placed) == names
    assert (placed / "link.csv").is_symlink()


@pytest.mark.parametrize(
    "args",
    [
        ["--column", "nation"],
        ["--account-column", "customer"],
        ["--at", "2026-01-01"],
        ["--encoding", "no-such-encoding"],
        ["--frm", "x"],
        ["--catalog", "missing.toml"],
    ],
    ids=["column", "account-column", "time", "encoding", "unknown-option", "catalog"],
)
def test_a_refused_assign_leaves_the_output_alone(placed: Path, args: list[str]) -> None:
    """Bad input with -o existing.csv exits 2 with one line and leaves existing.csv untouched."""
    existing = placed / "existing.csv"
    existing.write_bytes(b"kept,as,it,was\n")
    names = listing(placed)
    result = run("assign", "x.csv", "-o", existing, *args)
    assert result.exit_code == 2
    assert_one_error_line(result.stderr)
    assert existing.read_bytes() == b"kept,as,it,was\n"
    assert listing(placed) == names


@pytest.fixture
def interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    """``assign_many`` answers the first chunk, then is interrupted as by Ctrl-C."""
    answer = Policy.assign_many
    calls = iter(range(2))

    def assign_many(self: Policy, *args: object, **kwargs: object) -> object:
        if next(calls, 1):
            raise KeyboardInterrupt
        return answer(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Policy, "assign_many", assign_many)


@pytest.mark.usefixtures("interrupted")
@pytest.mark.parametrize("existing", [False, True], ids=["new-output", "existing-output"])
@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "json"])
def test_an_interrupted_assign_leaves_no_partial_output(
    placed: Path, existing: bool, as_json: bool
) -> None:
    """Interrupted after its first chunk, assign exits 130 and leaves no output and no temp file."""
    source = _csv(placed / "big.csv", rows=_bulk._CHUNK * 2 + 1)
    target = placed / "out.csv"
    if existing:
        target.write_bytes(b"kept\n")
    names = listing(placed)
    result = run("assign", source, "-o", target, *(["--json"] if as_json else []))
    assert result.exit_code == 130
    assert result.stderr.strip() == "Interrupted: stopped before an answer"
    assert listing(placed) == names
    assert target.read_bytes() == b"kept\n" if existing else not target.exists()


@pytest.mark.usefixtures("interrupted")
def test_an_interrupted_assign_to_stdout_exits_130(placed: Path) -> None:
    """Interrupted while writing to stdout, assign exits 130 with one line and no temp file."""
    names = listing(placed)
    result = run("assign", _csv(placed / "big.csv", rows=_bulk._CHUNK + 1))
    assert result.exit_code == 130
    assert result.stderr.strip() == "Interrupted: stopped before an answer"
    assert listing(placed) == sorted([*names, "big.csv"])


@pytest.mark.slow
def test_sigint_while_writing_leaves_no_partial_output(tmp_path: Path) -> None:
    """Ctrl-C while the installed command writes a large file leaves no output, exit 130."""
    source = tmp_path / "big.csv"
    source.write_bytes(b"id,country\n" + b"1,DE\n2,Hoa K\xe1\xbb\xb3\n" * 1_000_000)
    target = tmp_path / "out.csv"
    # A shell starts a background job with SIGINT ignored, and a child keeps that across
    # exec (as it should: a background job is not for Ctrl-C). The command must be started
    # as a terminal starts it: a handler, which exec turns into the default.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(  # noqa: S603 - the project's own script, fixed arguments
            [str(SCRIPT), "assign", str(source), "-o", str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        )
    finally:
        signal.signal(signal.SIGINT, inherited)
    try:
        deadline = time.monotonic() + 10
        while not any(path.suffix == ".tmp" for path in tmp_path.iterdir()):
            assert process.poll() is None, "finished before it could be interrupted"
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.005)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert (out, err.decode()) == (b"", "Interrupted: stopped before an answer\n")
    assert listing(tmp_path) == ["big.csv"]


def test_assign_escapes_cells_only_for_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """CSV cells with escapes are copied as read to a pipe, and written out for a terminal."""
    cell = f"DE{HOSTILE_TEXT}"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    written: dict[str, str] = {}
    for name, sink in (("pipe", io.StringIO()), ("terminal", Terminal())):
        stdin = io.TextIOWrapper(io.BytesIO(f"country,note\nDE,{cell}\n".encode()))
        monkeypatch.setattr(sys, "stdout", sink)
        monkeypatch.setattr(sys, "stdin", stdin)
        report = _cli_bulk.assign_file(
            default_policy(),
            "-",
            "-",
            column="country",
            account_column=None,
            encoding="utf-8",
            at=datetime(2026, 7, 1, tzinfo=UTC),
            as_json=False,
        )
        assert (report.rows, report.bad) == (1, 0)
        written[name] = sink.getvalue()
    assert next(itertools.islice(csv.reader(io.StringIO(written["pipe"])), 1, None))[1] == cell
    assert_safe(written["terminal"])
    shown = next(itertools.islice(csv.reader(io.StringIO(written["terminal"])), 1, None))
    assert shown[1] == escape(cell)


def test_assign_json_writes_escapes_and_keeps_the_text() -> None:
    """`assign --json` writes a cell's control characters as escapes that read back as the cell."""
    cell = f"x{HOSTILE_TEXT}"
    result = run("assign", "-", "--json", input_text=f"country,note\nDE,{cell}\n")
    assert result.exit_code == 0
    assert_safe(result.stdout)
    assert json.loads(result.stdout)["note"] == cell
