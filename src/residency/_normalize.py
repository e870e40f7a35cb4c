"""The one text normalisation behind every name lookup.

The build script (``scripts/build_name_index.py``) normalises every country name it writes
into the name index with :func:`normalize`, and :mod:`residency.locations` normalises the input
with the same function, so a lookup is one dict access. Matching therefore ignores case,
accents, punctuation, white space and a leading English article, and nothing else: the
function never drops or guesses a letter that tells two names apart.

>>> normalize("  Côte d'Ivoire ")
'cotedivoire'
>>> normalize("The Gambia") == normalize("gambia")
True
>>> normalize("Antigua & Barbuda")
'antiguaandbarbuda'
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["normalize"]

# Letters that NFKD does not split into a base letter and a combining mark, written the way
# an English keyboard would write them (Føroyar -> Foroyar, Łódź -> Lodz, Đà Nẵng -> Da Nang).
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
        "&": " and ",
    }
)

# Letter-like apostrophes (U+02BC in Côte d'Ivoire, U+02BB in O'zbekiston) are typed as plain
# quotes or not at all.
_APOSTROPHES = frozenset("\u02b9\u02bb\u02bc\u02bd\u02be\u02bf")

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

_LEADING_ARTICLE = re.compile(r"the\s+(?=\S)")


@functools.lru_cache(maxsize=4096)
def _keep(char: str) -> bool:
    """Tell whether ``char`` survives normalisation (cached: few distinct characters occur)."""
    if char.isspace() or char in _APOSTROPHES:
        return False
    category = unicodedata.category(char)
    if category == "Mn":
        point = ord(char)
        return not any(low <= point <= high for low, high in _ACCENTS)
    return category not in _DROPPED_CATEGORIES


def normalize(text: str) -> str:
    """Return the matching key of ``text``: the letters and digits that tell names apart.

    In order: NFKD (split accents off their letters, fold compatibility forms such as
    full-width letters), casefold, transliterate the letters NFKD keeps whole (ø, ł, đ, æ, œ,
    ß, þ, ð, dotless i, ə, ħ, ŧ), spell ``&`` as ``and``, drop one leading English article ``the``,
    then drop accents (and the optional vowel points of Arabic and Hebrew), punctuation,
    symbols that modify letters, format characters and every kind of white space, and compose
    what is left again (NFC). Other scripts keep their letters and signs as they are.

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
    folded = unicodedata.normalize("NFKD", text).casefold().translate(_TRANSLITERATION)
    folded = folded.lstrip()
    if article := _LEADING_ARTICLE.match(folded):
        folded = folded[article.end() :]
    return unicodedata.normalize("NFC", "".join(char for char in folded if _keep(char)))
