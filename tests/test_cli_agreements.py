"""``residency agreements``: the agreement store from the command line, on real store files.

Every subcommand is run against real stores (a SQLite file in a temporary folder, and through
the ``target`` fixture a PostgreSQL database too): what it prints as tables and as JSON, its
exit codes, the conflicts a stale version meets, what reading commands leave untouched, and
what hostile ids look like on the way out. ``check --agreements STORE`` is tested here too.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from tests.hostile import assert_safe, hostile_files

from residency import Agreement, load_agreements, load_policy
from residency._chain import link
from residency._data import read_bytes
from residency._text import escape
from residency.cli._app import cli
from residency.store import AgreementStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_AGREEMENTS = ROOT / "examples" / "agreements.toml"
SCRIPT = Path(sys.executable).with_name("residency")

HOSTILE = "acme\x1b[2J\x9b31m\u202eevil"
"""An escape that clears the screen, a C1 control sequence, and a right-to-left override."""
MEGABYTE = 1_000_000
SHORT = 500
"""The longest an error line may be, whatever the input."""

START = "2026-01-01T00:00:00Z"
AT = "2026-07-01T00:00:00Z"
LATER = "2026-09-01T00:00:00Z"
# The move of a UK customer to the EU region, which only an agreement allows.
MOVE = ["check", "GB", "--from", "linode-uk", "--to", "aws-eu-west-1"]


def run(*args: object, env: dict[str, str | None] | None = None) -> Result:
    """Run ``residency`` in-process on a pipe of default width, without colour.

    ``$RESIDENCY_AGREEMENTS`` is unset unless ``env`` sets it, so no test meets a store of
    the machine it runs on.
    """
    runner = CliRunner(
        env={
            "COLUMNS": None,
            "FORCE_COLOR": None,
            "NO_COLOR": "1",
            "RESIDENCY_AGREEMENTS": None,
            **(env or {}),
        }
    )
    return runner.invoke(cli, [str(arg) for arg in args])


def ok(result: Result, code: int = 0) -> str:
    """The stdout of a run that exited ``code`` with nothing on stderr."""
    assert (result.exit_code, result.stderr) == (code, ""), result.output
    return result.stdout


def as_json(result: Result, code: int = 0) -> Any:  # noqa: ANN401 - the shape is the command's
    """The JSON object a ``--json`` run printed, after checking it exited ``code`` quietly."""
    return json.loads(ok(result, code))


def error_line(result: Result, name: str) -> str:
    """Check exit 2, nothing on stdout, one short ``name: message`` line on stderr; return it."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    assert lines[0].startswith(f"{name}: "), lines[0][:300]
    assert len(lines[0]) <= SHORT, lines[0][:300]
    assert "Traceback" not in result.stderr
    return lines[0]


