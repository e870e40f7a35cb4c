"""The policy: one catalog, asked where data lives.

:class:`Policy` is the facade that ties locations, rules and placement together. Build one
over the bundled catalog with :func:`default_policy`, or over a catalog file with
:func:`load_policy`.

>>> from residency import default_policy
>>> policy = default_policy()
>>> placement = policy.assign("Hoa Kỳ")
>>> placement.region, placement.rule.id, placement.primary.id
('US', 'us', 'linode-us')
"""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from residency import _data
from residency._cache import RecentCache
from residency._mode import Mode
from residency._rank import Ranker
from residency._text import shown
from residency._time import aware, from_micros, micros
from residency.catalog import Catalog, build_catalog
from residency.errors import (
    CatalogError,
    InvalidAccount,
    InvalidAgreement,
    InvalidConstraint,
    LocationError,
    Problem,
    ResidencyError,
    TransferDenied,
    UnassignedLocation,
)
from residency.groups import build_groups, bundled_groups
from residency.locations import CountryCode, Location, countries, resolve_location
from residency.placement import Constraint, Placement
from residency.rules import Assignment, Segment

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Mapping

    from residency.access import Access
    from residency.agreements import Agreement, AgreementIndex
    from residency.catalog import DataCenter, Rule
    from residency.groups import Group
    from residency.migration import AuditReport, MigrationPlan
    from residency.store import AgreementStore
    from residency.transfers import TransferDecision

__all__ = ["Policy", "default_policy", "load_policy"]

_INFO = 20  # logging.INFO, without importing logging
_NEVER = 1 << 80  # microseconds past any clock: the end of a segment that does not end
_time_ns = time.time_ns

_REUSABLE: set[type] = {tuple, list}
"""The kinds of ``agreements=`` seen to be no iterator, which a check may read again."""

PLACEMENT_CACHE_SIZE = 32_768
"""How many distinct raw inputs a policy remembers per time segment, least recently used out.

The same size as :data:`residency.locations.CACHE_SIZE`, for the same reason: a country
column has a few hundred distinct values, a customer base a few thousand spellings, and an
input past the limit evicts only what went unused longest (two generations of half this
size, see :mod:`residency._cache`), never the cache wholesale.
"""

CATALOG_LIMIT = 8 * 1024 * 1024
"""The largest catalog file read: the bundled one is 16 KB, and parsing is bounded in memory."""

_PLAIN_KEYS = frozenset({str, Location})
"""The types of raw input a policy caches: their hashing and equality are residency's own."""

ACCOUNT_CACHE_SIZE = 16_384
"""How many accounts a policy remembers the placement of, per time segment (two generations
of this size, least recently used out): an account asked again costs a dict lookup."""
ACCESS_CACHE_SIZE = 1_024
"""How many answers of who_can_access a policy keeps per time segment (two generations): one
per placement and list of consents asked about, a few hundred in practice."""
ORDER_CACHE_SIZE = 4_096
"""How many placements in an account's order a policy keeps per time segment (two
generations), so that accounts of one location and order share one: a region of three data
centers has six orders, one of nine has 362,880, and the cache stays bounded either way."""
MOVE_CACHE_SIZE = 4_096
"""How many moves check_transfer remembers per time segment (two generations): a location,
as given, with the two data center ids, as given; a few locations times a few pairs of data
centers in practice."""


class _View:
    """What a policy knows for one time segment: its rules, and the answers given so far."""

    __slots__ = (
        "access",
        "accounts",
        "expires",
        "moves",
        "orders",
        "placed",
        "segment",
        "until",
    )

    def __init__(self, segment: Segment, place: Callable[[_View, object], Placement]) -> None:
        self.segment = segment
        # The end of the segment, as the clock is read: a float timestamp, integer micros.
        self.expires = segment.end.timestamp() if segment.end else float("inf")
        self.until = micros(segment.end) if segment.end else _NEVER
        # By raw input; the key is a plain str or a Location only (the callers check), so no
        # str subclass's __hash__ or __eq__ ever decides a lookup. A hit is one dict lookup.
        self.placed: RecentCache[object, Placement] = RecentCache(
            PLACEMENT_CACHE_SIZE // 2, functools.partial(place, self)
        )
        # By account id: the text the account was last asked with (a plain str, else None),
        # the placement it named, and that placement in the account's order.
        self.accounts: RecentCache[str, tuple[str | None, Placement, Placement]] = RecentCache(
            ACCOUNT_CACHE_SIZE, _never
        )
        # By (id of a placement, order): that placement, and the same in that order. The
        # placement is held beside it, so its id cannot pass to another object while the
        # entry lives; a hit still checks that it is the same placement.
        self.orders: RecentCache[tuple[int, tuple[int, ...]], tuple[Placement, Placement]] = (
            RecentCache(ORDER_CACHE_SIZE, _never)
        )
        # By (id of a placement, consents), or the id alone for no consents: that placement,
        # and who can access its data.
        self.access: RecentCache[int | tuple[int, tuple[str, ...]], tuple[Placement, Access]] = (
            RecentCache(ACCESS_CACHE_SIZE, _never)
        )
        # By (location, source, target), three plain str as check_transfer was given them:
        # the placement and the two data centers they name, and for a move within the home
        # region from inside it the fields its decisions share (for now, for an ``at``).
        self.moves: RecentCache[tuple[str, str, str], _Move] = RecentCache(MOVE_CACHE_SIZE, _never)


