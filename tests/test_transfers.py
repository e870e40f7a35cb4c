"""Transfers: the truth matrix over every data-center pair, agreement boundaries, enforcement."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from residency import (
    Agreement,
    AgreementIndex,
    InvalidAccount,
    InvalidAgreement,
    InvalidTime,
    TransferBasis,
    TransferDenied,
    UnknownDataCenter,
    default_policy,
)

# The region of every data center, as the source lists them (written out, not computed).
DC_REGION = {
    "linode-eu": "EU",
    "linode-uk": "UK",
    "linode-us": "US",
    "linode-sg": "APAC",
    "aws-eu-west-1": "EU",
    "aws-us-west-1": "US",
    "aws-ap-southeast-1": "APAC",
    "websupport-eu": "EU",
}
# A customer location in each home region.
HOMES = {"EU": "FR", "UK": "GB", "US": "US", "APAC": "JP"}
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def _agreement(destinations: list[str], **fields: object) -> Agreement:
    values: dict[str, object] = {
        "id": "agr-1",
        "account_id": "acme",
        "destinations": destinations,
        "valid_from": START,
        "valid_until": END,
        "basis": "customer-consent",
        "reference": "DPA amendment 7",
    }
    values.update(fields)
    return Agreement(**values)  # type: ignore[arg-type]


# Agreement scenarios for the matrix: (name, agreements, destinations they open for "acme").
SCENARIOS: list[tuple[str, list[Agreement], set[str]]] = [
    ("none", [], set()),
    ("region-us", [_agreement(["US"])], {"US"}),
    ("dc-linode-sg", [_agreement(["linode-sg"])], {"linode-sg"}),
    ("eu-and-uk", [_agreement(["EU", "UK"])], {"EU", "UK"}),
    ("expired-us", [_agreement(["US"], valid_until=NOW - timedelta(days=1))], set()),
    ("revoked-us", [_agreement(["US"], revoked_at=NOW - timedelta(hours=1))], set()),
    ("future-us", [_agreement(["US"], valid_from=NOW + timedelta(days=1))], set()),
    ("other-account-us", [_agreement(["US"], account_id="globex")], set()),
]
MATRIX = [
    (home, source, target, scenario)
    for home in HOMES
    for source, target in itertools.product(DC_REGION, repeat=2)
    for scenario in SCENARIOS
]


@pytest.mark.parametrize(
    ("home", "source", "target", "scenario"),
    MATRIX,
    ids=[f"{home}:{source}->{target}:{scenario[0]}" for home, source, target, scenario in MATRIX],
)
def test_truth_matrix(
    home: str, source: str, target: str, scenario: tuple[str, list[Agreement], set[str]]
) -> None:
    """A move is allowed exactly in region, or to where an agreement in force opens the way."""
    _, agreements, opened = scenario
    decision = default_policy().check_transfer(
        HOMES[home], source, target, account_id="acme", agreements=agreements, at=NOW
    )
    in_region = DC_REGION[target] == home
    by_agreement = not in_region and bool({DC_REGION[target], target} & opened)
    assert decision.allowed == (in_region or by_agreement)
    assert decision.basis == (
        TransferBasis.IN_REGION
        if in_region
        else TransferBasis.AGREEMENT
        if by_agreement
        else TransferBasis.DENIED
    )
    assert (decision.agreement is not None) == by_agreement
    source_opened = bool({DC_REGION[source], source} & opened)
    assert decision.misplaced == (DC_REGION[source] != home and not source_opened)
    assert decision.region == home
    assert decision.catalog == "liveagent-2019-10-28"
    assert decision.reason.startswith("Allowed: " if decision.allowed else "Denied: ")


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (START - timedelta(microseconds=1), False),
        (START, True),
        (END - timedelta(microseconds=1), True),
        (END, False),
        (START.astimezone(timezone(timedelta(hours=-5))), True),
    ],
    ids=["before-valid-from", "at-valid-from", "before-valid-until", "at-valid-until", "offset"],
)
def test_window_boundaries(at: datetime, allowed: bool) -> None:
    """valid_from is inclusive, valid_until exclusive, and offsets name the same instant."""
    decision = default_policy().check_transfer(
        "GB",
        "linode-uk",
        "aws-eu-west-1",
        account_id="acme",
        agreements=[_agreement(["EU"])],
        at=at,
    )
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("revoked_at", "allowed"),
    [
        (NOW - timedelta(seconds=1), False),
        (NOW, False),
        (NOW + timedelta(seconds=1), True),
    ],
    ids=["revoked-before", "revoked-at", "revoked-after"],
)
def test_revocation(revoked_at: datetime, allowed: bool) -> None:
    """A revocation takes effect at its instant: before it the agreement holds, from it not."""
    agreement = _agreement(["EU"], revoked_at=revoked_at)
    decision = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", account_id="acme", agreements=[agreement], at=NOW
    )
    assert decision.allowed is allowed
    if not allowed:
        assert "revoked at" in decision.reason
        assert decision.lapsed == (agreement,)


def test_agreement_to_us_never_opens_apac() -> None:
    """An agreement naming US opens US data centers only, never APAC ones."""
    agreements = [_agreement(["US"])]
    for target in ("linode-sg", "aws-ap-southeast-1"):
        decision = default_policy().check_transfer(
            "DE", "linode-eu", target, account_id="acme", agreements=agreements, at=NOW
        )
        assert not decision.allowed
        assert "has no agreement that covers region APAC" in decision.reason


def test_agreement_naming_one_data_center() -> None:
    """An agreement naming one data center opens that one, not the rest of its region."""
    agreements = [_agreement(["aws-us-west-1"])]
    policy = default_policy()
    allowed = policy.check_transfer(
        "DE", "linode-eu", "aws-us-west-1", account_id="acme", agreements=agreements, at=NOW
    )
    denied = policy.check_transfer(
        "DE", "linode-eu", "linode-us", account_id="acme", agreements=agreements, at=NOW
    )
    assert allowed.allowed
    assert allowed.agreement == agreements[0]
    assert not denied.allowed


def test_other_accounts_agreement_does_not_count() -> None:
    """Another account's agreement never allows a move, even from an index."""
    index = AgreementIndex([_agreement(["EU"], account_id="globex")])
    decision = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", account_id="acme", agreements=index, at=NOW
    )
    assert not decision.allowed
    assert "account 'acme' has no agreement" in decision.reason