def strings(data: object) -> set[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return set(data) | strings(list(data.values()))
    if isinstance(data, list):
        return {text for item in data for text in strings(item)}
    return set()


def line_of(text: str, needle: str) -> str:
    """The one line of ``text`` that holds ``needle``."""
    lines = [line for line in text.splitlines() if needle in line]
    assert len(lines) == 1, f"{needle!r} is on {len(lines)} lines of:\n{text}"
    return lines[0]


def add(store: str | Path, agreement_id: str = "agr-1", *extra: str) -> Result:
    """Record an agreement of acme-uk to the EU region from START, by alice."""
    return run(
        *("agreements", "add", "--store", store, "--id", agreement_id),
        *("--account-id", "acme-uk", "--destination", "EU", "--valid-from", START),
        *("--basis", "dpa-amendment", "--reference", "DPA amendment no. 2", "--actor", "alice"),
        *extra,
    )


def history(store: str | Path, *args: str) -> list[dict[str, Any]]:
    """The events of ``agreements history --json``."""
    events: list[dict[str, Any]] = as_json(
        run("agreements", "history", *args, "--store", store, "--json")
    )["events"]
    return events


def wider_catalog(folder: Path) -> Path:
    """The bundled catalog with one more data center, ``linode-us-extra`` in region US.

    For agreements recorded under a catalog that a later one (the bundled one) no longer
    matches; written to ``folder`` as a JSON catalog file.
    """
    data = tomllib.loads(read_bytes("catalog.toml").decode("utf-8"))
    first = next(dc for dc in data["data_centers"] if dc["region"] == "US")
    data["data_centers"].append(dict(first, id="linode-us-extra"))
    path = folder / "wider-catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store file that does not exist yet, in a folder that does."""
    return tmp_path / "agreements.sqlite3"


@pytest.fixture
def recorded(store: Path) -> Path:
    """A store holding agr-1 (acme-uk, EU, from START) at version 1."""
    ok(add(store))
    return store


def fingerprint(path: Path) -> tuple[bytes, int]:
    """A file's bytes and modification time, to show it was not written."""
    return path.read_bytes(), path.stat().st_mtime_ns


def read_only(path: Path) -> tuple[bytes, int]:
    """Make ``path`` read-only (chmod 444) and return its fingerprint."""
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return fingerprint(path)


# --- add ------------------------------------------------------------------------------------


def test_add_records_an_agreement_and_prints_what_was_recorded(store: Path) -> None:
    """`add` creates the store, records version 1 and prints the id, account, version and seq."""
    out = ok(add(store))
    assert store.is_file()
    assert line_of(out, "Recorded agreement").endswith("agr-1")
    assert line_of(out, "Account").endswith("acme-uk")
    assert line_of(out, "Version").endswith("1")
    assert line_of(out, "Event ").endswith("1 (add)")
    assert line_of(out, "Actor").endswith("alice")
    assert line_of(out, "Destinations").endswith("EU")
    assert line_of(out, "Reference").endswith("DPA amendment no. 2")
    with AgreementStore(store, readonly=True, create=False) as opened:
        assert opened.get("agr-1") == Agreement(
            id="agr-1",
            account_id="acme-uk",
            destinations=["EU"],
            valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            basis="dpa-amendment",
            reference="DPA amendment no. 2",
        )


def test_add_json_is_the_event(store: Path) -> None:
    """`add --json` prints the recorded event: seq, kind, version 1, actor, the agreement."""
    data = as_json(add(store, "agr-1", "--note", "signed on paper", "--json"))
    event = data["event"]
    assert data["store"] == str(store)
    assert event == event | {
        "seq": 1,
        "kind": "add",
        "agreement_id": "agr-1",
        "account_id": "acme-uk",
        "version": 1,
        "actor": "alice",
        "note": "signed on paper",
        "unusable": None,
    }
    assert event["agreement"] == {
        "id": "agr-1",
        "account_id": "acme-uk",
        "destinations": ["EU"],
        "valid_from": "2026-01-01T00:00:00+00:00",
        "valid_until": None,
        "revoked_at": None,
        "basis": "dpa-amendment",
        "reference": "DPA amendment no. 2",
    }
    assert re.fullmatch(r"[0-9a-f]{64}", event["hash"])


def test_add_takes_every_field(store: Path) -> None:
    """Several destinations, an end, a basis and a reference are recorded as given."""
    result = run(
        *("agreements", "add", "--store", store, "--id", "agr-2", "--account-id", "globex"),
        *("--destination", "EU", "--destination", "linode-sg", "--valid-from", START),
        *("--valid-until", "2027-01-01T02:00:00+02:00", "--basis", "other"),
        *("--reference", "board decision 7", "--json"),
    )
    agreement = as_json(result)["event"]["agreement"]
    assert agreement["destinations"] == ["EU", "linode-sg"]
    assert agreement["valid_until"] == "2027-01-01T02:00:00+02:00"
    assert (agreement["basis"], agreement["reference"]) == ("other", "board decision 7")


def test_add_without_the_fields_names_the_missing_options(store: Path) -> None:
    """Without --file, --id, --account-id, --destination and --valid-from are required."""
    line = error_line(run("agreements", "add", "--store", store, "--id", "x"), "UsageError")
    assert "--account-id, --destination, --valid-from" in line
    assert not store.exists()


def test_add_file_and_fields_are_exclusive(store: Path) -> None:
    """--file takes every field from the file: a field option beside it is a usage error."""
    result = run("agreements", "add", "--store", store, "--file", EXAMPLE_AGREEMENTS, "--id", "x")
    assert "leave out --id" in error_line(result, "UsageError")


def test_add_reports_every_bad_field_at_its_option(store: Path) -> None:
    """Bad fields are reported at once, each at the option that gave it; nothing is made."""
    result = run(
        *("agreements", "add", "--store", store, "--id", "x", "--account-id", "acme"),
        *("--destination", "EU", "--valid-from", "2026-01-01T00:00:00"),
        *("--valid-until", "yesterday", "--basis", "handshake"),
    )
    line = error_line(result, "InvalidAgreement")
    assert "--valid-from: '2026-01-01T00:00:00' has no offset" in line
    assert "--valid-until: 'yesterday' is not an RFC 3339 time" in line
    assert "--basis: " in line
    assert not store.exists()


def test_add_refuses_a_window_that_ends_before_it_starts(store: Path) -> None:
    """The window is checked as instants: an end before the start is refused at --valid-until."""
    line = error_line(
        add(store, "agr-1", "--valid-until", "2025-12-31T23:00:00Z"), "InvalidAgreement"
    )
    assert "--valid-until: the window ends" in line


def test_add_checks_destinations_against_the_catalog(store: Path, tmp_path: Path) -> None:
    """A destination the catalog lacks is refused; with a catalog that has it, it is recorded."""
    wider = wider_catalog(tmp_path)
    args = ["agreements", "add", "--store", store, "--id", "x", "--account-id", "acme"]
    args += ["--destination", "linode-us-extra", "--valid-from", START, "--actor", "alice"]
    line = error_line(run(*args), "InvalidAgreement")
    assert "'linode-us-extra' is neither a region nor a data center of catalog" in line
    assert not store.exists()  # refused before a store was made for it
    ok(run(*args, "--catalog", wider))
    ok(run("--catalog", wider, *args[:5], "y", *args[6:]))


def test_add_an_id_twice_is_a_conflict(recorded: Path) -> None:
    """An id the store holds already is refused, and the agreement is kept as it was."""
    before = history(recorded)
    line = error_line(add(recorded), "AgreementConflict")
    assert "the store already holds agreement 'agr-1'" in line
    assert history(recorded) == before


def test_add_file_records_every_agreement_of_a_file(store: Path) -> None:
    """`add --file` records every agreement of an agreements file in one go."""
    result = run("agreements", "add", "--store", store, "--file", EXAMPLE_AGREEMENTS, "--json")
    assert as_json(result) == {
        "store": str(store),
        "source": str(EXAMPLE_AGREEMENTS),
        "recorded": 5,
    }
    with AgreementStore(store, readonly=True, create=False) as opened:
        assert opened.all() == load_agreements(EXAMPLE_AGREEMENTS)


# --- revoke and amend -------------------------------------------------------------------------


def test_revoke_makes_version_2_and_is_final(recorded: Path) -> None:
    """`revoke` records the revocation as version 2; a second one is refused."""
    args = ["agreements", "revoke", "agr-1", "--store", recorded, "--at", AT, "--actor", "bob"]
    data = as_json(run(*args, "--version", "1", "--note", "withdrawn", "--json"))
    event = data["event"]
    assert (event["seq"], event["kind"], event["version"]) == (2, "revoke", 2)
    assert (event["actor"], event["note"]) == ("bob", "withdrawn")
    assert event["agreement"]["revoked_at"] == "2026-07-01T00:00:00+00:00"
    line = error_line(run(*args, "--version", "2"), "AgreementConflict")
    assert "was revoked at 2026-07-01T00:00:00+00:00; a revocation is final" in line
    assert len(history(recorded)) == 2


def test_revoke_with_a_stale_version_names_who_changed_it(recorded: Path) -> None:
    """A version that is not the current one is refused with the current version and who."""
    ok(
        run(
            *("agreements", "amend", "agr-1", "--store", recorded, "--version", "1"),
            *("--reference", "DPA amendment no. 3", "--actor", "carol"),
        )
    )
    result = run(
        *("agreements", "revoke", "agr-1", "--store", recorded, "--version", "1"),
        *("--at", AT, "--actor", "bob"),
    )
    line = error_line(result, "AgreementConflict")
    assert "agreement 'agr-1' is at version 2, not 1 as read: carol changed it at" in line
    assert [event["kind"] for event in history(recorded)] == ["add", "amend"]


def test_revoke_reads_as_a_table(recorded: Path) -> None:
    """`revoke` prints the agreement as revoked, its new version and the event."""
    out = ok(
        run("agreements", "revoke", "agr-1", "--store", recorded, "--version", "1", "--at", AT)
    )
    assert line_of(out, "Revoked agreement").endswith("agr-1")
    assert line_of(out, "Revoked  ").endswith("2026-07-01T00:00:00+00:00")
    assert line_of(out, "Version").endswith("2")
    assert line_of(out, "Event ").endswith("2 (revoke)")


@pytest.mark.parametrize("command", ["revoke", "amend", "show", "history"])
def test_an_unknown_id_is_an_error(recorded: Path, command: str) -> None:
    """Every command that names an agreement refuses one the store does not hold."""
    extra = {
        "revoke": ["--version", "1", "--at", AT],
        "amend": ["--version", "1", "--reference", "x"],
    }.get(command, [])
    result = run("agreements", command, "agr-404", "--store", recorded, *extra)
    assert error_line(result, "UnknownAgreement").endswith("the store holds no agreement 'agr-404'")


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (["--valid-until", "2027-01-01T00:00:00Z"], "valid_until", "2027-01-01T00:00:00+00:00"),
        (["--destination", "EU", "--destination", "US"], "destinations", ["EU", "US"]),
        (["--reference", "DPA amendment no. 3"], "reference", "DPA amendment no. 3"),
    ],
    ids=["valid-until", "destinations", "reference"],
)
def test_amend_changes_one_field(
    recorded: Path, args: list[str], field: str, value: object
) -> None:
    """`amend` records version 2 with the field changed, and history says what changed."""
    result = run(
        *("agreements", "amend", "agr-1", "--store", recorded, "--version", "1", *args),
        *("--actor", "carol", "--json"),
    )
    event = as_json(result)["event"]
    assert (event["kind"], event["version"], event["actor"]) == ("amend", 2, "carol")
    assert event["agreement"][field] == value
    amended = history(recorded, "agr-1")[1]
    before = {"valid_until": None, "destinations": ["EU"], "reference": "DPA amendment no. 2"}
    assert amended["changes"] == {field: {"before": before[field], "after": value}}


