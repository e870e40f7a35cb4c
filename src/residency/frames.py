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
policy (a country column has a few hundred). The distinct accounts are found by numbering
64-bit hashes of the strings (checked by a second hash), each is hashed once with BLAKE2b
(as :func:`residency.placement.account_key`) and ranked with numpy by the same rendezvous
rule as :func:`residency.placement.rendezvous_order`, once in every region of the table;
each row then takes its account's order from that small table. Weighted regions compare
floating-point scores; rows whose best two scores are too close for numpy's logarithm to be
trusted to the last bit are ranked again the plain way, so that the order is exactly the
one ``assign`` gives. The test suite pins the two equal on millions of accounts.

numpy and pyarrow are needed (the ``frames`` extra); pandas and polars only for their own
frames. Without them the call raises :class:`~residency.errors.MissingDependency`.
"""

from __future__ import annotations

import hashlib
import importlib
from datetime import UTC, datetime
from functools import partial
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
    from collections.abc import Callable, Sequence

    from residency.catalog import DataCenter
    from residency.placement import Placement
    from residency.policy import Policy

__all__ = [
    "COLUMNS",
    "ArrowColumns",
    "assign_frame",
    "check_columns",
    "is_frame",
    "place_columns",
    "rank",
]

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
    # (k0 >= k1, k1 >= k2, k0 >= k2) as a number, to the order residency._rank's decision
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


class _Numbered:
    """A column as its distinct values (any Python objects) and each row's number (-1: none)."""

    __slots__ = ("codes", "values")

    def __init__(self, values: Sequence[object], codes: Any) -> None:  # noqa: ANN401 - numpy
        self.values = values
        self.codes = codes


def _location_column(frame: object, kind: str, name: str) -> Any:  # noqa: ANN401 - pyarrow
    """A location column as pyarrow, or numbered by pandas from a pandas object column.

    A pandas column of Python objects holds a few hundred distinct locations; numbering them
    with pandas (one hash table of a few hundred objects) costs half of copying every string
    into Arrow, and takes values of any type (each placed, or refused, as ``assign`` does).
    """
    if kind == "pandas" and frame[name].dtype == object:  # type: ignore[index]
        codes, distinct = _module("pandas").factorize(frame[name])  # type: ignore[index]
        return _Numbered(list(distinct), codes)
    return _arrow_column(frame, kind, name)


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


def check_columns(names: list[str], location: str, account: str | None) -> None:
    """Refuse a frame whose columns ``names`` lack one it reads or hold one it would add.

    Raises:
        MissingColumn: the location or account column is missing.
        DuplicateColumn: a column the result adds exists: it is never overwritten.
    """
    for wanted, option in ((location, "location="), (account, "account=")):
        if wanted is not None and wanted not in names:
            raise MissingColumn(wanted, columns=names, option=option, what="frame")
    clash = [name for name in COLUMNS if name in names]
    if clash:
        raise DuplicateColumn(clash[0], columns=names)


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
    check_columns(_columns_of(frame, kind), location, account)
    when = datetime.now(UTC) if at is None else aware(at, "at")
    locations = _location_column(frame, kind, location)
    accounts: Any = None
    if account is not None:
        accounts = frame.get_column(account) if kind == "polars" else None
        if accounts is None or accounts.dtype != _module("polars").String:
            accounts = _arrow_column(frame, kind, account)
    added = place_columns(policy, locations, accounts, when)
    return _with_columns(frame, kind, added)


