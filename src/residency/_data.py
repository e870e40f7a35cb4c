"""Access to the files under ``residency/data``, through the package's module loader.

The data ships apart from the logic: the bundled catalog, the country groups, the territory
table and the generated name index are files, read once on first use and cached here. The
cache is explicit and clearable (``clear_cache``) for tests that swap files.

The bundled TOML files are also parsed ahead of time, into :mod:`residency.data._parsed`
(``make data`` writes it): importing tomllib and parsing the catalog and the groups was an
eighth of the cold start, and building the same documents from that module costs a fortieth
of it. A document comes from there only while its file has the size and CRC-32 it was
parsed from; a file edited since is parsed from its bytes, so the file is always the truth.

Files are read with the loader's ``get_data``, as :func:`pkgutil.get_data` does, which works
for a package on disk and in a zip file alike; :mod:`importlib.resources` would do the same
but costs about 10 ms of imports, a tenth of residency's whole cold start.
"""

from __future__ import annotations

import binascii
import functools
import json
import os
from typing import Any

from residency import data as _package
from residency.data import _parsed

__all__ = ["clear_cache", "load_json", "load_toml", "parse_toml", "read_bytes"]


def read_bytes(name: str) -> bytes:
    """Return the bytes of the data file ``name``."""
    spec = _package.__spec__
    # os.path rather than pathlib: pathlib is one more import on the cold path.
    path = os.path.join(os.path.dirname(spec.origin or ""), name)  # noqa: PTH118, PTH120
    return spec.loader.get_data(path)  # type: ignore[union-attr, no-any-return]


@functools.cache
def load_json(name: str) -> Any:  # noqa: ANN401 - the shape is the file's; callers type it
    """Return the parsed JSON data file ``name``, parsed once per process."""
    return json.loads(read_bytes(name))


@functools.cache
def load_toml(name: str) -> dict[str, Any]:
    """Return the parsed TOML data file ``name``, parsed once per process."""
    return parse_toml(name, read_bytes(name))


def parse_toml(name: str, data: bytes) -> dict[str, Any]:
    """Return the document of the TOML data file ``name`` whose bytes are ``data``, made anew.

    From :mod:`residency.data._parsed` when ``data`` is the file it was built from (the same
    size and CRC-32, which no edit keeps by accident), else parsed from ``data``.
    """
    parsed = _parsed.PARSED.get(name)
    if parsed is not None:
        size, crc, build = parsed
        if len(data) == size and binascii.crc32(data) == crc:
            return build()
    import tomllib  # noqa: PLC0415 - only for a file edited since the build

    return tomllib.loads(data.decode("utf-8"))


def clear_cache() -> None:
    """Forget every parsed data file; the next access reads the file again."""
    load_json.cache_clear()
    load_toml.cache_clear()