_Move = tuple[
    "Placement", "DataCenter", "DataCenter", "tuple[dict[str, Any], dict[str, Any]] | None"
]
"""A move check_transfer was asked about: see ``_View.moves``."""


def _never(key: object) -> Any:  # noqa: ANN401 - never returns
    """The compute of a cache filled only by ``put``."""
    raise KeyError(key)


class Policy:
    """A catalog ready to answer: where data lives, and in which data centers."""

    def __init__(self, catalog: Catalog, *, mode: Mode | str = Mode.ENFORCE) -> None:
        """Prepare ``catalog``, which must be complete and checked (see :func:`load_policy`).

        ``mode`` says what :meth:`enforce_transfer` does with a denial: ``"enforce"`` raises
        :class:`~residency.errors.TransferDenied`, ``"audit"`` logs it and lets it through.
        """
        self.catalog = catalog
        """The catalog this policy answers from."""
        self.mode = Mode(mode)
        """What :meth:`enforce_transfer` does with a denial."""
        self.assignment = Assignment(catalog.rules, catalog.groups, countries())
        """The catalog's rules, evaluated over time."""
        self._unassigned = {entry.country: entry.reason for entry in catalog.unassigned}
        self._rankers = {
            region.id: Ranker(catalog.data_centers_in(region.id)) for region in catalog.regions
        }
        self._destinations = frozenset(self._rankers) | {dc.id for dc in catalog.data_centers}
        self._by_id = {dc.id: dc for dc in catalog.data_centers}  # a plain dict: one lookup
        self._views: dict[int, _View] = {}
        self._now: _View | None = None
        # The view of the present once the present lies in a segment without an end: from
        # then on every moment does, so a call for now need not read the clock.
        self._forever: _View | None = None

    def __repr__(self) -> str:
        return f"<Policy catalog={self.catalog.id!r} mode={self.mode.value!r}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # A policy travels (to Spark or Dask workers) as its catalog and mode; the caches and
        # the time segments are rebuilt where it lands.
        return (Policy, (self.catalog,), {"mode": self.mode})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.mode = Mode(state["mode"])

    def with_mode(self, mode: Mode | str) -> Policy:
        """Return a policy over the same catalog in ``mode`` (``"enforce"`` or ``"audit"``).

        The new policy shares the catalog (an immutable value) and nothing else: its caches
        and time segments are its own.
        """
        return Policy(self.catalog, mode=mode)

    # --- time -------------------------------------------------------------------------------

    def _view(self, at: object) -> _View:
        if at is None:
            view = self._now
            if view is not None and time.time() < view.expires:
                return view
            return self._present(datetime.now(UTC))
        return self._view_at(aware(at, "at"))

    def _present(self, now: datetime) -> _View:
        """The view of ``now``, the clock just read, remembered as the present's."""
        view = self._now = self._view_at(now)
        if view.segment.end is None:
            self._forever = view
        return view

    def _view_at(self, at: datetime) -> _View:
        segment = self.assignment.segment_at(at)
        key = id(segment)
        view = self._views.get(key)
        if view is None or view.segment is not segment:
            view = self._views[key] = _View(segment, self._resolved)
        return view

    # --- assignment -------------------------------------------------------------------------

    def assign(
        self,
        location: object,
        *,
        account_id: str | None = None,
        at: datetime | None = None,
        constraint: Constraint | None = None,
    ) -> Placement:
        """Return where the data of a customer at ``location`` lives.

        ``location`` is a :class:`~residency.locations.Location` or anything
        :func:`~residency.resolve_location` takes. With ``account_id`` the data centers come in
        that account's stable order; ``at`` (an aware datetime, now by default) is the moment the
        answer is for; ``constraint`` keeps only the data centers that meet it.

        Raises:
            LocationError: ``location`` is invalid, unknown, ambiguous or unassigned.
            InvalidTime: ``at`` is naive or not a datetime.
            NoEligibleDataCenter: no data center of the region meets ``constraint``.
        """
        view = self._forever  # the hot path, inlined: now, a plain str, an account seen lately
        if view is None or at is not None:
            view = self._now
            if at is not None or view is None or time.time() >= view.expires:
                view = self._view(at)
        if account_id is None:
            if location.__class__ is str:
                placement = view.placed.current.get(location) or view.placed.get(location)
            else:
                placement = self._placed(view, location)
        else:
            hit = view.accounts.current.get(account_id) if account_id.__class__ is str else None
            if location.__class__ is str:
                if hit is not None and hit[0] == location and constraint is None:
                    return hit[2]  # the account asked again with the same text (str == str)
                placement = view.placed.current.get(location) or view.placed.get(location)
            else:
                placement = self._placed(view, location)
            if hit is not None and hit[1] is placement:
                placement = hit[2]  # the same place, asked with other text
            else:
                placement = self._ordered(view, placement, account_id, location)
        if constraint is not None:
            self._check_constraint(constraint)
            kept = constraint.apply(placement.region, placement.data_centers)
            placement = Placement(
                placement.location, placement.region, kept, placement.rule, placement.catalog
            )
        return placement

    def _check_constraint(self, constraint: Constraint) -> None:
        """Refuse a constraint that names what the catalog does not hold: a typo, not a miss."""
        catalog = self.catalog
        unknown = {
            "providers": constraint.providers - {provider.id for provider in catalog.providers},
            "certifications": constraint.certifications
            - {name for dc in catalog.data_centers for name in dc.certifications},
            "jurisdictions": constraint.jurisdictions - set(countries()),
        }
        unknown = {field: names for field, names in unknown.items() if names}
        if unknown:
            listed = "; ".join(
                f"{field} {', '.join(sorted(names))}" for field, names in unknown.items()
            )
            message = f"the constraint names what catalog {catalog.id!r} does not hold: {listed}"
            raise InvalidConstraint(message, unknown=unknown, catalog=catalog.id)

    def _placed(self, view: _View, location: object) -> Placement:
        """The placement of ``location`` without an account, remembered by its raw input."""
        if location.__class__ is str or location.__class__ is Location:
            return view.placed.get(location)
        return self._place(view, resolve_location(location))  # a str subclass: never cached

    def _resolved(self, view: _View, location: object) -> Placement:
        """Place a raw input the cache has not seen: by its Location, itself cached."""
        if location.__class__ is Location:
            return self._place(view, resolve_location(location))
        return view.placed.get(resolve_location(location))  # spellings of one place share it

    def _place(self, view: _View, location: Location) -> Placement:
        rule = self._rule(view.segment, location)
        return Placement(
            location=location,
            region=rule.region,
            data_centers=self.catalog.data_centers_in(rule.region),
            rule=rule,
            catalog=self.catalog.id,
        )

    def _rule(self, segment: Segment, location: Location) -> Rule:
        rule = segment.rules.get(location.country)
        if rule is not None:
            return rule
        reason = self._unassigned.get(location.country, "no rule of the catalog covers it")
        message = (
            f"{location.country} is not assigned to any region by catalog "
            f"{self.catalog.id!r}: {reason}"
        )
        raise UnassignedLocation(
            message, value=location, country=location.country, catalog=self.catalog.id
        )

    def _ordered(
        self, view: _View, placement: Placement, account_id: object, location: object
    ) -> Placement:
        """``placement`` in the order of ``account_id``, remembered for the account.

        :meth:`assign` calls this when the current generation of the account cache has no
        answer for the account at ``placement``; ``location`` is what it was asked with. The
        caches' lookups are spelled out (a hit in the previous generation moves into the
        current one, as :class:`~residency._cache.RecentCache` does): this runs for every
        account a program has not asked about lately.
        """
        if account_id.__class__ is not str or not account_id:
            raise InvalidAccount(account_id)
        account: str = account_id  # type: ignore[assignment]
        accounts = view.accounts
        hit = accounts.previous.pop(account, None)  # assign found no use of it in the current
        shared: tuple[Placement, Placement] | None
        if hit is not None and hit[1] is placement:
            shared = hit[1], hit[2]
        else:
            order = self._rankers[placement.region].order(account)
            key = (id(placement), order)
            orders = view.orders
            shared = orders.current.get(key)
            if shared is None or shared[0] is not placement:
                shared = orders.previous.pop(key, None)
                if shared is None or shared[0] is not placement:
                    base = placement.data_centers
                    ordered = Placement(
                        placement.location,
                        placement.region,
                        tuple(map(base.__getitem__, order)),  # no closure: no cell per call
                        placement.rule,
                        placement.catalog,
                    )
                    shared = (placement, ordered)
                orders.put(key, shared)  # (placement, ordered): one pair serves many accounts
        current = accounts.current
        if len(current) >= accounts.size:
            accounts.previous = current
            current = accounts.current = {}
        placed, ordered = shared
        text: str | None = location if location.__class__ is str else None  # type: ignore[assignment]
        current[account] = (text, placed, ordered)
        return ordered

    @overload
    def assign_many(
        self,
        locations: Iterable[object],
        *,
        account_ids: Iterable[str] | None = None,
        at: datetime | None = None,
        errors: Literal["raise"] = "raise",
    ) -> list[Placement]: ...

    @overload
    def assign_many(
        self,
        locations: Iterable[object],
        *,
        account_ids: Iterable[str] | None = None,
        at: datetime | None = None,
        errors: Literal["return"],
    ) -> list[Placement | ResidencyError]: ...

    def assign_many(
        self,
        locations: Iterable[object],
        *,
        account_ids: Iterable[str] | None = None,
        at: datetime | None = None,
        errors: Literal["raise", "return"] = "raise",
    ) -> list[Placement] | list[Placement | ResidencyError]:
        """Return one placement per location, for large batches.

        Each distinct location is resolved once; repeated ones (a country column has a few
        hundred distinct values) cost a dict lookup each. ``account_ids``, when given, runs
        parallel to ``locations``: one account per location, and exactly as many
        (``ValueError`` otherwise). With ``errors="raise"`` the first bad row raises its
        error; with ``errors="return"`` a bad row's slot holds its error (a
        :class:`~residency.errors.LocationError` or
        :class:`~residency.errors.InvalidAccount`) and every other row its placement.

        >>> rows = default_policy().assign_many(["DE", "Atlantis", "JP"], errors="return")
        >>> [getattr(row, "region", type(row).__name__) for row in rows]
        ['EU', 'UnknownLocation', 'APAC']
        """
        if errors not in {"raise", "return"}:
            message = f"errors is 'raise' or 'return', not {shown(errors)}"
            raise ValueError(message)
        view = self._view(at)
        values = locations if isinstance(locations, list | tuple) else list(locations)
        placements = self._place_batch(view, values, keep=errors == "return")
        if account_ids is None:
            return placements
        ordered = self._ordered
        if errors == "raise":
            return [
                ordered(view, placement, account_id, location)  # type: ignore[arg-type]
                for placement, account_id, location in zip(
                    placements, account_ids, values, strict=True
                )
            ]
        answers: list[Placement | ResidencyError] = []
        for placement, account_id, location in zip(placements, account_ids, values, strict=True):
            answer = placement
            if isinstance(placement, Placement):
                try:
                    answer = ordered(view, placement, account_id, location)
                except InvalidAccount as error:
                    answer = error  # the row's answer is its error
            answers.append(answer)
        return answers

    def _place_batch(
        self, view: _View, values: list[object] | tuple[object, ...], *, keep: bool
    ) -> list[Placement | ResidencyError]:
        """Place each distinct value once; ``keep`` keeps a bad value's error in its slots."""
        if not set(map(type, values)) <= _PLAIN_KEYS:
            # A str subclass (or anything else) is placed row by row: its own __hash__ and
            # __eq__ must not decide which rows share an answer.
            return [self._answer(view, value, keep=keep) for value in values]
        try:  # every value a plain str or Location, every one seen lately: one map in C
            return list(map(view.placed.current.__getitem__, values))
        except KeyError:
            pass
        distinct: dict[object, Placement | ResidencyError | None] = dict.fromkeys(values)
        for value in distinct:
            distinct[value] = self._answer(view, value, keep=keep)
        return list(map(distinct.__getitem__, values))  # type: ignore[arg-type]

    def _answer(self, view: _View, value: object, *, keep: bool) -> Placement | ResidencyError:
        if not keep:
            return self._placed(view, value)
        try:
            # Resolved first, outside the cache: a bad row's error then unwinds two frames,
            # not six, which is most of what a bad row costs.
            resolve_location(value)
        except LocationError as error:
            # Kept, the error must not keep the frames of its traceback alive: a million bad
            # rows would hold a million stacks and make every garbage collection crawl.
            return error.with_traceback(None)
        try:
            return self._placed(view, value)  # resolving again hits the resolution cache
        except LocationError as error:  # unassigned: the country resolves, no rule takes it
            return error.with_traceback(None)

    def rules_at(self, at: datetime | None = None) -> Mapping[str, Rule]:
        """Return the deciding rule of every country some rule covers at ``at`` (now by default).

        >>> default_policy().rules_at()["DE"].id
        'eu-eea'
        """
        return self._view(at).segment.rules

    def region_of(self, location: object, *, at: datetime | None = None) -> str:
        """Return the id of the region ``location`` is assigned to."""
        return self.assign(location, at=at).region

    def data_center(self, data_center_id: object) -> DataCenter:
        """Return the catalog's data center ``data_center_id``, or raise ``UnknownDataCenter``."""
        return self.catalog.data_center(data_center_id)

    # --- access -----------------------------------------------------------------------------

    def who_can_access(  # noqa: C901 - the hot path, spelled out
        self, location: object, *, consents: Iterable[str] = (), at: datetime | None = None
    ) -> Access:
        """Return who can access the data of a customer at ``location``, and on what condition.

        The region's data centers with their providers, the service sub-processors (marked
        where they sit, or may sit, outside the region), and the support sub-processors only
        where ``consents`` (sub-processor ids or kinds, such as ``"support"``) grants it.

        Raises:
            LocationError: ``location`` is invalid, unknown, ambiguous or unassigned.
            UnknownConsent: a consent names no sub-processor id or kind of the catalog.
        """
        view = self._forever  # the hot path, inlined: now, a plain str, consents seen lately
        if view is None or at is not None:
            view = self._now
            if at is not None or view is None or time.time() >= view.expires:
                view = self._view(at)
        if location.__class__ is str:
            placement = view.placed.current.get(location) or view.placed.get(location)
        else:
            placement = self._placed(view, location)
        # Remembered by placement and consents: a plain tuple or list of plain str only, so
        # that no iterator is drained and no subclass's __eq__ decides a lookup. No consents
        # (the default) is keyed by the placement alone, an int no tuple key can equal.
        key: int | tuple[int, tuple[str, ...]] | None = None
        if consents.__class__ is tuple and not consents:
            key = id(placement)
        elif consents.__class__ is tuple or consents.__class__ is list:
            named: tuple[str, ...] = (
                consents if consents.__class__ is tuple else tuple(consents)  # type: ignore[assignment]
            )
            if all(name.__class__ is str for name in named):
                key = (id(placement), named)
        if key is not None:
            hit = view.access.current.get(key)
            if hit is not None and hit[0] is placement:
                return hit[1]

        def region_of(country: str) -> str | None:
            try:
                return self._rule(view.segment, Location(CountryCode(country))).region
            except UnassignedLocation:
                return None

        from residency.access import who_can_access  # noqa: PLC0415 - on a miss only: see _DECIDE

        access = who_can_access(self.catalog, placement, consents=consents, region_of=region_of)
        if key is not None:
            view.access.put(key, (placement, access))
        return access

    # --- transfers --------------------------------------------------------------------------

    def check_transfer(  # noqa: PLR0913 - the contract's signature
        self,
        location: object,
        source: str,
        target: str,
        *,
        account_id: str | None = None,
        agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
        at: datetime | None = None,
    ) -> TransferDecision:
        """Decide whether a customer's data may move from data center ``source`` to ``target``.

        Moving to a data center of the customer's home region is allowed; moving elsewhere only
        under an agreement of ``account_id`` that covers the target (its region or the data
        center) and is in force at ``at`` (an aware datetime; now by default). ``agreements``
        is an :class:`~residency.agreements.AgreementIndex` (fast for many) or any iterable.

        Raises:
            LocationError: ``location`` is invalid, unknown, ambiguous or unassigned.
            UnknownDataCenter: ``source`` or ``target`` is not a data center of the catalog.
            InvalidAgreement: an agreement of the account names a place the catalog lacks.
            InvalidTime: ``at`` is naive or not a datetime.
        """
        decision = self._decided(location, source, target, account_id, agreements, at)
        if (_LOGGER or _decisions()).isEnabledFor(_INFO):
            (_EMIT or _machinery()[1])(decision, mode=self.mode)
        return decision

    def _decided(  # noqa: PLR0913 - the inputs of a decision
        self,
        location: object,
        source: str,
        target: str,
        account_id: str | None,
        agreements: AgreementIndex | AgreementStore | Iterable[Agreement],
        at: datetime | None,
    ) -> TransferDecision:
        """The decision of check_transfer, not yet logged."""
        when: datetime | int
        if at is None:
            when = _time_ns() // 1000  # now, in microseconds: as datetime.now(UTC) reads it
            view = self._now
            if view is None or when >= view.until:
                view = self._present(from_micros(when))
        else:
            when = aware(at, "at")
            view = self._view_at(when)
        # The move as given, three plain str, keys the moves of the view (no str subclass's
        # __hash__ or __eq__ decides); the errors come in the same order either way.
        key: tuple[str, str, str] | None = None
        move: _Move | None = None
        if location.__class__ is str and source.__class__ is str and target.__class__ is str:
            key = (location, source, target)  # type: ignore[assignment]
            move = view.moves.current.get(key)  # type: ignore[arg-type]
        if move is None:
            placement = self._placed(view, location)  # a location error comes first
        if account_id is not None and (account_id.__class__ is not str or not account_id):
            raise InvalidAccount(account_id)
        if agreements.__class__ not in _REUSABLE:
            _refuse_iterators(agreements)
        if move is None:
            move = self._move(view, key, placement, source, target)
        placement, source_dc, target_dc, fields = move
        # Read as a checked index only once its class says it is one.
        index: AgreementIndex = agreements  # type: ignore[assignment]
        if fields is not None and (
            account_id is None
            or (index.__class__ is _INDEX and index.checked_against is self._destinations)
        ):
            # Within the home region from inside it, no agreement can change the answer: the
            # decision is the move's shared fields and its own two, as _fast.decide builds it
            # (tests/test_fast.py pins the two equal).
            made = _new(_DECISION)  # type: ignore[arg-type]
            held = made.__dict__
            if at is None:
                held.update(fields[0])
                held[_AT_MICROS] = when
            else:
                held.update(fields[1])
                held["at"] = when
            held["account_id"] = account_id
            return made
        return _DECIDE(  # type: ignore[misc]
            placement, source_dc, target_dc, account_id, agreements, when, self._destinations
        )

    def _move(
        self,
        view: _View,
        key: tuple[str, str, str] | None,
        placement: Placement,
        source: str,
        target: str,
    ) -> _Move:
        """The move from ``source`` to ``target`` for ``placement``, remembered by ``key``."""
        source_dc, target_dc = self._data_center(source), self._data_center(target)
        if _DECIDE is None:
            _machinery()
        fields = None
        if source_dc.region == placement.region and target_dc.region == placement.region:
            fields = _IN_REGION_FIELDS(placement, source_dc, target_dc)  # type: ignore[misc]
        move = (placement, source_dc, target_dc, fields)
        if key is not None:
            view.moves.put(key, move)
        return move

    def _data_center(self, data_center_id: object) -> DataCenter:
        """The data center of an id: an exact one by one lookup, the catalog's method for others."""
        if data_center_id.__class__ is str:
            found: DataCenter | None = self._by_id.get(data_center_id)  # type: ignore[call-overload]
            if found is not None:
                return found
        return self.catalog.data_center(data_center_id)

    def enforce_transfer(  # noqa: PLR0913 - the contract's signature
        self,
        location: object,
        source: str,
        target: str,
        *,
        account_id: str | None = None,
        agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
        at: datetime | None = None,
    ) -> TransferDecision:
        """Like :meth:`check_transfer`, but a denial raises :class:`~residency.TransferDenied`.

        In audit mode (``policy.with_mode("audit")``) a denial is logged at WARNING on the
        ``residency.decisions`` logger and the decision is returned instead.
        """
        decision = self._decided(location, source, target, account_id, agreements, at)
        (_EMIT or _machinery()[1])(decision, mode=self.mode, enforced=True)  # one event, one call
        if not decision.allowed and self.mode is Mode.ENFORCE:
            raise TransferDenied(decision)
        return decision

    def assign_frame(
        self,
        frame: Any,  # noqa: ANN401 - a pandas, polars or pyarrow table
        *,
        location: str = "country",
        account: str | None = None,
        at: datetime | None = None,
    ) -> Any:  # noqa: ANN401 - the same kind of table
        """Place every row of a table at once: the same kind of table, with five more columns.

        ``frame`` is a pandas DataFrame, a polars DataFrame or a pyarrow Table; ``location``
        names its location column, ``account`` its account id column (without one, the data
        centers come in catalog order). The columns added are ``region``, ``primary``,
        ``data_centers`` (a list), ``rule`` and ``error``: a row whose location or account
        is bad gets its typed error as ``"ErrorName: message"`` in ``error`` and nulls in the
        others, and the other rows go on. Each distinct location is placed once and accounts
        are ranked with numpy, in exactly the order :meth:`assign` gives.

        Raises:
            MissingColumn: ``frame`` has no column ``location`` (or ``account``).
            DuplicateColumn: ``frame`` has one of the added columns already.
            MissingDependency: numpy or pyarrow (the ``frames`` extra) is not installed.
            InvalidTime: ``at`` is naive or not a datetime.
            TypeError: ``frame`` is none of the three kinds of table.
        """
        from residency.frames import assign_frame  # noqa: PLC0415 - numpy only when asked

        return assign_frame(self, frame, location=location, account=account, at=at)

    # --- customer bases ---------------------------------------------------------------------

    def plan_migration(
        self,
        new_policy: Policy,
        accounts: Iterable[object],
        *,
        agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
        at: datetime | None = None,
    ) -> MigrationPlan:
        """Plan moving ``accounts`` from this policy's catalog to ``new_policy``'s.

        ``accounts`` are rows of account id, location and optionally the data center each is
        on now (see :mod:`residency.migration`). Every account whose region or primary
        changes is a move, judged by the transfer rule with the home region the data is in:
        within it allowed (continuity), out of it only under an agreement of that account in
        force at ``at`` (now by default), else blocked with the decision's reason. With
        rendezvous placement, a data center added to a region moves exactly the accounts it
        wins. The plan is deterministic: moves come in the order of ``accounts``.

        Raises:
            InvalidTime: ``at`` is naive or not a datetime.
            TypeError: a row of ``accounts`` has none of the accepted shapes.
        """
        from residency.migration import plan_migration  # noqa: PLC0415 - lazy by design

        return plan_migration(self, new_policy, accounts, agreements=agreements, at=at)

    def audit(
        self,
        accounts: Iterable[object],
        *,
        agreements: AgreementIndex | AgreementStore | Iterable[Agreement] = (),
        at: datetime | None = None,
    ) -> AuditReport:
        """Check where ``accounts`` are now against where this catalog places them.

        ``accounts`` are rows of account id, location and the data center each is on now.
        Each is in place (on its primary), in region (on another of its region's data
        centers: allowed), under an agreement (outside its region, under an agreement of the
        account in force at ``at``), misplaced (outside with none) or unresolvable (its
        location or data center is unknown; the row carries the error).

        Raises:
            InvalidTime: ``at`` is naive or not a datetime.
            TypeError: a row of ``accounts`` has none of the accepted shapes.
        """
        from residency.migration import audit  # noqa: PLC0415 - lazy by design

        return audit(self, accounts, agreements=agreements, at=at)

    def check_agreements(
        self, agreements: Iterable[Agreement], *, source: str | None = None
    ) -> AgreementIndex:
        """Index ``agreements`` after checking that each destination is known to the catalog.

        ``source`` names the file or store they came from, for the error.

        Raises:
            InvalidAgreement: listing every unknown destination and duplicate id.
        """
        from residency.agreements import AgreementIndex  # noqa: PLC0415 - a cheap, lazy import

        index = AgreementIndex(agreements)
        problems = [
            Problem(
                f"{agreement.id}.destinations",
                f"{shown(destination)} is neither a region nor a data center of catalog "
                f"{self.catalog.id!r}",
            )
            for agreement in index
            for destination in sorted(agreement.destinations - self._destinations)
        ]
        if problems:
            raise InvalidAgreement(problems, source=source)
        index.checked_against = self._destinations  # check_transfer need not check them again
        return index

    def load_agreements(self, path: str | os.PathLike[str]) -> AgreementIndex:
        """Read the agreements of a file or store and check them against the catalog.

        ``path`` is read by :func:`~residency.load_agreements`, then checked as
        :meth:`check_agreements` checks, so that every error names it.

        Raises:
            FileError, StoreError: ``path`` cannot be read.
            InvalidAgreement: an agreement is invalid, or names a destination the catalog does
                not hold; the error names ``path``.
        """
        from residency.agreements import load_agreements  # noqa: PLC0415 - a cheap, lazy import

        return self.check_agreements(load_agreements(path), source=os.fspath(path))

    def clear_caches(self) -> None:
        """Forget every remembered answer; the next questions are answered afresh."""
        self._views.clear()
        self._now = self._forever = None