def place_columns(
    policy: Policy,
    locations: Any,  # noqa: ANN401 - a pyarrow array
    accounts: Any | None,  # noqa: ANN401 - a pyarrow array, or a polars text Series
    at: datetime,
    *,
    ranking: str = "auto",
) -> dict[str, Any]:
    """The five added columns, as pyarrow arrays, for a location and an account column.

    Every row comes down to a *unit* whose data centers are known in order: without accounts
    the row's region (catalog order); with accounts either the pair (account, region), each
    distinct account ranked once in every region of the table (``ranking="accounts"``), or
    the row itself, ranked in its region (``ranking="rows"``). ``"auto"`` ranks by account
    when the table repeats its accounts enough to pay for it. The answers are the same
    either way (a test holds them equal); only the work differs.
    """
    numpy = _module("numpy")
    slots = _Slots(policy, locations, at)
    dc_ids = [dc.id for dc in policy.catalog.data_centers]
    dc_number = {dc_id: number for number, dc_id in enumerate(dc_ids)}
    members = [[dc_number[dc.id] for dc in slots.in_region[region]] for region in slots.regions]
    grids = _Grids(members, len(dc_ids))
    row_region = slots.per_row(slots.region)  # -1 where the location is in error
    invalid = row_region < 0 if len(row_region) and row_region.min() < 0 else None
    sizes = numpy.array([len(m) for m in members] + [0], dtype=numpy.int8)
    slot_size = sizes[slots.region]  # -1 indexes the final 0
    bad_row = None  # per row: 0 an account, 1 none, 2 an empty one (only if one is bad)
    rows: Callable[[int, int], Any]  # the grid of the rows from start to stop
    if accounts is None:
        table = grids.empty(len(members) + 1)  # a unit per region; the last one for errors
        for number, dcs in enumerate(members):
            table[number, : len(dcs)] = dcs
        slot_unit = slots.region % (len(members) + 1)

        def rows(start: int, stop: int, /) -> Any:  # noqa: ANN401 - numpy
            return grids.take(table, _take(slot_unit, slots.slot[start:stop]))

    else:
        found = _Accounts(accounts)
        if found.bad.any():
            bad_row = found.bad.take(found.codes)
            invalid = (bad_row != 0) if invalid is None else invalid | (bad_row != 0)
        by_account = ranking == "accounts" or (
            ranking == "auto" and len(found.keys) * len(members) <= _REPEATS * len(row_region)
        )
        units = _RankedUnits(found, row_region, invalid, slots, members, grids)
        rows = units.by_account() if by_account else units.by_row()
    lists, primary = _lists(grids, dc_ids, slots, slot_size, invalid, rows)
    errors, texts = slots.per_row(slots.error), list(slots.texts)
    if bad_row is not None:
        errors = errors.astype(numpy.int32)
        for code, value in ((1, None), (2, "")):
            wrong = (bad_row == code) & (row_region >= 0)
            if wrong.any():
                texts.append(f"InvalidAccount: {_one_line(str(InvalidAccount(value)))}")
                errors[wrong] = len(texts) - 1
    return {
        "region": _dictionary_array(row_region, slots.regions, invalid),
        "primary": _dictionary_array(primary, dc_ids, invalid),
        "data_centers": lists,
        "rule": _dictionary_array(slots.per_row(slots.rule), slots.rules, invalid),
        "error": _dictionary_array(errors, texts, errors < 0 if texts else True),
    }


_CHUNK: Final = 1 << 18
"""Rows built at a time into the list column: their scratch fits the processor's caches."""


