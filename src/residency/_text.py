r"""Text that goes out: quoted short, and never a control character to a terminal.

Every message residency writes quotes its input through :func:`quoted`, so a megabyte of
input gives a line of forty characters and a count, and every human output passes through
:func:`escape`, so text from a file or a command line (an account id, a catalog's prose) can
never move the cursor, clear the screen or reverse the text of a terminal. JSON output keeps
the characters but writes them as ``\u`` escapes (:func:`json_escape`).

>>> quoted("acme"), quoted("x" * 100)
("'acme'", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… (100 characters)")
>>> escape("acme\x1b[2J"), escape("total\u009b"), escape("left\u202eright")
('acme\\x1b[2J', 'total\\x9b', 'left\\u202eright')
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "PATH_LENGTH",
    "QUOTED_LENGTH",
    "escape",
    "json_escape",
    "one_line",
    "path",
    "quoted",
    "shown",
]

QUOTED_LENGTH: Final = 40
"""How much of an input a message quotes; the rest is counted, not shown."""

PATH_LENGTH: Final = 200
"""How much of a file's path a message shows: paths are long, but not without end."""

# The characters a terminal may act on, and those that reorder or hide text: C0 and C1
# controls, DEL, the line and paragraph separators, and the bidirectional and zero-width
# format characters. A tab or a newline in prose is kept by escape only where asked.
_UNSAFE: Final = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
_UNSAFE_OR_LINE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def _escaped(match: re.Match[str]) -> str:
    point = ord(match[0])
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def escape(text: str, *, lines: bool = False) -> str:
    """Return ``text`` with every control and format character written as an escape.

    ``lines`` keeps tabs and newlines (prose that is meant to span lines); otherwise they are
    escaped too, so that one value stays on one line.
    """
    pattern = _UNSAFE if lines else _UNSAFE_OR_LINE
    return pattern.sub(_escaped, text) if pattern.search(text) else text


def json_escape(text: str) -> str:
    r"""Return JSON text with the characters :func:`escape` guards written as ``\u`` escapes.

    ``json.dumps`` escapes C0 controls already; this takes care of C1 controls, the line
    separators and the format characters, which it passes through when non-ASCII text is
    kept as it is. The result is the same JSON value.

    >>> import json
    >>> json_escape(json.dumps("a\\u009bb", ensure_ascii=False))
    '"a\\\\u009bb"'
    """
    return _UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def quoted(text: str) -> str:
    """Return ``text`` as a message quotes it: its repr, cut to a short prefix when long.

    >>> quoted("Atlantis")
    "'Atlantis'"
    """
    if len(text) <= QUOTED_LENGTH:
        return escape(repr(text))
    return f"{escape(repr(text[:QUOTED_LENGTH]))}… ({len(text):,} characters)"


def shown(value: object) -> str:
    """Return any value as a message quotes it: a str by :func:`quoted`, anything else by its repr.

    >>> print(shown("Atlantis"), shown(3.5), shown(None), shown([1] * 30))
    'Atlantis' 3.5 None [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, … (90 characters)
    """
    if isinstance(value, str):
        return quoted(value)
    text = repr(value)
    if len(text) <= QUOTED_LENGTH:
        return escape(text)
    return f"{escape(text[:QUOTED_LENGTH])}… ({len(text):,} characters)"


def path(name: str) -> str:
    r"""Return a file's path as a message shows it: as it is, escaped, cut only when very long.

    >>> path("/srv/catalogs/ours.toml"), path("bad\x1bname.csv")
    ('/srv/catalogs/ours.toml', 'bad\\x1bname.csv')
    """
    shown = escape(name)
    if len(name) <= PATH_LENGTH:
        return shown
    return f"{escape(name[:PATH_LENGTH])}… ({len(name):,} characters)"


def one_line(message: str) -> str:
    """Return ``message`` on one line: runs of white space, line breaks included, as one space."""
    return escape(" ".join(message.split()))