def test_without_account_agreements_are_not_consulted() -> None:
    """Without an account no agreement applies, and the reason says so."""
    decision = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", agreements=[_agreement(["EU"])], at=NOW
    )
    assert not decision.allowed
    assert "no account was given" in decision.reason


def test_reason_of_an_agreement_names_it() -> None:
    """An allowed cross-region move names the agreement, its basis and reference."""
    decision = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", account_id="acme", agreements=[_agreement(["EU"])], at=NOW
    )
    assert decision.basis is TransferBasis.AGREEMENT
    assert "agreement 'agr-1'" in decision.reason
    assert "customer-consent, reference DPA amendment 7" in decision.reason


def test_misplaced_source_is_reported() -> None:
    """A source outside the home region without an agreement is flagged as misplaced data."""
    decision = default_policy().check_transfer("GB", "linode-us", "linode-uk", at=NOW)
    assert decision.allowed
    assert decision.misplaced
    assert "already misplaced" in decision.reason


def test_first_agreement_in_force_is_named() -> None:
    """Of several covering agreements, the earliest in force is the one the decision names."""
    early = _agreement(["EU"], id="early", valid_from=START)
    late = _agreement(["EU"], id="late", valid_from=START + timedelta(days=30))
    decision = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", account_id="acme", agreements=[late, early], at=NOW
    )
    assert decision.agreement == early


@pytest.mark.parametrize("dc", ["aws-eu-central-1", "", "linode-eu-1", None, 7], ids=repr)
def test_unknown_data_center(dc: object) -> None:
    """An unknown data center id, on either side, raises UnknownDataCenter."""
    with pytest.raises(UnknownDataCenter):
        default_policy().check_transfer("DE", dc, "linode-eu")  # type: ignore[arg-type]
    with pytest.raises(UnknownDataCenter):
        default_policy().check_transfer("DE", "linode-eu", dc)  # type: ignore[arg-type]


@pytest.mark.parametrize("dc", ["LINODE-EU", "Linode-EU", " linode-eu "], ids=repr)
def test_data_center_ids_are_matched_in_any_case(dc: str) -> None:
    """A data center id in another case names the one data center of that id."""
    decision = default_policy().check_transfer("DE", dc, "aws-eu-west-1")
    assert decision.source.id == "linode-eu"


def test_a_mistyped_data_center_is_answered_with_close_ids() -> None:
    """A mistyped data center id is refused with the close ids suggested, never picked."""
    with pytest.raises(UnknownDataCenter, match="did you mean 'aws-eu-west-1'") as caught:
        default_policy().check_transfer("DE", "aws-eu-wst-1", "linode-eu")
    assert "aws-eu-west-1" in caught.value.suggestions


def test_a_one_shot_iterator_of_agreements_is_refused() -> None:
    """A generator given as agreements= is refused rather than used up by the first check."""
    agreements = (a for a in [_agreement(["EU"], id="g")])
    with pytest.raises(InvalidAgreement, match="one-shot iterator"):
        default_policy().check_transfer(
            "GB", "linode-uk", "linode-eu", account_id="acme", agreements=agreements
        )


def test_naive_time_is_refused() -> None:
    """A naive datetime is refused, never read as UTC."""
    with pytest.raises(InvalidTime):
        default_policy().check_transfer(
            "DE",
            "linode-eu",
            "linode-us",
            at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
        )


