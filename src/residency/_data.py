"""Access to the files under ``residency/data`` through :mod:`importlib.resources`.

The data ships apart from the logic: the bundled catalog, the country groups, the territory
table and the generated name index are files, read once on first use and cached here. The
cache is explicit and clearable (``clear_cache``) for tests that swap files.
"""

from __future__ import annotations

import functools
import json
import tomllib
from importlib.resources import files
from typing import Any

__all__ = ["clear_cache", "load_json", "load_toml", "read_bytes"]

_PACKAGE = "residency.data"


def read_bytes(name: str) -> bytes:
    """Return the bytes of the data file ``name``."""
    return files(_PACKAGE).joinpath(name).read_bytes()


@functools.cache
def load_json(name: str) -> Any:  # noqa: ANN401 - the shape is the file's; callers type it
    """Return the parsed JSON data file ``name``, parsed once per process."""
    return json.loads(read_bytes(name))


@functools.cache
def load_toml(name: str) -> dict[str, Any]:
    """Return the parsed TOML data file ``name``, parsed once per process."""
    return tomllib.loads(read_bytes(name).decode("utf-8"))


def clear_cache() -> None:
    """Forget every parsed data file; the next access reads the file again."""
    load_json.cache_clear()
    load_toml.cache_clear()
