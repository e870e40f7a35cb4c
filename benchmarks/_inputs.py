"""The inputs of the benchmark, shaped like real traffic: a few hundred distinct values, repeated.

Every input set is derived from pycountry (the source of residency's own tables), so each
input comes with the country it was made from; the sets are drawn with a fixed seed, so two
runs time the same calls.
"""

from __future__ import annotations

import gettext
import itertools
import random
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pycountry

from residency import Agreement, _data, resolve_location
from residency.errors import LocationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SEED = 20260601
"""The seed of every random draw, so that runs compare."""

DISTINCT = 300
"""How many distinct values a sampled input set holds: a country column's few hundred."""

LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "pl", "sv", "tr", "vi", "ru", "ja", "zh_CN")
"""The languages whose country names make the translated-name inputs."""

NAMED_TRANSLATIONS = ("Deutschland", "Allemagne", "Alemania", "Hoa Kỳ", "Nhật Bản")
"""Translated names that are always in the set, when residency resolves them."""


@dataclass(frozen=True)
class Inputs:
    """One kind of input: its distinct values, and the country each was made from."""

    name: str
    """What the inputs are, for the table."""
    distinct: tuple[str, ...]
    """The distinct values the timed calls are drawn from."""
    expected: dict[str, str] = field(repr=False)
    """The alpha-2 code of the country each input was made from."""
    left_out: tuple[str, ...] = ()
    """Inputs made but not timed, because residency does not resolve them (see the notes)."""
    made: int = 0
    """How many inputs were made before those were left out."""

    def stream(self, calls: int, *, salt: int = 0) -> list[str]:
        """``calls`` inputs drawn from the distinct values, with repeats, as traffic comes."""
        return draw(self.distinct, calls, salt=salt)


def _random(salt: int = 0) -> random.Random:
    return random.Random(SEED + salt)  # noqa: S311 - reproducible draws, not secrets


def _resolves_to(text: str, country: str) -> bool:
    try:
        return resolve_location(text).country == country
    except LocationError:
        return False


def _resolves(text: str) -> bool:
    try:
        resolve_location(text)
    except LocationError:
        return False
    return True


def _kept(
    name: str, made: dict[str, str], keep: Callable[[str, str], bool], *, size: int | None = None
) -> Inputs:
    """The inputs of ``made`` that ``keep`` accepts, sampled down to ``size`` if given."""
    kept = [text for text, country in made.items() if keep(text, country)]
    left_out = tuple(text for text in made if not keep(text, made[text]))
    if size is not None and len(kept) > size:
        must = [text for text in kept if text in NAMED_TRANSLATIONS]
        rest = [text for text in kept if text not in must]
        kept = must + _random().sample(rest, size - len(must))
    return Inputs(name, tuple(kept), made, left_out, len(made))


def _countries() -> list[Any]:
    return sorted(pycountry.countries, key=lambda country: country.alpha_2)


def alpha2() -> Inputs:
    """Every alpha-2 code, in mixed case and with white space around (``" dE"``)."""
    shapes: tuple[Callable[[str], str], ...] = (
        lambda code: f" {code.lower()}",
        lambda code: f"{code[0]}{code[1].lower()} ",
        lambda code: f"{code[0].lower()}{code[1]}",
        lambda code: f"  {code}\t",
    )
    made = {
        shapes[index % len(shapes)](country.alpha_2): country.alpha_2
        for index, country in enumerate(_countries())
    }
    return _kept('alpha-2 " dE", "De "', made, _resolves_to)


def alpha3() -> Inputs:
    """Every alpha-3 code, upper case or lower case by turns (``"DEU"``, ``"deu"``)."""
    made = {
        (country.alpha_3 if index % 2 else country.alpha_3.lower()): country.alpha_2
        for index, country in enumerate(_countries())
    }
    return _kept('alpha-3 "DEU", "deu"', made, _resolves_to)


def numeric() -> Inputs:
    """Every numeric code, with its three digits (``"276"``)."""
    made = {country.numeric: country.alpha_2 for country in _countries()}
    return _kept('numeric "276"', made, _resolves_to)


def subdivisions() -> Inputs:
    """ISO 3166-2 codes (``"US-GA"``, ``"FR-NC"``), a sample of every country's.

    The country recorded is the one pycountry files the subdivision under; residency answers
    with the country itself for the codes that ISO 3166-1 also lists as countries (FR-NC is
    New Caledonia, NC), so any resolution is kept here.
    """
    every = sorted(pycountry.subdivisions, key=lambda subdivision: subdivision.code)
    made = {subdivision.code: subdivision.country_code for subdivision in every}
    sample = dict(_random().sample(sorted(made.items()), DISTINCT - 2))
    sample |= {"US-GA": "US", "FR-NC": "FR"}
    return _kept('subdivision "US-GA"', sample, lambda text, _country: _resolves(text))


