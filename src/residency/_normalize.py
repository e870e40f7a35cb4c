"""The text normalisations behind every name lookup: the matching key and the exact form.

The build script (``scripts/build_name_index.py``) folds every name it writes into the name
index with these functions, and :mod:`residency.locations` folds the input with the same
ones, so a lookup is one dict access. Two folds, one table of rules:

- :func:`normalize` gives the *matching key*: case, accents, punctuation, white space, a
  leading English article and a trailing list-form article ("Bahamas, The") do not matter.
  It never drops or guesses a letter that tells two names apart.
- :func:`exact` gives the *exact form*: the same, but accents and word breaks are kept. It
  decides only where two names share a matching key ("Tõga" and "Tóga" name Togo and Tonga
  in two languages).

>>> normalize("  Côte d'Ivoire ")
'cotedivoire'
>>> normalize("The Gambia") == normalize("gambia") == normalize("Gambia, The")
True
>>> normalize("Antigua & Barbuda")
'antiguaandbarbuda'
>>> exact("  Côte d'Ivoire "), exact("ma Lawi"), exact("Malawi")
('côte divoire', 'ma lawi', 'malawi')
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

__all__ = ["exact", "normalize", "reference_exact", "reference_normalize"]

# Letters that NFKD does not split into a base letter and a combining mark, written the way
# an English keyboard would write them (Føroyar -> Foroyar, Łódź -> Lodz, Đà Nẵng -> Da Nang).
# The exact form keeps them as they are.
_TRANSLITERATION = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "þ": "th",
        "\u0131": "i",  # dotless i
        "ə": "e",
        "ħ": "h",
        "ŧ": "t",
    }
)
_AMPERSAND = str.maketrans({"&": " and "})

# Letter-like apostrophes (U+02BC in Côte d'Ivoire, U+02BB in O'zbekiston) and the quotes
# written for them are typed as plain quotes or not at all: they never break a word.
_APOSTROPHES = frozenset("'\u2018\u2019\u02b9\u02bb\u02bc\u02bd\u02be\u02bf\uff07")

# Unicode categories that carry no letters: punctuation, separators, symbols that modify
# letters, format and control characters (a zero-width joiner, a soft hyphen, a byte order mark).
_DROPPED_CATEGORIES = frozenset(
    {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sk", "Zs", "Zl", "Zp", "Cc", "Cf", "Me"}
)

# The combining marks that are accents, which people leave out as they please: the generic
# diacritics that NFKD splits off Latin, Greek and Cyrillic letters, and the optional vowel
# points of Arabic and Hebrew. Other marks are letters of their script (Devanagari and Thai
# vowel signs, the Japanese voicing marks that tell ド from ト) and stay.
_ACCENTS = (
    (0x0300, 0x036F),
    (0x0591, 0x05C7),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)

# What happens to each character, by kind: kept in both folds, an accent (kept in the exact
# form only), a word break (a space in the exact form), or nothing at all (an apostrophe).
_KEEP, _ACCENT, _BREAK, _DROP = 0, 1, 2, 3

_LEADING_ARTICLE = re.compile(r"the\s+(?=\S)")
_TRAILING_ARTICLE = re.compile(r"(?<=\S)\s*,\s*the\s*$")


@functools.lru_cache(maxsize=4096)
def _kind(char: str) -> int:
    """Tell what becomes of ``char`` (cached: a few thousand distinct characters occur).

    4,096 entries cover the letters of every script the name index holds many times over;
    a least-recently-used cache, so an odd input never evicts the common letters wholesale.
    """
    if char in _APOSTROPHES:
        return _DROP
    if char.isspace():
        return _BREAK
    category = unicodedata.category(char)
    if category == "Mn":
        point = ord(char)
        return _ACCENT if any(low <= point <= high for low, high in _ACCENTS) else _KEEP
    return _BREAK if category in _DROPPED_CATEGORIES else _KEEP


def _folded(text: str) -> str:
    """Decompose, case-fold, spell ``&`` out and drop a leading or trailing English article."""
    folded = unicodedata.normalize("NFKD", text).casefold().translate(_AMPERSAND).strip()
    return _articles_dropped(folded)


def normalize(text: str) -> str:
    """Return the matching key of ``text``: the letters and digits that tell names apart.

    In order: NFKD (split accents off their letters, fold compatibility forms such as
    full-width letters), casefold, spell ``&`` as ``and``, drop one leading English article
    ``the`` and a trailing list-form one (``", The"``), transliterate the letters NFKD keeps
    whole (ø, ł, đ, æ, œ, ß, þ, ð, dotless i, ə, ħ, ŧ), then drop accents (and the optional
    vowel points of Arabic and Hebrew), punctuation, symbols that modify letters, format
    characters and every kind of white space, and compose what is left again (NFC). Other
    scripts keep their letters and signs as they are.

    >>> normalize("Åland Islands")
    'alandislands'
    >>> normalize("FØROYAR")
    'foroyar'
    >>> normalize("Hoa Kỳ")
    'hoaky'
    >>> normalize("St. Kitts & Nevis")
    'stkittsandnevis'
    >>> normalize("Türkiye") == normalize("TURKIYE")
    True
    >>> normalize("Netherlands, The") == normalize("the Netherlands")
    True
    >>> normalize("Thailand")
    'thailand'
    >>> normalize("the")
    'the'
    >>> normalize("Deutschland") == normalize("\uff24\uff25\uff35tschland")  # full width
    True
    >>> normalize("日本")
    '日本'
    >>> normalize("ドイツ")
    'ドイツ'
    """
    if text.isascii():
        folded = _ascii_folded(text)
        return folded.encode("ascii").translate(None, _ASCII_KEY).decode("ascii")
    return reference_normalize(text)


def exact(text: str) -> str:
    """Return the exact form of ``text``: its matching key with accents and word breaks kept.

    As :func:`normalize`, except that accents stay, the letters ø, ł, đ and their kin are not
    transliterated, and each run of punctuation and white space becomes one space.

    >>> exact("Tõga"), exact("Tóga"), exact("TÓGA")
    ('tõga', 'tóga', 'tóga')
    >>> exact("  Bosnia-Herzegovina "), exact("FØROYAR")
    ('bosnia herzegovina', 'føroyar')
    >>> normalize(exact("Đà Nẵng")) == normalize("Đà Nẵng")
    True
    """
    if text.isascii():
        return " ".join(_ascii_folded(text).translate(_ASCII_EXACT).split())
    return reference_exact(text)


# --- the plain definitions, and the fast paths they pin ---------------------------------------
#
# normalize and exact answer ASCII input (most of what people type) without Unicode
# normalisation or a call per character: for ASCII, NFKD and NFC change nothing, casefold is
# lower, no letter is transliterated and no character is an accent, so two translation tables
# derived from _kind give the same keys. tests/test_normalize.py pins the fast and the
# reference paths equal on every ASCII character and on thousands of drawn strings.


def reference_normalize(text: str) -> str:
    """:func:`normalize` by its definition, for any text: the reference of the fast path."""
    folded = _folded(text).translate(_TRANSLITERATION)
    return unicodedata.normalize("NFC", "".join(char for char in folded if not _kind(char)))


def reference_exact(text: str) -> str:
    """:func:`exact` by its definition, for any text: the reference of the fast path."""
    pieces: list[str] = []
    for char in _folded(text):
        kind = _kind(char)
        if kind <= _ACCENT:
            pieces.append(char)
        elif kind == _BREAK:
            pieces.append(" ")
    return " ".join(unicodedata.normalize("NFC", "".join(pieces)).split())


def _articles_dropped(folded: str) -> str:
    if article := _LEADING_ARTICLE.match(folded):
        folded = folded[article.end() :]
    return _TRAILING_ARTICLE.sub("", folded)


def _ascii_folded(text: str) -> str:
    """:func:`_folded` for ASCII text, where decomposition and case folding are ``lower``."""
    folded = text.lower()
    if "&" in folded:
        folded = folded.replace("&", " and ")
    folded = folded.strip()
    if folded.startswith("the") or folded.endswith("the"):
        folded = _articles_dropped(folded)
    return folded


_ASCII_KEY: Final = bytes(code for code in range(128) if _kind(chr(code)))
"""The ASCII bytes that the matching key drops, for ``bytes.translate``."""
_ASCII_EXACT: Final = str.maketrans(
    {chr(c): (" " if _kind(chr(c)) == _BREAK else "") for c in range(128) if _kind(chr(c))}
)
