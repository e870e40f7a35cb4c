"""assign_frame on real pandas, polars and pyarrow frames, row for row equal to assign."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residency import DuplicateColumn, MissingColumn, default_policy, frames
from residency.catalog import DataCenter, Provider
from residency.frames import account_keys, place_columns, rank
from residency.placement import Placement, account_key, rendezvous_order
from residency.policy import Policy

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")

AT = datetime(2026, 6, 1, tzinfo=UTC)
POLICY = default_policy()
LOCATIONS = ["DE", "Germany", "FRA", "GB", "US", "Hoa Kỳ", "Japan", "SG", "IN", "AU", "BR", "IR"]
PROVIDER = Provider("example", "Example, Inc.")


def _region(weights: list[float], region: str = "EU") -> tuple[DataCenter, ...]:
    """A region of data centers of ``weights``."""
    return tuple(
        DataCenter(id=f"example-{region.lower()}-{n}", provider=PROVIDER, region=region, weight=w)
        for n, w in enumerate(weights)
    )


SHAPES = {
    "two uniform": [1.0, 1.0],
    "three uniform": [1.0, 1.0, 1.0],
    "three weighted": [1.0, 2.0, 0.5],
    "four weighted": [3.0, 1.0, 1.0, 0.25],
    "five uniform": [1.0] * 5,
    "five weighted": [1.0, 2.0, 3.0, 4.0, 5.0],
}


def _ids(count: int, seed: int) -> list[str]:
    """``count`` account ids, reproducibly."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    return [f"acct-{rng.randrange(10**9)}" for _ in range(count)]


# --- the ranking ----------------------------------------------------------------------------


def test_account_keys_are_the_placement_keys() -> None:
    """The vectorised keys are account_key's, surrogates and all."""
    accounts = ["acme", "", "Ünïcödé", "\ud800lone", *_ids(1_000, 1)]
    assert account_keys(accounts).tolist() == [account_key(a) for a in accounts]


@pytest.mark.parametrize("shape", SHAPES)
def test_rank_orders_as_the_definition(shape: str) -> None:
    """20,000 accounts per region shape: rank gives rendezvous_order's order, row by row."""
    region = _region(SHAPES[shape])
    accounts = _ids(20_000, len(shape))
    orders = rank(account_keys(accounts), region)
    for account, order in zip(accounts, orders.tolist(), strict=True):
        assert tuple(region[i] for i in order) == rendezvous_order(account, region)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1), min_size=1, max_size=50),
    st.lists(st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 7.0]), min_size=1, max_size=5),
)
def test_rank_agrees_on_any_account_and_weights(accounts: list[str], weights: list[float]) -> None:
    """Any ids (lone surrogates too), any weights of one to five data centers."""
    region = _region(weights)
    orders = rank(account_keys(accounts), region)
    for account, order in zip(accounts, orders.tolist(), strict=True):
        assert tuple(region[i] for i in order) == rendezvous_order(account, region)


def test_near_ties_fall_back_to_the_plain_order() -> None:
    """Equal weights but distinct floats: scores a hair apart are ranked the plain way."""
    region = _region([1.0, 1.0 + 2**-40, 1.0])
    accounts = _ids(20_000, 5)
    orders = rank(account_keys(accounts), region)
    for account, order in zip(accounts, orders.tolist(), strict=True):
        assert tuple(region[i] for i in order) == rendezvous_order(account, region)


# --- frames ---------------------------------------------------------------------------------


def _policy_shaped(shapes: dict[str, list[float]]) -> Policy:
    """The bundled catalog with each region's data centers replaced by one of ``shapes``."""
    catalog = POLICY.catalog
    data_centers = tuple(
        dc for region, weights in shapes.items() for dc in _region(weights, region)
    )
    return Policy(attrs.evolve(catalog, data_centers=data_centers))


Answer = tuple[str | None, str | None, list[str] | None, str | None, str | None]
"""A row's answer: region, primary, data centers, rule, and the error's name."""


def _expected(policy: Policy, locations: list[object], accounts: list[object]) -> list[Answer]:
    """What assign_many (the row-by-row path) answers for each row, in the frame's terms."""
    rows: list[Answer] = []
    answers = policy.assign_many(locations, account_ids=accounts, at=AT, errors="return")  # type: ignore[call-overload]
    for answer in answers:
        if not isinstance(answer, Placement):
            rows.append((None, None, None, None, type(answer).__name__))
            continue
        ids = [dc.id for dc in answer.data_centers]
        rows.append((answer.region, ids[0], ids, answer.rule.id, None))
    return rows