def english_names() -> Inputs:
    """Every country's ISO short name, and its common name where it has one."""
    made: dict[str, str] = {}
    for country in _countries():
        made[country.name] = country.alpha_2
        common = getattr(country, "common_name", None)
        if common:
            made[common] = country.alpha_2
    return _kept('English name "Germany"', made, _resolves_to)


def translated_names() -> Inputs:
    """Country names in other languages (``"Deutschland"``, ``"Hoa Kỳ"``), as pycountry has them.

    Only translations that differ from the English name count; a sample is kept.
    """
    made: dict[str, str] = {}
    for language in LANGUAGES:
        translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for country in _countries():
            text = translation.gettext(country.name)
            if text != country.name:
                made.setdefault(text, country.alpha_2)
    named = {"Deutschland": "DE", "Allemagne": "DE", "Alemania": "DE", "Hoa Kỳ": "US"}
    made |= named | {"Nhật Bản": "JP"}
    return _kept('translated "Alemania"', made, _resolves_to, size=DISTINCT)


MANY_CODES = 20_000
"""How many distinct code spellings the many-codes row resolves: a whole customer base's."""

_PADS = ("", " ", "  ", "   ", "\t", "\t\t", " \t", "\t ")
"""The white space a code may come with, before and after."""


def _spellings(code: str, names: frozenset[str]) -> list[str]:
    """``code`` in every mix of cases; only in capitals if, in lower case, it is also a name."""
    if code.casefold() in names:
        return [code]
    cases = ((letter.upper(), letter.lower()) for letter in code)
    return ["".join(letters) for letters in itertools.product(*cases)]


def many_codes() -> Inputs:
    """``MANY_CODES`` distinct spellings of the alpha-2 and alpha-3 codes (``" dEu  "``).

    Each code in every mix of cases, with white space before and after, sampled. The codes
    that are also a name in some language in lower case (``ao``, ``bi``, ``my``, ``nga``)
    come in capitals only, where they are codes and nothing else.
    """
    names = frozenset(_data.load_json("countries.json")["code_names"])
    made: dict[str, str] = {}
    for country in _countries():
        for code in (country.alpha_2, country.alpha_3):
            for spelling in _spellings(code, names):
                for before, after in itertools.product(_PADS, _PADS):
                    made[f"{before}{spelling}{after}"] = country.alpha_2
    sample = dict(_random(4).sample(sorted(made.items()), MANY_CODES))
    return _kept(f'{MANY_CODES:,} distinct codes " dEu "', sample, _resolves_to)


def passes(values: Sequence[str], count: int, *, salt: int = 0) -> list[str]:
    """Every value once per pass, each pass in its own order: as many passes as make ``count``.

    At least one pass, so that every value is asked, whatever ``count`` is.
    """
    rng = _random(salt)
    stream: list[str] = []
    for _ in range(max(1, round(count / len(values)))):
        shuffled = list(values)
        rng.shuffle(shuffled)
        stream.extend(shuffled)
    return stream


def location_pool(assignable: Callable[[str], bool]) -> tuple[str, ...]:
    """A country column's distinct values: codes and names mixed, each one assignable."""
    rng = _random()
    parts = ((alpha2(), 100), (alpha3(), 40), (english_names(), 100), (translated_names(), 60))
    pool: list[str] = []
    for inputs, count in parts:
        usable = [text for text in inputs.distinct if assignable(text)]
        pool.extend(rng.sample(usable, count))
    return tuple(pool)


# --- agreements -------------------------------------------------------------------------------

AGREEMENTS = 100_000
ACCOUNTS = 40_000

_DESTINATIONS: tuple[tuple[str, ...], ...] = (
    ("US",),
    ("APAC",),
    ("UK",),
    ("linode-us",),
    ("aws-ap-southeast-1",),
    ("US", "APAC"),
)