def test_amend_valid_until_none_removes_the_end(store: Path) -> None:
    """`--valid-until none` gives the window no end again."""
    ok(add(store, "agr-1", "--valid-until", "2027-01-01T00:00:00Z"))
    result = run(
        *("agreements", "amend", "agr-1", "--store", store, "--version", "1"),
        *("--valid-until", "none", "--json"),
    )
    assert as_json(result)["event"]["agreement"]["valid_until"] is None


@pytest.mark.parametrize(
    ("args", "name", "message"),
    [
        ([], "UsageError", "name what changes"),
        (["--reference", "DPA amendment no. 2"], "AgreementConflict", "changes nothing"),
        (["--destination", "MARS"], "InvalidAgreement", "'MARS'"),
        (["--valid-until", "2025-01-01T00:00:00Z"], "InvalidAgreement", "the window ends"),
        (["--valid-until", "soon"], "InvalidTime", "'soon' is not an RFC 3339 time"),
        (["--reference", "x" * 5000], "InvalidAgreement", "--reference"),
    ],
    ids=["nothing", "no-change", "unknown-destination", "ends-early", "bad-time", "long"],
)
def test_amend_refuses_what_would_not_be_a_change(
    recorded: Path, args: list[str], name: str, message: str
) -> None:
    """An amendment must change something valid; otherwise nothing is written."""
    result = run("agreements", "amend", "agr-1", "--store", recorded, "--version", "1", *args)
    assert message in error_line(result, name)
    assert len(history(recorded)) == 1


@pytest.mark.parametrize("version", ["0", "-1", "two", "1.0", "9" * MEGABYTE])
def test_a_bad_version_is_a_short_usage_error(recorded: Path, version: str) -> None:
    """--version is a whole number from 1; anything else is refused, quoted short."""
    result = run(
        "agreements", "revoke", "agr-1", "--store", recorded, "--at", AT, "--version", version
    )
    assert "is no version" in error_line(result, "UsageError")


# --- list, show, history ----------------------------------------------------------------------


@pytest.fixture
def several(store: Path) -> Path:
    """The example agreements, and agr-1 of acme-uk revoked at AT."""
    ok(run("agreements", "import", EXAMPLE_AGREEMENTS, "--store", store, "--actor", "alice"))
    ok(add(store))
    ok(run("agreements", "revoke", "agr-1", "--store", store, "--version", "1", "--at", AT))
    return store


def test_list_json_has_every_agreement_with_its_version(several: Path) -> None:
    """`list --json` holds each agreement as it stands, with its version, by account."""
    data = as_json(run("agreements", "list", "--store", several, "--json"))
    assert (data["store"], data["account"], data["at"], data["unusable"]) == (
        str(several),
        None,
        None,
        [],
    )
    found = {item["id"]: item for item in data["agreements"]}
    assert set(found) == {a.id for a in load_agreements(EXAMPLE_AGREEMENTS)} | {"agr-1"}
    assert found["agr-1"]["version"] == 2
    assert found["agr-1"]["revoked_at"] == "2026-07-01T00:00:00+00:00"
    assert found["agr-2025-017"] == {
        **load_agreements(EXAMPLE_AGREEMENTS)[0].to_dict(),
        "version": 1,
    }
    accounts = [item["account_id"] for item in data["agreements"]]
    assert accounts == sorted(accounts)


def test_list_of_one_account(several: Path) -> None:
    """`list --account` lists that account's agreements only."""
    data = as_json(run("agreements", "list", "--store", several, "--account", "acme-uk", "--json"))
    assert [item["id"] for item in data["agreements"]] == ["agr-1"]
    assert data["account"] == "acme-uk"
    empty = as_json(run("agreements", "list", "--store", several, "--account", "nobody", "--json"))
    assert empty["agreements"] == []


@pytest.mark.parametrize(
    ("at", "ids"),
    [
        ("2026-06-30T23:59:59Z", {"agr-1", "agr-2025-017", "agr-2026-004"}),
        (AT, {"agr-2025-017", "agr-2026-004"}),
        ("2027-06-01T00:00:00Z", {"agr-2025-017", "agr-2026-052"}),
    ],
    ids=["before-revocation", "at-revocation", "next-year"],
)
def test_list_at_keeps_those_in_force(several: Path, at: str, ids: set[str]) -> None:
    """`list --at` keeps the agreements in force at that instant, revocations exclusive."""
    data = as_json(run("agreements", "list", "--store", several, "--at", at, "--json"))
    assert {item["id"] for item in data["agreements"]} == ids


def test_list_reads_as_a_table(several: Path) -> None:
    """`list` prints one row per agreement, with its window, basis, reference and version."""
    out = ok(run("agreements", "list", "--store", several))
    assert line_of(out, "Agreements of every account").endswith(str(several))
    row = line_of(out, "agr-2024-031 ")
    for cell in ("globex-uk", "aws-eu-west-1", "2024-03-01T09:00:00+00:00", "no end"):
        assert cell in row
    assert "2026-02-15T09:30:00+00:00" in row
    assert row.endswith("1")
    assert line_of(out, "agr-1 ").endswith("2")


def test_list_at_80_columns_keeps_ids_whole(several: Path) -> None:
    """At 80 columns each agreement becomes a block whose first line is its id."""
    out = ok(run("agreements", "list", "--store", several, env={"COLUMNS": "80"}))
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "agr-2026-052" in out.splitlines()
    assert "  Version: 2" in out


def test_list_all_and_account_are_exclusive(several: Path) -> None:
    """--all lists every account: with --account it is a usage error."""
    assert as_json(run("agreements", "list", "--store", several, "--all", "--json"))["agreements"]
    result = run("agreements", "list", "--store", several, "--all", "--account", "acme-uk")
    error_line(result, "UsageError")


def test_list_of_an_empty_store_says_so(store: Path) -> None:
    """A store without agreements lists none, in words."""
    AgreementStore(store).close()
    assert ok(run("agreements", "list", "--store", store)).startswith("No agreements")


