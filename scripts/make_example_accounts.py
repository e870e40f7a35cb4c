"""Write examples/accounts.csv: 3,000 invented accounts, the same file on every run.

EXAMPLE DATA: the accounts are generated, not customers of anyone. The file is the customer
base that docs/changes.md and ``make demo`` run ``residency plan`` and ``residency audit`` over.

Its columns are ``account_id,country,data_center``:

- ``account_id``: ``acct-0001`` to ``acct-3000``;
- ``country``: the customer's location in the forms people type it: alpha-2 and alpha-3
  codes, English names, a few translated names (``Deutschland``, ``Hoa Kỳ``), subdivision
  codes (``US-CA``, ``GB-SCT``), and three that no catalog can place (``Atlantis``,
  ``Narnia``, and the ambiguous ``Korea``);
- ``data_center``: where the account's data is, under the bundled catalog: its primary for
  most rows; another data center of its region for ``IN_REGION`` rows (allowed: the region
  keeps the data); a data center of another region for ``MISPLACED`` rows (1%, deliberately
  wrong, so that an audit has something to find). An account no catalog can place is on
  ``linode-eu``.

The random choices come from one fixed seed, so the file only changes when this script does::

    .venv/bin/python scripts/make_example_accounts.py
"""

from __future__ import annotations

import csv
import pathlib
import random
import sys

import residency
from residency.errors import LocationError

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "accounts.csv"
SEED = 20260701
ACCOUNTS = 3000
IN_REGION = 300
"""Accounts on another data center of their own region (10%)."""
MISPLACED = 30
"""Accounts on a data center of another region (1%)."""
UNPLACEABLE_ON = "linode-eu"

# (the location as a customer typed it, how often it is typed, relative)
LOCATIONS: tuple[tuple[str, int], ...] = (
    # EU: codes, names, translated names
    ("DE", 60),
    ("FR", 45),
    ("NL", 25),
    ("ES", 20),
    ("IT", 20),
    ("PL", 15),
    ("SE", 10),
    ("IE", 10),
    ("AT", 8),
    ("BE", 8),
    ("CH", 8),
    ("NO", 6),
    ("DEU", 6),
    ("Germany", 15),
    ("France", 10),
    ("Deutschland", 6),
    ("Allemagne", 3),
    ("España", 4),
    ("Österreich", 3),
    ("ZA", 5),
    ("NG", 4),
    ("TR", 5),
    ("AE", 4),
    ("IL", 4),
    # UK
    ("GB", 40),
    ("United Kingdom", 12),
    ("UK", 8),
    ("GB-SCT", 3),
    ("Royaume-Uni", 2),
    ("Anh Quốc", 2),
    # US and the Americas
    ("US", 60),
    ("USA", 12),
    ("United States", 15),
    ("US-CA", 6),
    ("US-NY", 5),
    ("Hoa Kỳ", 3),
    ("Vereinigte Staaten", 2),
    ("CA", 12),
    ("Canada", 5),
    ("BR", 10),
    ("MX", 6),
    # APAC
    ("SG", 15),
    ("JP", 12),
    ("Japan", 4),
    ("日本", 2),
    ("AU", 12),
    ("Australia", 4),
    ("NZ", 4),
    ("IN", 12),
    ("KR", 6),
)
UNPLACEABLE: tuple[tuple[str, int], ...] = (("Atlantis", 3), ("Narnia", 2), ("Korea", 2))
"""Locations no catalog places, and how many accounts give each."""


def accounts(seed: int = SEED) -> list[tuple[str, str, str]]:
    """The rows ``(account_id, country, data_center)``, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - example data, not security
    policy = residency.default_policy()
    unplaceable = [name for name, count in UNPLACEABLE for _ in range(count)]
    names, weights = zip(*LOCATIONS, strict=True)
    typed = rng.choices(names, weights=weights, k=ACCOUNTS - len(unplaceable))
    typed.extend(unplaceable)
    rng.shuffle(typed)
    ids = [f"acct-{number:04d}" for number in range(1, ACCOUNTS + 1)]
    order: dict[int, list[str]] = {}
    region: dict[int, str] = {}
    for row, (account, location) in enumerate(zip(ids, typed, strict=True)):
        try:
            placement = policy.assign(location, account_id=account)
        except LocationError:
            continue
        order[row] = [dc.id for dc in placement.data_centers]
        region[row] = placement.region
    placed = sorted(order)
    spare = [row for row in placed if len(order[row]) > 1]
    in_region = set(rng.sample(spare, IN_REGION))
    misplaced = set(rng.sample([row for row in placed if row not in in_region], MISPLACED))
    centers = sorted(policy.catalog.data_centers, key=lambda dc: dc.id)
    rows: list[tuple[str, str, str]] = []
    for row, (account, location) in enumerate(zip(ids, typed, strict=True)):
        if row not in order:
            where = UNPLACEABLE_ON
        elif row in misplaced:
            where = rng.choice([dc.id for dc in centers if dc.region != region[row]])
        elif row in in_region:
            where = rng.choice(order[row][1:])
        else:
            where = order[row][0]
        rows.append((account, location, where))
    return rows


def main() -> int:
    """Write the file and say what it holds."""
    rows = accounts()
    with OUT.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(("account_id", "country", "data_center"))
        writer.writerows(rows)
    unplaceable = sum(count for _, count in UNPLACEABLE)
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(rows)} accounts, {IN_REGION} on another data "
        f"center of their region, {MISPLACED} misplaced, {unplaceable} unplaceable"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
