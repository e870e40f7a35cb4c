"""Hypothesis strategies for residency's inputs: countries, locations, data centers, agreements.

Every strategy can be called with no arguments and narrowed by keyword. Draws are always valid
inputs, checked against the shipped data when the tables are first built (lazily, once per
process and per country), so a test never needs ``assume`` to discard one:

>>> from hypothesis import given
>>> from residency import default_policy
>>> from residency.testing import strategies as rst
>>> @given(rst.locations(region="UK"))
... def test_uk_customers_live_in_the_uk(location):
...     assert default_policy().assign(location).region == "UK"
>>> test_uk_customers_live_in_the_uk()

This module imports Hypothesis, which comes with the ``test`` extra
(``pip install 'residency[test]'``); the plugin and the assertion helpers do not need it.
"""

from __future__ import annotations

import bisect
import functools
import weakref
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, get_args

import attrs

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as error:  # pragma: no cover - exercised in an environment without it
    message = (
        "residency.testing.strategies needs Hypothesis: pip install 'residency[test]' "
        "(the residency fixtures and assertion helpers work without it)"
    )
    raise ImportError(message) from error

from residency import _data
from residency.agreements import Agreement, LegalBasis
from residency.errors import ResidencyError, UnassignedLocation
from residency.locations import (
    MAX_INPUT_LENGTH,
    CountryCode,
    Location,
    alpha3,
    numeric,
    resolve_location,
)
from residency.locations import countries as all_countries
from residency.policy import Policy, default_policy

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from residency.catalog import DataCenter
    from residency.transfers import TransferDecision

__all__ = [
    "FORMS",
    "Form",
    "Transfer",
    "account_ids",
    "agreements",
    "countries",
    "data_centers",
    "locations",
    "transfers",
]

Form = Literal["alpha2", "alpha3", "numeric", "name", "translation", "subdivision", "location"]
"""An input form that :func:`~residency.resolve_location` takes."""

FORMS: Final[tuple[Form, ...]] = get_args(Form)
"""Every input form, in the order :func:`locations` tries them when it shrinks.

- ``alpha2``: the ISO 3166-1 alpha-2 code, and the codes in common use (``UK``, ``EL``);
- ``alpha3``: the alpha-3 code (``DEU``, ``XKX``);
- ``numeric``: the three-digit numeric code (``276``); Kosovo has none;
- ``name``: an English name of the country list: short, official or common, in its own case,
  upper or lower case;
- ``translation``: a key of the shipped name index (every language pycountry translates,
  exonyms, former names), as stored and in upper case;
- ``subdivision``: an ISO 3166-2 code of the country (``US-GA``), or of a territory that ISO
  3166-1 also lists as the country (``FR-NC`` for New Caledonia);
- ``location``: a :class:`~residency.Location`, with or without a subdivision.

Codes come in any mix of upper and lower case, except the few that are also a name of another
country (``NGA``, ``AO``, ``BI``, ``MY``: Vietnamese for Russia, Austria, Belgium and the United
States), which come in capitals; every str form comes with up to two white space characters
on either side.
"""

# White space that resolve_location strips; \x1c-\x1f are white space to str.strip() but are
# refused as control characters, so they are not here.
_SPACES: Final = " \t\n\r\x0b\x0c\x85\xa0\u1680\u2003\u2009\u2028\u2029\u202f\u205f\u3000"
_PADDING: Final = 2
_LONGEST: Final = MAX_INPUT_LENGTH - 2 * _PADDING

# Agreements are drawn between these instants, in these time zones (all aware).
_EARLIEST: Final = datetime(2000, 1, 1)  # noqa: DTZ001 - st.datetimes takes naive bounds
_LATEST: Final = datetime(2100, 1, 1)  # noqa: DTZ001 - st.datetimes takes naive bounds
_ZONES: Final = (
    UTC,
    timezone(timedelta(hours=1)),
    timezone(timedelta(hours=-8)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=14)),
)
# in_force_at is accepted in this span, so that windows drawn around it never overflow.
_IN_FORCE_SPAN: Final = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
_MAX_GAP: Final = timedelta(days=3660)
_TICK: Final = timedelta(microseconds=1)

