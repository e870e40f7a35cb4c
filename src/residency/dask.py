"""Place a Dask DataFrame across a ``distributed`` cluster, exactly as one process would.

:func:`assign_frame` is :meth:`Policy.assign_frame <residency.Policy.assign_frame>` run partition
by partition: every partition is a pandas DataFrame, placed on the worker that holds it, and the
result is a Dask DataFrame with the same five columns (``region``, ``primary``,
``data_centers``, ``rule``, ``error``) and the same dtypes that ``assign_frame`` gives a pandas
frame. Nothing is computed until the caller asks:

>>> import dask.dataframe as dd
>>> import pandas as pd
>>> from datetime import UTC, datetime
>>> import residency
>>> import residency.dask
>>> customers = pd.DataFrame({"country": ["DE", "Hoa Kỳ", "Atlantis"], "id": ["a", "b", "c"]})
>>> frame = dd.from_pandas(customers, npartitions=2)
>>> placed = residency.dask.assign_frame(
...     frame,
...     residency.default_policy(),
...     account="id",
...     at=datetime(2026, 7, 1, tzinfo=UTC),
... )
>>> result = placed.compute(scheduler="sync")
>>> result["primary"].tolist()[:2]
['websupport-eu', 'linode-us']
>>> result["error"].iloc[2]
"UnknownLocation: 'Atlantis' is not a country code, subdivision code or country name"

How it works:

- The result's ``meta`` (its columns and dtypes, known before any work) is what
  ``assign_frame`` gives the input's empty frame; categories of categorical columns are left
  unknown, as each partition has its own.
- The checks come first, on the Dask frame's columns, before any work: a missing location or
  account column raises :class:`~residency.errors.MissingColumn`, a column that would be added
  and is there already :class:`~residency.errors.DuplicateColumn`.
- The moment is taken once, on the client, when :func:`assign_frame` is called (now, unless
  ``at`` names one) and handed to every partition, so that all of them answer for the same
  moment: a partition that runs a second later, after a country has left a group, still gives
  the answer of the moment asked for.
- The policy travels to the workers pickled (``Policy.__reduce__``: its catalog and its mode;
  the caches and time segments are rebuilt where it lands). It is one task of the graph, so
  each worker receives it once and keeps it warm across the partitions it places, however many
  there are.
- Each partition calls ``policy.assign_frame``: each distinct location of the partition is
  placed once and its accounts ranked with numpy, in exactly the order ``Policy.assign``
  gives; the test suite holds a ``LocalCluster`` result equal, row by row, to one process's.

The ``dask`` extra installs dask, distributed and the ``frames`` extra
(``pip install 'residency[dask]'``); without dask's DataFrame the call raises
:class:`~residency.errors.MissingDependency`.

**Spark (documented, not tested here).** ``mapInPandas`` hands a function an iterator of pandas
frames, one or more per partition; the same call places each one. The output schema is the
input's plus the five columns, ``data_centers`` an array of strings::

    from datetime import UTC, datetime

    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    import residency

    policy = residency.default_policy()  # pickled to the executors with the function
    at = datetime.now(UTC)  # taken once, on the driver: every partition answers for it


    def place(frames):
        for frame in frames:
            placed = policy.assign_frame(frame, location="country", account="account_id", at=at)
            # Plain objects and None for null: what Spark's pandas-to-Arrow conversion takes.
            yield placed.astype(object).where(placed.notna(), None)


    text = StringType()
    schema = StructType(
        [
            *customers.schema.fields,
            StructField("region", text),
            StructField("primary", text),
            StructField("data_centers", ArrayType(text)),
            StructField("rule", text),
            StructField("error", text),
        ]
    )
    placed = customers.mapInPandas(place, schema=schema)

``mapInArrow`` works the same way without pandas: ``policy.assign_frame`` takes a pyarrow
Table (``pyarrow.Table.from_batches([batch])``) and the result's ``to_batches()`` go back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from residency._time import aware
from residency.frames import COLUMNS, _module, check_columns

if TYPE_CHECKING:
    from residency.policy import Policy

__all__ = ["assign_frame"]


def assign_frame(
    dask_frame: Any,  # noqa: ANN401 - a dask DataFrame
    policy: Policy,
    *,
    location: str = "country",
    account: str | None = None,
    at: datetime | None = None,
) -> Any:  # noqa: ANN401 - a dask DataFrame
    """Place every row of a Dask DataFrame: a lazy Dask DataFrame with five more columns.

    The columns and their meaning are those of :meth:`Policy.assign_frame
    <residency.Policy.assign_frame>`, computed partition by partition; ``at`` (now by default)
    is taken once, here, for every partition.

    Raises:
        MissingColumn: ``dask_frame`` has no column ``location`` (or ``account``).
        DuplicateColumn: ``dask_frame`` has one of the added columns already.
        MissingDependency: dask's DataFrame (the ``dask`` extra) is not installed.
        InvalidTime: ``at`` is naive or not a datetime.
        TypeError: ``dask_frame`` is not a Dask DataFrame.
    """
    dd = _module("dask.dataframe", "dask")
    dask = _module("dask", "dask")
    if not isinstance(dask_frame, dd.DataFrame):
        message = f"a dask DataFrame, not {type(dask_frame).__name__}"
        raise TypeError(message)
    check_columns([str(name) for name in dask_frame.columns], location, account)
    when = datetime.now(UTC) if at is None else aware(at, "at")
    meta = _meta(dd, policy, dd.utils.make_meta(dask_frame), location, account, when)
    return dask_frame.map_partitions(
        _place,
        # One task of the graph: each worker unpickles the policy once, not once a partition.
        dask.delayed(policy, pure=True),
        location=location,
        account=account,
        at=when,
        meta=meta,
    )


def _meta(  # noqa: PLR0913 - the call's parts
    dd: Any,  # noqa: ANN401 - the dask.dataframe module
    policy: Policy,
    empty: Any,  # noqa: ANN401 - a pandas frame
    location: str,
    account: str | None,
    at: datetime,
) -> Any:  # noqa: ANN401 - a pandas frame
    """The empty frame of the result: what ``assign_frame`` gives the input's empty frame.

    Placing the empty frame gives the added columns exactly the dtypes the partitions get. A
    categorical column's categories are each partition's own distinct values, so dask is told
    they are unknown.
    """
    pandas = _module("pandas")
    # The added dtypes do not depend on the input's: its two columns go in as plain objects
    # (an empty Arrow-backed column may come as an array of no chunks at all).
    inputs = empty.astype(dict.fromkeys({location, account} - {None}, object))
    placed = _place(inputs, policy, location=location, account=account, at=at)
    placed = empty.assign(**{name: placed[name] for name in COLUMNS})
    categorical = [
        name for name in COLUMNS if isinstance(placed[name].dtype, pandas.CategoricalDtype)
    ]
    if not categorical:
        return placed
    return dd.utils.clear_known_categories(placed, cols=categorical, index=False)


def _place(
    partition: Any,  # noqa: ANN401 - a pandas DataFrame
    policy: Policy,
    *,
    location: str,
    account: str | None,
    at: datetime,
) -> Any:  # noqa: ANN401 - a pandas DataFrame
    """One partition, placed on its worker, under the index it came with."""
    pandas = _module("pandas")
    # Every partition but the first has an index that starts past 0: the columns are placed on
    # a positional index (a shallow copy, no data copied) and the partition's index put back.
    positional = partition.copy(deep=False)
    positional.index = pandas.RangeIndex(len(partition))
    placed = policy.assign_frame(positional, location=location, account=account, at=at)
    placed.index = partition.index
    return placed
