"""A support session: real customer questions, asked through the installed `residency` command.

`make demo` runs it. Each command is echoed as it would be typed, then its output. A command
that exits non-zero on purpose (a denied move exits 1, a refused input 2) shows its exit code;
the session itself fails only when a command exits otherwise than it should. The second part
walks through a catalog change over 3,000 example accounts (long outputs cut to their
summaries); the third keeps an agreement in a fresh agreement store, in a temporary folder that
is removed after.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MOVE = ["check", "GB", "--from", "linode-uk", "--to", "aws-eu-west-1"]
AGREEMENTS = ["--agreements", "examples/agreements.toml"]

# (the question, the command's arguments, the exit code it must give)
SESSION: list[tuple[str, list[str], int]] = [
    ("A customer in “Hoa Kỳ” signs up: where is the account stored?", ["where", "Hoa Kỳ"], 0),
    ("And one who writes “Anh Quốc”?", ["where", "Anh Quốc"], 0),
    (
        "Account acme-gmbh, in Germany: where does its data live, and which data center first?",
        ["where", "Germany", "--account", "acme-gmbh"],
        0,
    ),
    (
        "northwind-uk asks us to move its data from Linode UK to AWS in Ireland. May we?",
        [*MOVE, "--account", "northwind-uk"],
        1,
    ),
    (
        "It signed a DPA amendment last year: check against the agreements on file.",
        [*MOVE, "--account", "northwind-uk", *AGREEMENTS],
        0,
    ),
    (
        "globex-uk asks for the same move; it had agreed to it once.",
        [*MOVE, "--account", "globex-uk", *AGREEMENTS],
        1,
    ),
    ("Who can access the data of a customer in France?", ["access", "France"], 0),
    (
        "And once that customer consents to 24/7 support?",
        ["access", "France", "--consent", "support"],
        0,
    ),
    ("A customer writes only “Korea”. Where does the account go?", ["where", "Korea"], 2),
]

BUNDLED = "src/residency/data/catalog.toml"
NEXT = "examples/catalog-next.toml"
ACCOUNTS = "examples/accounts.csv"

# A catalog change (docs/changes.md): examples/catalog-next.toml adds an invented EU data center
# of a new provider and an invented sub-processor; examples/accounts.csv holds 3,000 invented
# accounts, 1% of them deliberately misplaced. (..., the lines of output shown: None for all)
CHANGE_SESSION: list[tuple[str, list[str], int, int | None]] = [
    (
        "Next month: a new provider's data center in the EU, and a mail sub-processor"
        " (an invented example). What changes, and whom do we tell?",
        ["catalog", "diff", BUNDLED, NEXT],
        0,
        None,
    ),
    (
        "Which of our 3,000 accounts move, and may they?",
        ["plan", BUNDLED, NEXT, ACCOUNTS],
        0,
        31,
    ),
    (
        "Are the accounts where they should be today? (exit 1: some are not)",
        ["audit", ACCOUNTS],
        1,
        13,
    ),
    (
        "acct-0354 says it agreed to stay on AWS in Ireland: audit with its agreement.",
        ["audit", ACCOUNTS, "--agreements", "examples/agreements-next.toml"],
        1,
        14,
    ),
]

STORE = ["--store", "agreements.sqlite3"]
NORTHWIND = [*MOVE, "--account", "northwind-uk", "--agreements", "agreements.sqlite3"]

# The same kind of session, run in a new folder: an agreement kept in the agreement store,
# from its signature to its revocation, and the checks that read it.
STORE_SESSION: list[tuple[str, list[str], int]] = [
    (
        "northwind-uk signed a new DPA amendment: record it in the agreement store.",
        [
            *("agreements", "add", *STORE, "--id", "agr-2026-101"),
            *("--account-id", "northwind-uk", "--destination", "EU"),
            *("--valid-from", "2026-03-01T00:00:00Z", "--basis", "dpa-amendment"),
            *(
                "--reference",
                "DPA amendment no. 4",
                "--actor",
                "alice",
                "--note",
                "signed 2026-02-20",
            ),
        ],
        0,
    ),
    (
        "What does the store hold for the account?",
        ["agreements", "list", *STORE, "--account", "northwind-uk"],
        0,
    ),
    (
        "May its data now move from Linode UK to AWS in Ireland?",
        [*NORTHWIND, "--at", "2026-06-01T00:00:00Z"],
        0,
    ),
    (
        "The customer withdraws its consent from 1 September: revoke the version we read.",
        [
            *("agreements", "revoke", "agr-2026-101", *STORE, "--version", "1"),
            *("--at", "2026-09-01T00:00:00Z", "--actor", "bob", "--note", "ticket SUP-61002"),
        ],
        0,
    ),
    (
        "A colleague who read version 1 earlier tries to change it too: refused, nothing lost.",
        [
            *("agreements", "amend", "agr-2026-101", *STORE, "--version", "1"),
            *("--valid-until", "2027-03-01T00:00:00Z", "--actor", "carol"),
        ],
        2,
    ),
    (
        "Who changed the agreement, when, and why?",
        ["agreements", "history", "agr-2026-101", *STORE],
        0,
    ),
    (
        "And the same move in the middle of September?",
        [*NORTHWIND, "--at", "2026-09-15T00:00:00Z"],
        1,
    ),
]

_PLAIN = re.compile(r"[\w@%+=:,./-]+")


def _shell(arg: str) -> str:
    """The argument as a support agent would type it in a shell."""
    return arg if _PLAIN.fullmatch(arg) else f'"{arg}"'


def _environment() -> dict[str, str]:
    """On a terminal, let the command use its width and colours although its output is piped."""
    env = dict(os.environ)
    if sys.stdout.isatty():
        env.setdefault("COLUMNS", str(shutil.get_terminal_size().columns))
        env.setdefault("FORCE_COLOR", "1")
    return env


def _session(
    command: pathlib.Path,
    session: list[tuple[str, list[str], int]] | list[tuple[str, list[str], int, int | None]],
    *,
    cwd: pathlib.Path,
    env: dict[str, str],
) -> list[str]:
    """Run each command of ``session`` in ``cwd``; return those that exited otherwise.

    A step of four shows only the first lines of its output, as many as its fourth says.
    """
    wrong: list[str] = []
    for question, args, expected, *cut in session:
        typed = " ".join(["residency", *(_shell(arg) for arg in args)])
        print(f"# {question}")
        print(f"$ {typed}", flush=True)
        result = subprocess.run(  # noqa: S603 - the project's own command, fixed arguments
            [str(command), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
        output = result.stdout + result.stderr
        lines = output.splitlines(keepends=True)
        shown = cut[0] if cut and cut[0] is not None else len(lines)
        print("".join(lines[:shown]), end="")
        if len(lines) > shown:
            print(f"[... {len(lines) - shown} more lines]")
        if result.returncode:
            print(f"[exit {result.returncode}]")
        if result.returncode != expected:
            wrong.append(f"{typed}: exit {result.returncode}, expected {expected}")
        print()
    return wrong


def main() -> int:
    """Run the sessions; return 1 if a command exited otherwise than it should."""
    command = pathlib.Path(sys.executable).with_name("residency")
    if not command.exists():
        print(f"{command} is missing: install the project with its cli extra (make install)")
        return 1
    env = _environment()
    env.pop("RESIDENCY_AGREEMENTS", None)  # the demo's store is the one it names
    wrong = _session(command, SESSION, cwd=ROOT, env=env)
    print("# A catalog change, over 3,000 example accounts (examples/, invented):\n")
    wrong += _session(command, CHANGE_SESSION, cwd=ROOT, env=env)
    with tempfile.TemporaryDirectory(prefix="residency-demo-") as folder:
        print(f"# In a new folder ({folder}), with an agreement store of its own:\n")
        wrong += _session(command, STORE_SESSION, cwd=pathlib.Path(folder), env=env)
    for line in wrong:
        print(f"demo failed: {line}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