def _lists(  # noqa: PLR0913 - the parts of one list column
    grids: _Grids,
    dc_ids: list[str],
    slots: _Slots,
    slot_size: Any,  # noqa: ANN401 - numpy: each slot's number of data centers
    invalid: Any | None,  # noqa: ANN401 - numpy: the rows with no data centers
    rows: Callable[[int, int], Any],
) -> tuple[Any, Any]:
    """The list column of data centers, and each row's primary (a number of ``dc_ids``).

    ``rows(start, stop)`` gives those rows' grid (see :class:`_Grids`). The column is built
    a chunk of rows at a time, straight into its two buffers: scratch the size of the
    whole table would cost more in fresh memory than the work itself.
    """
    numpy = _module("numpy")
    pa = _module("pyarrow")
    count = len(slots.slot)
    offsets = numpy.zeros(count + 1, dtype=numpy.int32)
    for start in range(0, count, _CHUNK):
        stop = min(start + _CHUNK, count)
        lengths = _take(slot_size, slots.slot[start:stop])
        if invalid is not None:
            lengths = numpy.where(invalid[start:stop], 0, lengths)
        numpy.cumsum(lengths, dtype=numpy.int32, out=offsets[start + 1 : stop + 1])
        offsets[start + 1 : stop + 1] += offsets[start]
    values = numpy.empty(int(offsets[-1]), dtype=grids.type)
    primary = numpy.empty(count, dtype=grids.type)
    for start in range(0, count, _CHUNK):
        stop = min(start + _CHUNK, count)
        grid = rows(start, stop)
        primary[start:stop] = grid[:, 0]
        flat = grid.ravel()
        into = values[offsets[start] : offsets[stop]]
        if len(into) == len(flat):
            into[:] = flat
        else:
            numpy.compress(flat >= 0, flat, out=into)
    lists = pa.ListArray.from_arrays(
        pa.array(offsets),
        pa.DictionaryArray.from_arrays(pa.array(values), pa.array(dc_ids, type=pa.string())),
        mask=None if invalid is None else pa.array(invalid),
    )
    return lists, primary


_REPEATS: Final = 2
"""Rank by account when the pairs (account, region) are at most this many times the rows."""
_WORD: Final = 8
"""The widest row, in bytes, that moves as one integer."""


def _index_type(size: int) -> Any:  # noqa: ANN401 - a numpy dtype
    """The smallest signed integer type that numbers ``size`` things (and -1)."""
    numpy = _module("numpy")
    for kind in (numpy.int8, numpy.int16, numpy.int32):
        if size <= numpy.iinfo(kind).max:
            return kind
    return numpy.int64


def _one_line(text: str) -> str:
    from residency._text import one_line  # noqa: PLC0415

    return one_line(text)


def _dictionary_array(indices: Any, dictionary: list[str], mask: Any) -> Any:  # noqa: ANN401
    """A dictionary array of ``indices`` into ``dictionary``, null where ``mask`` is true.

    ``mask`` is an array, ``None`` (no nulls) or ``True`` (all null).
    """
    numpy = _module("numpy")
    pa = _module("pyarrow")
    kind = _index_type(len(dictionary))
    strings = pa.array(dictionary, type=pa.string())
    if mask is True or (mask is not None and mask.all()):
        return pa.DictionaryArray.from_arrays(
            pa.nulls(len(indices), pa.from_numpy_dtype(kind)), strings
        )
    if mask is not None and not mask.any():
        mask = None
    if mask is not None:
        indices = numpy.where(mask, 0, indices)
    return pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(kind, copy=False), mask=mask), strings
    )


