"""residency.dask: a Dask DataFrame placed on a real two-process cluster, as one process would."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from distributed import Client, LocalCluster

import residency
import residency.dask
from residency.catalog import Rule
from residency.errors import DuplicateColumn, InvalidTime, MissingColumn, MissingDependency
from residency.frames import COLUMNS
from residency.groups import Group, Membership

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ROWS = 200_000
PARTITIONS = 8
AT = datetime(2026, 7, 1, tzinfo=UTC)
LOCATIONS = [
    *("DE", "US", "GB", "JP", "FR", "BR", "IN", "us", " de ", "DEU", "276", "US-GA", "GB-SCT"),
    *("Hoa Kỳ", "Deutschland", "United Kingdom", "Japon", "Korea, Republic of", "Guam (US)"),
    *("Atlantis", "Korea", "Narnia", "", "x" * 300),
    None,
]
"""Codes, names in several languages, unknown and ambiguous ones, an empty and a null value."""


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A real cluster: two worker processes of one thread each, quiet and without a dashboard."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the scheduler runs in this process: its chatter too
    try:
        with (
            LocalCluster(
                n_workers=2,
                processes=True,
                threads_per_worker=1,
                # No dashboard, and the scheduler's HTTP endpoint on a free port of its own:
                # another cluster of this machine may hold the default one.
                dashboard_address="127.0.0.1:0",
                scheduler_kwargs={"dashboard": False},
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    finally:
        logger.setLevel(level)


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """ROWS customers with mixed locations and account ids, a few of them missing or empty."""
    rng = np.random.default_rng(20191028)
    locations = np.array(LOCATIONS, dtype=object)[rng.integers(0, len(LOCATIONS), ROWS)]
    accounts = np.array([f"account-{n}" for n in rng.integers(0, 60_000, ROWS)], dtype=object)
    accounts[rng.integers(0, ROWS, 200)] = None
    accounts[rng.integers(0, ROWS, 200)] = ""
    return pd.DataFrame({"customer": np.arange(ROWS), "country": locations, "account": accounts})


@pytest.fixture(scope="module")
def files(customers: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The customers as PARTITIONS Parquet files, read by the workers themselves."""
    folder = tmp_path_factory.mktemp("customers")
    size = -(-ROWS // PARTITIONS)
    for number, start in enumerate(range(0, ROWS, size)):
        part = customers.iloc[start : start + size]
        part.to_parquet(folder / f"part-{number:02}.parquet", index=False)
    return folder


def weighted_policy() -> residency.Policy:
    """A catalog of the bundled one's, whose EU region has five data centers of unequal weight."""
    catalog = residency.default_policy().catalog
    weights = {"linode-eu": 1.0, "aws-eu-west-1": 3.0, "websupport-eu": 0.25}
    data_centers = [
        attrs.evolve(dc, weight=weights.get(dc.id, dc.weight)) for dc in catalog.data_centers
    ]
    template = next(dc for dc in catalog.data_centers if dc.id == "linode-eu")
    data_centers += [
        attrs.evolve(template, id="extra-eu-1", weight=2.5),
        attrs.evolve(template, id="extra-eu-2", weight=0.5),
    ]
    weighted = attrs.evolve(catalog, id="weighted", data_centers=tuple(data_centers))
    assert len(weighted.data_centers_in("EU")) == 5
    return residency.Policy(weighted)


def plain(frame: pd.DataFrame) -> pa.Table:
    """The added columns of ``frame`` as plain Arrow strings and lists (categories decoded)."""
    table = pa.Table.from_pandas(frame[list(COLUMNS)], preserve_index=False)
    wanted = {name: pa.string() for name in COLUMNS} | {"data_centers": pa.list_(pa.string())}
    return pa.table({name: table.column(name).cast(wanted[name]) for name in COLUMNS})


def assert_same_rows(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The added columns of the two frames hold the same values, row by row."""
    left, right = plain(result), plain(expected)
    assert left.num_rows == right.num_rows
    if not left.equals(right):
        first = next(
            row
            for row in range(left.num_rows)
            if left.slice(row, 1).to_pylist() != right.slice(row, 1).to_pylist()
        )
        got, wanted = left.slice(first, 1).to_pylist(), right.slice(first, 1).to_pylist()
        pytest.fail(f"row {first}: {got} != {wanted}")


def dtypes(frame: Any) -> list[str]:  # noqa: ANN401 - a pandas or dask DataFrame
    """The names of the dtypes of ``frame``: a categorical's, whatever its categories."""
    return [str(dtype) for dtype in frame.dtypes]


def computed(client: Client, frame: Any) -> pd.DataFrame:  # noqa: ANN401 - a dask DataFrame
    """The frame computed on the cluster."""
    result: pd.DataFrame = client.compute(frame).result()
    return result


@pytest.mark.parametrize("account", ["account", None], ids=["by-account", "catalog-order"])
def test_cluster_equals_one_process(
    client: Client, customers: pd.DataFrame, files: Path, account: str | None
) -> None:
    """Eight partitions placed on two workers give exactly the single-process result, row by row."""
    policy = residency.default_policy()
    frame = dd.read_parquet(files)
    assert frame.npartitions >= PARTITIONS
    placed = residency.dask.assign_frame(frame, policy, account=account, at=AT)
    result = computed(client, placed).reset_index(drop=True)  # each file counts from 0
    expected = policy.assign_frame(customers, account=account, at=AT)
    assert len(result) == ROWS
    assert dtypes(result[list(COLUMNS)]) == dtypes(expected[list(COLUMNS)])
    assert_same_rows(result, expected)
    # The input columns come back as dask holds them, each row in its place.
    # Every row came back in its place, with its own location and account.
    assert result["customer"].tolist() == customers["customer"].tolist()
    shown = result["country"].astype(object).fillna("<null>")
    assert shown.tolist() == customers["country"].fillna("<null>").tolist()
    assert result["error"].notna().any()
    assert result["region"].notna().any()


def test_weighted_catalog_equals_one_process(
    client: Client, customers: pd.DataFrame, files: Path
) -> None:
    """A custom policy, pickled to the workers, ranks five weighted data centers as one process."""
    policy = weighted_policy()
    placed = residency.dask.assign_frame(dd.read_parquet(files), policy, account="account", at=AT)
    result = computed(client, placed).reset_index(drop=True)
    expected = policy.assign_frame(customers, account="account", at=AT)
    assert dtypes(result[list(COLUMNS)]) == dtypes(expected[list(COLUMNS)])
    assert_same_rows(result, expected)
    eu = result[result["region"] == "EU"]
    assert eu["data_centers"].list.len().eq(5).all()
    assert set(eu["primary"]) == {dc.id for dc in policy.catalog.data_centers_in("EU")}


def test_meta_is_what_partitions_give(client: Client, customers: pd.DataFrame) -> None:
    """The lazy frame's columns and dtypes are the computed ones: input first, then the five."""
    frame = dd.from_pandas(customers.head(1_000), npartitions=3)
    placed = residency.dask.assign_frame(frame, residency.default_policy(), account="account")
    assert list(placed.columns) == [*frame.columns, *COLUMNS]
    result = computed(client, placed)
    assert dtypes(placed) == dtypes(result)
    single = residency.default_policy().assign_frame(customers.head(1_000), account="account")
    assert dtypes(result)[-len(COLUMNS) :] == dtypes(single)[-len(COLUMNS) :]


def test_moment_is_taken_once_on_the_client(client: Client, files: Path) -> None:
    """Partitions computed after a membership ends still answer for the moment of the call."""
    catalog = residency.default_policy().catalog
    until = datetime.now(UTC) + timedelta(seconds=1)
    leaving = Group(
        id="leaving",
        title="France, briefly",
        source="a test",
        members=[Membership("FR", until=until)],
    )
    policy = residency.Policy(
        attrs.evolve(
            catalog,
            groups={**catalog.groups, "leaving": leaving},
            rules=(
                Rule(id="leaving", region="APAC", groups=("leaving",)),
                *catalog.rules,
            ),
        )
    )
    frame = dd.read_parquet(files)
    placed = residency.dask.assign_frame(frame, policy, account="account")  # before `until`
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.05)
    result = computed(client, placed)
    france = result[(result["country"] == "FR") & result["error"].isna()]
    assert len(france) > 100
    assert set(france["rule"].astype(object)) == {"leaving"}
    assert policy.assign("FR").region == "EU"  # now, after `until`, France is back in the EU


@pytest.mark.parametrize(
    ("columns", "account", "error"),
    [
        (["customer", "account"], None, MissingColumn),
        (["country"], "account", MissingColumn),
        (["country", "account", "error"], "account", DuplicateColumn),
        (["country", "region"], None, DuplicateColumn),
    ],
    ids=["no-location", "no-account", "has-error", "has-region"],
)
def test_checks_come_before_any_work(
    columns: list[str], account: str | None, error: type[MissingColumn | DuplicateColumn]
) -> None:
    """A missing or clashing column is refused at the call, on the lazy frame's columns."""
    frame = dd.from_pandas(pd.DataFrame({name: ["DE"] for name in columns}), npartitions=1)
    with pytest.raises(error) as raised:
        residency.dask.assign_frame(frame, residency.default_policy(), account=account)
    assert isinstance(raised.value, MissingColumn | DuplicateColumn)
    assert raised.value.columns == tuple(columns)


def test_refuses_a_naive_moment_and_other_frames() -> None:
    """A naive ``at`` and a frame that is not a dask DataFrame are refused at the call."""
    policy = residency.default_policy()
    frame = dd.from_pandas(pd.DataFrame({"country": ["DE"]}), npartitions=1)
    with pytest.raises(InvalidTime):
        residency.dask.assign_frame(frame, policy, at=datetime(2026, 7, 1))  # noqa: DTZ001
    with pytest.raises(TypeError, match="a dask DataFrame, not DataFrame"):
        residency.dask.assign_frame(pd.DataFrame({"country": ["DE"]}), policy)


def test_without_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where dask's DataFrame cannot be imported, the call says which extra installs it."""
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(MissingDependency) as raised:
        residency.dask.assign_frame(object(), residency.default_policy())
    assert raised.value.extra == "dask"
    assert "pip install 'residency[dask]'" in str(raised.value)