_ACCOUNTS: Final = ("acme", "globex", "initech")


# --- tables, built lazily and kept ----------------------------------------------------------


@functools.cache
def _other_codes() -> Mapping[str, tuple[str, ...]]:
    """The codes outside ISO that name a country (UK, EL), by the country they name."""
    codes: dict[str, list[str]] = {}
    for code, country in _data.load_json("countries.json")["codes"].items():
        codes.setdefault(country, []).append(code)
    return {country: tuple(sorted(found)) for country, found in codes.items()}


@functools.cache
def _english_names() -> Mapping[str, tuple[str, ...]]:
    """The English short, official and common names of every country."""
    rows = _data.load_json("countries.json")["countries"]
    return {
        alpha_2: tuple(dict.fromkeys(name for name in (short, official, common) if name))
        for alpha_2, _, _, short, official, common in rows
    }


@functools.cache
def _subdivisions() -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, tuple[str, ...]]]:
    """The subdivision codes of each country, and the territory codes that name each country."""
    document = _data.load_json("subdivisions.json")
    own = {
        country: tuple(f"{country}-{suffix}" for suffix in suffixes)
        for country, suffixes in document["subdivisions"].items()
    }
    territories: dict[str, list[str]] = {}
    for code, country in document["territories"].items():
        territories.setdefault(country, []).append(code)
    return own, {country: tuple(codes) for country, codes in territories.items()}


@functools.cache
def _code_names() -> frozenset[str]:
    """The codes, in lower case, that are also a name of another country."""
    return frozenset(_data.load_json("countries.json")["code_names"])


def _candidates(country: CountryCode, form: Form) -> tuple[str | Location, ...]:  # noqa: PLR0911 - one return per form reads best
    """What could name ``country`` in ``form``, before each is checked by resolving it."""
    if form == "alpha2":
        return (country, *_other_codes().get(country, ()))
    if form == "alpha3":
        return (alpha3(country),)
    if form == "numeric":
        number = numeric(country)
        return (number,) if number is not None else ()
    if form == "name":
        names = _english_names().get(country, ())
        return tuple(dict.fromkeys(v for name in names for v in (name, name.upper(), name.lower())))
    if form == "translation":
        keys = _data.load_json("names.json")["names"].get(country, "").split("|")
        return tuple(dict.fromkeys(v for key in keys for v in (key, key.upper())))
    own, territories = _subdivisions()
    if form == "subdivision":
        return (*own.get(country, ()), *territories.get(country, ()))
    return (Location(country), *(Location(country, code) for code in own.get(country, ())))


def _names(value: str | Location, country: CountryCode) -> bool:
    """Whether ``value`` resolves to ``country`` (a Location: to itself), fit to be padded."""
    if isinstance(value, str) and len(value) > _LONGEST:
        return False
    try:
        location = resolve_location(value)
    except ResidencyError:
        return False
    return location == value if isinstance(value, Location) else location.country == country


@functools.cache
def _forms_of(country: CountryCode, form: Form) -> tuple[str | Location, ...]:
    """Every value of ``form`` that names ``country`` and nothing else, checked."""
    return tuple(value for value in _candidates(country, form) if _names(value, country))


@functools.cache
def _has(country: CountryCode, form: Form) -> bool:
    """Whether ``country`` can be written in ``form`` (stops at the first value that works)."""
    return any(_names(value, country) for value in _candidates(country, form))


_REGIONS: weakref.WeakKeyDictionary[Policy, dict[int, Mapping[str, str | None]]]
_REGIONS = weakref.WeakKeyDictionary()


def _regions_of(policy: Policy, at: datetime | None) -> Mapping[str, str | None]:
    """The region of every country under ``policy`` at ``at`` (None where unassigned)."""
    # Answers change only at the catalog's change points: one table per stretch between two.
    points = policy.assignment.change_points
    moment = datetime.now(UTC) if at is None else _aware(at, "at")
    stretch = bisect.bisect_right(points, moment)
    known = _REGIONS.setdefault(policy, {})
    table = known.get(stretch)
    if table is None:
        table = {}
        for country in all_countries():
            try:
                table[country] = policy.assign(Location(country), at=moment).region
            except UnassignedLocation:
                table[country] = None
        known[stretch] = table
    return table


