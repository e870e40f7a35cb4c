"""Plans and audits on the columnar path equal the plain row-by-row ones, on every kind of row."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from residency import Agreement, default_policy
from residency.catalog import Rule
from residency.migration import audit_rows, plan_rows
from residency.policy import Policy

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")

AT = datetime(2026, 6, 1, tzinfo=UTC)
OLD = default_policy()
LOCATIONS = ["DE", "Germany", "GB", "US", "Japan", "SG", "IR", "BR", "Atlantis", "Korea", "AQ"]


def _opened(policy: Policy) -> Policy:
    """``policy`` with one more EU data center and Iran moved to APAC's rule."""
    catalog = policy.catalog
    first = catalog.data_centers_in("EU")[0]
    added = attrs.evolve(first, id="example-eu-2", weight=2.0)
    rules = tuple(
        Rule(r.id, r.region, r.title, r.countries - {"IR"}, r.groups) for r in catalog.rules
    )
    return Policy(
        attrs.evolve(
            catalog, id="example", data_centers=(*catalog.data_centers, added), rules=rules
        )
    )


def _closed(policy: Policy) -> Policy:
    kept = tuple(dc for dc in policy.catalog.data_centers if dc.id != "websupport-eu")
    return Policy(attrs.evolve(policy.catalog, id="closed", data_centers=kept))


def _rows(count: int, seed: int, *, centers: bool) -> list[tuple[object, ...]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    ids = [dc.id for dc in OLD.catalog.data_centers]
    rows: list[tuple[object, ...]] = []
    for number in range(count):
        account: object = f"acct-{rng.randrange(count)}"
        if number % 97 == 0:
            account = ""
        location = rng.choice(LOCATIONS)
        if not centers:
            rows.append((account, location))
            continue
        roll = rng.random()
        if roll < 0.6:
            try:
                where: str | None = OLD.assign(location, account_id=account, at=AT).primary.id  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a bad row: any data center
                where = rng.choice(ids)
        elif roll < 0.9:
            where = rng.choice(ids)
        elif roll < 0.95:
            where = rng.choice(["nowhere", "LINODE-EU", ""])
        else:
            where = None
        rows.append((account, location, where))
    return rows


AGREEMENTS = [
    Agreement(
        id=f"agr-{number}",
        account_id=f"acct-{number}",
        destinations=["APAC"] if number % 2 else ["US", "linode-uk"],
        valid_from=AT - timedelta(days=10),
        valid_until=AT + timedelta(days=1) if number % 3 else AT - timedelta(days=1),
    )
    for number in range(0, 6_000, 7)
]


@pytest.mark.parametrize("new", [_opened, _closed], ids=["opened", "closed"])
@pytest.mark.parametrize("centers", [False, True], ids=["primaries", "data-centers"])
def test_plans_on_both_paths_are_equal(new: object, centers: bool) -> None:
    """6,000 rows of every kind: the columnar plan is the plain plan, move for move."""
    rows = _rows(6_000, 11, centers=centers)
    target = new(OLD)  # type: ignore[operator]
    fast = OLD.plan_migration(target, rows, agreements=AGREEMENTS, at=AT)
    plain = plan_rows(OLD, target, rows, agreements=AGREEMENTS, at=AT)
    assert fast.to_dict() == plain.to_dict()
    assert fast.moves
    assert fast.unresolved


def test_audits_on_both_paths_are_equal() -> None:
    """6,000 rows: in place, in region, misplaced, under agreement, unresolvable, alike."""
    rows = _rows(6_000, 12, centers=True)
    fast = OLD.audit(rows, agreements=AGREEMENTS, at=AT)
    plain = audit_rows(OLD, rows, agreements=AGREEMENTS, at=AT)
    assert fast.rows == plain.rows
    assert {row.status.value for row in fast.rows} == {
        "in-place",
        "in-region",
        "under-agreement",
        "misplaced",
        "unresolvable",
    }


@pytest.mark.parametrize("kind", ["pyarrow", "polars", "pandas"])
def test_frames_of_accounts_are_accounts(kind: str) -> None:
    """A frame with account_id, country and data_center audits as its rows do."""
    rows = [row for row in _rows(2_000, 13, centers=True) if row[2] is not None]
    table = pa.table(
        {
            "account_id": [row[0] for row in rows],
            "country": [row[1] for row in rows],
            "data_center": [row[2] for row in rows],
        }
    )
    frame = {"pyarrow": table, "polars": pl.from_arrow(table), "pandas": table.to_pandas()}[kind]
    assert OLD.audit(frame, at=AT).rows == audit_rows(OLD, rows, at=AT).rows
    target = _opened(OLD)
    assert (
        OLD.plan_migration(target, frame, at=AT).to_dict()
        == plan_rows(OLD, target, rows, at=AT).to_dict()
    )
