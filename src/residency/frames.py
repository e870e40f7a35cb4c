"""The columnar path: whole customer tables placed at once, without a Python call per row.

:meth:`Policy.assign_frame <residency.Policy.assign_frame>` takes a pandas DataFrame, a polars
DataFrame or a pyarrow Table and returns the same kind of table with five more columns:

======================  =====================================================================
``region``              the region id; null where the row's location is in error
``primary``             the account's primary data center (the region's first, without an
                        account column)
``data_centers``        the region's data center ids, in the account's order (a list column)
``rule``                the id of the rule that chose the region
``error``               null, or the row's typed error as ``"ErrorName: message"``
======================  =====================================================================

How: the location column is dictionary-encoded and each distinct value placed once by the
policy (a country column has a few hundred); the account column is dictionary-encoded, each
distinct account hashed once (BLAKE2b, as :func:`residency.placement.account_key`), and every
row ranked with numpy by the same rendezvous rule as
:func:`residency.placement.rendezvous_order`. Weighted regions compare floating-point scores;
rows whose best two scores are too close for numpy's logarithm to be trusted to the last bit
are ranked again the plain way, so that the order is exactly the one ``assign`` gives. The
test suite pins the two equal on millions of accounts.

numpy and pyarrow are needed (the ``frames`` extra); pandas and polars only for their own
frames. Without them the call raises :class:`~residency.errors.MissingDependency`.
"""

from __future__ import annotations

