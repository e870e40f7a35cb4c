r"""Every file residency reads or writes passes through here, and fails closed.

Reading refuses, with a :class:`FileError` that names the file and, when known, the line:

- anything that is not a regular file (a FIFO, a device, a directory, a socket), without
  ever blocking on it, and a file that is missing or unreadable;
- a file larger than the limit, checked before reading and again while reading;
- bytes that do not decode, naming the line of the first bad byte;
- in a JSON or TOML document: nesting deeper than :data:`MAX_DEPTH`, found by a linear scan
  before the parser runs, and TOML dotted keys of more parts than that; integers of more
  than :data:`MAX_INT_DIGITS` digits; NaN and infinities; duplicate JSON keys; strings that
  hold a lone surrogate; a top level that is not a table;
- in a CSV file: a line or a field longer than :data:`MAX_FIELD` characters, without reading
  the rest of it, so that memory stays bounded however large the file.

Writing goes to a temporary file beside the target, which replaces the target only once it
is complete; an output that is also an input is refused before anything is written.

Messages quote file content and paths with :func:`residency._text.quoted`, so no error
carries a control character or more than a short prefix of what was read.

>>> parse_json(b'{"regions": ["eu", "us"]}', source="catalog.json")
{'regions': ['eu', 'us']}
>>> try:
...     parse_json(b'{"id": 1,\n "id": 2}', source="catalog.json")
... except FileError as error:
...     print(error)
catalog.json, line 2: the key 'id' appears twice in one object
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import importlib
import json
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, TextIO, TypeVar

from residency._text import quoted
from residency.errors import FileError, FileTooLarge, MissingDependency, NotARegularFile

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from types import TracebackType
    from typing import BinaryIO, Self

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_DEPTH",
    "MAX_FIELD",
    "MAX_INT_DIGITS",
    "MAX_PARQUET_DATA",
    "PARQUET_LIMIT",
    "PARQUET_MAGIC",
    "CsvReader",
    "FileError",
    "FileTooLarge",
    "NotARegularFile",
    "ParquetReader",
    "atomic_output",
    "atomic_write_bytes",
    "is_parquet",
    "open_csv",
    "open_parquet",
    "parse_document",
    "parse_json",
    "parse_toml",
    "read_bytes",
    "read_document",
    "starts_with",
]


DEFAULT_LIMIT: Final = 64 * 1024 * 1024
"""The largest catalog or agreements file read, in bytes."""
MAX_DEPTH: Final = 64
"""The deepest nesting of a document: tables and arrays within one another, the top included."""
MAX_INT_DIGITS: Final = 20
"""The most digits of an integer in a document."""
MAX_FIELD: Final = 1_000_000
"""The longest CSV field, and the longest CSV line, in characters."""

_CHUNK: Final = 64 * 1024
_INT_BOUND: Final = 10**MAX_INT_DIGITS
_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO without a writer must not block the open
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_KINDS: Final = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_STDIN: Final = "<stdin>"


def _source(path: str | os.PathLike[str]) -> str:
    return os.fsdecode(path)


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _detail(text: str) -> str:
    """Return a parser's own message as ours may carry it: short and printable, or quoted."""
    return text if text.isprintable() and len(text) <= 120 else quoted(text)


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


# --- reading bytes ------------------------------------------------------------------------


def _refuse_unless_regular(mode: int, *, source: str, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((kind for test, kind in _KINDS if test(mode)), "something else")
    message = f"the {what} is {kind}, not a regular file"
    raise NotARegularFile(message, path=source)


def _cannot(error: OSError | ValueError, *, doing: str, source: str) -> FileError:
    if isinstance(error, ValueError):  # os functions refuse a NUL in a path this way
        return FileError(f"cannot {doing}: the path holds a NUL character", path=source)
    message = f"cannot {doing}: {_reason(error)}"
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return NotARegularFile(message, path=source)
    return FileError(message, path=source)


def _open_regular(
    path: str | os.PathLike[str], *, source: str, what: str
) -> tuple[int, os.stat_result]:
    """Open a regular file for reading; refuse anything else without blocking on it."""
    try:
        # Looked at before opening too: opening a device can do something by itself.
        mode = Path(path).stat().st_mode
    except (OSError, ValueError) as error:
        raise _cannot(error, doing=f"read the {what}", source=source) from None
    _refuse_unless_regular(mode, source=source, what=what)
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError) as error:
        raise _cannot(error, doing=f"read the {what}", source=source) from None
    try:
        try:
            status = os.fstat(descriptor)
        except OSError as error:
            raise _cannot(error, doing=f"read the {what}", source=source) from None
        # What was opened is what counts: the path may have been replaced since.
        _refuse_unless_regular(status.st_mode, source=source, what=what)
        if _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, status


def read_bytes(
    path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, what: str = "file"
) -> bytes:
    """Return the bytes of the regular file at ``path``, at most ``limit`` of them.

    ``what`` names the file in messages ("catalog", "agreements file"). Anything but a regular
    file is :class:`NotARegularFile`, a file over ``limit`` bytes :class:`FileTooLarge` (its
    size is checked before reading, and at most ``limit + 1`` bytes are ever read, so a file
    that grows is refused too), and any other problem a :class:`FileError`.
    """
    source = _source(path)
    descriptor, status = _open_regular(path, source=source, what=what)
    chunks: list[bytes] = []
    total = 0
    try:
        if status.st_size > limit:
            message = f"the {what} is larger than {limit:,} bytes ({status.st_size:,})"
            raise FileTooLarge(message, path=source)
        while total <= limit:
            chunk = os.read(descriptor, min(limit + 1 - total, max(_CHUNK, status.st_size + 1)))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except FileError:
        raise
    except OSError as error:
        raise _cannot(error, doing=f"read the {what}", source=source) from None
    finally:
        os.close(descriptor)
    if total > limit:
        message = f"the {what} is larger than {limit:,} bytes"
        raise FileTooLarge(message, path=source)
    return b"".join(chunks)


