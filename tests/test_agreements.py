"""Agreements: validation, the index by account, and agreements files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from residency import (
    Agreement,
    AgreementIndex,
    FileError,
    InvalidAgreement,
    InvalidTime,
    LegalBasis,
    NotARegularFile,
    default_policy,
    load_agreements,
)

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2026, 1, 1, tzinfo=UTC)


def _fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": "agr-1",
        "account_id": "acme",
        "destinations": ["US"],
        "valid_from": START,
    }
    fields.update(changes)
    return fields


def test_defaults() -> None:
    """An agreement needs id, account, destinations and start; the rest has defaults."""
    agreement = Agreement(**_fields())  # type: ignore[arg-type]
    assert agreement.destinations == frozenset({"US"})
    assert agreement.valid_until is None
    assert agreement.revoked_at is None
    assert agreement.basis is LegalBasis.CUSTOMER_CONSENT
    assert agreement.reference == ""


def test_lone_destination_string_is_one_destination() -> None:
    """A destination given as a lone string is one destination, not its letters."""
    assert Agreement(**_fields(destinations="linode-sg")).destinations == {"linode-sg"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"valid_until": START}, InvalidAgreement, "window ends"),
        ({"valid_until": START - timedelta(days=1)}, InvalidAgreement, "window ends"),
        ({"destinations": []}, InvalidAgreement, "at least one destination"),
        ({"destinations": [""]}, InvalidAgreement, "non-empty str"),
        ({"id": ""}, InvalidAgreement, "id must be a non-empty str"),
        ({"account_id": None}, InvalidAgreement, "account_id must be a non-empty str"),
        ({"basis": "handshake"}, InvalidAgreement, "not a legal basis"),
        ({"reference": 7}, InvalidAgreement, "reference must be a str"),
        ({"valid_from": datetime(2026, 1, 1)}, InvalidTime, "naive"),  # noqa: DTZ001
        ({"revoked_at": datetime(2026, 3, 1)}, InvalidTime, "naive"),  # noqa: DTZ001
        ({"valid_until": "2027-01-01"}, InvalidTime, "aware datetime"),
        ({"valid_from": None}, InvalidAgreement, "known instant"),
    ],
    ids=[
        "empty-window",
        "window-ends-before-start",
        "no-destination",
        "empty-destination",
        "empty-id",
        "no-account",
        "unknown-basis",
        "reference-not-str",
        "naive-start",
        "naive-revocation",
        "string-time",
        "no-start",
    ],
)
def test_invalid_agreements_are_refused(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    """A malformed agreement is refused with a clear, typed error."""
    with pytest.raises(error, match=message):
        Agreement(**_fields(**changes))  # type: ignore[arg-type]


def test_every_problem_at_once() -> None:
    """An agreement with several problems reports them all."""
    with pytest.raises(InvalidAgreement) as caught:
        Agreement(**_fields(id="", destinations=[], valid_until=START))  # type: ignore[arg-type]
    assert [problem.path for problem in caught.value.problems] == [
        "id",
        "destinations",
        "valid_until",
    ]


@pytest.mark.parametrize("basis", list(LegalBasis), ids=str)
def test_every_legal_basis(basis: LegalBasis) -> None:
    """Every legal basis is accepted by its value."""
    assert Agreement(**_fields(basis=basis.value)).basis is basis  # type: ignore[arg-type]


def test_agreements_are_immutable() -> None:
    """An agreement is a frozen value; evolve makes a changed, re-validated copy."""
    agreement = Agreement(**_fields())  # type: ignore[arg-type]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        agreement.revoked_at = START  # type: ignore[misc]
    with pytest.raises(InvalidAgreement):
        attrs.evolve(agreement, valid_until=START)


def test_to_dict_is_json_ready() -> None:
    """to_dict gives the file field names with RFC 3339 times."""
    offset = timezone(timedelta(hours=2))
    agreement = Agreement(**_fields(valid_until=datetime(2027, 1, 1, tzinfo=offset)))  # type: ignore[arg-type]
    data = agreement.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["valid_until"] == "2027-01-01T00:00:00+02:00"
    assert data["destinations"] == ["US"]


def test_index_by_account() -> None:
    """The index keeps each account's agreements in order of start, then id."""
    later = Agreement(**_fields(id="b", valid_from=START + timedelta(days=1)))  # type: ignore[arg-type]
    first = Agreement(**_fields(id="a"))  # type: ignore[arg-type]
    other = Agreement(**_fields(id="c", account_id="globex"))  # type: ignore[arg-type]
    index = AgreementIndex([later, other, first])
    assert index.for_account("acme") == (first, later)
    assert index.for_account("nobody") == ()
    assert index.accounts() == {"acme", "globex"}
    assert len(index) == 3
    assert set(index) == {first, later, other}
    assert "3 agreements, 2 accounts" in repr(index)


