"""The bounded two-generation cache behind a policy's placements."""

from __future__ import annotations

import pytest

from residency._cache import RecentCache


def test_a_value_is_computed_once() -> None:
    """A key's value is computed on its first use and remembered for the next."""
    calls: list[str] = []

    def compute(key: str) -> str:
        calls.append(key)
        return key.upper()

    cache = RecentCache(4, compute)
    assert [cache.get("de"), cache.get("de"), cache.get("fr")] == ["DE", "DE", "FR"]
    assert calls == ["de", "fr"]


def test_the_cache_never_holds_more_than_two_generations() -> None:
    """However many keys go through, the cache holds at most twice its generation size."""
    cache = RecentCache(100, str)
    for number in range(10_000):
        cache.get(number)
        assert len(cache) <= 200


def test_a_key_used_every_generation_is_never_dropped() -> None:
    """A key used at least once in every generation survives any number of new keys."""
    computed: list[object] = []
    cache: RecentCache[object, object] = RecentCache(50, lambda key: computed.append(key))
    cache.get("hot")
    for number in range(5_000):
        cache.get(number)
        if number % 49 == 0:
            cache.get("hot")
    assert computed.count("hot") == 1
    assert "hot" in cache


def test_what_goes_unused_for_a_generation_is_dropped_oldest_first() -> None:
    """Keys unused for a whole generation leave; the recently used ones stay."""
    cache = RecentCache(3, str)
    for key in ("a", "b", "c", "d", "a", "e", "f", "g"):
        cache.get(key)
    assert set(cache) == {"a", "d", "e", "f", "g"}  # b and c went a whole generation unused


def test_an_error_is_not_remembered() -> None:
    """A key whose computation raises is computed again on its next use."""
    calls: list[str] = []

    def compute(key: str) -> str:
        calls.append(key)
        raise LookupError(key)

    cache = RecentCache(2, compute)
    for _ in range(2):
        with pytest.raises(LookupError):
            cache.get("x")
    assert calls == ["x", "x"]
    assert not cache


def test_clear_forgets_everything() -> None:
    """Clearing empties both generations."""
    cache = RecentCache(2, str)
    for key in "abcde":
        cache.get(key)
    cache.clear()
    assert len(cache) == 0
    assert list(cache) == []


def test_a_cache_holds_at_least_one_entry() -> None:
    """A generation of no entries is refused."""
    with pytest.raises(ValueError, match="at least one"):
        RecentCache(0, str)