def agreements(now: datetime | None = None) -> list[Agreement]:
    """``AGREEMENTS`` agreements over ``ACCOUNTS`` accounts (two or three each).

    Destinations vary; of every five agreements one has ended and one was revoked, so an
    account's list holds agreements that cover a move but are not in force.
    """
    now = now or datetime.now(UTC)
    start = now - timedelta(days=400)
    made: list[Agreement] = []
    for number in range(ACCOUNTS):
        account = account_id(number)
        for index in range(2 if number % 2 == 0 else 3):
            state = (number * 7 + index) % 5
            made.append(
                Agreement(
                    id=f"agr-{number:05d}-{index}",
                    account_id=account,
                    destinations=_DESTINATIONS[(number + index) % len(_DESTINATIONS)],
                    valid_from=start,
                    valid_until=now - timedelta(days=30) if state == 0 else None,
                    revoked_at=now - timedelta(days=10) if state == 1 else None,
                    basis="standard-contractual-clauses",
                    reference=f"contract {number}",
                )
            )
            if len(made) == AGREEMENTS:
                return made
    return made


def account_id(number: int) -> str:
    """The id of the account numbered ``number`` in :func:`agreements`."""
    return f"cust-{number:05d}"


def fresh_accounts(count: int, salt: int) -> list[str]:
    """``count`` distinct account ids that no earlier call has used (one set per ``salt``)."""
    return [f"acct-{salt + 1:02d}-{number:07d}" for number in range(count)]


def draw(values: Sequence[str], count: int, *, salt: int = 0) -> list[str]:
    """``count`` values drawn from ``values`` with repeats, reproducibly."""
    return _random(salt).choices(values, k=count)


# --- unknown names ----------------------------------------------------------------------------

_BLOCK = 1 << 20
"""How many junk names one salt can give: a salt's names are numbered within its block."""
_SPACE = 26**6
"""The six-letter tails: every junk name ends in one, and no two names share one."""
_SPREAD = 2_654_435_761
"""Prime to 26, so multiplying by it modulo ``_SPACE`` is a bijection that scatters the tails."""
_LETTERS = bytes(ord("a") + byte % 26 for byte in range(256))
_TRIPLES = tuple(
    "".join(letters) for letters in itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=3)
)

_CHECK = """
import sys
from residency import ResidencyError, UnknownLocation, resolve_location
for name in sys.stdin.read().splitlines():
    try:
        resolve_location(name)
    except UnknownLocation:
        continue
    except ResidencyError:
        pass
    print(name)
"""
"""Run in a fresh interpreter: print every name given that does not raise UnknownLocation."""


def junk_names(count: int, *, salt: int) -> list[str]:
    """``count`` distinct junk names of 6 to 14 random letters, capitalised (``"Gsonofyn"``).

    A random head of 0 to 8 letters and a tail of six that encodes the name's number: names
    of one salt, and of different salts (below ``_SPACE // _BLOCK``), never repeat.
    """
    if count > _BLOCK or not 0 <= salt < _SPACE // _BLOCK:
        message = f"at most {_BLOCK:,} junk names per salt, salts below {_SPACE // _BLOCK}"
        raise ValueError(message)
    rng = _random(salt)
    letters = rng.randbytes(count * 8).translate(_LETTERS).decode("ascii")
    sizes = rng.randbytes(count)
    names: list[str] = []
    first = salt * _BLOCK
    for index in range(count):
        high, low = divmod((first + index) * _SPREAD % _SPACE, 26**3)
        head = letters[index * 8 : index * 8 + sizes[index] % 9]
        names.append((head + _TRIPLES[high] + _TRIPLES[low]).capitalize())
    return names


def unknown_only(names: Sequence[str]) -> list[str]:
    """The names that raise UnknownLocation, checked in a fresh interpreter, in order.

    The check runs elsewhere so that this process has never seen the names: each timed call
    that gets one sees it for the first time.
    """
    checked = subprocess.run(
        [sys.executable, "-c", _CHECK],
        input="\n".join(names),
        capture_output=True,
        text=True,
        check=True,
    )
    known = set(checked.stdout.splitlines())
    return [name for name in names if name not in known]


def unknown_junk(count: int, *, salt: int) -> tuple[list[str], int]:
    """``count`` junk names of ``salt`` that raise UnknownLocation, and how many were dropped.

    A few more are made than asked for: a random name is, once in a while, a real one (some
    place's name of six letters), and is dropped.
    """
    made = junk_names(min(count + count // 100 + 100, _BLOCK), salt=salt)
    unknown = unknown_only(made)
    if len(unknown) < count:
        message = f"only {len(unknown):,} of {len(made):,} junk names are unknown to residency"
        raise RuntimeError(message)
    return unknown[:count], len(made) - len(unknown)