def test_index_refuses_duplicate_ids() -> None:
    """Two agreements with one id are refused."""
    with pytest.raises(InvalidAgreement, match="duplicate agreement id 'agr-1'"):
        AgreementIndex([Agreement(**_fields()), Agreement(**_fields(account_id="x"))])  # type: ignore[arg-type]


def test_policy_checks_destinations() -> None:
    """check_agreements refuses destinations the catalog does not know, all at once."""
    good = Agreement(**_fields(destinations=["US", "linode-sg"]))  # type: ignore[arg-type]
    assert len(default_policy().check_agreements([good])) == 1
    bad = Agreement(**_fields(id="bad", destinations=["MARS", "aws-moon-1", "EU"]))  # type: ignore[arg-type]
    with pytest.raises(InvalidAgreement) as caught:
        default_policy().check_agreements([good, bad])
    assert [str(problem) for problem in caught.value.problems] == [
        "bad.destinations: 'MARS' is neither a region nor a data center of catalog "
        "'liveagent-2019-10-28'",
        "bad.destinations: 'aws-moon-1' is neither a region nor a data center of catalog "
        "'liveagent-2019-10-28'",
    ]


TOML = """
[[agreements]]
id = "agr-1"
account_id = "acme"
destinations = ["US", "linode-sg"]
valid_from = 2026-01-01T00:00:00Z
valid_until = 2027-01-01T00:00:00+01:00
basis = "standard-contractual-clauses"
reference = "SCC 2021/914, signed 2025-12-20"

[[agreements]]
id = "agr-2"
account_id = "globex"
destinations = ["EU"]
valid_from = 2026-03-01T09:30:00-05:00
revoked_at = 2026-06-01T00:00:00Z
"""


def test_policy_loads_and_checks_a_file_in_one_step(tmp_path: Path) -> None:
    """Policy.load_agreements reads a file, checks its destinations and names it in errors."""
    path = tmp_path / "agreements.toml"
    path.write_text(TOML, encoding="utf-8")
    index = default_policy().load_agreements(path)
    assert index.checked_against is not None
    assert [a.id for a in index] == ["agr-1", "agr-2"]
    path.write_text(TOML.replace('"linode-sg"', '"linode-moon"'), encoding="utf-8")
    with pytest.raises(InvalidAgreement) as caught:
        default_policy().load_agreements(path)
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: agr-1.destinations: 'linode-moon' is neither")


