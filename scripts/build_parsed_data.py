"""Regenerate ``residency/data/_parsed.py``: the bundled TOML files, parsed ahead of time.

Run ``make data`` (or ``python scripts/build_parsed_data.py``) after editing
``src/residency/data/catalog.toml`` or ``groups.toml``; ``--check`` only compares. The TOML
files stay the source of truth: the generated module holds, for each, the document
``tomllib`` reads from it, written as Python literals, with the file's size and CRC-32.
Importing that module costs about a fortieth of importing tomllib and parsing the two files,
which was an eighth of residency's cold start; ``residency._data.load_toml`` takes a document
from it only while the file on disk still has that size and CRC-32, and parses the file
otherwise.

The output is deterministic: keys in the file's order, one item per line, strings in double
quotes, dates and times as ``datetime`` constructors. Before anything is written, the
rendered module is run and each document it builds is compared with ``tomllib``'s, value by
value and type by type; a value that Python literals cannot carry exactly (a NaN, which
never equals itself) stops the build.
"""

from __future__ import annotations

import argparse
import binascii
import datetime
import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "src" / "residency" / "data"
TARGET = DATA_DIR / "_parsed.py"
SOURCES = ("catalog.toml", "groups.toml")
"""The bundled TOML files that residency reads at run time, in the order they are written."""

INDENT = "    "

HEADER = '''\
"""The bundled TOML data files, parsed ahead of time. Generated: do not edit.

Written by scripts/build_parsed_data.py (``make data``) from the files beside this module,
which stay the source of truth. For each file, ``PARSED`` holds its size, its CRC-32 and a
function that builds the document ``tomllib`` reads from it; ``residency._data.load_toml``
calls the function only while the file still has that size and CRC-32, so an edited file is
parsed from its bytes. Each call builds a new document, as parsing would.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable
'''


class BuildError(Exception):
    """A document holds a value that this script cannot write as a Python literal."""


def literal(value: object, depth: int = 0) -> str:
    """Return ``value`` (a TOML value as tomllib gives it) as Python source, ``depth`` deep."""
    inner = INDENT * (depth + 1)
    if isinstance(value, dict):
        items = [
            f"{inner}{literal(key)}: {literal(item, depth + 1)},\n" for key, item in value.items()
        ]
    elif isinstance(value, list):
        items = [f"{inner}{literal(item, depth + 1)},\n" for item in value]
    else:
        return scalar(value)
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    if not items:
        return opening + closing
    return opening + "\n" + "".join(items) + INDENT * depth + closing


def scalar(value: object) -> str:
    """Return a TOML value other than a table or an array as Python source."""
    if isinstance(value, str):
        # A JSON string is a Python string literal: the same escapes, and no others needed.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and math.isnan(value):
        message = "a NaN cannot be written: it never equals itself"
        raise BuildError(message)
    if isinstance(value, float) and math.isinf(value):
        return f'float("{value}")'
    if isinstance(value, bool | int | float | datetime.date | datetime.time):
        return repr(value)  # datetime.date(1958, 1, 1); an offset as a datetime.timezone
    message = f"no literal for a {type(value).__name__}: {value!r}"
    raise BuildError(message)


def _function(name: str) -> str:
    return "_" + name.replace(".", "_").replace("-", "_")


def render(sources: dict[str, bytes]) -> str:
    """Return the text of the generated module for the TOML files ``sources`` (name -> bytes)."""
    parts = [HEADER]
    for name, data in sources.items():
        document = tomllib.loads(data.decode("utf-8"))
        parts.append(
            f"\n\ndef {_function(name)}() -> dict[str, Any]:\n"
            f'{INDENT}"""The document of {name}."""\n'
            f"{INDENT}return {literal(document, 1)}\n"
        )
    entries = "".join(
        f'{INDENT}"{name}": ({len(data)}, 0x{binascii.crc32(data):08X}, {_function(name)}),\n'
        for name, data in sources.items()
    )
    parts.append(
        "\n\nPARSED: Final[dict[str, tuple[int, int, Callable[[], dict[str, Any]]]]] = {\n"
        f"{entries}}}\n"
        '"""File name -> (its size in bytes, its CRC-32, the function that builds its '
        'document)."""\n'
    )
    text = "".join(parts)
    _verify(text, sources)
    return text


def _verify(text: str, sources: dict[str, bytes]) -> None:
    """Run the rendered module; fail unless each document is tomllib's, type by type."""
    namespace: dict[str, Any] = {"__name__": "_parsed"}
    exec(compile(text, str(TARGET), "exec"), namespace)  # noqa: S102 - our own rendered text
    for name, data in sources.items():
        size, crc, build = namespace["PARSED"][name]
        expected = tomllib.loads(data.decode("utf-8"))
        if (size, crc) != (len(data), binascii.crc32(data)) or not same(build(), expected):
            message = f"the rendered document of {name} is not the one tomllib reads"
            raise BuildError(message)


def same(left: object, right: object) -> bool:
    """Whether two documents are equal with every value of the same type (1 is not True)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, datetime.datetime | datetime.time) and left.tzinfo != right.tzinfo:  # type: ignore[attr-defined]
        return False
    return left == right


def read_sources() -> dict[str, bytes]:
    """Return the bytes of each bundled TOML file, by name."""
    return {name: (DATA_DIR / name).read_bytes() for name in SOURCES}


def main(argv: list[str] | None = None) -> int:
    """Write the generated module, or with ``--check`` report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    arguments = parser.parse_args(argv)
    try:
        text = render(read_sources())
    except (BuildError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 2
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if arguments.check:
        if current != text:
            print(f"{TARGET.name} is stale: run make data", file=sys.stderr)
            return 1
        return 0
    if current == text:
        print(f"{TARGET.name} is current")
        return 0
    temporary = TARGET.with_name(f".{TARGET.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(TARGET)  # never a half-written module
    print(f"wrote {TARGET.name} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