def _policy(policy: Policy | None) -> Policy:
    return default_policy() if policy is None else policy


def _pool(
    region: str | None, policy: Policy | None, *, assigned: bool, at: datetime | None
) -> tuple[CountryCode, ...]:
    """The countries to draw from: all, those assigned, or those of one region."""
    if region is None and not assigned:
        return all_countries()
    if region is not None and not assigned:
        message = f"region={region!r} draws countries assigned to it; drop assigned=False"
        raise InvalidArgument(message)
    chosen = _policy(policy)
    table = _regions_of(chosen, at)
    if region is None:
        return tuple(CountryCode(c) for c, found in table.items() if found is not None)
    chosen.catalog.region(region)  # an unknown region raises UnknownRegion, naming the known
    pool = tuple(CountryCode(c) for c, found in table.items() if found == region)
    if not pool:
        message = f"catalog {chosen.catalog.id!r} assigns no country to region {region!r}"
        raise InvalidArgument(message)
    return pool


def _checked_forms(forms: Iterable[str] | str) -> tuple[Form, ...]:
    listed = (forms,) if isinstance(forms, str) else tuple(forms)
    chosen = tuple(form for form in FORMS if form in listed)
    if not listed or len(set(listed)) != len(chosen):
        message = f"forms must be a non-empty selection of {', '.join(FORMS)}, not {forms!r}"
        raise InvalidArgument(message)
    return chosen


# --- countries and locations ----------------------------------------------------------------


def countries(
    region: str | None = None,
    *,
    policy: Policy | None = None,
    assigned: bool = True,
    at: datetime | None = None,
) -> st.SearchStrategy[CountryCode]:
    """Draw ISO 3166-1 alpha-2 codes (upper case, ``XK`` included).

    With no argument, every country that the bundled catalog assigns to a region. ``region``
    keeps the countries of that region; ``policy`` asks another catalog than the bundled one;
    ``at`` (an aware datetime, now by default) is the moment that decides assignment (group
    membership carries dates); ``assigned=False`` draws every country, unassigned ones (AQ in
    the bundled catalog) included.

    Raises:
        UnknownRegion: ``region`` is not a region of the catalog.
        InvalidArgument: the region has no country, ``assigned=False`` with a region, or a
            naive ``at``.
    """
    return st.sampled_from(_pool(region, policy, assigned=assigned, at=at))


def locations(  # noqa: PLR0913 - each keyword narrows the draw
    region: str | None = None,
    *,
    forms: Form | Iterable[Form] = FORMS,
    policy: Policy | None = None,
    assigned: bool = True,
    at: datetime | None = None,
    country: str | None = None,
) -> st.SearchStrategy[str | Location]:
    """Draw inputs that :func:`~residency.resolve_location` resolves, in every form it takes.

    Each draw is a country (as :func:`countries` draws them: ``region``, ``policy``,
    ``assigned`` and ``at`` narrow it the same way, or ``country`` fixes it) written in one of
    ``forms`` (see :data:`FORMS`): codes in any case, names, translations, subdivision codes,
    :class:`~residency.Location` values, str forms with surrounding white space. Every value
    drawn resolves to its country; translations that fit several countries are never drawn.

    Raises:
        UnknownRegion: ``region`` is not a region of the catalog.
        LocationError: ``country`` names no single country.
        InvalidArgument: ``forms`` is empty or unknown, or no country can be written in them.
    """
    chosen = _checked_forms(forms)
    if country is not None:
        pool: tuple[CountryCode, ...] = (resolve_location(country).country,)
    else:
        pool = _pool(region, policy, assigned=assigned, at=at)
    pool = tuple(code for code in pool if any(_has(code, form) for form in chosen))
    if not pool:
        message = f"no country to draw can be written in the forms {', '.join(chosen)}"
        raise InvalidArgument(message)
    return _location(pool, chosen)