class _Slots:
    """The distinct locations of a column, each placed once, and each row's slot among them.

    Each per-slot table has one more entry, for the null slot of a dictionary that has none.
    """

    def __init__(self, policy: Policy, locations: Any, at: datetime) -> None:  # noqa: ANN401
        numpy = _module("numpy")
        pa = _module("pyarrow")
        pc = _module("pyarrow.compute")
        if isinstance(locations, _Numbered):
            values = list(locations.values)
            self.slot = numpy.where(locations.codes < 0, len(values), locations.codes)
        else:
            if not pa.types.is_dictionary(locations.type):
                locations = pc.dictionary_encode(locations, null_encoding="encode")
            values = locations.dictionary.to_pylist()
            indices = locations.indices
            if indices.null_count:  # a dictionary array of the caller's may hold null indices
                indices = pc.fill_null(indices.cast(pa.int32()), len(values))
            self.slot = indices.to_numpy(zero_copy_only=False)
        values.append(None)  # the null slot: an InvalidLocation, as assign(None) says
        places: list[Placement | ResidencyError] = []
        for value in values:
            try:
                places.append(policy.assign(value, at=at))
            except ResidencyError as error:
                places.append(error.with_traceback(None))
        self.regions = sorted({p.region for p in places if not isinstance(p, ResidencyError)})
        self.in_region = {region: policy.catalog.data_centers_in(region) for region in self.regions}
        number_of = {region: number for number, region in enumerate(self.regions)}
        texts: dict[str, int] = {}
        rules: dict[str, int] = {}
        region_of, rule_of, error_of = ([-1] * len(places) for _ in range(3))
        for number, place in enumerate(places):
            if isinstance(place, ResidencyError):
                text = f"{type(place).__name__}: {_one_line(str(place))}"
                error_of[number] = texts.setdefault(text, len(texts))
            else:
                region_of[number] = number_of[place.region]
                rule_of[number] = rules.setdefault(place.rule.id, len(rules))
        self.texts, self.rules = list(texts), list(rules)
        self.region = numpy.array(region_of, dtype=_index_type(len(self.regions) + 1))
        self.rule = numpy.array(rule_of, dtype=_index_type(len(rules)))
        self.error = numpy.array(error_of, dtype=_index_type(len(texts)))

    def per_row(self, table: Any) -> Any:  # noqa: ANN401 - numpy arrays
        """Each row's entry of a per-slot ``table`` (a numpy array of it)."""
        return _take(table, self.slot)


def _take(table: Any, index: Any) -> Any:  # noqa: ANN401 - numpy arrays
    """``table[index]`` for a one-dimensional table, by pyarrow.

    pyarrow takes with the index as it is; numpy first widens an index of 32 bits or fewer
    to 64 (eighty megabytes for ten million rows), which costs more than the take.
    """
    pa = _module("pyarrow")
    pc = _module("pyarrow.compute")
    return pc.take(pa.array(table), pa.array(index)).to_numpy()


class _Grids:
    """Tables of data center numbers, a row per unit, best first, padded with -1.

    A row is 1, 2, 4 or 8 bytes wide where it can be, so that rows move as single integers
    (one take of a column of them) rather than through numpy's slower rows of a 2-d array.
    """

    def __init__(self, members: list[list[int]], data_centers: int) -> None:
        numpy = _module("numpy")
        self.type = _index_type(data_centers)
        widest = max(map(len, members), default=1)
        size = numpy.dtype(self.type).itemsize
        self.width = next((w for w in (1, 2, 4, 8) if widest <= w and w * size <= _WORD), widest)
        self.word = self.width * size if self.width * size <= _WORD else None

    def empty(self, units: int) -> Any:  # noqa: ANN401 - numpy
        """A table of ``units`` rows, all padding."""
        numpy = _module("numpy")
        return numpy.full((units, self.width), -1, dtype=self.type)

    def take(self, table: Any, index: Any) -> Any:  # noqa: ANN401 - numpy arrays
        """The rows ``index`` of ``table``."""
        numpy = _module("numpy")
        if self.word is None:
            return numpy.take(table, index, axis=0)
        words = table.view(f"u{self.word}").ravel()
        return _take(words, index).view(self.type).reshape(-1, self.width)

    def put(self, grid: Any, index: Any, rows: Any) -> None:  # noqa: ANN401 - numpy arrays
        """Set the rows ``index`` of ``grid`` to ``rows``."""
        if self.word is None:
            grid[index] = rows
            return
        grid.view(f"u{self.word}").ravel()[index] = rows.view(f"u{self.word}").ravel()