def _got(table: object) -> list[Answer]:
    """What a result table answers for each row, its errors by name."""
    data = table.to_pydict()  # type: ignore[attr-defined]
    return [
        (region, primary, dcs, rule, error.split(":")[0] if error else None)
        for region, primary, dcs, rule, error in zip(
            data["region"],
            data["primary"],
            data["data_centers"],
            data["rule"],
            data["error"],
            strict=True,
        )
    ]


# Every region a different shape, uniform and weighted, two to five data centers; then swapped.
REGION_SHAPES = {
    "mixed": {
        "EU": [1.0, 2.0, 3.0, 4.0, 5.0],
        "UK": [1.0, 1.0],
        "US": [1.0, 2.0, 0.5],
        "APAC": [1.0] * 4,
    },
    "swapped": {
        "EU": [1.0] * 5,
        "UK": [1.0, 3.0],
        "US": [1.0, 1.0, 1.0],
        "APAC": [3.0, 1.0, 1.0, 0.25],
    },
}


@pytest.mark.no_cover  # a million rows traced line by line add a minute and cover nothing new
@pytest.mark.parametrize(("shapes", "count"), [("mixed", 1_000_000), ("swapped", 250_000)])
def test_a_million_accounts_equal_assign_row_by_row(shapes: str, count: int) -> None:
    """1,000,000 distinct accounts over regions of two to five data centers, row by row.

    Every row as assign_many places it (the row-by-row path). The first layout has uniform
    and weighted regions of two to five data centers; the second swaps which are weighted,
    on a quarter as many accounts.
    """
    policy = _policy_shaped(REGION_SHAPES[shapes])
    rng = random.Random(2026)  # noqa: S311 - reproducible test data
    accounts = [f"acct-{number}" for number in range(count)]
    locations = [rng.choice(LOCATIONS) for _ in range(count)]
    table = pa.table({"country": locations, "account_id": accounts})
    result = policy.assign_frame(table, account="account_id", at=AT)
    placements = policy.assign_many(locations, account_ids=accounts, at=AT)
    # assign_many shares one Placement among the accounts of one location and order.
    ids: dict[int, list[str]] = {}
    expected = [
        ids.get(id(p)) or ids.setdefault(id(p), [dc.id for dc in p.data_centers])
        for p in placements
    ]
    # Compared as Arrow arrays: a million rows read back into Python lists cost seconds each.
    expected_lists = pa.array(expected, type=pa.list_(pa.string()))
    _assert_equal(result["data_centers"].cast(pa.list_(pa.string())), expected_lists)
    regions = pa.array([placement.region for placement in placements], type=pa.string())
    _assert_equal(result["region"].cast(pa.string()), regions)
    assert result["error"].null_count == len(placements)
    # Each distinct account ranked once in every region, then each row given its pair's order:
    # here four pairs a row, so assign_frame ranked the rows; both ways, the same lists.
    by_account = place_columns(
        policy,
        table["country"].combine_chunks(),
        table["account_id"].combine_chunks(),
        AT,
        ranking="accounts",
    )
    _assert_equal(by_account["data_centers"].cast(pa.list_(pa.string())), expected_lists)


def _assert_equal(got: Any, expected: Any) -> None:  # noqa: ANN401 - pyarrow arrays
    """The same values in the same rows, nulls included; the first rows that differ if not."""
    whole = got if isinstance(got, pa.ChunkedArray) else pa.chunked_array([got])
    if not whole.equals(pa.chunked_array([expected])):
        differ = [
            (row, seen, wanted)
            for row, (seen, wanted) in enumerate(
                zip(whole.to_pylist(), expected.to_pylist(), strict=True)
            )
            if seen != wanted
        ]
        pytest.fail(f"{len(differ):,} rows differ, the first: {differ[:5]}")