@st.composite
def _location(
    draw: st.DrawFn, pool: tuple[CountryCode, ...], forms: tuple[Form, ...]
) -> str | Location:
    country = draw(st.sampled_from(pool))
    form = draw(st.sampled_from([form for form in forms if _has(country, form)]))
    value = draw(st.sampled_from(_forms_of(country, form)))
    if isinstance(value, Location):
        return value
    if form in {"alpha2", "alpha3", "subdivision"} and value.casefold() not in _code_names():
        # Codes are ASCII and resolved upper-cased: any mix of case names the same place,
        # except for the few codes that are also a name of another country (Vietnamese Nga
        # is Russia), which are that code only in capitals.
        lower = draw(st.integers(0, 2 ** len(value) - 1))
        value = "".join(
            char.lower() if lower >> index & 1 else char for index, char in enumerate(value)
        )
    before = draw(st.text(alphabet=_SPACES, max_size=_PADDING))
    after = draw(st.text(alphabet=_SPACES, max_size=_PADDING))
    return f"{before}{value}{after}"


def data_centers(
    region: str | None = None, *, policy: Policy | None = None
) -> st.SearchStrategy[DataCenter]:
    """Draw data centers of the bundled catalog (or of ``policy``'s), of ``region`` if given.

    Raises:
        UnknownRegion: ``region`` is not a region of the catalog.
    """
    catalog = _policy(policy).catalog
    if region is None:
        return st.sampled_from(catalog.data_centers)
    return st.sampled_from(catalog.data_centers_in(region))


# --- agreements ------------------------------------------------------------------------------


_STORABLE: Final = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
"""Any character an agreement store keeps as it is: all but NUL and unpaired surrogates."""


def account_ids() -> st.SearchStrategy[str]:
    """Draw account ids: often one of a few (``acme``, ``globex``, ``initech``), else any text.

    The text is any an agreement may hold (no NUL, no unpaired surrogate).
    """
    return st.sampled_from(_ACCOUNTS) | st.text(_STORABLE, min_size=1, max_size=40)


def _instants() -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=_EARLIEST, max_value=_LATEST, timezones=st.just(UTC))


def _gaps(*, at_least: timedelta = timedelta(0)) -> st.SearchStrategy[timedelta]:
    # Shrinks towards the smallest gap, where the boundaries of a window are.
    return st.timedeltas(min_value=at_least, max_value=_MAX_GAP)


@attrs.frozen
class _Window:
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None


def _optional(
    draw: st.DrawFn, start: datetime, *, at_least: timedelta = timedelta(0)
) -> datetime | None:
    if draw(st.booleans()):
        return None
    return start + draw(_gaps(at_least=at_least))


def _window(draw: st.DrawFn, at: datetime | None, *, in_force: bool) -> _Window:
    """A valid window: in force at ``at`` or not (for one drawn reason), or any if no ``at``."""
    if at is None:
        start = draw(_instants())
        return _Window(start, _optional(draw, start, at_least=_TICK), _optional(draw, start))
    if in_force:
        return _Window(
            at - draw(_gaps()),
            _optional(draw, at, at_least=_TICK),
            _optional(draw, at, at_least=_TICK),
        )
    reason = draw(st.sampled_from(("not-yet", "ended", "revoked")))
    if reason == "not-yet":
        start = at + draw(_gaps(at_least=_TICK))
        return _Window(start, _optional(draw, start, at_least=_TICK), _optional(draw, start))
    if reason == "ended":
        until = at - draw(_gaps())
        start = until - draw(_gaps(at_least=_TICK))
        return _Window(start, until, _optional(draw, start))
    revoked = at - draw(_gaps())
    start = revoked - draw(_gaps())
    return _Window(start, _optional(draw, start, at_least=_TICK), revoked)


def _zoned(draw: st.DrawFn, moment: datetime | None) -> datetime | None:
    """The same instant, in a drawn time zone: residency compares instants, not wall clocks."""
    return None if moment is None else moment.astimezone(draw(st.sampled_from(_ZONES)))