def test_show_json_is_the_last_event(several: Path) -> None:
    """`show --json` prints the agreement as it stands in its last event, with its version."""
    event = as_json(run("agreements", "show", "agr-1", "--store", several, "--json"))["event"]
    assert (event["version"], event["kind"], event["seq"]) == (2, "revoke", 7)
    assert event["agreement"]["revoked_at"] == "2026-07-01T00:00:00+00:00"


def test_show_reads_as_a_table(several: Path) -> None:
    """`show` prints the agreement, its version, whether it is in force now, and its event."""
    out = ok(run("agreements", "show", "agr-2025-017", "--store", several))
    assert line_of(out, "Agreement agr").endswith("agr-2025-017")
    assert line_of(out, "Account").endswith("northwind-uk")
    assert line_of(out, "Now").endswith("in force")
    assert line_of(out, "Reference").endswith("DPA amendment no. 3, signed 2025-09-12")
    assert line_of(out, "Actor").endswith("alice")
    assert line_of(out, "Note").endswith("none given")


def test_history_lists_every_event_with_who_and_what_changed(several: Path) -> None:
    """`history` lists the events in order: kind, version, actor, note and the changes."""
    events = history(several)
    assert [event["seq"] for event in events] == list(range(1, 8))
    assert [event["kind"] for event in events][-2:] == ["add", "revoke"]
    assert all(event["actor"] == "alice" for event in events[:6])
    assert events[-1]["changes"] == {
        "revoked_at": {"before": None, "after": "2026-07-01T00:00:00+00:00"}
    }
    assert events[0]["changes"] is None
    out = ok(run("agreements", "history", "agr-1", "--store", several))
    assert line_of(out, "History of agreement").endswith("agr-1")
    assert "revoked_at: none -> 2026-07-01T00:00:00+00:00" in line_of(out, "revoke")


def test_history_records_the_actor_given(recorded: Path) -> None:
    """--actor is what the history records as who made the change."""
    ok(
        run(
            *("agreements", "revoke", "agr-1", "--store", recorded, "--version", "1", "--at", AT),
            *("--actor", "dana@support", "--note", "customer withdrew, ticket 9"),
        )
    )
    events = history(recorded, "agr-1")
    assert [(e["actor"], e["note"]) for e in events] == [
        ("alice", ""),
        ("dana@support", "customer withdrew, ticket 9"),
    ]