class _Accounts:
    """The distinct accounts of a column, their keys, and each row's number among them.

    ``bad`` marks the accounts that are no account: 1 none, 2 an empty one (each an
    :class:`~residency.errors.InvalidAccount`). A polars text column is hashed as it is, with
    no round trip through Arrow.
    """

    def __init__(self, accounts: Any) -> None:  # noqa: ANN401 - pyarrow, or a polars text Series
        numpy = _module("numpy")
        pa = _module("pyarrow")
        pc = _module("pyarrow.compute")
        found = None
        if not isinstance(accounts, pa.Array):  # polars text: hashed as it is
            found = _distinct_fast(accounts)
            accounts = accounts.to_arrow() if found is None else None
        if accounts is not None:
            if pa.types.is_dictionary(accounts.type):
                accounts = accounts.cast(accounts.type.value_type)
            if not (pa.types.is_string(accounts.type) or pa.types.is_large_string(accounts.type)):
                accounts = pc.cast(accounts, pa.string())
            found = _distinct_fast(accounts)
        if found is None:
            encoded = pc.dictionary_encode(accounts, null_encoding="encode")
            names, codes = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
        else:
            names, codes = found
        self.codes = codes
        self.bad = names.is_null().to_numpy(zero_copy_only=False).astype(numpy.int8)
        empty = pc.fill_null(pc.equal(names, ""), fill_value=False)
        self.bad[empty.to_numpy(zero_copy_only=False)] = 2
        self.keys = _keys_of(names) if len(names) else numpy.zeros(0, dtype=numpy.uint64)


def _keys_of(names: Any) -> Any:  # noqa: ANN401 - a pyarrow array of text, a numpy array
    """The key of each account of a pyarrow text array (null: any key; it is never used)."""
    numpy = _module("numpy")
    pa = _module("pyarrow")
    pc = _module("pyarrow.compute")
    # Arrow text is UTF-8 already (no lone surrogates): its bytes are what account_key hashes.
    data = pc.fill_null(names, "").cast(pa.large_binary()).to_pylist()
    hashing = partial(hashlib.blake2b, digest_size=8)
    digests = b"".join(map(hashlib.blake2b.digest, map(hashing, data)))  # no Python frame a row
    return numpy.frombuffer(digests, dtype=">u8").astype(numpy.uint64)


class _RankedUnits:
    """Rows of data centers in their accounts' orders, as grids (see :class:`_Grids`)."""

    def __init__(  # noqa: PLR0913 - the parts of one ranking
        self,
        found: _Accounts,
        row_region: Any,  # noqa: ANN401 - numpy
        invalid: Any | None,  # noqa: ANN401 - numpy: the rows with no data centers
        slots: _Slots,
        members: list[list[int]],
        grids: _Grids,
    ) -> None:
        self.found, self.row_region, self.invalid = found, row_region, invalid
        self.slots, self.members, self.grids = slots, members, grids

    def _orders(self, keys: Any, number: int) -> Any:  # noqa: ANN401 - numpy arrays
        """The data center numbers of region ``number`` for each key, in order, padded."""
        numpy = _module("numpy")
        region = self.slots.regions[number]
        ranked = rank(keys, self.slots.in_region[region]).astype(numpy.intp)
        padded = self.grids.empty(len(keys))
        padded[:, : len(self.members[number])] = numpy.array(
            self.members[number], dtype=self.grids.type
        )[ranked]
        return padded

    def by_account(self) -> Callable[[int, int], Any]:
        """Rank each distinct account once per region; each row then takes its pair's order."""
        numpy = _module("numpy")
        keys, regions = self.found.keys, len(self.members)
        units = len(keys) * regions
        table = self.grids.empty(units + 1)  # the last unit: no data centers
        for number in range(regions):
            table[number:units:regions] = self._orders(keys, number)
        kind = numpy.int32 if units < 2**31 else numpy.int64

        def rows(start: int, stop: int) -> Any:  # noqa: ANN401 - numpy
            unit = self.found.codes[start:stop].astype(kind) * regions
            unit += self.row_region[start:stop]
            if self.invalid is not None:
                unit[self.invalid[start:stop]] = units
            return self.grids.take(table, unit)

        return rows

    def by_row(self) -> Callable[[int, int], Any]:
        """Rank each row in its own region."""
        numpy = _module("numpy")
        grid = self.grids.empty(len(self.row_region))
        placed = None if self.invalid is None else ~self.invalid
        for number in range(len(self.members)):
            here = self.row_region == number
            rows = numpy.nonzero(here if placed is None else here & placed)[0]
            if len(rows):
                keys = self.found.keys[_take(self.found.codes, rows)]
                self.grids.put(grid, rows, self._orders(keys, number))
        return lambda start, stop: grid[start:stop]