@st.composite
def _agreement(  # noqa: PLR0913 - the parts of an agreement, each drawn from its own strategy
    draw: st.DrawFn,
    ids: st.SearchStrategy[str],
    accounts: st.SearchStrategy[str],
    destinations: st.SearchStrategy[frozenset[str]],
    at: datetime | None,
    in_force: st.SearchStrategy[bool],
) -> Agreement:
    window = _window(draw, at, in_force=draw(in_force))
    valid_from = _zoned(draw, window.valid_from)
    assert valid_from is not None  # noqa: S101 - a window always starts
    return Agreement(
        id=draw(ids),
        account_id=draw(accounts),
        destinations=draw(destinations),
        valid_from=valid_from,
        valid_until=_zoned(draw, window.valid_until),
        revoked_at=_zoned(draw, window.revoked_at),
        basis=draw(st.sampled_from(LegalBasis)),
        reference=draw(st.text(_STORABLE, max_size=40)),
    )


def _destination_sets(policy: Policy) -> st.SearchStrategy[frozenset[str]]:
    catalog = policy.catalog
    known = sorted(
        {region.id for region in catalog.regions} | {dc.id for dc in catalog.data_centers}
    )
    return st.frozensets(st.sampled_from(known), min_size=1, max_size=3)


def _aware(at: object, name: str) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        message = f"{name} must be an aware datetime, not {at!r}"
        raise InvalidArgument(message)
    return at


def _aware_in_span(at: object, name: str) -> datetime:
    moment = _aware(at, name)
    low, high = _IN_FORCE_SPAN
    if not low <= moment <= high:
        message = f"{name} must lie between {low:%Y} and {high:%Y}, not {moment.isoformat()}"
        raise InvalidArgument(message)
    return moment


def agreements(  # noqa: PLR0913 - each keyword narrows the draw
    *,
    account_id: str | st.SearchStrategy[str] | None = None,
    destinations: str | Iterable[str] | st.SearchStrategy[frozenset[str]] | None = None,
    in_force_at: datetime | None = None,
    in_force: bool | None = None,
    policy: Policy | None = None,
    ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Agreement]:
    """Draw valid :class:`~residency.Agreement` values, with aware times in several zones.

    - ``account_id``: an id or a strategy of ids; by default :func:`account_ids`.
    - ``destinations``: a region or data center id, an iterable of them, or a strategy of
      frozensets; by default one to three of the catalog's regions and data centers.
    - ``in_force_at``: a moment (aware, between 1900 and 2200): the agreements drawn are in
      force then; with ``in_force=False`` they are not (not yet started, ended, or revoked,
      with every boundary drawn: ``valid_from`` is inclusive, the others exclusive). Without
      it, any valid window between 2000 and 2100.
    - ``policy``: the catalog the default destinations come from (the bundled one by default).
    - ``ids``: a strategy of agreement ids; by default ``agreement-<n>``. Ids are not unique
      across draws: draw lists with ``st.lists(agreements(), unique_by=lambda a: a.id)``.

    Raises:
        InvalidArgument: ``in_force`` without ``in_force_at``, a naive or far-off
            ``in_force_at``, or no destination.
    """
    if in_force is not None and in_force_at is None:
        message = "in_force needs in_force_at: the moment the agreement is, or is not, in force"
        raise InvalidArgument(message)
    at = None if in_force_at is None else _aware_in_span(in_force_at, "in_force_at")
    if account_id is None:
        accounts = account_ids()
    else:
        accounts = account_id if isinstance(account_id, st.SearchStrategy) else st.just(account_id)
    if destinations is None:
        places = _destination_sets(_policy(policy))
    elif isinstance(destinations, st.SearchStrategy):
        places = destinations
    else:
        fixed = frozenset((destinations,) if isinstance(destinations, str) else destinations)
        if not fixed:
            message = "destinations must name at least one region or data center"
            raise InvalidArgument(message)
        places = st.just(fixed)
    return _agreement(
        ids=ids if ids is not None else st.integers(1, 9999).map("agreement-{}".format),
        accounts=accounts,
        destinations=places,
        at=at,
        in_force=st.just(in_force is not False),
    )


# --- transfers -------------------------------------------------------------------------------