# The transfer machinery (the decision builders of residency._fast, the transfers module, the
# agreement index they read) loads when a transfer is first checked: a program that only
# places customers, such as ``residency where``, never loads it. Each global holds its
# function from then on, so that a check pays one lookup of a global, not an import.
_DECIDE: Callable[..., TransferDecision] | None = None
"""residency._fast.decide, once a transfer has been checked."""
_EMIT: Callable[..., None] | None = None
"""residency.transfers.emit, likewise."""
_LOGGER: logging.Logger | None = None
"""The decisions logger, once a check has asked for it (logging loads on the first check)."""
_IN_REGION_FIELDS: Callable[..., tuple[dict[str, Any], dict[str, Any]]] | None = None
"""residency._fast.in_region_fields, likewise."""
_DECISION: type[TransferDecision] | None = None
"""residency.transfers.TransferDecision, likewise."""
_INDEX: type[AgreementIndex] | None = None
"""residency.agreements.AgreementIndex, likewise."""
_AT_MICROS = ""
"""residency.transfers.AT_MICROS, likewise: where a decision for now keeps its moment."""
_new = object.__new__


def _machinery() -> tuple[Callable[..., TransferDecision], Callable[..., None]]:
    global _DECIDE, _EMIT, _IN_REGION_FIELDS, _DECISION, _INDEX, _AT_MICROS  # loaded once
    from residency._fast import (  # noqa: PLC0415 - lazy by design: see above
        decide,
        in_region_fields,
    )
    from residency.agreements import AgreementIndex  # noqa: PLC0415 - lazy by design: see above
    from residency.transfers import (  # noqa: PLC0415 - lazy by design: see above
        AT_MICROS,
        TransferDecision,
        emit,
    )

    _IN_REGION_FIELDS, _DECISION, _INDEX, _AT_MICROS = (
        in_region_fields,
        TransferDecision,
        AgreementIndex,
        AT_MICROS,
    )
    _DECIDE, _EMIT = decide, emit
    return decide, emit