import hashlib
import importlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from residency._time import aware
from residency.errors import (
    DuplicateColumn,
    InvalidAccount,
    MissingColumn,
    MissingDependency,
    ResidencyError,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from residency.catalog import DataCenter
    from residency.placement import Placement
    from residency.policy import Policy

__all__ = ["COLUMNS", "ArrowColumns", "assign_frame", "is_frame", "place_columns", "rank"]

COLUMNS: Final = ("region", "primary", "data_centers", "rule", "error")
"""The columns :func:`assign_frame` adds, in order."""

_GOLDEN: Final = 0x9E3779B97F4A7C15
_CLOSE: Final = 1e-9
"""Scores closer than this (relative) are ranked again the plain way: numpy's logarithm may
differ from the C library's by an ulp or two, which could only swap scores this close."""


def _module(name: str, extra: str = "frames") -> Any:  # noqa: ANN401 - a module
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependency(name, extra=extra) from None


# --- ranking --------------------------------------------------------------------------------


def account_keys(accounts: Sequence[str]) -> Any:  # noqa: ANN401 - a numpy array
    """The 64-bit keys of ``accounts`` (as :func:`residency.placement.account_key`), uint64."""
    numpy = _module("numpy")
    blake2b = hashlib.blake2b
    try:  # one comprehension, no call per account: this runs once per distinct account
        digests = [blake2b(account.encode(), digest_size=8).digest() for account in accounts]
    except UnicodeEncodeError:  # a lone surrogate: still an id, hashed by its code points
        digests = [blake2b(_encoded(account), digest_size=8).digest() for account in accounts]
    return numpy.frombuffer(b"".join(digests), dtype=">u8").astype(numpy.uint64)


def _encoded(account: str) -> bytes:
    try:
        return account.encode()
    except UnicodeEncodeError:
        return account.encode("utf-8", "surrogatepass")


def rank(keys: Any, data_centers: Sequence[DataCenter]) -> Any:  # noqa: ANN401 - numpy arrays
    """The order of ``data_centers`` for each account key: positions, best first (n x k, int8).

    The order of :func:`residency.placement.rendezvous_order`, computed for many accounts at
    once; a property test holds the two equal.
    """
    from residency.placement import data_center_key  # noqa: PLC0415

    numpy = _module("numpy")
    count = len(data_centers)
    seeds = numpy.array([data_center_key(dc.id) for dc in data_centers], dtype=numpy.uint64)
    with numpy.errstate(over="ignore"):
        pairs = (keys[:, None] ^ seeds[None, :]) * numpy.uint64(_GOLDEN)  # modulo 2**64
    weights = [dc.weight for dc in data_centers]
    if count == 1:
        return numpy.zeros((len(keys), 1), dtype=numpy.int8)
    if len(set(weights)) <= 1:
        # Distinct seeds give distinct pair hashes (XOR, then an odd multiplier: bijections),
        # so there are no ties: highest first is ascending order of the complement.
        if count <= _BY_COMPARISON:
            return _compared(pairs)
        return numpy.argsort(~pairs, axis=1).astype(numpy.int8)
    units = (pairs.astype(numpy.float64) + 0.5) / 2.0**64
    scores = -numpy.array(weights, dtype=numpy.float64)[None, :] / numpy.log(units)
    # A stable sort of the negated scores: equal scores keep catalog order, as the definition.
    order = numpy.argsort(-scores, axis=1, kind="stable").astype(numpy.int8)
    ranked = numpy.take_along_axis(scores, order.astype(numpy.intp), axis=1)
    gaps = ranked[:, :-1] - ranked[:, 1:]
    close = numpy.nonzero((gaps <= numpy.abs(ranked[:, :-1]) * _CLOSE).any(axis=1))[0]
    if len(close):
        positions = range(count)
        for row in close.tolist():
            order[row] = _plain_order(int(keys[row]), data_centers, positions)
    return order


_BY_COMPARISON: Final = 3
"""Up to this many data centers, rows are ordered by comparisons rather than a sort."""
_ORDERS_BY_COMPARISONS: Final = (
    # (k0 >= k1, k1 >= k2, k0 >= k2) as a number, to the order residency._fast's decision
    # tree gives (equal keys keep catalog order)
    (2, 1, 0), (1, 0, 2), (1, 2, 0), (1, 0, 2), (2, 0, 1), (0, 2, 1), (0, 1, 2), (0, 1, 2),
)  # fmt: skip


def _compared(keys: Any) -> Any:  # noqa: ANN401 - numpy arrays
    """The order, best first, of two or three keys a row, by comparisons (n x k, int8)."""
    numpy = _module("numpy")
    if keys.shape[1] == 2:  # two data centers: one comparison
        first = keys[:, 0] >= keys[:, 1]
        return numpy.where(first[:, None], [0, 1], [1, 0]).astype(numpy.int8)
    code = (
        (keys[:, 0] >= keys[:, 1]).astype(numpy.int8) * 4
        + (keys[:, 1] >= keys[:, 2]).astype(numpy.int8) * 2
        + (keys[:, 0] >= keys[:, 2]).astype(numpy.int8)
    )
    return numpy.array(_ORDERS_BY_COMPARISONS, dtype=numpy.int8)[code]


def _plain_order(key: int, data_centers: Sequence[DataCenter], positions: range) -> list[int]:
    """The order of the definition for one account key, by Python's own arithmetic."""
    from residency.placement import data_center_key, score  # noqa: PLC0415

    def by(position: int) -> tuple[float, int]:
        dc = data_centers[position]
        return (score(key, data_center_key(dc.id), dc.weight), -position)

    return sorted(positions, key=by, reverse=True)


# --- frames ---------------------------------------------------------------------------------

_KINDS: Final = {("pyarrow", "Table"), ("polars", "DataFrame"), ("pandas", "DataFrame")}


def is_frame(value: object) -> bool:
    """Whether ``value`` is a pandas or polars DataFrame or a pyarrow Table (imports nothing)."""
    kind = type(value)
    return (kind.__module__.split(".")[0], kind.__name__) in _KINDS


class ArrowColumns:
    """A customer base as pyarrow arrays: account ids, locations, and data centers (or None)."""

    __slots__ = ("accounts", "data_centers", "locations")

    def __init__(self, accounts: Any, locations: Any, data_centers: Any | None) -> None:  # noqa: ANN401
        self.accounts = accounts
        self.locations = locations
        self.data_centers = data_centers

    def __len__(self) -> int:
        return len(self.accounts)


def account_columns(frame: object, names: Sequence[str]) -> ArrowColumns:
    """The columns ``names`` (account, location, optional data center) of a frame.

    Raises:
        MissingColumn: the frame lacks the account or the location column.
    """
    kind = _kind(frame)
    present = _columns_of(frame, kind)
    account, location, data_center = names
    for wanted in (account, location):
        if wanted not in present:
            raise MissingColumn(wanted, columns=present, what="frame")
    return ArrowColumns(
        _arrow_column(frame, kind, account),
        _arrow_column(frame, kind, location),
        _arrow_column(frame, kind, data_center) if data_center in present else None,
    )


def as_arrays(
    listed: tuple[Sequence[object], Sequence[object], Sequence[object]],
) -> ArrowColumns | None:
    """Lists of account ids, locations and data centers as pyarrow arrays, or ``None``.

    ``None`` when pyarrow is not installed or a value is not text (a Location, say): those
    rows take the plain path.
    """
    try:
        pa = importlib.import_module("pyarrow")
        importlib.import_module("numpy")
    except ImportError:
        return None
    accounts, locations, data_centers = listed
    try:
        arrays = [pa.array(values, type=pa.string()) for values in (accounts, locations)]
        centers = pa.array(data_centers, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    has_centers = centers.null_count < len(centers)
    return ArrowColumns(arrays[0], arrays[1], centers if has_centers else None)


def _kind(frame: object) -> str:
    module = type(frame).__module__.split(".")[0]
    name = type(frame).__name__
    if (module, name) in _KINDS:
        return module
    message = f"a pandas DataFrame, a polars DataFrame or a pyarrow Table, not {name}"
    raise TypeError(message)


def _columns_of(frame: object, kind: str) -> list[str]:
    if kind == "pyarrow":
        return list(frame.column_names)  # type: ignore[attr-defined]
    return [str(name) for name in frame.columns]  # type: ignore[attr-defined]


def _arrow_column(frame: object, kind: str, name: str) -> Any:  # noqa: ANN401 - a pyarrow array
    pa = _module("pyarrow")
    if kind == "pyarrow":
        return frame.column(name).combine_chunks()  # type: ignore[attr-defined]
    if kind == "polars":
        array = frame.get_column(name).to_arrow()  # type: ignore[attr-defined]
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    series = frame[name]  # type: ignore[index]
    try:
        array = pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array(series.astype(object).tolist(), from_pandas=True)
    # An Arrow-backed pandas column (from concat, or Parquet's row groups) comes in chunks.
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def assign_frame(
    policy: Policy,
    frame: Any,  # noqa: ANN401 - a pandas, polars or pyarrow table
    *,
    location: str = "country",
    account: str | None = None,
    at: datetime | None = None,
) -> Any:  # noqa: ANN401 - the same kind of table
    """Place every row of ``frame``; see :meth:`Policy.assign_frame`."""
    kind = _kind(frame)
    names = _columns_of(frame, kind)
    for wanted, option in ((location, "location="), (account, "account=")):
        if wanted is not None and wanted not in names:
            raise MissingColumn(wanted, columns=names, option=option, what="frame")
    clash = [name for name in COLUMNS if name in names]
    if clash:
        raise DuplicateColumn(clash[0], columns=names)
    when = datetime.now(UTC) if at is None else aware(at, "at")
    locations = _arrow_column(frame, kind, location)
    accounts = _arrow_column(frame, kind, account) if account is not None else None
    added = place_columns(policy, locations, accounts, when)
    return _with_columns(frame, kind, added)


def place_columns(
    policy: Policy,
    locations: Any,  # noqa: ANN401 - a pyarrow array
    accounts: Any | None,  # noqa: ANN401 - a pyarrow array
    at: datetime,
) -> dict[str, Any]:
    """The five added columns, as pyarrow arrays, for a location and an account column."""
    numpy = _module("numpy")
    pa = _module("pyarrow")
    pc = _module("pyarrow.compute")
    if not pa.types.is_dictionary(locations.type):
        locations = pc.dictionary_encode(locations, null_encoding="encode")
    # A slot per distinct location, placed once; each row points at its slot.
    values = locations.dictionary.to_pylist()
    slot = locations.indices.to_numpy(zero_copy_only=False)
    if locations.null_count:  # a dictionary array of the caller's may hold null indices
        values.append(None)
        nulls = locations.indices.is_null().to_numpy(zero_copy_only=False)
        slot = numpy.where(nulls, len(values) - 1, numpy.nan_to_num(slot))
    slot = slot.astype(numpy.int64)
    places: list[Placement | ResidencyError] = []
    for value in values:
        try:
            places.append(policy.assign(value, at=at))
        except ResidencyError as error:
            places.append(error.with_traceback(None))
    regions = sorted({p.region for p in places if not isinstance(p, ResidencyError)})
    number_of = {region: number for number, region in enumerate(regions)}
    slot_region = numpy.array(
        [-1 if isinstance(p, ResidencyError) else number_of[p.region] for p in places],
        dtype=numpy.int64,
    )
    row_region = slot_region[slot] if len(slot) else numpy.zeros(0, dtype=numpy.int64)
    in_region = {region: policy.catalog.data_centers_in(region) for region in regions}
    dc_ids = [dc.id for dc in policy.catalog.data_centers]
    dc_number = {dc_id: number for number, dc_id in enumerate(dc_ids)}
    valid = row_region >= 0
    if accounts is not None:
        keys, bad = _account_keys_of(accounts)
        valid &= bad == 0
    else:
        keys, bad = None, None
    members = [
        numpy.array([dc_number[dc.id] for dc in in_region[region]], dtype=numpy.int16)
        for region in regions
    ]
    dictionary = pa.array(dc_ids, type=pa.string())
    if keys is None:
        # Catalog order: every row of a region has the region's list, one take of a few lists.
        listed = pa.ListArray.from_arrays(
            pa.array(numpy.cumsum([0, *map(len, members)]).astype(numpy.int32)),
            pa.DictionaryArray.from_arrays(
                pa.array(numpy.concatenate([*members, numpy.zeros(0, numpy.int16)])), dictionary
            ),
        )
        which = pa.array(numpy.where(valid, row_region, 0), mask=~valid if (~valid).any() else None)
        lists = listed.take(which)
        heads = numpy.array([int(m[0]) for m in members] or [0], dtype=numpy.int16)
        primary = heads[numpy.where(valid, row_region, 0)]
        return _columns(places, slot, row_region, bad, valid, lists, primary, dc_ids, regions)
    lists, primary = _ranked_lists(keys, valid, row_region, members, in_region, regions, dictionary)
    return _columns(places, slot, row_region, bad, valid, lists, primary, dc_ids, regions)


def _ranked_lists(  # noqa: PLR0913 - the parts of one list column
    keys: Any,  # noqa: ANN401 - each row's account key
    valid: Any,  # noqa: ANN401 - the rows placed
    row_region: Any,  # noqa: ANN401 - each row's region, a number of regions
    members: list[Any],
    in_region: dict[str, tuple[DataCenter, ...]],
    regions: list[str],
    dictionary: Any,  # noqa: ANN401 - the data center ids, a pyarrow array
) -> tuple[Any, Any]:
    """The data centers of each row in its account's order (a list array), and its primary."""
    numpy = _module("numpy")
    pa = _module("pyarrow")
    lengths = numpy.zeros(len(row_region), dtype=numpy.int64)
    sizes = numpy.array([len(m) for m in members], dtype=numpy.int64)
    lengths[valid] = sizes[row_region[valid]]
    offsets = numpy.zeros(len(row_region) + 1, dtype=numpy.int32)
    numpy.cumsum(lengths, out=offsets[1:])
    values = numpy.zeros(int(offsets[-1]), dtype=numpy.int16)
    for number, region in enumerate(regions):
        rows = numpy.nonzero(valid & (row_region == number))[0]
        if not len(rows):
            continue
        ordered = members[number][rank(keys[rows], in_region[region]).astype(numpy.intp)]
        positions = offsets[rows][:, None] + numpy.arange(len(members[number]))[None, :]
        values[positions] = ordered
    primary = numpy.zeros(len(row_region), dtype=numpy.int16)
    if len(values):
        primary[valid] = values[offsets[:-1].astype(numpy.intp)[valid]]
    lists = pa.ListArray.from_arrays(
        pa.array(offsets),
        pa.DictionaryArray.from_arrays(pa.array(values), dictionary),
        mask=pa.array(~valid) if (~valid).any() else None,
    )
    return lists, primary


def _account_keys_of(accounts: Any) -> tuple[Any, Any]:  # noqa: ANN401 - pyarrow, numpy arrays
    """Each row's account key (uint64), and where the account is missing or empty.

    Each distinct account is hashed once (BLAKE2b). Finding the distinct accounts is most of
    the work on a big table: a hash table of a million strings probed ten million times.
    :func:`_distinct_fast` does it on 64-bit hashes of the strings, checked afterwards; the
    plain way is pyarrow's dictionary encoding.
    """
    numpy = _module("numpy")
    pa = _module("pyarrow")
    pc = _module("pyarrow.compute")
    if pa.types.is_dictionary(accounts.type):
        accounts = accounts.cast(accounts.type.value_type)
    if not (pa.types.is_string(accounts.type) or pa.types.is_large_string(accounts.type)):
        accounts = pc.cast(accounts, pa.string())
    found = _distinct_fast(accounts)
    if found is None:
        encoded = pc.dictionary_encode(accounts)
        names = encoded.dictionary.to_pylist()
        index = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(numpy.intp)
    else:
        names, index = found
    # 0: an account; 1: none (null); 2: an empty one. Each is an InvalidAccount of its own.
    bad = accounts.is_null().to_numpy(zero_copy_only=False).astype(numpy.int8)
    present = [name if name is not None else "" for name in names]
    keys = account_keys(present) if present else numpy.zeros(1, dtype=numpy.uint64)
    if "" in names:
        empty = numpy.array([name == "" for name in names], dtype=bool)
        bad[(bad == 0) & empty[index]] = 2
    return keys[index], bad


def _distinct_fast(accounts: Any) -> tuple[list[str | None], Any] | None:  # noqa: ANN401
    """The distinct accounts and each row's number among them, by 64-bit hashes; or None.

    polars hashes the strings (vectorised), pandas numbers the hashes (one table of integers),
    and the grouping is then checked with a second hash of another seed: two accounts grouped
    together would need both 64-bit hashes to collide at once (odds of 2**-128 a pair), and
    any disagreement takes the plain way. ``None`` without polars or pandas.
    """
    try:
        polars = importlib.import_module("polars")
        pandas = importlib.import_module("pandas")
    except ImportError:
        return None
    numpy = _module("numpy")
    series = polars.from_arrow(accounts)
    hashes = series.hash(seed=0).to_numpy()
    codes, distinct = pandas.factorize(hashes)
    # factorize numbers the hashes in the order they first appear: a code's first row is
    # where the running maximum of the codes steps up (one pass, no scatter).
    running = numpy.maximum.accumulate(codes)
    steps = numpy.empty(len(codes), dtype=bool)
    steps[:1] = True
    numpy.greater(running[1:], running[:-1], out=steps[1:])
    first = numpy.nonzero(steps)[0]
    if len(first) != len(distinct):  # not in order of appearance after all
        return None
    # The check: a second hash, of another seed, agrees within every group. Two accounts
    # grouped together have equal first hashes; they are the same account unless both
    # 64-bit hashes collide at once. Any disagreement, and the plain way is taken.
    check = series.hash(seed=0x5EED).to_numpy()
    if not numpy.array_equal(check, check[first][codes]):
        return None
    names = accounts.take(first)
    return names.to_pylist(), codes.astype(numpy.intp)


def _columns(  # noqa: PLR0913 - the parts of the five columns
    places: list[Placement | ResidencyError],
    slot: Any,  # noqa: ANN401
    row_region: Any,  # noqa: ANN401
    bad_account: Any | None,  # noqa: ANN401 - 0 an account, 1 none, 2 an empty one
    valid: Any,  # noqa: ANN401
    lists: Any,  # noqa: ANN401 - the data centers, a pyarrow list array
    primary: Any,  # noqa: ANN401 - each row's primary, a number of dc_ids
    dc_ids: list[str],
    regions: list[str],
) -> dict[str, Any]:
    """The five columns, dictionary-encoded: each row an index into a few distinct values."""
    from residency._text import one_line  # noqa: PLC0415

    numpy = _module("numpy")
    pa = _module("pyarrow")
    # The errors and rules of the distinct locations, each numbered once.
    texts: dict[str, int] = {}
    rules: dict[str, int] = {}
    slot_error = numpy.full(len(places) + 1, -1, dtype=numpy.int32)
    slot_rule = numpy.full(len(places) + 1, -1, dtype=numpy.int32)
    for number, place in enumerate(places):
        if isinstance(place, ResidencyError):
            text = f"{type(place).__name__}: {one_line(str(place))}"
            slot_error[number] = texts.setdefault(text, len(texts))
        else:
            slot_rule[number] = rules.setdefault(place.rule.id, len(rules))
    error_index = slot_error[slot] if len(slot) else numpy.zeros(0, dtype=numpy.int32)
    if bad_account is not None:
        for code, value in ((1, None), (2, "")):
            wrong = (bad_account == code) & (row_region >= 0)
            if wrong.any():
                text = f"InvalidAccount: {one_line(str(InvalidAccount(value)))}"
                error_index = numpy.where(wrong, texts.setdefault(text, len(texts)), error_index)
    rule_index = slot_rule[slot] if len(slot) else numpy.zeros(0, dtype=numpy.int32)
    invalid = ~valid
    strings = pa.string()

    def encoded(indices: Any, dictionary: list[str], mask: Any) -> Any:  # noqa: ANN401
        positions = numpy.where(mask, 0, indices).astype(numpy.int32)
        nulls = mask if mask.any() else None
        return pa.DictionaryArray.from_arrays(
            pa.array(positions, mask=nulls), pa.array(dictionary, type=strings)
        )

    return {
        "region": encoded(row_region, regions, invalid),
        "primary": encoded(primary, dc_ids, invalid),
        "data_centers": lists,
        "rule": encoded(rule_index, list(rules), invalid),
        "error": encoded(error_index, list(texts), error_index < 0),
    }


def _with_columns(frame: Any, kind: str, added: dict[str, Any]) -> Any:  # noqa: ANN401
    if kind == "pyarrow":
        table = frame
        for name, column in added.items():
            table = table.append_column(name, column)
        return table
    if kind == "polars":
        polars = _module("polars")
        return frame.with_columns(
            [polars.from_arrow(column).alias(name) for name, column in added.items()]
        )
    pandas = _module("pandas")
    result = frame.copy(deep=False)
    for name, column in added.items():
        # Scalars as categoricals (pandas' own dictionary type); the list as an Arrow list.
        mapper = pandas.ArrowDtype if name == "data_centers" else None
        values = column.to_pandas(types_mapper=mapper)
        values.index = frame.index  # the frame's own labels, whatever they are: no reindexing
        result[name] = values
    return result