class Transfer(NamedTuple):
    """A transfer question: the arguments of :meth:`~residency.Policy.check_transfer`."""

    location: str | Location
    """The customer's location, in any input form."""
    source: str
    """The id of the data center the data is in."""
    target: str
    """The id of the data center it would move to."""
    account_id: str | None
    """The customer's account, or None."""
    agreements: tuple[Agreement, ...]
    """Agreements to consider, of this account and of others; ids are unique."""

    def check(self, policy: Policy, *, at: datetime | None = None) -> TransferDecision:
        """Ask ``policy`` whether this transfer is allowed at ``at``."""
        return policy.check_transfer(
            self.location,
            self.source,
            self.target,
            account_id=self.account_id,
            agreements=self.agreements,
            at=at,
        )


def transfers(  # noqa: PLR0913 - each keyword narrows the draw
    region: str | None = None,
    *,
    policy: Policy | None = None,
    at: datetime | None = None,
    account_id: str | st.SearchStrategy[str | None] | None = None,
    cross_region: bool | None = None,
    forms: Form | Iterable[Form] = FORMS,
    max_agreements: int = 4,
) -> st.SearchStrategy[Transfer]:
    """Draw :class:`Transfer` tuples: (location, source, target, account_id, agreements).

    - ``region``: the customer's home region (any by default); ``forms``: the location's input
      forms, as for :func:`locations`.
    - ``policy``: the catalog the places come from (the bundled one by default).
    - ``at``: a moment (aware): the agreements drawn are a mix of in force and not in force
      then, most with windows that start or end close to it; without it, any windows.
      Pass the same ``at`` to :meth:`Transfer.check`.
    - ``account_id``: an id, or a strategy of ids or None; by default no account or one of
      :func:`account_ids`.
    - ``cross_region``: True for targets outside the home region only, False for targets in
      it only; by default both.
    - ``max_agreements``: at most this many agreements, of the account and of others, many of
      them naming the target's region or the target itself.

    Raises:
        UnknownRegion: ``region`` is not a region of the catalog.
        InvalidArgument: ``cross_region=True`` with a catalog of one region, or a bad ``at``.
    """
    chosen = _policy(policy)
    if cross_region and len(chosen.catalog.regions) < 2:
        message = f"catalog {chosen.catalog.id!r} has one region: no transfer crosses regions"
        raise InvalidArgument(message)
    if at is not None:
        _aware_in_span(at, "at")
    if account_id is None:
        accounts: st.SearchStrategy[str | None] = st.none() | account_ids()
    elif isinstance(account_id, st.SearchStrategy):
        accounts = account_id
    else:
        accounts = st.just(account_id)
    return _transfer(
        locations(region, forms=forms, policy=chosen, at=at),
        chosen,
        at,
        accounts,
        cross_region,
        max_agreements,
    )


@st.composite
def _transfer(  # noqa: PLR0913 - what a transfer is drawn from
    draw: st.DrawFn,
    homes: st.SearchStrategy[str | Location],
    policy: Policy,
    at: datetime | None,
    accounts: st.SearchStrategy[str | None],
    cross_region: bool | None,
    max_agreements: int,
) -> Transfer:
    location = draw(homes)
    home = policy.assign(location, at=at).region
    every = policy.catalog.data_centers
    source = draw(st.sampled_from(every))
    inside = tuple(dc for dc in every if dc.region == home)
    outside = tuple(dc for dc in every if dc.region != home)
    crossing = cross_region if cross_region is not None else bool(outside) and draw(st.booleans())
    target = draw(st.sampled_from(outside if crossing else inside))
    account = draw(accounts)
    owners = st.sampled_from((account, "someone-else")) if account else account_ids()
    near = st.sampled_from((target.region, target.id))
    places = _destination_sets(policy)
    drawn = draw(
        st.lists(
            _agreement(
                ids=st.just("agreement"),  # numbered below, so that ids are unique
                accounts=owners,
                destinations=st.one_of(
                    places, st.tuples(places, near).map(lambda both: both[0] | {both[1]})
                ),
                at=at,
                in_force=st.booleans(),
            ),
            max_size=max_agreements,
        )
    )
    numbered = tuple(
        attrs.evolve(agreement, id=f"agreement-{number}")
        for number, agreement in enumerate(drawn, start=1)
    )
    return Transfer(location, source.id, target.id, account, numbered)