def _distinct_fast(accounts: Any) -> tuple[Any, Any] | None:  # noqa: ANN401
    """The distinct accounts (a pyarrow array) and each row's number among them; or None.

    Finding the distinct accounts is most of the work on a big table: a hash table of a
    million strings probed ten million times. Here polars hashes the strings (vectorised),
    the 64-bit hashes are numbered (:func:`_numbered`: tables of integers, not strings), and
    the grouping is then checked with a second hash of another seed: two accounts grouped
    together would need both 64-bit hashes to collide at once (odds of 2**-128 a pair), and
    any disagreement takes the plain way. ``None`` without polars.
    """
    try:
        polars = importlib.import_module("polars")
    except ImportError:
        return None
    numpy = _module("numpy")
    pa = _module("pyarrow")
    series = accounts if isinstance(accounts, polars.Series) else polars.from_arrow(accounts)
    codes, first = _numbered(series.hash(seed=0).to_numpy())
    # The check: a second hash, of another seed, agrees within every group.
    check = series.hash(seed=0x5EED).to_numpy()
    if not numpy.array_equal(check, _take(check[first], codes)):
        return None
    if isinstance(accounts, pa.Array):
        return accounts.take(pa.array(first)), codes
    names = series.gather(first).to_arrow()
    return (names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names), codes


_PARTITION_BITS: Final = 4
"""Hashes are numbered in 2**4 parts, by their top bits, when there are many of them."""
_PARTITIONED: Final = 1 << 20
"""From this many rows on, the hashes are numbered part by part."""


def _numbered(hashes: Any) -> tuple[Any, Any]:  # noqa: ANN401 - numpy arrays
    """A number for each row's hash (equal hashes, equal numbers), and each number's first row.

    One hash table of a million 64-bit values is bigger than the processor's caches, and every
    row probes it at random. Many rows are therefore first put in order of their hash's top
    bits (a radix pass: stable, so each part keeps the rows' order), and each part, a
    sixteenth of the values, numbered apart in a table that fits the caches.
    """
    numpy = _module("numpy")
    if len(hashes) < _PARTITIONED:
        return _numbered_part(hashes, 0)
    top = (hashes >> numpy.uint64(64 - _PARTITION_BITS)).astype(numpy.uint8)
    order = numpy.argsort(top, kind="stable")  # a radix sort of one byte
    sizes = numpy.bincount(top, minlength=1 << _PARTITION_BITS)
    del top
    ordered = _take(hashes, order)
    numbers = numpy.empty(len(hashes), dtype=numpy.int32)
    firsts, start, base = [], 0, 0
    for size in sizes.tolist():
        part, first = _numbered_part(ordered[start : start + size], base)
        numbers[start : start + size] = part
        firsts.append(order[first + start])
        start, base = start + size, base + len(first)
    codes = numpy.empty(len(hashes), dtype=numpy.int32)
    codes[order] = numbers
    return codes, numpy.concatenate(firsts)


def _numbered_part(hashes: Any, base: int) -> tuple[Any, Any]:  # noqa: ANN401 - numpy arrays
    """Number the hashes from ``base`` in the order they first appear, and find each first row."""
    numpy = _module("numpy")
    pa = _module("pyarrow")
    codes = pa.array(hashes).dictionary_encode().indices.to_numpy()
    # A number's first row is where the running maximum of the numbers steps up.
    running = numpy.maximum.accumulate(codes)
    steps = numpy.empty(len(codes), dtype=bool)
    steps[:1] = True
    numpy.greater(running[1:], running[:-1], out=steps[1:])
    return codes + numpy.int32(base), numpy.nonzero(steps)[0]


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
