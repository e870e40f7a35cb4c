"""plan_migration and audit over generated customer bases, checked against assign row by row."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs
import pytest

from residency import Agreement, AgreementStore, default_policy
from residency.catalog import Rule
from residency.migration import Account, Status, Verdict
from residency.policy import Policy

if TYPE_CHECKING:
    from pathlib import Path

    from residency.catalog import Catalog

AT = datetime(2026, 6, 1, tzinfo=UTC)
LOCATIONS = ("DE", "France", "GB", "US", "Japan", "SG", "IR", "BR", "AU", "India")
OLD = default_policy()


def with_data_center(catalog: Catalog, region: str, new_id: str) -> Policy:
    """``catalog`` with one more data center in ``region`` (a copy of its first, renamed)."""
    first = catalog.data_centers_in(region)[0]
    added = attrs.evolve(first, id=new_id, location="an example")
    return Policy(
        attrs.evolve(catalog, id="example-next", data_centers=(*catalog.data_centers, added))
    )


def with_iran_in_apac(catalog: Catalog) -> Policy:
    """``catalog`` in which Iran, named by a rule of EU, falls to the APAC rule's groups."""
    rules = tuple(
        Rule(rule.id, rule.region, rule.title, rule.countries - {"IR"}, rule.groups)
        for rule in catalog.rules
    )
    return Policy(attrs.evolve(catalog, id="example-iran", rules=rules))