def test_the_actor_defaults_to_the_login_name(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --actor a write records the login name."""
    monkeypatch.setattr("getpass.getuser", lambda: "erin")
    result = run(
        *("agreements", "add", "--store", store, "--id", "a", "--account-id", "acme"),
        *("--destination", "EU", "--valid-from", START, "--json"),
    )
    assert as_json(result)["event"]["actor"] == "erin"


def test_the_actor_falls_back_to_user(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the login name cannot be found, $USER is used; without it, --actor is asked for."""

    def unknown() -> str:
        raise OSError

    monkeypatch.setattr("getpass.getuser", unknown)
    args = ["agreements", "add", "--store", store, "--id", "a", "--account-id", "acme"]
    args += ["--destination", "EU", "--valid-from", START, "--json"]
    assert as_json(run(*args, env={"USER": "frank"}))["event"]["actor"] == "frank"
    line = error_line(run(*args[:5], "b", *args[6:], env={"USER": None}), "UsageError")
    assert "--actor" in line
    assert "--actor is empty" in error_line(run(*args, "--actor", " "), "UsageError")


# --- import and export ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["toml", "json"])
def test_export_then_import_gives_the_same_agreements(
    several: Path, tmp_path: Path, kind: str
) -> None:
    """An export reads back as the agreements it was made from, and imports into a new store."""
    exported = tmp_path / f"exported.{kind}"
    data = as_json(run("agreements", "export", "--store", several, "-o", exported, "--json"))
    assert data == {"store": str(several), "output": str(exported), "format": kind, "agreements": 6}
    with AgreementStore(several, readonly=True, create=False) as opened:
        current = opened.all()
    assert load_agreements(exported) == current
    assert [a.to_dict() for a in load_agreements(exported)] == [a.to_dict() for a in current]
    copy = tmp_path / "copy.sqlite3"
    ok(run("agreements", "import", exported, "--store", copy, "--actor", "alice"))
    with AgreementStore(copy, readonly=True, create=False) as opened:
        assert [a.to_dict() for a in opened.all()] == [a.to_dict() for a in current]


def test_export_to_standard_output(several: Path) -> None:
    """Without -o the file goes to stdout: TOML, or JSON with --json or --format json."""
    toml = ok(run("agreements", "export", "--store", several))
    assert len(tomllib.loads(toml)["agreements"]) == 6
    for args in (["--json"], ["--format", "json"]):
        assert (
            len(
                json.loads(ok(run("agreements", "export", "--store", several, *args)))["agreements"]
            )
            == 6
        )


def test_export_of_an_empty_store_reads_back_empty(store: Path, tmp_path: Path) -> None:
    """An empty store exports a file with no agreements, which reads back as none."""
    AgreementStore(store).close()
    for kind in ("toml", "json"):
        output = tmp_path / f"empty.{kind}"
        ok(run("agreements", "export", "--store", store, "-o", output))
        assert load_agreements(output) == ()


def test_export_never_replaces_a_file_without_force(several: Path, tmp_path: Path) -> None:
    """An existing file is kept unless --force; with it, replaced whole."""
    output = tmp_path / "out.toml"
    output.write_text("keep me\n")
    line = error_line(run("agreements", "export", "--store", several, "-o", output), "FileError")
    assert "exists already (--force replaces it)" in line
    assert output.read_text() == "keep me\n"
    ok(run("agreements", "export", "--store", several, "-o", output, "--force"))
    assert len(load_agreements(output)) == 6
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_export_never_writes_over_the_store(several: Path) -> None:
    """Not even --force writes an export over the store itself."""
    renamed = several.with_suffix(".json")
    several.rename(renamed)
    before = fingerprint(renamed)
    result = run("agreements", "export", "--store", renamed, "-o", renamed, "--force")
    assert "the output is the same file as the input" in error_line(result, "FileError")
    assert fingerprint(renamed) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "out.txt"], "does not end in .toml or .json"),
        (["-o", "out.json", "--format", "toml"], "whose name says json"),
        (["--json", "--format", "toml"], "leave out --format toml"),
    ],
    ids=["suffix", "mismatch", "json-and-toml"],
)
def test_export_refuses_a_file_that_would_not_read_back(
    several: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """An output named otherwise than its format, or than files are read by, is refused."""
    named = [str(tmp_path / arg) if arg.startswith("out.") else arg for arg in args]
    result = run("agreements", "export", "--store", several, *named)
    assert message in error_line(result, "UsageError")
    assert not any(path.name.startswith("out") for path in tmp_path.iterdir())


def test_export_refuses_what_a_file_cannot_hold(store: Path, tmp_path: Path) -> None:
    """An agreement a file cannot hold (recorded through the library) is refused, not written."""
    with AgreementStore(store) as opened:
        opened.add(
            Agreement(
                id="x" * 300,
                account_id="acme",
                destinations=["EU"],
                valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    output = tmp_path / "out.toml"
    result = run("agreements", "export", "--store", store, "-o", output)
    assert "cannot be written to an agreements file" in error_line(result, "InvalidAgreement")
    assert not output.exists()


def test_import_carries_a_store_over(several: Path, tmp_path: Path) -> None:
    """`import STORE` records every agreement of another store as it stands, at version 1."""
    copy = tmp_path / "copy.sqlite3"
    data = as_json(run("agreements", "import", several, "--store", copy, "--json"))
    assert data == {"store": str(copy), "source": str(several), "recorded": 6}
    with AgreementStore(several, readonly=True) as old, AgreementStore(copy) as new:
        assert new.all() == old.all()
        assert {event.version for event in new.history()} == {1}


def test_import_of_held_ids_writes_nothing(several: Path) -> None:
    """An import naming an id the store holds is refused whole."""
    before = history(several)
    result = run("agreements", "import", EXAMPLE_AGREEMENTS, "--store", several)
    assert "the store already holds agreement" in error_line(result, "AgreementConflict")
    assert history(several) == before


def test_import_of_the_store_itself_is_refused(several: Path) -> None:
    """A store cannot be imported into itself."""
    result = run("agreements", "import", several, "--store", several)
    assert "is the store itself" in error_line(result, "UsageError")


def test_import_refuses_agreements_that_cannot_be_used(tmp_path: Path) -> None:
    """A source store holding an agreement the catalog cannot use is refused, naming it."""
    wider = load_policy(wider_catalog(tmp_path))
    source = tmp_path / "old.sqlite3"
    with AgreementStore(source, policy=wider) as opened:
        opened.add(
            Agreement(
                id="extra",
                account_id="acme",
                destinations=["linode-us-extra"],
                valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    target = tmp_path / "new.sqlite3"
    line = error_line(run("agreements", "import", source, "--store", target), "InvalidAgreement")
    assert "agreement 'extra': cannot be carried over: it names 'linode-us-extra'" in line


_SCHEMA_1 = (
    "CREATE TABLE agreement (id TEXT PRIMARY KEY, account_id TEXT)",
    """CREATE TABLE agreement_event (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, agreement_id TEXT, account_id TEXT,
        recorded_at TEXT, actor TEXT, note TEXT, snapshot TEXT)""",
    "PRAGMA application_id = 1380275033",
    "PRAGMA user_version = 1",
)


def old_store(path: Path) -> Path:
    """A store as residency 0.1 wrote it (schema version 1, no chain), holding agr-1."""
    snapshot = Agreement(
        id="agr-1",
        account_id="acme-uk",
        destinations=["EU"],
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        reference="ticket 4711",
    ).to_dict()
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in _SCHEMA_1:
        connection.execute(statement)
    connection.execute("INSERT INTO agreement VALUES ('agr-1', 'acme-uk')")
    connection.execute(
        "INSERT INTO agreement_event (kind, agreement_id, snapshot) VALUES ('add', 'agr-1', ?)",
        (json.dumps(snapshot),),
    )
    connection.close()
    return path


def test_import_carries_a_store_of_residency_0_1_over(tmp_path: Path) -> None:
    """A 0.1 store is no store to open, but `import` carries its agreements into a new one."""
    old = old_store(tmp_path / "old.sqlite3")
    before = fingerprint(old)
    line = error_line(run("agreements", "list", "--store", old), "StoreCorrupt")
    assert "agreements import OLD --store NEW" in line
    new = tmp_path / "new.sqlite3"
    assert as_json(run("agreements", "import", old, "--store", new, "--json"))["recorded"] == 1
    listed = as_json(run("agreements", "list", "--store", new, "--json"))["agreements"]
    assert [(item["id"], item["reference"], item["version"]) for item in listed] == [
        ("agr-1", "ticket 4711", 1)
    ]
    assert fingerprint(old) == before


def test_check_reads_a_store_of_residency_0_1(tmp_path: Path) -> None:
    """`check --agreements` still reads a 0.1 store, as it stands, without writing to it."""
    old = old_store(tmp_path / "old.sqlite3")
    before = fingerprint(old)
    result = run(*MOVE, "--account", "acme-uk", "--agreements", old, "--at", AT, "--json")
    assert as_json(result)["agreement"]["id"] == "agr-1"
    assert fingerprint(old) == before


def test_import_of_an_invalid_file_names_its_problems(store: Path, tmp_path: Path) -> None:
    """An invalid agreements file is refused with its problems, and no store is made."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[agreements]]\nid = "a"\n')
    line = error_line(run("agreements", "import", bad, "--store", store), "InvalidAgreement")
    assert "agreements[0].account_id: missing" in line
    assert not store.exists()


# --- verify -----------------------------------------------------------------------------------


def test_verify_reports_a_whole_store(several: Path) -> None:
    """`verify` prints the events checked, the agreements and the head; exit 0."""
    data = as_json(run("agreements", "verify", "--store", several, "--json"))
    assert data == data | {
        "store": str(several),
        "events": 7,
        "agreements": 6,
        "unusable": [],
        "ok": True,
    }
    out = ok(run("agreements", "verify", "--store", several, "--head", data["head"]))
    assert line_of(out, "Head").endswith(data["head"])
    assert line_of(out, "Events").endswith("7 checked: the history is whole")
    assert line_of(out, "Agreements").endswith("6: every agreement can be used")


def test_verify_exits_1_when_an_agreement_cannot_be_used(store: Path, tmp_path: Path) -> None:
    """An agreement the catalog in use cannot interpret is named with why; exit 1."""
    wider = wider_catalog(tmp_path)
    args = ["agreements", "add", "--store", store, "--account-id", "acme", "--valid-from", START]
    ok(run(*args, "--id", "extra", "--destination", "linode-us-extra", "--catalog", wider))
    ok(run(*args, "--id", "fine", "--destination", "US"))
    ok(run("agreements", "verify", "--store", store, "--catalog", wider))
    data = as_json(run("agreements", "verify", "--store", store, "--json"), 1)
    assert data["ok"] is False
    (unusable,) = data["unusable"]
    assert (unusable["id"], unusable["account_id"]) == ("extra", "acme")
    assert "linode-us-extra" in unusable["reason"]
    out = ok(run("agreements", "verify", "--store", store), 1)
    assert line_of(out, "Agreements  ").endswith("1 of 2 agreements cannot be used")
    assert "linode-us-extra" in line_of(out, "extra ")


@pytest.fixture
def unreadable(store: Path) -> Path:
    """A store holding agr-1 and ``newer``, an agreement of a basis this version does not know.

    As a later residency would write it: appended raw, with a correct hash, every trigger
    satisfied.
    """
    ok(add(store))
    snapshot = json.dumps(
        {
            "id": "newer",
            "account_id": "acme-uk",
            "destinations": ["EU"],
            "valid_from": "2026-01-01T00:00:00+00:00",
            "basis": "future-basis",
            "reference": "",
        },
        separators=(",", ":"),
    )
    with sqlite3.connect(store) as connection:
        previous = connection.execute("SELECT seq, hash FROM agreement_event").fetchone()
        row = link(previous, ("add", "newer", "acme-uk", 1, 0, "later", "", snapshot))
        marks = ", ".join("?" * len(row))
        connection.execute(f"INSERT INTO agreement_event VALUES ({marks})", row)  # noqa: S608
    connection.close()
    return store


def test_an_unreadable_agreement_is_listed_apart_with_why(unreadable: Path) -> None:
    """list, show and history name an agreement this version cannot read, with the reason."""
    data = as_json(run("agreements", "list", "--store", unreadable, "--json"))
    assert [item["id"] for item in data["agreements"]] == ["agr-1"]
    (item,) = data["unusable"]
    assert (item["id"], item["account_id"], item["version"]) == ("newer", "acme-uk", 1)
    assert "future-basis" in item["reason"]
    for args in ([], ["--account", "acme-uk"], ["--at", AT]):
        listed = as_json(run("agreements", "list", "--store", unreadable, *args, "--json"))
        assert [item["id"] for item in listed["unusable"]] == ["newer"]
    out = ok(run("agreements", "list", "--store", unreadable))
    assert "future-basis" in line_of(out, "newer ")
    event = as_json(run("agreements", "show", "newer", "--store", unreadable, "--json"))["event"]
    assert event["agreement"] is None
    assert "future-basis" in event["unusable"]
    assert "future-basis" in line_of(
        ok(run("agreements", "show", "newer", "--store", unreadable)), "Cannot be used"
    )
    events = history(unreadable)
    assert events[-1]["changes"] is None
    assert "cannot be read" in line_of(
        ok(run("agreements", "history", "--store", unreadable)), "newer"
    )
    report = as_json(run("agreements", "verify", "--store", unreadable, "--json"), 1)
    assert [item["id"] for item in report["unusable"]] == ["newer"]


def test_an_unreadable_agreement_cannot_be_changed_or_carried_over(
    unreadable: Path, tmp_path: Path
) -> None:
    """Neither amend nor import touch what cannot be read; check names it in a denial."""
    result = run(
        "agreements",
        "amend",
        "newer",
        "--store",
        unreadable,
        "--version",
        "1",
        "--reference",
        "x",
        "--actor",
        "alice",
    )
    assert "future-basis" in error_line(result, "InvalidAgreement")
    result = run("agreements", "import", unreadable, "--store", tmp_path / "copy.sqlite3")
    assert "agreement 'newer': cannot be carried over" in error_line(result, "InvalidAgreement")
    check = [*MOVE, "--account", "acme-uk", "--agreements", unreadable]
    denied = as_json(run(*check, "--at", "2025-06-01T00:00:00Z", "--json"), 1)
    assert [item["id"] for item in denied["unusable"]] == ["newer"]
    assert as_json(run(*check, "--at", AT, "--json"))["agreement"]["id"] == "agr-1"


def test_check_refuses_a_tampered_store(recorded: Path) -> None:
    """A store whose history was changed outside residency is refused by check, exit 2."""
    with sqlite3.connect(recorded) as connection:
        connection.execute("DROP TRIGGER agreement_event_no_delete")
    connection.close()
    result = run(*MOVE, "--account", "acme-uk", "--agreements", recorded)
    assert "agreement_event_no_delete was dropped" in error_line(result, "StoreTampered")


def test_verify_of_a_rewritten_history_exits_2(several: Path) -> None:
    """A head the chain no longer holds, or a schema changed outside residency, is exit 2."""
    result = run("agreements", "verify", "--store", several, "--head", "0" * 64)
    assert "is no event of the chain" in error_line(result, "StoreTampered")
    with sqlite3.connect(several) as connection:
        connection.execute("DROP TRIGGER agreement_event_no_update")
        connection.execute("UPDATE agreement_event SET actor = 'mallory' WHERE seq = 1")
    connection.close()
    for command in ("verify", "list"):
        line = error_line(run("agreements", command, "--store", several), "StoreTampered")
        assert "agreement_event_no_update was dropped" in line


def test_verify_of_a_file_that_is_no_store(tmp_path: Path) -> None:
    """A file that is not a store is StoreCorrupt, exit 2."""
    path = tmp_path / "agreements.sqlite3"
    path.write_text("not a database\n")
    error_line(run("agreements", "verify", "--store", path), "StoreCorrupt")


# --- reading never writes; writing creates only where asked ---------------------------------

READS = [
    ["list"],
    ["list", "--account", "acme-uk", "--at", AT],
    ["show", "agr-1"],
    ["history"],
    ["history", "agr-1"],
    ["export"],
    ["verify"],
]
READ_IDS = ["list", "list-account", "show", "history", "history-one", "export", "verify"]


@pytest.mark.parametrize("args", READS, ids=READ_IDS)
@pytest.mark.parametrize("as_json_flag", [[], ["--json"]], ids=["table", "json"])
def test_reads_work_on_a_read_only_store_and_change_nothing(
    several: Path, args: list[str], as_json_flag: list[str]
) -> None:
    """Every reading command answers from a chmod 444 store and leaves its bytes and mtime."""
    before = read_only(several)
    ok(run("agreements", *args, "--store", several, *as_json_flag))
    assert fingerprint(several) == before


@pytest.mark.parametrize("args", READS, ids=READ_IDS)
def test_reads_never_create_a_store(tmp_path: Path, args: list[str]) -> None:
    """A reading command on a missing store is StoreMissing, and makes nothing."""
    path = tmp_path / "agreements.sqlite3"
    line = error_line(run("agreements", *args, "--store", path), "StoreMissing")
    assert line.endswith("no such file (residency creates no store to read one)")
    assert list(tmp_path.iterdir()) == []


def test_reads_never_create_the_default_store(tmp_path: Path) -> None:
    """Without --store a reading command reads the default store, and never makes it."""
    result = run("agreements", "list", env={"XDG_DATA_HOME": str(tmp_path)})
    line = error_line(result, "StoreMissing")
    assert str(tmp_path / "residency" / "agreements.sqlite3") in line
    assert list(tmp_path.iterdir()) == []


def test_writes_create_the_default_store(tmp_path: Path) -> None:
    """Without --store a write creates the default store, in the user data folder."""
    env: dict[str, str | None] = {"XDG_DATA_HOME": str(tmp_path)}
    data = as_json(
        run(
            *("agreements", "add", "--id", "a", "--account-id", "acme", "--destination", "EU"),
            *("--valid-from", START, "--actor", "alice", "--json"),
            env=env,
        )
    )
    default = tmp_path / "residency" / "agreements.sqlite3"
    assert data["store"] == str(default)
    assert default.is_file()
    assert as_json(run("agreements", "list", "--json", env=env))["agreements"][0]["id"] == "a"


def test_the_store_may_be_named_by_the_environment(tmp_path: Path) -> None:
    """$RESIDENCY_AGREEMENTS names the store when --store does not."""
    path = tmp_path / "from-env.sqlite3"
    env: dict[str, str | None] = {"RESIDENCY_AGREEMENTS": str(path)}
    ok(add(path))
    assert as_json(run("agreements", "show", "agr-1", "--json", env=env))["store"] == str(path)


def test_a_write_in_a_missing_folder_is_store_missing(tmp_path: Path) -> None:
    """An explicit store in a folder that does not exist is refused, and no folder is made."""
    path = tmp_path / "nowhere" / "agreements.sqlite3"
    line = error_line(add(path), "StoreMissing")
    assert "does not exist" in line
    assert not path.parent.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["revoke", "agr-1", "--version", "1", "--at", AT],
        ["amend", "agr-1", "--version", "1", "--reference", "x"],
    ],
    ids=["revoke", "amend"],
)
def test_a_change_never_creates_a_store(tmp_path: Path, args: list[str]) -> None:
    """A change names an agreement the store holds: a missing store is an error, not made."""
    path = tmp_path / "mistyped.sqlite3"
    error_line(run("agreements", *args, "--store", path, "--actor", "alice"), "StoreMissing")
    assert list(tmp_path.iterdir()) == []


def test_a_refused_import_creates_no_store(tmp_path: Path) -> None:
    """An import refused for what it holds leaves no new store behind."""
    source = tmp_path / "mars.json"
    agreement = {**load_agreements(EXAMPLE_AGREEMENTS)[0].to_dict(), "destinations": ["MARS"]}
    source.write_text(json.dumps({"agreements": [agreement]}))
    path = tmp_path / "new.sqlite3"
    line = error_line(run("agreements", "import", source, "--store", path), "InvalidAgreement")
    assert "'MARS' is neither a region nor a data center of catalog" in line
    assert not path.exists()


def test_a_write_to_a_read_only_store_is_refused(recorded: Path) -> None:
    """A store the process cannot write is refused with a typed store error, and kept."""
    if os.geteuid() == 0:
        pytest.skip("root writes any file")
    before = read_only(recorded)
    result = add(recorded, "agr-2")
    assert result.exit_code == 2, result.output
    assert re.match(r"^Store[A-Za-z]+: ", result.stderr), result.stderr
    assert fingerprint(recorded) == before


# --- hostile ids --------------------------------------------------------------------------------


def test_an_id_with_escapes_is_shown_escaped(store: Path) -> None:
    """An id and account with terminal escapes are recorded as given and printed escaped."""
    agreement_id = f"agr-{HOSTILE}"
    args = ["--store", store]
    ok(
        run(
            *("agreements", "add", *args, "--id", agreement_id, "--account-id", HOSTILE),
            *("--destination", "EU", "--valid-from", START, "--actor", HOSTILE, "--reference"),
            f"ticket\t{HOSTILE}",
        )
    )
    ok(
        run(
            *("agreements", "amend", agreement_id, *args, "--version", "1", "--note", HOSTILE),
            *("--reference", "plain"),
        )
    )
    for command in (["list"], ["show", agreement_id], ["history"], ["history", agreement_id]):
        table = ok(run("agreements", *command, *args))
        assert_safe(table)
        assert escape(agreement_id) in table
        data = ok(run("agreements", *command, *args, "--json"))
        assert_safe(data)
        assert agreement_id in strings(json.loads(data))
    listed = as_json(run("agreements", "list", *args, "--account", HOSTILE, "--json"))
    assert listed["agreements"][0]["id"] == agreement_id
    exported = ok(run("agreements", "export", *args))
    assert_safe(exported)
    assert tomllib.loads(exported)["agreements"][0]["account_id"] == HOSTILE
    line = error_line(run("agreements", "show", f"{agreement_id}x", *args), "UnknownAgreement")
    assert_safe(line)


@pytest.mark.parametrize(
    "command",
    [
        ["show", "{id}"],
        ["history", "{id}"],
        ["revoke", "{id}", "--version", "1", "--at", AT],
        ["amend", "{id}", "--version", "1", "--reference", "x"],
        ["add", "--id", "{id}", "--account-id", "a", "--destination", "EU", "--valid-from", START],
        ["add", "--id", "a", "--account-id", "b", "--destination", "{id}", "--valid-from", START],
        ["add", "--id", "a", "--account-id", "b", "--destination", "EU", "--valid-from", "{id}"],
        [
            "add",
            "--id",
            "a",
            "--account-id",
            "b",
            "--destination",
            "EU",
            "--basis",
            "{id}",
            "--valid-from",
            START,
        ],
        ["list", "--at", "{id}"],
        ["verify", "--head", "{id}"],
    ],
    ids=[
        "show",
        "history",
        "revoke",
        "amend",
        "add-id",
        "add-destination",
        "add-time",
        "add-basis",
        "list-at",
        "verify-head",
    ],
)
def test_a_megabyte_id_gives_a_short_error(recorded: Path, command: list[str]) -> None:
    """An id of a megabyte is refused or not found in one short line that quotes a prefix."""
    huge = f"{HOSTILE}{'x' * MEGABYTE}"
    args = [huge if arg == "{id}" else arg for arg in command]
    writes = command[0] in {"add", "revoke", "amend"}
    result = run(
        "agreements", *args, "--store", recorded, *(["--actor", "alice"] if writes else [])
    )
    assert result.exit_code == 2, result.output[:500]
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert len(line) <= SHORT, line[:300]
    assert "1,000,0" in line, line[:300]
    assert_safe(line)


def test_a_megabyte_account_lists_nothing(recorded: Path) -> None:
    """An account of a megabyte has no agreements: the listing is empty, not an error."""
    data = as_json(
        run("agreements", "list", "--account", "x" * MEGABYTE, "--store", recorded, "--json")
    )
    assert data["agreements"] == []


# Every file of the hostile corpus (tests/hostile.py), as the source of an import and as a
# store. The source is read before the store is opened, and the store named for the import is
# in a folder that does not exist: whatever the file, nothing is made.
HOSTILE_COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "import": lambda path, folder: [
        *("agreements", "import", str(path), "--actor", "support"),
        *("--store", str(folder / "missing" / "agreements.sqlite3")),
    ],
    "add-file": lambda path, folder: [
        *("agreements", "add", "--file", str(path), "--actor", "support"),
        *("--store", str(folder / "missing" / "agreements.sqlite3")),
    ],
    "store": lambda path, _: ["agreements", "list", "--store", str(path)],
    "verify": lambda path, _: ["agreements", "verify", "--store", str(path)],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The hostile corpus in a folder of its own."""
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hostile_files(folder)


def test_every_hostile_file_is_refused_in_one_line(
    corpus: tuple[Path, dict[str, Path]],
) -> None:
    """Each hostile file, as a source or as a store, is one short safe error line, exit 2.

    Every read looks at what a file is before opening it: a FIFO without a writer and
    /dev/zero are refused at once, in the process itself, and nothing is left behind.
    """
    folder, files = corpus
    before = sorted(path.name for path in folder.iterdir())
    for case, path in files.items():
        for command, arguments in HOSTILE_COMMANDS.items():
            result = run(*arguments(path, folder))
            assert result.exit_code == 2, f"{case} {command}: {result.output[:300]}"
            assert result.stdout == "", f"{case} {command}: {result.stdout[:300]}"
            (line,) = result.stderr.splitlines()
            assert re.match(r"^[A-Za-z]+: ", line), line[:300]
            assert len(line) <= SHORT, line[:300]
            assert_safe(line)
    assert sorted(path.name for path in folder.iterdir()) == before


# --- check --agreements STORE -------------------------------------------------------------------


def test_check_against_a_store_follows_its_history(store: Path) -> None:
    """`check --agreements STORE` allows under a recorded agreement, and denies once revoked."""
    ok(add(store))
    check = [*MOVE, "--account", "acme-uk", "--agreements", store]
    data = as_json(run(*check, "--at", LATER, "--json"))
    assert (data["allowed"], data["agreement"]["id"]) == (True, "agr-1")
    out = ok(run(*check, "--at", LATER))
    assert out.startswith("ALLOWED")
    assert line_of(out, "Agreements  ").endswith(f"{store} (1 agreement)")
    ok(run("agreements", "revoke", "agr-1", "--store", store, "--version", "1", "--at", AT))
    data = as_json(run(*check, "--at", LATER, "--json"), 1)
    assert data["allowed"] is False
    assert "revoked at 2026-07-01T00:00:00+00:00" in data["reason"]
    assert as_json(run(*check, "--at", "2026-06-30T00:00:00Z", "--json"))["allowed"] is True


def test_check_names_an_unusable_agreement_and_others_still_answer(
    target: str, tmp_path: Path
) -> None:
    """An agreement the bundled catalog cannot use denies its own account's move, saying why.

    It was recorded under a catalog with one more data center; the check of another
    account's move, from the same store, is answered as before.
    """
    wider = wider_catalog(tmp_path)
    ok(
        run(
            *("agreements", "add", "--store", target, "--id", "extra", "--account-id", "acme-uk"),
            *("--destination", "linode-us-extra", "--valid-from", START, "--catalog", wider),
        )
    )
    ok(
        run(
            *("agreements", "add", "--store", target, "--id", "northwind", "--account-id"),
            *("northwind-uk", "--destination", "EU", "--valid-from", START),
        )
    )
    denied = as_json(
        run(*MOVE, "--account", "acme-uk", "--agreements", target, "--at", AT, "--json"), 1
    )
    assert [item["id"] for item in denied["unusable"]] == ["extra"]
    assert "agreement 'extra' is recorded for the account but cannot be used" in denied["reason"]
    assert "linode-us-extra" in denied["reason"]
    out = ok(run(*MOVE, "--account", "acme-uk", "--agreements", target, "--at", AT), 1)
    assert "cannot be used" in out
    allowed = as_json(
        run(*MOVE, "--account", "northwind-uk", "--agreements", target, "--at", AT, "--json")
    )
    assert (allowed["allowed"], allowed["agreement"]["id"]) == (True, "northwind")
    wide = run(
        *("--catalog", wider, "check", "GB", "--from", "linode-uk", "--to", "linode-us-extra"),
        *("--account", "acme-uk", "--agreements", target, "--at", AT),
    )
    assert ok(wide).startswith("ALLOWED")


@pytest.mark.parametrize(
    ("account", "code"), [("acme-uk", 0), ("globex-uk", 1)], ids=["allowed", "denied"]
)
def test_check_on_a_read_only_store_changes_nothing(
    recorded: Path, account: str, code: int
) -> None:
    """`check` reads a chmod 444 store, answers 0 or 1, and leaves its bytes and mtime."""
    before = read_only(recorded)
    result = run(*MOVE, "--account", account, "--agreements", recorded, "--at", AT)
    assert ok(result, code).startswith("ALLOWED" if code == 0 else "DENIED")
    assert fingerprint(recorded) == before


@pytest.mark.slow
def test_installed_check_on_a_read_only_store(recorded: Path) -> None:
    """The installed command reads a chmod 444 store and changes nothing in it."""
    before = read_only(recorded)
    result = subprocess.run(  # noqa: S603 - the project's own command, fixed arguments
        [str(SCRIPT), *MOVE, "--account", "acme-uk", "--agreements", str(recorded), "--at", AT],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RESIDENCY_AGREEMENTS": ""},
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert fingerprint(recorded) == before


# --- both backends --------------------------------------------------------------------------------


def test_a_session_on_each_backend(target: str) -> None:
    """Add, list, check, revoke, history, verify and export run the same on every backend."""
    ok(add(target))
    ok(run("agreements", "add", "--store", target, "--file", EXAMPLE_AGREEMENTS))
    listed = as_json(run("agreements", "list", "--store", target, "--account", "acme-uk", "--json"))
    assert [(item["id"], item["version"]) for item in listed["agreements"]] == [("agr-1", 1)]
    check = [*MOVE, "--account", "acme-uk", "--agreements", target, "--at", LATER]
    assert ok(run(*check)).startswith("ALLOWED")
    ok(
        run(
            *("agreements", "revoke", "agr-1", "--store", target, "--version", "1", "--at", AT),
            *("--actor", "bob"),
        )
    )
    stale = run("agreements", "revoke", "agr-1", "--store", target, "--version", "1", "--at", AT)
    assert "is at version 2, not 1 as read: bob changed it" in error_line(
        stale, "AgreementConflict"
    )
    assert ok(run(*check), 1).startswith("DENIED")
    assert [e["kind"] for e in history(target, "agr-1")] == ["add", "revoke"]
    report = as_json(run("agreements", "verify", "--store", target, "--json"))
    assert (report["events"], report["agreements"], report["ok"]) == (7, 6, True)
    exported = ok(run("agreements", "export", "--store", target, "--format", "json"))
    assert len(json.loads(exported)["agreements"]) == 6


def test_show_and_history_on_each_backend(target: str) -> None:
    """An amendment shows as the new version, and its change in the history, on every backend."""
    ok(add(target))
    ok(
        run(
            *("agreements", "amend", "agr-1", "--store", target, "--version", "1"),
            *("--destination", "EU", "--destination", "APAC", "--actor", "carol"),
        )
    )
    event = as_json(run("agreements", "show", "agr-1", "--store", target, "--json"))["event"]
    assert (event["version"], event["actor"]) == (2, "carol")
    assert history(target)[-1]["changes"] == {
        "destinations": {"before": ["EU"], "after": ["APAC", "EU"]}
    }
