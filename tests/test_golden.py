"""Golden tables: every placement scheme's orders for 10,000 accounts, pinned forever.

A catalog names its placement scheme; changing a scheme's orders would move customers'
data, so each scheme has a table (tests/golden/<scheme>.json, written once by
scripts/make_golden_orders.py) and every implementation of it is held to that table: the
definition, the fast ranker of ``assign``, the columnar ranking of ``assign_frame``, and
``Policy.assign`` itself on the bundled catalog.
"""

from __future__ import annotations

import json
import typing
from functools import cache
from pathlib import Path

import pytest

from residency import default_policy
from residency._rank import Ranker
from residency._schema import CatalogFile
from residency.catalog import DEFAULT_SCHEME, DataCenter, Provider
from residency.placement import rendezvous_order

GOLDEN = Path(__file__).parent / "golden"
PROVIDER = Provider("example", "Example, Inc.")


def _schemes() -> tuple[str, ...]:
    """Every scheme a catalog file may name, as the catalog schema says."""
    return typing.get_args(CatalogFile.model_fields["placement"].annotation)


@cache
def _table(scheme: str) -> dict[str, typing.Any]:
    data: dict[str, typing.Any] = json.loads((GOLDEN / f"{scheme}.json").read_text("utf-8"))
    return data


def _cases(scheme: str) -> list[tuple[str, tuple[DataCenter, ...], list[str]]]:
    """Each shape of the table: its name, its data centers, and each account's order."""
    table = _table(scheme)
    return [
        (
            name,
            tuple(
                DataCenter(id=dc_id, provider=PROVIDER, region="EU", weight=weight)
                for dc_id, weight in shape
            ),
            table["orders"][name].split(" "),
        )
        for name, shape in table["shapes"].items()
    ]


def test_every_scheme_has_its_golden_table() -> None:
    """A scheme a catalog may name has a table, of 10,000 accounts and every shape."""
    assert DEFAULT_SCHEME in _schemes()
    for scheme in _schemes():
        table = _table(scheme)
        assert len(table["accounts"]) == len(set(table["accounts"])) == 10_000
        for name, region, orders in _cases(scheme):
            assert len(orders) == 10_000, name
            assert all(sorted(order) == [str(n) for n in range(len(region))] for order in orders)


@pytest.mark.no_cover  # 10,000 accounts traced line by line cover nothing other tests do not
@pytest.mark.parametrize("scheme", _schemes())
def test_the_definition_and_the_fast_ranker_give_the_golden_orders(scheme: str) -> None:
    """rendezvous_order and Ranker.order give every account of the table its pinned order."""
    accounts = _table(scheme)["accounts"]
    for name, region, orders in _cases(scheme):
        ranker = Ranker(region)
        for account, order in zip(accounts, orders, strict=True):
            pinned = tuple(int(position) for position in order)
            assert ranker.order(account) == pinned, (name, account)
            assert rendezvous_order(account, region) == tuple(region[p] for p in pinned)


@pytest.mark.parametrize("scheme", _schemes())
def test_the_columnar_ranking_gives_the_golden_orders(scheme: str) -> None:
    """frames.rank gives the pinned orders too, for the whole table at once."""
    frames = pytest.importorskip("residency.frames")
    pytest.importorskip("numpy")
    accounts = _table(scheme)["accounts"]
    for name, region, orders in _cases(scheme):
        ranked = frames.rank(frames.account_keys(accounts), region).tolist()
        assert ["".join(map(str, row)) for row in ranked] == orders, name


def test_assign_on_the_bundled_catalog_gives_the_golden_orders() -> None:
    """Policy.assign orders the bundled regions' data centers as the table pins."""
    policy = default_policy()
    table = _table(policy.catalog.placement)
    where = {"bundled EU": "DE", "bundled US": "US", "bundled APAC": "SG"}
    for name, region, orders in _cases(policy.catalog.placement):
        if name not in where:
            continue
        ids = [dc.id for dc in region]
        for account, order in zip(table["accounts"], orders, strict=True):
            placement = policy.assign(where[name], account_id=account)
            assert [ids.index(dc.id) for dc in placement.data_centers] == [int(p) for p in order]