def _mixed(count: int, seed: int) -> tuple[list[object], list[object]]:
    """Locations and accounts of every kind, bad ones too."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    locations: list[object] = [
        rng.choice([*LOCATIONS, "Atlantis", "Korea", None, "AQ"]) for _ in range(count)
    ]
    accounts: list[object] = [f"acct-{rng.randrange(count)}" for _ in range(count)]
    accounts[3], accounts[4] = None, ""
    return locations, accounts


@pytest.mark.parametrize("kind", ["pyarrow", "polars", "pandas"])
def test_each_kind_of_frame_comes_back_as_itself(kind: str) -> None:
    """The same rows as a pyarrow Table, a polars and a pandas DataFrame: the same answers."""
    locations, accounts = _mixed(20_000, 9)
    table = pa.table({"country": locations, "account_id": accounts, "keep": range(20_000)})
    frame = {"pyarrow": table, "polars": pl.from_arrow(table), "pandas": table.to_pandas()}[kind]
    result = POLICY.assign_frame(frame, account="account_id", at=AT)
    assert type(result) is type(frame)
    back = (
        result
        if kind == "pyarrow"
        else pa.Table.from_pandas(result)
        if kind == "pandas"
        else result.to_arrow()
    )
    assert back.column_names[:3] == ["country", "account_id", "keep"]
    assert back.column_names[3:] == ["region", "primary", "data_centers", "rule", "error"]
    assert back["keep"].to_pylist() == list(range(20_000))
    assert _got(back) == _expected(POLICY, locations, accounts)


WIDE_SHAPES = {
    "bundled": None,
    "nine in a region": {"EU": [1.0] * 9, "UK": [1.0], "US": [1.0, 2.0], "APAC": [1.0] * 3},
    "130 data centers": {
        "EU": [1.0, 2.0, 3.0] * 40,
        "UK": [1.0, 1.0],
        "US": [1.0, 2.0, 0.5] + [1.0] * 5,
        "APAC": [1.0],
    },
}


@pytest.mark.parametrize("ranking", ["auto", "rows", "accounts"])
@pytest.mark.parametrize("shapes", WIDE_SHAPES)
def test_each_way_of_ranking_answers_as_assign(ranking: str, shapes: str) -> None:
    """Ranked by row or by account, every row as assign_many: narrow and very wide regions.

    Nine data centers in a region, and more than 127 in the catalog, take the table paths
    that do not fit a row in one integer.
    """
    shape = WIDE_SHAPES[shapes]
    policy = POLICY if shape is None else _policy_shaped(shape)
    locations, accounts = _mixed(3_000, 21)
    accounts = [a if a is None or i % 3 else f"acct-{i % 400}" for i, a in enumerate(accounts)]
    added = place_columns(
        policy,
        pa.array(locations, pa.string()),
        pa.array(accounts, pa.string()),
        AT,
        ranking=ranking,
    )
    assert _got(pa.table(added)) == _expected(policy, locations, accounts)


@pytest.mark.parametrize(
    ("widest", "data_centers"),
    [(1, 4), (2, 4), (3, 4), (4, 4), (5, 10), (8, 10), (9, 12), (2, 200), (4, 200), (6, 200)],
)
def test_grid_rows_move_whole(widest: int, data_centers: int) -> None:
    """Rows of data center numbers are taken and put as whole rows, padding and all."""
    rng = np.random.default_rng(widest * 1000 + data_centers)
    grids = frames._Grids([list(range(widest))], data_centers)
    table = grids.empty(50)
    table[:, :widest] = rng.integers(0, data_centers, (50, widest))
    index = rng.integers(0, 50, 1_000).astype(np.int32)
    taken = grids.take(table, index)
    assert taken.shape == (1_000, grids.width)
    assert np.array_equal(taken, table[index])
    grid = grids.empty(100)
    rows = rng.permutation(100)[:30]
    grids.put(grid, rows, table[:30])
    assert np.array_equal(grid[rows], table[:30])
    assert (np.delete(grid, rows, axis=0) == -1).all()


@pytest.mark.parametrize("partitioned", [False, True])
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**64 - 1])))
def test_hashes_are_numbered_as_groups(partitioned: bool, values: list[int]) -> None:
    """Equal hashes get one number, different ones different numbers, part by part or not.

    Each number's first row is where its hash first appears.
    """
    hashes = np.array(values, dtype=np.uint64)
    limit = 0 if partitioned else frames._PARTITIONED
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames, "_PARTITIONED", limit)
        codes, first = frames._numbered(hashes)
    assert len(first) == len(set(values))
    assert sorted(codes[first].tolist()) == list(range(len(first)))
    for row, value in enumerate(values):
        assert values.index(value) == first[codes[row]]


def test_bad_rows_carry_their_error_and_the_rest_go_on() -> None:
    """Each kind of bad row gets its typed error; the good rows are placed."""
    table = pa.table(
        {
            "country": ["DE", "Atlantis", "Korea", None, "AQ", "US", "DE"],
            "account_id": ["a", "b", "c", "d", "e", None, ""],
        }
    )
    result = POLICY.assign_frame(table, account="account_id", at=AT).to_pydict()
    assert [e.split(":")[0] if e else None for e in result["error"]] == [
        None,
        "UnknownLocation",
        "AmbiguousLocation",
        "InvalidLocation",
        "UnassignedLocation",
        "InvalidAccount",
        "InvalidAccount",
    ]
    assert result["region"] == ["EU", None, None, None, None, None, None]
    assert result["data_centers"][1:] == [None] * 6
    assert "'Atlantis'" in result["error"][1]


def test_without_accounts_the_region_comes_in_catalog_order() -> None:
    """With no account column, each region's data centers come in catalog order."""
    table = pa.table({"where": ["DE", "JP", "Germany"]})
    result = POLICY.assign_frame(table, location="where").to_pydict()
    eu = [dc.id for dc in POLICY.catalog.data_centers_in("EU")]
    assert result["data_centers"][0] == result["data_centers"][2] == eu
    assert result["primary"] == [eu[0], "linode-sg", eu[0]]