# --- documents ----------------------------------------------------------------------------


class _Refused(Exception):
    """A value that a parser hook refuses; located in the text afterwards."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def _decode(data: bytes, *, source: str) -> str:
    """Decode a document's bytes as UTF-8, without a byte order mark if it has one."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f"is not UTF-8 text: cannot decode byte {data[error.start]:#04x} at column {column}"
        )
        raise FileError(message, path=source, line=line) from None


_BRACKETS: Final = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS: Final = bytes(sorted(set(range(256)) - set(b"[]{}\n")))
_DEPTH_CHUNK: Final = 64 * 1024
_REDUCTIONS: Final = 16
_OPEN: Final = ord("(")
_CLOSE: Final = ord(")")


def _brackets(skeleton: str) -> bytes:
    """Return the brackets and line ends of ``skeleton``: ``(`` for ``[{``, ``)`` for ``]}``."""
    return skeleton.encode("utf-8", "surrogatepass").translate(_BRACKETS, _NOT_BRACKETS)


def _peak_bound(chunk: bytes, opens: int) -> int:
    """Bound how far above its start the depth rises within ``chunk``.

    Taking out the adjacent pairs ``()`` a few times over leaves closings, then openings;
    every pair taken out was at most as deep as the number of passes.
    """
    reduced = chunk.replace(b"\n", b"")
    passes = 0
    while b"()" in reduced:
        if passes == _REDUCTIONS:
            return opens
        reduced = reduced.replace(b"()", b"")
        passes += 1
    closings = reduced.count(b")")
    return min(opens, passes + max(0, len(reduced) - 2 * closings))


def _too_deep(brackets: bytes, limit: int, *, chunk: int = _DEPTH_CHUNK) -> int | None:
    """Return the index of the first opening bracket nested deeper than ``limit``, if any.

    ``brackets`` is what :func:`_brackets` returns. Linear time: a chunk is skipped whole
    when a bound of its depth keeps within ``limit``, and walked byte by byte otherwise. The
    depth is not kept from going below zero: a parser stops at the first unmatched closing
    bracket, so whatever follows it is never nested on top of anything.
    """
    if brackets.count(b"(") <= limit:
        return None
    depth = 0
    for start in range(0, len(brackets), chunk):
        part = brackets[start : start + chunk]
        opens = part.count(b"(")
        if depth + _peak_bound(part, opens) <= limit:
            depth += 2 * opens - len(part) + part.count(b"\n")
            continue
        for offset, byte in enumerate(part):
            if byte == _OPEN:
                depth += 1
                if depth > limit:
                    return start + offset
            elif byte == _CLOSE:
                depth -= 1
    return None


_DEPTH_MESSAGE: Final = f"is nested deeper than {MAX_DEPTH} levels"


