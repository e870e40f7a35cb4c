"""The inputs of the benchmark, shaped like real traffic: a few hundred distinct values, repeated.

Every input set is derived from pycountry (the source of residency's own tables), so each
input comes with the country it was made from; the sets are drawn with a fixed seed, so two
runs time the same calls.
"""

from __future__ import annotations

import gettext
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pycountry

from residency import Agreement, resolve_location
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