def _decisions() -> logging.Logger:
    global _LOGGER  # noqa: PLW0603 - one logger, looked up once
    from residency.transfers import decisions_logger  # noqa: PLC0415 - lazy by design

    _LOGGER = decisions_logger()
    return _LOGGER


def _refuse_iterators(agreements: object) -> None:
    """Refuse a one-shot iterator as ``agreements=``: the first check would use it up."""
    kind = agreements.__class__
    if hasattr(kind, "__next__"):
        message = (
            "agreements= is a one-shot iterator, which the first check would use up: pass"
            " a list, a tuple, an AgreementIndex or an AgreementStore"
        )
        raise InvalidAgreement([Problem("agreements", message)])
    _REUSABLE.add(kind)


# --- building policies ----------------------------------------------------------------------


def _policy(
    data: Mapping[str, Any],
    *,
    source: str,
    problems: Iterable[Problem] = (),
    broken: Mapping[str, frozenset[str]] | None = None,
    left_out: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
) -> Policy:
    """Build the policy of a checked catalog document; raise every problem in one error.

    ``problems`` are those the file schema found already; to them this adds what refers to
    what (the catalog's own groups, then its items) and what the rules leave uncovered, so
    that one error lists everything wrong with the file.
    """
    known = countries()
    found = list(problems)
    groups: dict[str, Group] = dict(bundled_groups())
    own_groups = data.get("groups") or {}
    if own_groups:
        own, group_problems = build_groups(
            own_groups,
            known_countries=known,
            available=bundled_groups(),
            broken=(broken or {}).get("groups", frozenset()),
        )
        found.extend(group_problems)
        found.extend(
            Problem(f"groups.{group_id}", f"group {group_id!r} is already a bundled group")
            for group_id in sorted(own.keys() & groups.keys())
        )
        groups.update(own)
    catalog, catalog_problems = build_catalog(
        data, groups=groups, known_countries=known, broken=broken, left_out=left_out
    )
    found.extend(catalog_problems)
    if catalog is not None and catalog.rules:
        policy = Policy(catalog)
        # Coverage is a property of the rules: with one of them left out (its problem is
        # reported above) it would list every country that rule was meant to cover.
        if len(catalog.rules) == len(data.get("rules", ())) and not (broken or {}).get("rules"):
            found.extend(
                policy.assignment.coverage_problems(entry.country for entry in catalog.unassigned)
            )
        if not found:
            return policy
    raise CatalogError(found or [Problem("", "names no catalog")], source=source)


@functools.cache
def default_policy() -> Policy:
    """Return the policy over the bundled catalog (built once per process).

    The bundled file is trusted for its shape: the test suite checks it against the full
    file schema, so this path skips the schema and its import cost.
    """
    return _policy(_data.load_toml("catalog.toml"), source="residency/data/catalog.toml")


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Return a policy over the catalog file at ``path`` (TOML or JSON).

    The file is read as a regular file of bounded size, then checked against the catalog
    schema, every reference in it and the coverage of its rules, all in one pass: every
    problem is reported at once, with its path, in one :class:`~residency.errors.CatalogError`.

    Raises:
        FileError: the file cannot be read, or is no TOML or JSON document.
        CatalogError: the document is no valid catalog; ``.problems`` lists why.
    """
    from residency import _files, _schema  # noqa: PLC0415 - pydantic loads only for files

    source = os.fspath(path)
    checked = _schema.check_catalog(_files.read_document(path, limit=CATALOG_LIMIT, what="catalog"))
    return _policy(
        checked.data,
        source=source,
        problems=checked.problems,
        broken=checked.broken,
        left_out=checked.left_out,
    )