def test_toml_and_json_files_agree(tmp_path: Path) -> None:
    """The same agreements read from TOML and from JSON are equal, with every field."""
    toml_path = tmp_path / "agreements.toml"
    toml_path.write_text(TOML, encoding="utf-8")
    from_toml = load_agreements(toml_path)
    json_path = tmp_path / "agreements.json"
    json_path.write_text(json.dumps({"agreements": [a.to_dict() for a in from_toml]}), "utf-8")
    assert load_agreements(json_path) == from_toml
    first, second = from_toml
    assert first.destinations == {"US", "linode-sg"}
    assert first.basis is LegalBasis.STANDARD_CONTRACTUAL_CLAUSES
    assert first.valid_until == datetime(2026, 12, 31, 23, tzinfo=UTC)
    assert second.basis is LegalBasis.CUSTOMER_CONSENT
    assert second.revoked_at == datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"agreements": [{"id": "a", "account_id": "x", "destinations": ["US"], '
            '"valid_from": "2026-01-01T00:00:00"}]}',
            "agreements[0].valid_from",
        ),
        (
            '{"agreements": [{"id": "a", "account_id": "x", "destinations": [], '
            '"valid_from": "2026-01-01T00:00:00Z"}]}',
            "agreements[0].destinations",
        ),
        (
            '{"agreements": [{"id": "a", "account_id": "x", "destinations": ["US"], '
            '"valid_from": "2026-01-01T00:00:00Z", "valid_until": "2025-01-01T00:00:00Z"}]}',
            "agreements[0].valid_until: the window ends",
        ),
        (
            '{"agreements": [{"id": "a", "account_id": "x", "destinations": ["US"], '
            '"valid_from": "2026-01-01T00:00:00Z"}, {"id": "a", "account_id": "y", '
            '"destinations": ["US"], "valid_from": "2026-01-01T00:00:00Z"}]}',
            "agreements[1].id: duplicate agreement id 'a'",
        ),
        ('{"agreements": [{"id": "a"}]}', "agreements[0].account_id: missing"),
        ('{"agreement": []}', "agreements: missing"),
        (
            '{"agreements": [{"id": "a", "account_id": "x", "destinations": ["US"], '
            '"valid_from": 1767225600}]}',
            "agreements[0].valid_from: a time is RFC 3339 text with an offset",
        ),
    ],
    ids=[
        "naive-time",
        "no-destination",
        "window",
        "duplicate-id",
        "missing-field",
        "wrong-key",
        "unix-timestamp",
    ],
)
def test_bad_files(tmp_path: Path, content: str, expected: str) -> None:
    """A bad agreements file is an InvalidAgreement naming the file and the place."""
    path = tmp_path / "agreements.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidAgreement) as caught:
        load_agreements(path)
    assert caught.value.source == str(path)
    assert any(expected in str(problem) for problem in caught.value.problems), str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2]", "the top level must be an object"),
        ("{", "is not valid JSON"),
        (
            '{"agreements": [{"id": "a", "account_id": "x", "destinations": ["US"], '
            '"valid_from": "2026-01-01T00:00:00Z", "revoked_at": "2026-02-01T00:00:00Z", '
            '"revoked_at": null}]}',
            "the key 'revoked_at' appears twice",
        ),
    ],
    ids=["not-an-object", "syntax", "duplicate-key"],
)
def test_unreadable_documents(tmp_path: Path, content: str, expected: str) -> None:
    """A file that is no JSON document of agreements is a FileError naming the file."""
    path = tmp_path / "agreements.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileError, match=expected) as caught:
        load_agreements(path)
    assert caught.value.path == str(path)


def test_missing_file(tmp_path: Path) -> None:
    """A missing agreements file is a NotARegularFile error, not an OSError traceback."""
    with pytest.raises(NotARegularFile, match="No such file"):
        load_agreements(tmp_path / "none.toml")


# --- the plain fast path of Agreement's checks ------------------------------------------------

_TEXT = st.text(max_size=6) | st.sampled_from(["acme", "agr-1", "a\x00b", "\ud800", "t\u00a0x"])
_TIMES = st.none() | st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001 - Hypothesis bounds are naive; zones are drawn
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.none() | st.timezones(),
)


def _unchecked(fields: dict[str, object]) -> Agreement:
    """An Agreement whose fields are set as given, none of them checked."""
    agreement = Agreement.__new__(Agreement)
    for name, value in fields.items():
        object.__setattr__(agreement, name, value)
    return agreement


@given(
    st.fixed_dictionaries(
        {
            "id": _TEXT,
            "account_id": _TEXT,
            "destinations": st.frozensets(_TEXT, max_size=3),
            "valid_from": _TIMES,
            "valid_until": _TIMES,
            "revoked_at": _TIMES,
            "basis": st.just(LegalBasis.OTHER),
            "reference": _TEXT,
        }
    )
)
def test_the_plain_path_accepts_only_what_the_full_check_accepts(fields: dict[str, object]) -> None:
    """Where the fast path gives a window, the full check accepts the agreement, alike."""
    agreement = _unchecked(fields)
    window = agreement._plain_window()
    if window is None:
        return
    agreement._check()  # raises if the full check refuses what the fast path took
    assert window == agreement.window  # the full check's own window
