"""Write the golden table of a placement scheme: 10,000 accounts' orders over region shapes.

The table pins the scheme forever: tests/test_golden.py holds every implementation of the
scheme (the definition, the fast ranker, the columnar ranking, ``Policy.assign``) to it.
A scheme's table is written once, when the scheme is introduced, and never again: this
script refuses to overwrite one. A changed order is a changed scheme, which gets a new name.

    python scripts/make_golden_orders.py rendezvous-blake2b-v1
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from residency.catalog import DataCenter, Provider
from residency.placement import rendezvous_order

HERE = Path(__file__).resolve().parent.parent / "tests" / "golden"
ACCOUNTS = 10_000
SHAPES: dict[str, list[tuple[str, float]]] = {
    "bundled EU": [("linode-eu", 1.0), ("aws-eu-west-1", 1.0), ("websupport-eu", 1.0)],
    "bundled US": [("linode-us", 1.0), ("aws-us-west-1", 1.0)],
    "bundled APAC": [("linode-sg", 1.0), ("aws-ap-southeast-1", 1.0)],
    "two weighted": [("example-a", 1.0), ("example-b", 3.0)],
    "three weighted": [("example-a", 1.0), ("example-b", 2.0), ("example-c", 0.5)],
    "four weighted": [("w-1", 3.0), ("w-2", 1.0), ("w-3", 1.0), ("w-4", 0.25)],
    "five uniform": [(f"u-{n}", 1.0) for n in range(5)],
    "nine uniform": [(f"dc-{n}", 1.0) for n in range(9)],
}
"""Region shapes by name: each data center's id and weight (the ids seed the scheme)."""


def accounts() -> list[str]:
    """The accounts of the table: plain, padded, Unicode, e-mail-like and odd ids."""
    forms = ("acct-{:05d}", "{}", "Kunde-{}-Müller", "user{}@example.com", " {} ", "账户{}")
    return [forms[n % len(forms)].format(n) for n in range(ACCOUNTS)]


def table() -> dict[str, object]:
    """The scheme's orders: for each shape, each account's order as positions, best first.

    An order is written as its positions in the shape, ``"201"`` for the third data center
    first, then the first, then the second; a shape's orders are joined by spaces.
    """
    provider = Provider("example", "Example, Inc.")
    orders: dict[str, str] = {}
    for name, shape in SHAPES.items():
        region = tuple(
            DataCenter(id=dc_id, provider=provider, region="EU", weight=weight)
            for dc_id, weight in shape
        )
        position = {dc.id: number for number, dc in enumerate(region)}
        orders[name] = " ".join(
            "".join(str(position[dc.id]) for dc in rendezvous_order(account, region))
            for account in accounts()
        )
    return {"accounts": accounts(), "shapes": SHAPES, "orders": orders}


def main(scheme: str) -> None:
    """Write ``tests/golden/<scheme>.json``, unless it exists."""
    target = HERE / f"{scheme}.json"
    if target.exists():
        sys.exit(f"{target} exists: a scheme's golden table is never rewritten")
    target.write_text(json.dumps(table(), ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