def _check_top(document: object, *, source: str, name: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        message = f"the top level must be {name}, not {type(document).__name__}"
        raise FileError(message, path=source)
    return document


def _tree_problem(document: dict[str, Any], *, strings: bool) -> str | None:
    """Return what is wrong with a parsed document as a whole, if anything; never recursive.

    Depth counts tables and arrays, the top-level table as 1; ``strings`` also looks for
    lone surrogates in keys and strings.
    """
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return "depth"
            if isinstance(value, list):
                stack.extend((child, depth + 1) for child in value)
                continue
            if strings and any(_LONE_SURROGATE.search(key) for key in value):
                return "surrogate"
            stack.extend((child, depth + 1) for child in value.values())
        elif (problem := _leaf_problem(value, strings=strings)) is not None:
            return problem
    return None


def _leaf_problem(value: object, *, strings: bool) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None if -_INT_BOUND < value < _INT_BOUND else "integer"
    if strings and isinstance(value, str) and _LONE_SURROGATE.search(value):
        return "surrogate"
    return None


def _integer_message(digits: int) -> str:
    return f"an integer has {digits:,} digits, more than {MAX_INT_DIGITS}"


def _not_finite(literal: str) -> bool:
    try:
        return not math.isfinite(float(literal.replace("_", "")))
    except ValueError:
        return False


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        message = f"{quoted(literal)} is not a finite number"
        raise _Refused(message, kind="number")
    return value


# JSON -------------------------------------------------------------------------------------

# A string never spans lines; one left open ends with its line.
_JSON_STRING: Final = r'"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"?'
_JSON_STRINGS: Final = re.compile(_JSON_STRING)
_JSON_TOKEN: Final = re.compile(
    rf"""
    (?P<string>{_JSON_STRING})
    | (?P<number>-?[0-9][0-9.eE+-]*)
    | (?P<word>-?[A-Za-z]+)
    | (?P<open>[\[{{])
    | (?P<close>[\]}}])
    | (?P<colon>:)
    """,
    re.VERBOSE | re.DOTALL,
)
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                message = f"the key {quoted(key)} appears twice in one object"
                raise _Refused(message, kind="duplicate")
            seen.add(key)
    return document


def _json_int(literal: str) -> int:
    digits = len(literal) - literal.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise _Refused(_integer_message(digits), kind="integer")
    return int(literal)


def _json_constant(literal: str) -> float:
    message = f"{quoted(literal)} is not a finite number"
    raise _Refused(message, kind="number")


def _json_string(literal: str) -> str | None:
    try:
        value = json.loads(literal)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _json_duplicate_at(text: str) -> tuple[str, int] | None:
    keys: list[set[str] | None] = []  # per open object its keys so far; None for an array
    string: re.Match[str] | None = None  # the previous token, when it was a string
    for match in _JSON_TOKEN.finditer(text):
        group = match.lastgroup
        if group == "open":
            keys.append(set() if match.group() == "{" else None)
        elif group == "close" and keys:
            keys.pop()
        elif group == "colon" and string is not None and keys and keys[-1] is not None:
            key = _json_string(string.group())
            if key is not None and key in keys[-1]:
                return f"the key {quoted(key)} appears twice in one object", string.start()
            if key is not None:
                keys[-1].add(key)
        string = match if group == "string" else None
    return None


def _json_value_at(text: str, kind: str) -> tuple[str, int] | None:
    for match in _JSON_TOKEN.finditer(text):
        group, token = match.lastgroup, match.group()
        if kind == "integer" and group == "number" and not any(c in token for c in ".eE"):
            digits = len(token) - token.startswith("-")
            if digits > MAX_INT_DIGITS:
                return _integer_message(digits), match.start()
        elif kind == "number" and group in {"number", "word"} and _not_finite(token):
            return f"{quoted(token)} is not a finite number", match.start()
        elif kind == "surrogate" and group == "string":
            value = _json_string(token)
            if value is not None and (found := _LONE_SURROGATE.search(value)):
                return f"a string holds a lone surrogate ({quoted(found.group())})", match.start()
    return None


def _json_locate(kind: str, text: str) -> tuple[str, int] | None:
    if kind == "duplicate":
        return _json_duplicate_at(text)
    return _json_value_at(text, kind)


def _json_refusal(text: str, *, kind: str, fallback: str, source: str) -> FileError:
    found = _json_locate(kind, text)
    if found is None:
        return FileError(fallback, path=source)
    message, position = found
    return FileError(message, path=source, line=_line_at(text, position))


def parse_json(data: bytes, *, source: str) -> dict[str, Any]:
    """Parse a JSON document whose top level is an object; ``source`` names it in messages.

    Refused, with the line when it is known: bytes that are not UTF-8 (a UTF-8 byte order
    mark is skipped), nesting deeper than :data:`MAX_DEPTH`, duplicate keys, integers of more
    than :data:`MAX_INT_DIGITS` digits, NaN, infinities and numbers too large to be finite,
    strings that hold a lone surrogate, syntax errors, and a top level that is no object.
    """
    text = _decode(data, source=source)
    brackets = _brackets(_JSON_STRINGS.sub("", text))
    if (index := _too_deep(brackets, MAX_DEPTH)) is not None:
        line = brackets.count(b"\n", 0, index) + 1
        raise FileError(_DEPTH_MESSAGE, path=source, line=line)
    try:
        document = json.loads(
            text,
            object_pairs_hook=_json_object,
            parse_int=_json_int,
            parse_float=_finite,
            parse_constant=_json_constant,
        )
    except _Refused as refused:
        raise _json_refusal(
            text, kind=refused.kind, fallback=refused.message, source=source
        ) from None
    except json.JSONDecodeError as error:
        message = f"is not valid JSON: {error.msg} (column {error.colno})"
        raise FileError(message, path=source, line=error.lineno) from None
    except RecursionError:  # the depth scan above makes this unreachable; kept as a backstop
        raise FileError(_DEPTH_MESSAGE, path=source) from None
    document = _check_top(document, source=source, name="an object")
    if _SURROGATE_ESCAPE.search(text) and _tree_problem(document, strings=True):
        fallback = "a string holds a lone surrogate"
        raise _json_refusal(text, kind="surrogate", fallback=fallback, source=source)
    return document


# TOML -------------------------------------------------------------------------------------

_TOML_SKIP: Final = (
    r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"""(?:""|")?)?'  # multi-line basic string
    r"|'''[^']*(?:'(?!'')[^']*)*(?:'''(?:''|')?)?"  # multi-line literal string
    r'|"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"?'  # basic string
    r"|'[^'\n]*'?"  # literal string
    r"|\#[^\n]*"  # comment
)
_TOML_SKIPPED: Final = re.compile(_TOML_SKIP, re.DOTALL)
_TOML_TOKEN: Final = re.compile(
    rf"""
    (?P<string>{_TOML_SKIP})
    | (?P<open>[\[{{])
    | (?P<close>[\]}}])
    | (?P<dot>[\ \t]*\.[\ \t]*)
    | (?P<part>[^\s.=\[\]{{}},\#"']+)
    | (?P<other>[\s=,]+)
    """,
    re.VERBOSE | re.DOTALL,
)
_TOML_INTEGER: Final = re.compile(r"[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)")
_TOML_WHERE: Final = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\Z")
_BASES: Final = {"0x": 16, "0o": 8, "0b": 2}
_KEY_MESSAGE: Final = f"a dotted key has more than {MAX_DEPTH} parts"


class _DottedKey:
    """Counts the dots of the dotted key being read, token by token.

    A key is a run of parts and dots between other tokens; only a well-formed start of it
    (a part, then dots each followed by a part) counts, as :data:`_LONG_KEY` matches it.
    """

    __slots__ = ("dots", "state")

    def __init__(self) -> None:
        self.dots = 0
        self.state = "between"  # or "part", "dot", "broken"

    def too_long(self, group: str | None) -> bool:
        """Take the next token's group; return whether the key now has too many parts."""
        if group in {"string", "part"}:
            if self.state == "between":
                self.dots, self.state = 0, "part"
            elif self.state == "dot":
                self.dots, self.state = self.dots + 1, "part"
                return self.dots >= MAX_DEPTH
        elif group == "dot":
            self.state = "dot" if self.state == "part" else "broken"
        else:
            self.state = "between"
        return False


def _toml_structure_at(text: str) -> tuple[str, int] | None:
    """Locate the first bracket too deep or dotted key too long, outside strings and comments.

    A string or comment counts as a key part (the fast scan replaces each by one letter);
    the implicit top-level table counts as one level.
    """
    level = 1
    key = _DottedKey()
    for match in _TOML_TOKEN.finditer(text):
        group = match.lastgroup
        if key.too_long(group):
            return _KEY_MESSAGE, match.start()
        if group == "open":
            level += 1
            if level > MAX_DEPTH:
                return _DEPTH_MESSAGE, match.start()
        elif group == "close":
            level -= 1  # as the fast scan does; see _too_deep
    return None


_TOML_PART: Final = r"[^\s.=\[\]{},]"  # in a skeleton, where no quote or # is left
_LOOSE_DOT: Final = re.compile(r"[ \t]+\.[ \t]*|\.[ \t]+")
# A key with more than MAX_DEPTH parts, matched only from its first part: linear time.
_LONG_KEY: Final = re.compile(
    rf"(?<!{_TOML_PART}|\.){_TOML_PART}+(?:\.{_TOML_PART}+){{{MAX_DEPTH}}}"
)
# What is left of a skeleton once key parts and blanks are taken out: dots, and one space for
# each character that ends a key. A long key leaves a run of dots.
_KEY_ENDS: Final = bytes.maketrans(b"\n\r\x0b\x0c=[]{},", b" " * 10)
_NOT_KEY_ENDS: Final = bytes(sorted(set(range(256)) - set(b".\n\r\x0b\x0c=[]{},")))


def _toml_structure_problem(text: str) -> bool:
    """Whether brackets nest too deep or a dotted key is too long, by a linear scan."""
    skeleton = _TOML_SKIPPED.sub("s", text)
    if _too_deep(_brackets(skeleton), MAX_DEPTH - 1) is not None:
        return True
    dots = skeleton.encode("utf-8", "surrogatepass").translate(_KEY_ENDS, _NOT_KEY_ENDS)
    if b"." * MAX_DEPTH not in dots:
        return False
    if _LOOSE_DOT.search(skeleton):
        skeleton = _LOOSE_DOT.sub(".", skeleton)
    return _LONG_KEY.search(skeleton) is not None


def _toml_big_integer(token: str) -> int | None:
    """Return the digits of an integer literal out of range, or None."""
    if not _TOML_INTEGER.fullmatch(token):
        return None
    digits = token.lstrip("+-").replace("_", "")
    base = _BASES.get(digits[:2])
    if base is None:
        return len(digits) if len(digits) > MAX_INT_DIGITS else None
    try:
        value = int(digits[2:], base)
    except ValueError:
        return None
    return len(str(value)) if value >= _INT_BOUND else None


def _toml_value_at(text: str, kind: str) -> tuple[str, int] | None:
    previous: str | None = None
    candidate: tuple[str, int] | None = None  # an integer, unless a dot follows (a float)
    for match in _TOML_TOKEN.finditer(text):
        group, token = match.lastgroup, match.group()
        if candidate is not None:
            if group != "dot":
                return candidate
            candidate = None
        if group == "part":
            if kind == "number" and _not_finite(token):
                return f"{quoted(token)} is not a finite number", match.start()
            digits = _toml_big_integer(token) if kind == "integer" else None
            if digits is not None and previous != "dot":
                candidate = _integer_message(digits), match.start()
        previous = group
    return candidate


def _toml_refusal(text: str, *, kind: str, fallback: str, source: str) -> FileError:
    found = _toml_structure_at(text) if kind == "structure" else _toml_value_at(text, kind)
    if found is None:
        return FileError(fallback, path=source)
    message, position = found
    return FileError(message, path=source, line=_line_at(text, position))


def _toml_syntax(error: tomllib.TOMLDecodeError, text: str, source: str) -> FileError:
    message = str(error)
    where = _TOML_WHERE.search(message)
    line: int | None = None
    column = ""
    if where is not None:
        message = message[: where.start()]
        if where.group(1):
            line = int(where.group(1))
            column = f" (column {where.group(2)})"
        else:
            line = text.count("\n") + 1
            column = " (at the end of the document)"
    return FileError(f"is not valid TOML: {_detail(message)}{column}", path=source, line=line)


def parse_toml(data: bytes, *, source: str) -> dict[str, Any]:
    """Parse a TOML document; ``source`` names it in messages.

    Refused, with the line when it is known: bytes that are not UTF-8 (a UTF-8 byte order
    mark is skipped), arrays and inline tables nested deeper than :data:`MAX_DEPTH` with the
    top-level table, dotted keys of more parts than that, tables nested deeper than that by
    any means, integers of more than :data:`MAX_INT_DIGITS` digits, NaN and infinities, and
    everything the TOML parser refuses (duplicate keys among them).
    """
    text = _decode(data, source=source)
    if _toml_structure_problem(text):
        raise _toml_refusal(text, kind="structure", fallback=_DEPTH_MESSAGE, source=source)
    try:
        document = tomllib.loads(text, parse_float=_finite)
    except _Refused as refused:
        raise _toml_refusal(
            text, kind=refused.kind, fallback=refused.message, source=source
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise _toml_syntax(error, text, source) from None
    except ValueError:  # int() beyond the interpreter's digit limit
        fallback = f"an integer has more than {MAX_INT_DIGITS} digits"
        raise _toml_refusal(text, kind="integer", fallback=fallback, source=source) from None
    except RecursionError:  # the scan above makes this unreachable; kept as a backstop
        raise FileError(_DEPTH_MESSAGE, path=source) from None
    problem = _tree_problem(document, strings=False)
    if problem == "integer":
        fallback = f"an integer has more than {MAX_INT_DIGITS} digits"
        raise _toml_refusal(text, kind="integer", fallback=fallback, source=source)
    if problem is not None:
        raise FileError(_DEPTH_MESSAGE, path=source)
    return document


def _document_kind(suffix: str, *, source: str) -> str:
    kind = suffix.lower()
    if kind not in {".json", ".toml"}:
        named = quoted(suffix) if suffix else "(none)"
        message = f"unsupported file type {named}: use .toml or .json"
        raise FileError(message, path=source)
    return kind


def parse_document(data: bytes, *, source: str, suffix: str) -> dict[str, Any]:
    """Parse a document as JSON or TOML, as ``suffix`` (``.json``, ``.toml``, any case) says."""
    if _document_kind(suffix, source=source) == ".json":
        return parse_json(data, source=source)
    return parse_toml(data, source=source)


def read_document(
    path: str | os.PathLike[str],
    *,
    suffix: str | None = None,
    limit: int = DEFAULT_LIMIT,
    what: str = "file",
) -> dict[str, Any]:
    """Read and parse the JSON or TOML document at ``path``; see :func:`parse_document`.

    ``suffix`` defaults to the suffix of the path's name, and is checked before reading.
    """
    source = _source(path)
    suffix = Path(source).suffix if suffix is None else suffix
    if not os.path.lexists(path):
        read_bytes(path, limit=limit, what=what)  # says the file is missing, whatever its name
    _document_kind(suffix, source=source)
    return parse_document(read_bytes(path, limit=limit, what=what), source=source, suffix=suffix)


# --- CSV ----------------------------------------------------------------------------------

_EOL: Final = re.compile(r"\r\n?|\n")
_LINE_ENDS: Final = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")
_OTHER_BREAKS: Final = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _split_lines(text: str) -> list[str]:
    """Split ``text`` after each LF, CR LF and CR; the last item follows the last line end.

    :meth:`str.splitlines` is much faster, but also breaks lines where CSV does not.
    """
    if _OTHER_BREAKS.search(text):
        return _LINE_ENDS.split(text)
    lines = text.splitlines(keepends=True)
    if not lines or lines[-1][-1] in "\r\n":
        lines.append("")
    return lines


_MARK_ERRORS: Final = "residency.mark"
_MARK: Final = "\udfff"  # a strict decoder never produces a lone surrogate


def _mark(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _MARK, error.end


@functools.cache
def _register_mark() -> None:
    codecs.register_error(_MARK_ERRORS, _mark)


def _text_codec(encoding: str, *, source: str) -> codecs.CodecInfo:
    try:
        codec = codecs.lookup(encoding)
    except (LookupError, ValueError):
        message = f"unknown encoding {quoted(encoding)}"
        raise FileError(message, path=source) from None
    if (
        not getattr(codec, "_is_text_encoding", True)
        or getattr(codec, "incrementaldecoder", None) is None
    ):
        message = f"{quoted(encoding)} is not a text encoding"
        raise FileError(message, path=source)
    return codec


class CsvReader:
    """The rows of a CSV file, each a ``list[str]``; a context manager that closes the file.

    The first row is read at once into :attr:`header`; iterating yields the rows after it.
    Lines are read one at a time through an incremental decoder, so memory stays bounded
    by :data:`MAX_FIELD` however large the file. Every problem is a :class:`FileError` naming
    the line: bytes that do not decode (the line of the first bad byte), a line or field
    longer than :data:`MAX_FIELD` characters, and anything the CSV parser refuses.
    """

    def __init__(
        self,
        read: Callable[[int], bytes | None],
        *,
        source: str,
        codec: codecs.CodecInfo,
        close: Callable[[], None] | None = None,
    ) -> None:
        self._close = close
        self._read = read
        self.source = source
        """The file, as given (``<stdin>`` for standard input)."""
        self._codec = codec
        self._decoder = codec.incrementaldecoder("strict")
        self._rows = csv.reader(self._lines())
        self.line = 0
        """The line where the last row read starts, the header's being 1; 0 before any."""
        self.header: list[str] = []
        """The first row; empty when the file is."""
        try:
            self.header = next(self, [])
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> list[str]:
        first = self._rows.line_num + 1
        limit = csv.field_size_limit(MAX_FIELD)
        try:
            row = next(self._rows)
        except csv.Error as error:
            raise self._refusal(error, first) from None
        finally:
            csv.field_size_limit(limit)
        self.line = first
        return row

    def close(self) -> None:
        """Close the file, if this reader opened it; standard input is left open."""
        close, self._close = self._close, None
        if close is not None:
            close()

    def _refusal(self, error: csv.Error, line: int) -> FileError:
        text = str(error)
        if "field limit" in text:
            message = f"a field of the row is longer than {MAX_FIELD:,} characters"
        else:
            message = f"is not valid CSV: {_detail(text)}"
        return FileError(message, path=self.source, line=line)

    def _lines(self) -> Iterator[str]:
        """Yield the physical lines, each with its line end: LF, CR LF or CR."""
        tail = ""  # a line whose end is not read yet
        final = False
        while not final:
            text, final = self._decode_more(tail)
            lines = _split_lines(text)
            if not tail.endswith("\r"):
                lines[0] = tail + lines[0]
            elif lines[0] == "\n":
                lines[0] = tail + "\n"
            else:
                lines.insert(0, tail)
            tail = lines.pop()  # what follows the last line end
            if not tail and not final and lines and lines[-1].endswith("\r"):
                tail = lines.pop()  # an LF may follow in the next chunk
            if lines and max(map(len, lines)) > MAX_FIELD:
                for line in lines:
                    if len(line.rstrip("\r\n")) > MAX_FIELD:
                        raise self._too_long()
                    yield line
            else:
                yield from lines
            if len(tail) - tail.endswith("\r") > MAX_FIELD:
                raise self._too_long()
        if tail:
            yield tail

    def _too_long(self) -> FileError:
        message = f"the line is longer than {MAX_FIELD:,} characters"
        return FileError(message, path=self.source, line=self._rows.line_num + 1)

    def _decode_more(self, pending: str) -> tuple[str, bool]:
        """Decode the next chunk of bytes, and say if it was the last.

        ``pending`` is the decoded text not yet yielded, from which a bad byte's line counts.
        """
        try:
            data = self._read(_CHUNK)
        except OSError as error:
            message = f"cannot read the CSV file: {_reason(error)}"
            raise FileError(message, path=self.source, line=self._rows.line_num + 1) from None
        if data is None:
            message = "cannot read the CSV file: it is non-blocking and has no data"
            raise FileError(message, path=self.source, line=self._rows.line_num + 1)
        final = not data
        state = self._decoder.getstate()
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            raise self._undecodable(error, state, data, pending, final=final) from None
        return text, final

    def _undecodable(
        self,
        error: UnicodeDecodeError,
        state: tuple[bytes, int],
        data: bytes,
        pending: str,
        *,
        final: bool,
    ) -> FileError:
        """Name the line of the first byte that does not decode."""
        before = ""
        _register_mark()
        marking = self._codec.incrementaldecoder(_MARK_ERRORS)
        try:
            marking.setstate(state)
            decoded = marking.decode(data, final)
            before = decoded[: decoded.index(_MARK)]
        except (UnicodeError, ValueError, LookupError):  # the line is then the first pending one
            before = ""
        line = self._rows.line_num + 1 + len(_EOL.findall(pending + before))
        bad = error.object[error.start : error.end][:4]
        noun = "byte" if len(bad) == 1 else "bytes"
        shown = " ".join(f"{byte:#04x}" for byte in bad)
        name = "UTF-8" if self._codec.name in {"utf-8", "utf-8-sig"} else self._codec.name
        message = f"is not {name} text: cannot decode {noun} {shown}"
        return FileError(message, path=self.source, line=line)


def open_csv(
    path: str | os.PathLike[str] | None,
    *,
    encoding: str = "utf-8-sig",
    stdin: BinaryIO | None = None,
) -> CsvReader:
    """Open a CSV file for reading, or read ``stdin`` (bytes) when ``path`` is None.

    ``path`` must be a regular file (see :func:`read_bytes`); there is no limit on the size
    of the file, which is streamed. ``encoding`` is any text encoding Python knows (the
    default skips a UTF-8 byte order mark); an unknown one is a :class:`FileError`.
    """
    source = _STDIN if path is None else _source(path)
    codec = _text_codec(encoding, source=source)
    if path is None:
        if stdin is None:
            message = "there is no file to read, and no standard input was given"
            raise FileError(message, path=source)
        read = getattr(stdin, "read1", stdin.read)
        return CsvReader(read, source=source, codec=codec)
    descriptor, _ = _open_regular(path, source=source, what="CSV file")
    return CsvReader(
        functools.partial(os.read, descriptor),
        source=source,
        codec=codec,
        close=functools.partial(os.close, descriptor),
    )


# --- writing ------------------------------------------------------------------------------

_IO = TypeVar("_IO", bound=IO[Any])


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it: set it, and set it back at once
    os.umask(mask)
    return mask


def _same_file(target: str, other: str) -> bool:
    try:
        if os.path.realpath(other) == target:
            return True
        mine, theirs = Path(target).stat(), Path(other).stat()
    except (OSError, ValueError):
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _output_target(source: str, inputs: Iterable[str | os.PathLike[str]]) -> tuple[str, int]:
    """Return the real path to write and the permissions it gets, or refuse the output."""
    try:
        target = os.path.realpath(source)
    except (OSError, ValueError) as error:
        raise _cannot(error, doing="write the file", source=source) from None
    for other in map(_source, inputs):
        if _same_file(target, other):
            message = f"the output is the same file as the input {quoted(other)}"
            raise FileError(message, path=source)
    try:
        status: os.stat_result | None = Path(target).stat()
    except FileNotFoundError:
        status = None
    except (OSError, ValueError) as error:
        raise _cannot(error, doing="write the file", source=source) from None
    if status is not None:
        _refuse_unless_regular(status.st_mode, source=source, what="output")
        return target, stat.S_IMODE(status.st_mode)
    directory = Path(target).parent
    try:
        is_directory = stat.S_ISDIR(directory.stat().st_mode)
    except FileNotFoundError:
        message = f"the directory {quoted(str(directory))} does not exist"
        raise FileError(message, path=source) from None
    except OSError as error:
        raise _cannot(error, doing="write the file", source=source) from None
    if not is_directory:
        message = f"{quoted(str(directory))} is not a directory"
        raise FileError(message, path=source)
    return target, 0o666 & ~_umask()


def _discard(file: IO[Any], temporary: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        file.close()
    with contextlib.suppress(OSError):
        Path(temporary).unlink(missing_ok=True)


def _commit(file: IO[Any], temporary: str, target: str, mode: int) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()
    Path(temporary).chmod(mode)
    Path(temporary).replace(target)
    if hasattr(os, "O_DIRECTORY"):  # make the new name durable too, where directories sync
        with contextlib.suppress(OSError):
            directory = os.open(Path(target).parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


_CREATE_FLAGS: Final = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL  # a new file or nothing: never one that was there
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_ATTEMPTS: Final = 100


def _create_temporary(target: str, source: str) -> tuple[int, str]:
    """Create a new temporary file beside ``target``: its descriptor and its path.

    The name (``.name.XXXXXXXXXXXX.tmp``, random) is chosen before the file exists, so an
    interruption at any moment, Ctrl-C arriving just as ``os.open`` returns included, knows
    what to remove; a name someone else holds is never removed, only passed over.
    """
    folder = Path(target).parent
    name = Path(target).name[:100]
    for _ in range(_ATTEMPTS):
        temporary = str(folder / f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temporary, _CREATE_FLAGS, 0o600), temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise _cannot(error, doing="write the file", source=source) from None
        except BaseException:  # interrupted, perhaps once the file existed: ours to remove
            with contextlib.suppress(OSError):
                Path(temporary).unlink(missing_ok=True)
            raise
    message = f"no free name for a temporary file beside {quoted(target)}"
    raise FileError(message, path=source)


@contextlib.contextmanager
def _staged(
    path: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]],
    opener: Callable[[int], _IO],
) -> Iterator[_IO]:
    source = _source(path)
    target, mode = _output_target(source, inputs)
    descriptor, temporary = _create_temporary(target, source)
    try:
        file = opener(descriptor)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(descriptor)
        Path(temporary).unlink(missing_ok=True)
        raise
    try:
        yield file
    except BaseException:
        _discard(file, temporary)
        raise
    try:
        _commit(file, temporary, target, mode)
    except OSError as error:
        _discard(file, temporary)
        raise _cannot(error, doing="write the file", source=source) from None
    except BaseException:
        _discard(file, temporary)
        raise


def atomic_output(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    encoding: str = "utf-8",
    newline: str = "",
) -> contextlib.AbstractContextManager[TextIO]:
    """Write the text file at ``path`` all at once, in a ``with`` block.

    What is written goes to a temporary file beside ``path`` (``.name.XXXX.tmp``), which is
    flushed to disk and then replaces ``path`` when the block ends without an exception. On
    any exception, ``KeyboardInterrupt`` included, the temporary file is removed and ``path``
    is left as it was. Refused with a :class:`FileError` before anything is created: ``path``
    is the same file as one of ``inputs`` (by real path, or by device and inode), its
    directory does not exist, or it exists and is not a regular file. A symbolic link is
    written through, to the file it names. A new file gets the permissions the umask
    allows; a replaced file keeps its own.
    """
    source = _source(path)
    codec = _text_codec(encoding, source=source)

    def opener(descriptor: int) -> TextIO:
        return open(descriptor, "w", encoding=codec.name, newline=newline)

    return _staged(path, inputs, opener)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Write ``data`` to ``path`` all at once, as :func:`atomic_output` writes text."""

    def opener(descriptor: int) -> IO[bytes]:
        return open(descriptor, "wb")

    with _staged(path, inputs, opener) as file:
        file.write(data)


def starts_with(path: str | os.PathLike[str], prefix: bytes) -> bool:
    """Whether ``path`` is a regular file whose first bytes are ``prefix``.

    What is not a regular file, or cannot be opened, does not start with anything: the
    caller's own reading then says why, with the error it raises for it.
    """
    try:
        descriptor, _ = _open_regular(path, source=_source(path), what="file")
    except FileError:
        return False
    try:
        return os.read(descriptor, len(prefix)) == prefix
    except OSError:
        return False
    finally:
        os.close(descriptor)


# --- Parquet ------------------------------------------------------------------------------

PARQUET_MAGIC: Final = b"PAR1"
"""The four bytes a Parquet file starts and ends with."""
PARQUET_LIMIT: Final = 1024 * 1024 * 1024
"""The largest Parquet file read, in bytes: Parquet is read whole, not streamed."""
MAX_PARQUET_DATA: Final = 4 * PARQUET_LIMIT
"""The most bytes a Parquet file's row groups may hold once decompressed, as its footer says."""

_PARQUET_TAIL: Final = 8  # the footer's length (4 bytes, little-endian), then the magic
_PARQUET_SHORTEST: Final = 2 * len(PARQUET_MAGIC) + _PARQUET_TAIL - len(PARQUET_MAGIC)


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular file that starts with the Parquet magic ``PAR1``.

    A truncated Parquet file still starts with it, and is then refused by
    :func:`open_parquet`, which also checks the end; what is not a regular file is no
    Parquet file here (its reader says why).
    """
    return starts_with(path, PARQUET_MAGIC)


def _arrow(name: str) -> Any:  # noqa: ANN401 - a module
    try:  # pyarrow is optional: imported only where a Parquet file is read
        return importlib.import_module(name)
    except ImportError:
        module = "pyarrow"
        raise MissingDependency(module, extra="frames") from None


class ParquetReader:
    """The rows of a Parquet file, as :class:`CsvReader` gives a CSV file's: text cells.

    :attr:`header` holds the column names; :meth:`rows` yields each row as a ``list[str]``,
    a null cell as ``""`` (as a CSV file holds a missing cell). String columns are read as
    they are, integer columns as their decimal text and binary columns as UTF-8 text; any
    other column is refused with a :class:`FileError` that names it, once it is read.
    """

    def __init__(self, parquet: Any, *, source: str, close: Callable[[], None]) -> None:  # noqa: ANN401 - a pyarrow.parquet.ParquetFile
        self._parquet = parquet
        self._close: Callable[[], None] | None = close
        self.source = source
        """The file, as given."""
        self.header: list[str] = list(parquet.schema_arrow.names)
        """The column names, in order."""
        self.count: int = parquet.metadata.num_rows
        """How many rows the file holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        close, self._close = self._close, None
        if close is not None:
            close()

    def table(self, columns: Iterable[str] | None = None) -> Any:  # noqa: ANN401 - a pyarrow Table
        """The ``columns`` named (all of them by default) as a pyarrow Table of strings.

        Raises:
            FileError: the file is damaged, or a column holds values that are not text.
        """
        pa = _arrow("pyarrow")
        names = list(self.header if columns is None else dict.fromkeys(columns))
        try:
            table = self._parquet.read(columns=names, use_threads=False)
        except (pa.ArrowException, OSError, ValueError, IndexError) as error:
            raise _damaged(error, source=self.source) from None
        return pa.table(
            [self._text(table.column(name), name) for name in names],
            names=names,
        )

    def rows(
        self, columns: Iterable[str] | None = None, *, chunk: int = 10_000
    ) -> Iterator[list[str]]:
        """Yield each row of the ``columns`` named (all by default) as text cells."""
        table = self.table(columns)
        for start in range(0, table.num_rows, chunk):
            part = table.slice(start, chunk)
            cells = [
                ["" if value is None else value for value in column.to_pylist()]
                for column in part.columns
            ]
            yield from map(list, zip(*cells, strict=True))

    def _text(self, column: Any, name: str) -> Any:  # noqa: ANN401 - pyarrow arrays
        pa = _arrow("pyarrow")
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        readable = (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
            or pa.types.is_null(kind)
        )
        if readable:
            try:
                return column.cast(pa.string())
            except (pa.ArrowException, ValueError):
                message = f"the column {quoted(name)} holds {kind} values that are not UTF-8 text"
                raise FileError(message, path=self.source) from None
        message = (
            f"the column {quoted(name)} holds {_detail(str(kind))} values: residency reads "
            "text columns (strings, integers or UTF-8 binary)"
        )
        raise FileError(message, path=self.source)


def _damaged(error: BaseException, *, source: str) -> FileError:
    detail = " ".join(str(error).split()) or type(error).__name__
    message = f"is not a valid Parquet file (damaged or truncated): {_detail(detail)}"
    return FileError(message, path=source)


def _parquet_frame(file: BinaryIO, size: int, *, source: str) -> None:
    """Refuse what is no whole Parquet file by its first and last bytes, before pyarrow reads."""
    if size < _PARQUET_SHORTEST:
        message = f"is not a Parquet file: it holds {size:,} bytes, too few for one"
        raise FileError(message, path=source)
    if file.read(len(PARQUET_MAGIC)) != PARQUET_MAGIC:
        message = f"is not a Parquet file: it does not start with {PARQUET_MAGIC.decode()}"
        raise FileError(message, path=source)
    file.seek(size - _PARQUET_TAIL)
    tail = file.read(_PARQUET_TAIL)
    if tail[len(PARQUET_MAGIC) :] != PARQUET_MAGIC:
        message = (
            f"is not a whole Parquet file: it does not end with {PARQUET_MAGIC.decode()} "
            "(truncated?)"
        )
        raise FileError(message, path=source)
    footer = int.from_bytes(tail[: len(PARQUET_MAGIC)], "little")
    if footer > size - _PARQUET_SHORTEST:
        message = (
            f"is not a whole Parquet file: its footer says {footer:,} bytes, more than the "
            f"file holds (truncated?)"
        )
        raise FileError(message, path=source)
    file.seek(0)


def _parquet_file(file: BinaryIO, size: int, *, source: str, limit: int) -> Any:  # noqa: ANN401 - a pyarrow.parquet.ParquetFile
    """The checked file as pyarrow opens it: its footer read, its size within the limits."""
    what = "Parquet file"
    if size > limit:
        message = f"the {what} is larger than {limit:,} bytes ({size:,})"
        raise FileTooLarge(message, path=source)
    try:
        _parquet_frame(file, size, source=source)
    except FileError:
        raise
    except OSError as error:
        raise _cannot(error, doing=f"read the {what}", source=source) from None
    pa = _arrow("pyarrow")
    parquet_module = _arrow("pyarrow.parquet")
    try:
        parquet = parquet_module.ParquetFile(file)
        metadata = parquet.metadata
        data = sum(
            metadata.row_group(group).total_byte_size for group in range(metadata.num_row_groups)
        )
        parquet.schema_arrow  # noqa: B018 - read now, so that a bad schema fails here
    except (pa.ArrowException, OSError, ValueError, IndexError) as error:
        raise _damaged(error, source=source) from None
    if data > MAX_PARQUET_DATA:
        message = f"the {what} holds {data:,} bytes decompressed, more than {MAX_PARQUET_DATA:,}"
        raise FileTooLarge(message, path=source)
    return parquet


def open_parquet(path: str | os.PathLike[str], *, limit: int = PARQUET_LIMIT) -> ParquetReader:
    """Open a Parquet file for reading: its footer is read and checked; its rows on demand.

    ``path`` must be a regular file (see :func:`read_bytes`) of at most ``limit`` bytes that
    starts and ends with ``PAR1``, whose footer pyarrow can read and whose row groups hold
    at most :data:`MAX_PARQUET_DATA` bytes decompressed. Anything else is a
    :class:`FileError` (:class:`NotARegularFile`, :class:`FileTooLarge`) that says why,
    never a pyarrow error; without pyarrow it is a
    :class:`~residency.errors.MissingDependency`.
    """
    source = _source(path)
    descriptor, status = _open_regular(path, source=source, what="Parquet file")
    file = open(descriptor, "rb")  # noqa: PTH123, SIM115 - the descriptor checked; the reader closes it
    try:
        parquet = _parquet_file(file, status.st_size, source=source, limit=limit)
    except BaseException:
        file.close()
        raise
    return ParquetReader(parquet, source=source, close=file.close)
