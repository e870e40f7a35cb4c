"""A bounded cache whose hit is one dict lookup: least recently used out, by generation.

The placement caches of a policy sit on the hottest path of residency (``assign`` and
``assign_many`` answer repeated inputs from them), where :func:`functools.lru_cache` costs
twice a dict lookup and cannot be read by a C-level ``map``. :class:`RecentCache` keeps two
generations of plain dicts instead:

- a hit in the current generation is ``dict.get``;
- a hit in the previous generation moves the entry into the current one;
- a miss computes the value into the current generation;
- when the current generation holds ``size`` entries it becomes the previous one, and the
  entries of the generation before, unused for ``size`` insertions, are dropped.

So the cache holds at most ``2 * size`` entries, an entry used at least once in every
``size`` new insertions is never dropped, and nothing is ever emptied wholesale: what goes
is only what went unused for a whole generation, least recently used first.

>>> cache = RecentCache(2, str.upper)
>>> [cache.get(key) for key in ("de", "fr", "jp", "de", "it")]
['DE', 'FR', 'JP', 'DE', 'IT']
>>> sorted(cache)  # "fr" went unused for a whole generation; "de" was used again
['de', 'it', 'jp']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["RecentCache"]

_MISSING: Final = object()  # no value: misses raise no KeyError, which would cost more

K = TypeVar("K")
V = TypeVar("V")


class RecentCache(Generic[K, V]):
    """A cache of at most ``2 * size`` entries whose values ``compute`` makes on a miss.

    Keys must hash and compare as residency's own values do: the callers put only plain
    ``str`` and :class:`~residency.Location` keys in, so no subclass's ``__hash__`` or
    ``__eq__`` ever decides a lookup.
    """

    __slots__ = ("_compute", "current", "previous", "size")

    def __init__(self, size: int, compute: Callable[[K], V]) -> None:
        if size < 1:
            message = f"a cache holds at least one entry, not {size}"
            raise ValueError(message)
        self.size = size
        """The entries of one generation."""
        self.current: dict[K, V] = {}
        """The current generation: what was used since the last turn. Read it directly for a
        hit at the cost of a dict lookup; fall back to :meth:`get` on a miss."""
        self.previous: dict[K, V] = {}
        """The generation before, whose entries move back into the current one when used."""
        self._compute = compute

    def get(self, key: K) -> V:
        """Return the value of ``key``: remembered, or computed and remembered.

        A value that ``compute`` raises for is not remembered: the error propagates.
        """
        found: V | object = self.current.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        found = self.previous.pop(key, _MISSING)
        value: V = self._compute(key) if found is _MISSING else found  # type: ignore[assignment]
        if len(self.current) >= self.size:
            self.previous = self.current
            self.current = {}
        self.current[key] = value
        return value

    def recall(self, key: K) -> V | None:
        """Return the value remembered for ``key``, or ``None``: never computes one.

        A value found in the previous generation moves into the current one, as in :meth:`get`.
        """
        found = self.current.get(key)
        if found is None:
            found = self.previous.pop(key, None)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``, in the current generation."""
        if len(self.current) >= self.size:
            self.previous = self.current
            self.current = {}
        self.current[key] = value

    def __len__(self) -> int:
        return len(self.current) + len(self.previous)

    def __iter__(self) -> Iterator[K]:
        yield from self.current
        yield from self.previous

    def __contains__(self, key: object) -> bool:
        return key in self.current or key in self.previous

    def clear(self) -> None:
        """Forget every entry."""
        self.current = {}
        self.previous = {}