def test_agreement_with_unknown_destination_allows_nothing_and_says_why() -> None:
    """An agreement naming a place the catalog lacks cannot be used: the denial names it."""
    decision = default_policy().check_transfer(
        "GB",
        "linode-uk",
        "linode-eu",
        account_id="acme",
        agreements=[_agreement(["MARS", "EU"])],
        at=NOW,
    )
    assert decision.allowed is False
    assert [(item.id, item.account_id) for item in decision.unusable] == [("agr-1", "acme")]
    assert "'MARS', neither a region nor a data center of the catalog" in decision.reason
    assert "cannot be used" in decision.reason
    assert decision.to_dict()["unusable"][0]["id"] == "agr-1"


def test_bad_account_is_refused() -> None:
    """An account id that is not a non-empty str is refused."""
    with pytest.raises(InvalidAccount):
        default_policy().check_transfer("GB", "linode-uk", "linode-eu", account_id="")


def test_enforce_raises_with_the_decision() -> None:
    """enforce_transfer raises TransferDenied carrying the decision where check would deny."""
    policy = default_policy()
    with pytest.raises(TransferDenied) as caught:
        policy.enforce_transfer("GB", "linode-uk", "linode-eu", at=NOW)
    assert caught.value.decision.allowed is False
    assert str(caught.value) == caught.value.decision.reason
    assert isinstance(caught.value, PermissionError)
    assert policy.enforce_transfer("GB", "linode-uk", "linode-uk", at=NOW).allowed


def test_audit_mode_lets_through_and_records(caplog: pytest.LogCaptureFixture) -> None:
    """In audit mode a denial is returned, and logged at WARNING as a JSON-ready event."""
    audit = default_policy().with_mode("audit")
    with caplog.at_level(logging.INFO, logger="residency.decisions"):
        decision = audit.enforce_transfer("GB", "linode-uk", "linode-eu", at=NOW)
    assert not decision.allowed
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    event = warnings[0].residency  # type: ignore[attr-defined]
    assert json.loads(json.dumps(event)) == event
    assert event["mode"] == "audit"
    assert event["enforced"] is True
    assert event["allowed"] is False
    assert event["source"] == "linode-uk"
    assert event["catalog"] == "liveagent-2019-10-28"
    assert default_policy().mode.value == "enforce"


@pytest.mark.parametrize("mode", ["enforce", "audit"])
@pytest.mark.parametrize("target", ["linode-eu", "linode-uk"], ids=["denied", "allowed"])
def test_enforce_transfer_logs_one_event_a_call(
    caplog: pytest.LogCaptureFixture, mode: str, target: str
) -> None:
    """One enforce_transfer call is one event, marked enforced, whatever its outcome."""
    policy = default_policy().with_mode(mode)
    with (
        caplog.at_level(logging.INFO, logger="residency.decisions"),
        contextlib.suppress(TransferDenied),
    ):
        policy.enforce_transfer("GB", "linode-uk", target, at=NOW)
    (record,) = caplog.records
    assert record.residency["enforced"] is True  # type: ignore[attr-defined]


def test_with_mode_shares_no_mutable_state() -> None:
    """A policy in another mode has caches of its own; the first policy's stay untouched."""
    policy = default_policy()
    policy.assign("Deutschland")
    audit = policy.with_mode("audit")
    assert audit.catalog is policy.catalog
    assert audit._views is not policy._views
    audit.clear_caches()
    assert policy._views


def test_every_decision_is_an_info_event(caplog: pytest.LogCaptureFixture) -> None:
    """check_transfer logs each decision at INFO with its inputs, outcome and rule."""
    with caplog.at_level(logging.INFO, logger="residency.decisions"):
        default_policy().check_transfer("DE", "linode-eu", "aws-eu-west-1", at=NOW)
    (record,) = caplog.records
    event = record.residency  # type: ignore[attr-defined]
    assert record.levelno == logging.INFO
    assert event["basis"] == "in-region"
    assert event["rule"] == "eu-eea"
    assert event["at"] == NOW.isoformat()
    assert event["country"] == "DE"


def test_decisions_are_silent_without_listeners(caplog: pytest.LogCaptureFixture) -> None:
    """No record is made when nobody listens at INFO."""
    with caplog.at_level(logging.WARNING, logger="residency.decisions"):
        default_policy().check_transfer("DE", "linode-eu", "aws-eu-west-1", at=NOW)
    assert caplog.records == []


def test_an_unchecked_index_is_checked_on_use() -> None:
    """An index built by hand is checked on use; one from check_agreements is marked checked."""
    bad = AgreementIndex([_agreement(["MARS"]), _agreement(["EU"], id="agr-2")])
    assert bad.checked_against is None
    in_region = default_policy().check_transfer(
        "GB", "linode-uk", "linode-uk", account_id="acme", agreements=bad, at=NOW
    )
    assert in_region.allowed
    assert in_region.unusable == ()
    across = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", account_id="acme", agreements=bad, at=NOW
    )
    assert across.allowed
    assert across.agreement is not None
    assert across.agreement.id == "agr-2"
    good = default_policy().check_agreements([_agreement(["EU"])])
    assert good.checked_against is not None
    decision = default_policy().check_transfer(
        "GB", "linode-uk", "linode-eu", account_id="acme", agreements=good, at=NOW
    )
    assert decision.allowed