def test_a_dictionary_column_is_read_as_it_is() -> None:
    """A dictionary-encoded location column is placed by its dictionary, nulls too."""
    column = pa.array(["DE", "US", None, "DE", "Atlantis"] * 1000).dictionary_encode()
    result = POLICY.assign_frame(pa.table({"country": column}), at=AT).to_pydict()
    assert result["region"][:5] == ["EU", "US", None, "EU", None]
    assert result["error"][2].startswith("InvalidLocation")


def test_an_added_column_that_exists_is_refused_not_overwritten() -> None:
    """A frame with a column of the result is refused, never overwritten."""
    table = pa.table({"country": ["DE"], "region": ["mine"]})
    with pytest.raises(DuplicateColumn, match="region"):
        POLICY.assign_frame(table)
    with pytest.raises(DuplicateColumn):
        POLICY.assign_frame(table.to_pandas())


def test_a_missing_column_is_named() -> None:
    """A missing location or account column is a MissingColumn naming it."""
    with pytest.raises(MissingColumn, match="country"):
        POLICY.assign_frame(pa.table({"where": ["DE"]}))
    with pytest.raises(MissingColumn, match="acct"):
        POLICY.assign_frame(pl.DataFrame({"country": ["DE"]}), account="acct")


def test_other_things_are_not_frames() -> None:
    """Anything but the three kinds of table is a TypeError."""
    with pytest.raises(TypeError, match="pyarrow Table"):
        POLICY.assign_frame([("DE", "a")])


def test_an_empty_frame_gets_empty_columns() -> None:
    """No rows: the five columns, empty."""
    table = pa.table(
        {"country": pa.array([], pa.string()), "account_id": pa.array([], pa.string())}
    )
    result = POLICY.assign_frame(table, account="account_id")
    assert result.num_rows == 0
    assert result.column_names[-5:] == ["region", "primary", "data_centers", "rule", "error"]


def test_the_moment_is_the_one_asked_for() -> None:
    """The UK left the EU on 2020-01-31: a frame for 2019 places GB as assign does then."""
    before = datetime(2019, 6, 1, tzinfo=UTC)
    table = pa.table({"country": ["GB"], "account_id": ["acme"]})
    got = POLICY.assign_frame(table, account="account_id", at=before).to_pydict()
    want = POLICY.assign("GB", account_id="acme", at=before)
    assert (got["region"][0], got["rule"][0]) == (want.region, want.rule.id)


def test_a_pandas_frame_keeps_its_own_index() -> None:
    """Rows labelled otherwise than 0..n-1 get their own answers, not nulls."""
    frame = pd.DataFrame({"country": ["DE", "JP", "US"]}, index=[10, 5, 99])
    result = POLICY.assign_frame(frame, at=AT)
    assert list(result.index) == [10, 5, 99]
    assert list(result["region"]) == ["EU", "APAC", "US"]
    assert [list(dcs) for dcs in result["data_centers"]][1] == ["linode-sg", "aws-ap-southeast-1"]


def test_a_column_in_chunks_is_read_whole() -> None:
    """An Arrow-backed pandas column in several chunks (as concat makes) is one column."""
    parts = [
        pd.DataFrame({"country": pd.array([c], dtype="string[pyarrow]")}) for c in ("DE", "US")
    ]
    frame = pd.concat(parts, ignore_index=True)
    result = POLICY.assign_frame(frame, at=AT)
    assert list(result["region"]) == ["EU", "US"]


def test_a_pandas_column_of_anything_is_placed_row_by_row() -> None:
    """Object columns of strings are numbered by pandas; of anything else, read as they are."""
    frame = pd.DataFrame({"country": ["DE", None, "Atlantis", float("nan"), "JP"]})
    mixed = pd.DataFrame({"country": ["DE", 5, None]})
    got = POLICY.assign_frame(frame, at=AT)
    assert list(got["region"].astype(object).where(got["region"].notna(), None)) == [
        "EU",
        None,
        None,
        None,
        "APAC",
    ]
    assert [str(e).split(":")[0] for e in got["error"]][1:4] == [
        "InvalidLocation",
        "UnknownLocation",
        "InvalidLocation",
    ]
    errors = POLICY.assign_frame(mixed, at=AT)["error"]
    assert errors.isna().tolist() == [True, False, False]