def accounts(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """``count`` accounts, each at a location drawn from LOCATIONS, reproducibly."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    return [(f"acct-{number:05d}", rng.choice(LOCATIONS)) for number in range(count)]


# --- plans ----------------------------------------------------------------------------------


def test_a_new_data_center_moves_exactly_the_accounts_it_wins() -> None:
    """10,000 accounts: the plan's moves are the accounts whose assign() primary is the new one."""
    new = with_data_center(OLD.catalog, "EU", "example-eu-2")
    rows = accounts(10_000)
    plan = OLD.plan_migration(new, rows, at=AT)
    won = [
        account
        for account, location in rows
        if new.assign(location, account_id=account, at=AT).primary.id == "example-eu-2"
    ]
    assert 0 < len(won) < len(rows)
    assert [move.account_id for move in plan.moves] == won
    for move in plan.moves:
        account, location = next(row for row in rows if row[0] == move.account_id)
        assert move.from_primary == OLD.assign(location, account_id=account, at=AT).primary.id
        assert (move.from_region, move.to_region, move.to_primary) == ("EU", "EU", "example-eu-2")
        assert move.verdict is Verdict.ALLOWED
        assert "EU" in move.reason
    assert plan.staying == len(rows) - len(won)
    assert plan.data_centers["example-eu-2"] == {
        "moving_out": 0,
        "moving_in": len(won),
        "staying": 0,
    }
    moved_out = sum(counts["moving_out"] for counts in plan.data_centers.values())
    assert moved_out == len(won)
    assert all(counts["moving_in"] == 0 for counts in plan.regions.values())
    assert plan.summary()["allowed"] == len(won)
    assert plan.summary()["blocked"] == 0


def test_accounts_of_other_regions_stay_put() -> None:
    """A data center added in APAC moves no account of EU, and reorders none."""
    new = with_data_center(OLD.catalog, "APAC", "example-apac-2")
    rows = [(f"acct-{n}", "DE") for n in range(2_000)]
    plan = OLD.plan_migration(new, rows, at=AT)
    assert plan.moves == ()
    assert plan.staying == 2_000
    assert plan.reordered == 0


def test_a_country_that_moves_region_is_blocked_without_an_agreement() -> None:
    """Every Iranian account would leave EU for APAC: blocked, unless an agreement covers it."""
    new = with_iran_in_apac(OLD.catalog)
    rows = accounts(3_000)
    iranian = [account for account, location in rows if location == "IR"]
    covered = set(iranian[::3])
    lapsed = set(iranian[1::3])
    agreements = [
        Agreement(
            id=f"agr-{account}",
            account_id=account,
            destinations=["APAC"],
            valid_from=AT - timedelta(days=30),
            valid_until=(AT - timedelta(days=1)) if account in lapsed else None,
            basis="standard-contractual-clauses",
        )
        for account in sorted(covered | lapsed)
    ]
    plan = OLD.plan_migration(new, rows, agreements=agreements, at=AT)
    assert [move.account_id for move in plan.moves] == iranian
    for move in plan.moves:
        assert (move.from_region, move.to_region) == ("EU", "APAC")
        if move.account_id in covered:
            assert move.verdict is Verdict.AGREEMENT
            assert move.agreement == f"agr-{move.account_id}"
        else:
            assert move.verdict is Verdict.BLOCKED
            assert move.agreement is None
            assert move.reason.startswith("Denied")
    assert len(plan.blocked) == len(iranian) - len(covered)
    assert plan.regions["EU"]["moving_out"] == len(iranian)
    assert plan.regions["APAC"]["moving_in"] == len(iranian)


def test_the_data_center_an_account_is_on_now_is_where_it_moves_from() -> None:
    """A row's data center, when given, is where its move starts."""
    new = with_data_center(OLD.catalog, "EU", "example-eu-2")
    placed = OLD.assign("DE", account_id="acct-1", at=AT)
    elsewhere = placed.data_centers[1].id
    plan = OLD.plan_migration(new, [("acct-1", "DE", elsewhere)], at=AT)
    target = new.assign("DE", account_id="acct-1", at=AT).primary.id
    if target == elsewhere:
        assert plan.moves == ()
    else:
        (move,) = plan.moves
        assert (move.from_primary, move.to_primary) == (elsewhere, target)


def test_a_closed_data_center_moves_its_accounts_within_the_region() -> None:
    """Closing a data center moves its accounts, and only them, within the region."""
    catalog = OLD.catalog
    kept = tuple(dc for dc in catalog.data_centers if dc.id != "websupport-eu")
    new = Policy(attrs.evolve(catalog, id="example-closed", data_centers=kept))
    rows = [(f"acct-{n}", "DE") for n in range(3_000)]
    plan = OLD.plan_migration(new, rows, at=AT)
    on_it = [
        a for a, loc in rows if OLD.assign(loc, account_id=a, at=AT).primary.id == "websupport-eu"
    ]
    assert [move.account_id for move in plan.moves] == on_it
    assert {move.from_primary for move in plan.moves} == {"websupport-eu"}
    assert {move.verdict for move in plan.moves} == {Verdict.ALLOWED}
    assert plan.data_centers["websupport-eu"]["moving_out"] == len(on_it)


def test_unplaceable_accounts_are_listed_with_their_error() -> None:
    """Unknown, unassigned locations and unknown data centers are listed, not dropped."""
    new = with_data_center(OLD.catalog, "EU", "example-eu-2")
    rows = [("acct-1", "Atlantis"), ("acct-2", "DE", "nowhere-dc"), ("acct-3", "AQ")]
    plan = OLD.plan_migration(new, rows, at=AT)
    assert plan.moves == ()
    assert [(u.account_id, type(u.error).__name__) for u in plan.unresolved] == [
        ("acct-1", "UnknownLocation"),
        ("acct-2", "UnknownDataCenter"),
        ("acct-3", "UnassignedLocation"),
    ]
    assert plan.summary()["unresolvable"] == 3
    assert plan.to_dict()["unresolvable"][0]["error"] == "UnknownLocation"


def test_plans_are_deterministic_and_name_their_catalogs() -> None:
    """The same input gives the same plan, in the input's order, with the catalogs' ids."""
    new = with_data_center(OLD.catalog, "US", "example-us-2")
    rows = accounts(2_000, seed=11)
    first = OLD.plan_migration(new, rows, at=AT)
    again = OLD.plan_migration(new, list(reversed(rows)), at=AT)
    assert first.to_dict() == OLD.plan_migration(new, rows, at=AT).to_dict()
    assert [m.account_id for m in again.moves] == [m.account_id for m in reversed(first.moves)]
    assert (first.from_catalog, first.to_catalog) == ("liveagent-2019-10-28", "example-next")
    data = first.to_dict()
    assert list(data) == ["from_catalog", "to_catalog", "at", "summary", "moves", "unresolvable"]
    assert list(data["moves"][0]) == [
        "account_id",
        "country",
        "from_region",
        "to_region",
        "from_primary",
        "to_primary",
        "verdict",
        "reason",
        "agreement",
    ]


def test_accounts_come_in_every_shape() -> None:
    """Accounts, tuples, lists and mappings are rows alike; anything else is a TypeError."""
    new = with_data_center(OLD.catalog, "EU", "example-eu-2")
    shapes = [
        Account("acct-1", "DE"),
        ("acct-2", "DE"),
        ["acct-3", "DE", None],
        {"account_id": "acct-4", "country": "DE"},
        {"account_id": "acct-5", "location": "DE", "data_center": None},
    ]
    plan = OLD.plan_migration(new, shapes, at=AT)
    assert plan.accounts == 5
    with pytest.raises(TypeError, match="account 0"):
        OLD.plan_migration(new, ["acct-1"], at=AT)


# --- audits ---------------------------------------------------------------------------------


def _elsewhere(region: str, rng: random.Random) -> str:
    """A data center of another region than ``region``."""
    return rng.choice([dc.id for dc in OLD.catalog.data_centers if dc.region != region])


def test_audit_finds_every_misplaced_row_of_a_generated_table() -> None:
    """5,000 accounts, 3% deliberately put in another region: the audit names exactly them."""
    rng = random.Random(20261201)  # noqa: S311 - reproducible test data
    rows = []
    misplaced, in_region = set(), set()
    for number, (account, location) in enumerate(accounts(5_000, seed=3)):
        placement = OLD.assign(location, account_id=account, at=AT)
        if number % 33 == 0:
            where = _elsewhere(placement.region, rng)
            misplaced.add(account)
        elif number % 7 == 0 and len(placement.data_centers) > 1:
            where = placement.data_centers[-1].id
            in_region.add(account)
        else:
            where = placement.primary.id
        rows.append((account, location, where))
    report = OLD.audit(rows, at=AT)
    assert {row.account_id for row in report.misplaced} == misplaced
    assert {row.account_id for row in report.rows if row.status is Status.IN_REGION} == in_region
    counts = report.counts()
    assert counts == {
        "in_place": 5_000 - len(misplaced) - len(in_region),
        "in_region": len(in_region),
        "under_agreement": 0,
        "misplaced": len(misplaced),
        "unresolvable": 0,
    }
    assert sum(sum(region.values()) for region in report.by_region().values()) == 5_000
    assert not report.clean
    for row in report.misplaced:
        assert row.reason.startswith("Denied")
        assert row.region is not None
        assert row.primary is not None


def test_an_agreement_makes_an_account_outside_its_region_allowed(tmp_path: Path) -> None:
    """Under an agreement in force, from a real store, the account is under agreement."""
    store = AgreementStore(tmp_path / "agreements.sqlite3")
    store.add(
        Agreement(
            id="agr-1",
            account_id="acct-1",
            destinations=["US"],
            valid_from=AT - timedelta(days=1),
            basis="customer-consent",
        )
    )
    rows = [("acct-1", "DE", "linode-us"), ("acct-2", "DE", "linode-us")]
    report = OLD.audit(rows, agreements=store, at=AT)
    assert [(row.status, row.agreement) for row in report.rows] == [
        (Status.UNDER_AGREEMENT, "agr-1"),
        (Status.MISPLACED, None),
    ]
    earlier = OLD.audit(rows, agreements=store, at=AT - timedelta(days=2))
    assert [row.status for row in earlier.rows] == [Status.MISPLACED, Status.MISPLACED]


def test_unresolvable_rows_carry_their_error_and_spoil_a_clean_audit() -> None:
    """Rows that cannot be placed carry their error, and the audit is not clean."""
    rows = [
        ("acct-1", "Atlantis", "linode-eu"),
        ("acct-2", "DE", "no-such-dc"),
        ("acct-3", "DE", ""),
    ]
    report = OLD.audit(rows, at=AT)
    assert [(row.status, row.error) for row in report.rows] == [
        (Status.UNRESOLVABLE, "UnknownLocation"),
        (Status.UNRESOLVABLE, "UnknownDataCenter"),
        (Status.UNRESOLVABLE, "UnknownDataCenter"),
    ]
    assert not report.clean
    assert report.by_region() == {
        "-": {
            "in_place": 0,
            "in_region": 0,
            "under_agreement": 0,
            "misplaced": 0,
            "unresolvable": 3,
        }
    }


def test_a_clean_audit_and_its_json() -> None:
    """Accounts all on their primaries audit clean; the JSON has the keys scripts use."""
    rows = [
        (account, location, OLD.assign(location, account_id=account, at=AT).primary.id)
        for account, location in accounts(500)
    ]
    report = OLD.audit(rows, at=AT)
    assert report.clean
    assert report.counts()["in_place"] == 500
    data = report.to_dict()
    assert list(data) == ["catalog", "at", "summary", "regions", "misplaced", "unresolvable"]
    assert data["misplaced"] == []
    assert set(data["summary"]) == {
        "in_place",
        "in_region",
        "under_agreement",
        "misplaced",
        "unresolvable",
    }


def test_an_audit_of_data_centers_in_any_case() -> None:
    """A data center id in another case is that data center."""
    primary = OLD.assign("DE", account_id="acct-1", at=AT).primary.id
    (row,) = OLD.audit([("acct-1", "DE", primary.upper())], at=AT).rows
    assert (row.status, row.data_center) == (Status.IN_PLACE, primary)
