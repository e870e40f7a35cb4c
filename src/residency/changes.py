"""What a new catalog changes: every difference, typed and with its path, and the notices it needs.

>>> from residency import default_policy, diff_catalogs
>>> import attrs
>>> old = default_policy().catalog
>>> new = attrs.evolve(old, id="next", notice_days=30)
>>> diff = diff_catalogs(old, new)
>>> [(change.kind.value, change.path, change.old, change.new) for change in diff.changes]
[('notice-days-changed', 'notice_days', None, 30)]

A catalog's sections are compared item by item, by id: an item is added, removed or changed,
and a changed item gives one change per field (``data_centers.linode-eu.weight``). Countries
are compared by what each catalog decides for them (every ISO 3166-1 country and XK, at one
moment): the region and the rule. A new placement scheme is its own change, the loudest: it
reorders every account.

Notices (GDPR Art. 28(2)): a sub-processor added, or changed in what it is or does, must be
told to every customer; a data center whose provider is new to its region is a new
sub-processor for that region's customers. Each notice quotes the catalog's own words and
gives the objection window the new catalog states (``notice_days``), or says the source does
not state one.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency import _wire
from residency._time import aware
from residency.catalog import NOT_STATED, Catalog, DataCenter, SubProcessor
from residency.errors import LocationError
from residency.locations import countries

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from residency.policy import Policy

__all__ = ["CatalogDiff", "Change", "ChangeKind", "Notice", "diff_catalogs"]


class ChangeKind(enum.StrEnum):
    """What kind of difference a :class:`Change` is."""

    PLACEMENT_CHANGED = "placement-changed"
    """The placement scheme changed: every account's order of data centers may change."""
    REGION_ADDED = "region-added"
    """A region the old catalog lacks."""
    REGION_REMOVED = "region-removed"
    """A region the new catalog lacks."""
    REGION_CHANGED = "region-changed"
    """A field of a region changed (its name)."""
    PROVIDER_ADDED = "provider-added"
    """A provider the old catalog lacks."""
    PROVIDER_REMOVED = "provider-removed"
    """A provider the new catalog lacks."""
    PROVIDER_CHANGED = "provider-changed"
    """A field of a provider changed (its legal name, its jurisdiction)."""
    DATA_CENTER_ADDED = "data-center-added"
    """A data center the old catalog lacks."""
    DATA_CENTER_REMOVED = "data-center-removed"
    """A data center the new catalog lacks."""
    DATA_CENTER_CHANGED = "data-center-changed"
    """A field of a data center changed (region, provider, weight, facility, ...)."""
    SUBPROCESSOR_ADDED = "subprocessor-added"
    """A sub-processor the old catalog lacks."""
    SUBPROCESSOR_REMOVED = "subprocessor-removed"
    """A sub-processor the new catalog lacks."""
    SUBPROCESSOR_CHANGED = "subprocessor-changed"
    """A field of a sub-processor changed (kind, condition, ...)."""
    COUNTRY_REGION_CHANGED = "country-region-changed"
    """A country's customers go to another region (or to none, or from none)."""
    COUNTRY_RULE_CHANGED = "country-rule-changed"
    """A country stays in its region, by another rule."""
    NOTICE_DAYS_CHANGED = "notice-days-changed"
    """The objection window for sub-processor changes changed."""


@attrs.frozen
class Change:
    """One difference between two catalogs."""

    kind: ChangeKind
    """What kind of difference it is."""
    path: str
    """Where it is: ``data_centers.linode-eu.weight``, ``countries.GB``, ``placement``."""
    old: Any
    """The old value as JSON-ready data; ``None`` for an addition."""
    new: Any
    """The new value as JSON-ready data; ``None`` for a removal."""

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON-ready data: ``kind``, ``path``, ``old``, ``new``."""
        return {"kind": self.kind.value, "path": self.path, "old": self.old, "new": self.new}


@attrs.frozen
class Notice:
    """Customers to tell of a new or replaced sub-processor, and until when they may object."""

    subprocessor: str
    """The sub-processor's id (a provider's id, for a provider new to a region)."""
    name: str
    """Its name as the catalog writes it; empty where the source names none."""
    function: str
    """What it does, in the catalog's words."""
    change: str
    """``added`` or ``replaced`` (the same id, changed in what it is or does)."""
    regions: tuple[str, ...]
    """The regions whose customers must be told."""
    everyone: bool
    """Whether that is every customer (every region of the new catalog)."""
    notice_days: int | None
    """The days customers have to object, as the new catalog states; ``None``: not stated."""
    quotes: tuple[str, ...]
    """The catalog's own words about it: its description, its condition, where they stand."""
    path: str
    """The change that calls for the notice."""

    @property
    def window(self) -> str:
        """The objection window in words."""
        if self.notice_days is None:
            return f"objection window {NOT_STATED}"
        return f"{self.notice_days} days to object"

    @property
    def customers(self) -> str:
        """Whom to tell, in words."""
        if self.everyone:
            return "all customers"
        return "customers of " + ", ".join(self.regions)

    def to_dict(self) -> dict[str, Any]:
        """The notice as JSON-ready data; an unstated window is ``null``."""
        return {
            "subprocessor": self.subprocessor,
            "name": _wire.stated(self.name),
            "function": _wire.stated(self.function),
            "change": self.change,
            "customers": "all" if self.everyone else "regions",
            "regions": list(self.regions),
            "notice_days": self.notice_days,
            "quotes": list(self.quotes),
            "path": self.path,
        }


@attrs.frozen
class CatalogDiff:
    """Every difference between an old and a new catalog, and the notices they call for."""

    old: str
    """The old catalog's id."""
    new: str
    """The new catalog's id."""
    at: datetime
    """The moment the countries' regions were compared at."""
    changes: tuple[Change, ...]
    """Every change, in a fixed order: the scheme, regions, providers, data centers,
    sub-processors, countries, the notice window; by id within each."""
    notices: tuple[Notice, ...]
    """The notices the changes call for (GDPR Art. 28(2))."""

    def __bool__(self) -> bool:
        """Whether anything changed."""
        return bool(self.changes)

    @property
    def placement_changed(self) -> bool:
        """Whether the placement scheme changed: then every account may move."""
        return any(change.kind is ChangeKind.PLACEMENT_CHANGED for change in self.changes)

    def of_kind(self, *kinds: ChangeKind | str) -> tuple[Change, ...]:
        """The changes of the given kinds, in order."""
        wanted = {ChangeKind(kind) for kind in kinds}
        return tuple(change for change in self.changes if change.kind in wanted)

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON-ready data.

        The keys: ``from_catalog``, ``to_catalog``, ``at``, ``changes`` and ``notices``.
        """
        return {
            "from_catalog": self.old,
            "to_catalog": self.new,
            "at": self.at.isoformat(),
            "changes": [change.to_dict() for change in self.changes],
            "notices": [notice.to_dict() for notice in self.notices],
        }


# --- comparing ------------------------------------------------------------------------------


def _provider_id(data_center: DataCenter) -> str:
    return data_center.provider.id


def _facility_id(data_center: DataCenter) -> str | None:
    return data_center.facility.id if data_center.facility is not None else None


def _listed(values: Iterable[str]) -> list[str]:
    return sorted(values)


# section: (the catalog's attribute, added, removed, changed, the item's wire form,
#           the fields compared: (name, how to read it))
_Field = tuple[str, "Callable[[Any], Any]"]
_SECTIONS: Final[
    tuple[tuple[str, ChangeKind, ChangeKind, ChangeKind, Any, tuple[_Field, ...]], ...]
] = (
    (
        "regions",
        ChangeKind.REGION_ADDED,
        ChangeKind.REGION_REMOVED,
        ChangeKind.REGION_CHANGED,
        _wire.region,
        (("name", lambda item: item.name), ("as_written", lambda item: item.as_written)),
    ),
    (
        "providers",
        ChangeKind.PROVIDER_ADDED,
        ChangeKind.PROVIDER_REMOVED,
        ChangeKind.PROVIDER_CHANGED,
        _wire.provider,
        (
            ("legal_name", lambda item: item.legal_name),
            ("jurisdiction", lambda item: item.jurisdiction or None),
        ),
    ),
    (
        "data_centers",
        ChangeKind.DATA_CENTER_ADDED,
        ChangeKind.DATA_CENTER_REMOVED,
        ChangeKind.DATA_CENTER_CHANGED,
        _wire.data_center,
        (
            ("region", lambda item: item.region),
            ("provider", _provider_id),
            ("weight", lambda item: item.weight),
            ("facility", _facility_id),
            ("location", lambda item: item.location or None),
            ("country", lambda item: item.country or None),
            ("city", lambda item: item.city or None),
            ("serves", lambda item: item.serves or None),
            ("certifications", lambda item: _listed(item.certifications)),
            ("as_written", lambda item: item.as_written or None),
            ("ref", lambda item: item.ref or None),
        ),
    ),
    (
        "subprocessors",
        ChangeKind.SUBPROCESSOR_ADDED,
        ChangeKind.SUBPROCESSOR_REMOVED,
        ChangeKind.SUBPROCESSOR_CHANGED,
        _wire.subprocessor,
        (
            ("name", lambda item: item.name or None),
            ("kind", lambda item: item.kind),
            ("role", lambda item: item.role or None),
            ("as_written", lambda item: item.as_written or None),
            ("group_company", lambda item: item.group_company),
            ("country", lambda item: item.country or None),
            ("consent_required", lambda item: item.consent_required),
            ("condition", lambda item: item.condition or None),
            ("condition_as_written", lambda item: item.condition_as_written or None),
            ("ref", lambda item: item.ref or None),
        ),
    ),
)

_MATERIAL: Final = frozenset(
    {"name", "kind", "role", "group_company", "country", "consent_required", "condition"}
)
"""The fields of a sub-processor whose change is a replacement customers must be told of;
the others (its words as written, where it stands) are the catalog's record of them."""


def diff_catalogs(
    old: Catalog | Policy, new: Catalog | Policy, *, at: datetime | None = None
) -> CatalogDiff:
    """Every difference between catalog ``old`` and catalog ``new``, and the notices they need.

    ``old`` and ``new`` are catalogs or policies. Countries are compared as each catalog
    assigns them at ``at`` (an aware datetime; now by default).

    Raises:
        InvalidTime: ``at`` is naive or not a datetime.
    """
    from residency.policy import Policy  # noqa: PLC0415 - policy imports this module lazily

    when = datetime.now(UTC) if at is None else aware(at, "at")
    old_policy = old if isinstance(old, Policy) else Policy(old)
    new_policy = new if isinstance(new, Policy) else Policy(new)
    before, after = old_policy.catalog, new_policy.catalog
    changes: list[Change] = []
    if before.placement != after.placement:
        changes.append(
            Change(ChangeKind.PLACEMENT_CHANGED, "placement", before.placement, after.placement)
        )
    for section, added, removed, changed, wire, fields in _SECTIONS:
        kinds = (added, removed, changed)
        changes.extend(
            _section(
                section, getattr(before, section), getattr(after, section), kinds, wire, fields
            )
        )
    changes.extend(_countries(old_policy, new_policy, when))
    if before.notice_days != after.notice_days:
        days = (before.notice_days, after.notice_days)
        changes.append(Change(ChangeKind.NOTICE_DAYS_CHANGED, "notice_days", *days))
    return CatalogDiff(
        old=before.id,
        new=after.id,
        at=when,
        changes=tuple(changes),
        notices=tuple(_notices(before, after, changes)),
    )


def _section(  # noqa: PLR0913 - one section's whole description
    section: str,
    old_items: Iterable[Any],
    new_items: Iterable[Any],
    kinds: tuple[ChangeKind, ChangeKind, ChangeKind],
    wire: Callable[[Any], Any],
    fields: tuple[_Field, ...],
) -> Iterator[Change]:
    added, removed, changed = kinds
    olds = {item.id: item for item in old_items}
    news = {item.id: item for item in new_items}
    for key in sorted(olds.keys() | news.keys()):
        path = f"{section}.{key}"
        if key not in olds:
            yield Change(added, path, None, dict(wire(news[key])))
        elif key not in news:
            yield Change(removed, path, dict(wire(olds[key])), None)
        else:
            for name, read in fields:
                was, now = read(olds[key]), read(news[key])
                if was != now:
                    yield Change(changed, f"{path}.{name}", was, now)


def _countries(old: Policy, new: Policy, at: datetime) -> Iterator[Change]:
    for code in countries():
        was, now = _decided(old, code, at), _decided(new, code, at)
        if was == now:
            continue
        kind = (
            ChangeKind.COUNTRY_REGION_CHANGED
            if was["region"] != now["region"]
            else ChangeKind.COUNTRY_RULE_CHANGED
        )
        yield Change(kind, f"countries.{code}", was, now)


def _decided(policy: Policy, country: str, at: datetime) -> dict[str, str | None]:
    """The region and rule a catalog gives a country; both ``None`` where it assigns none."""
    try:
        placement = policy.assign(country, at=at)
    except LocationError:
        return {"region": None, "rule": None}
    return {"region": placement.region, "rule": placement.rule.id}


def _notices(before: Catalog, after: Catalog, changes: Iterable[Change]) -> Iterator[Notice]:
    regions = tuple(region.id for region in after.regions)
    days = after.notice_days
    subprocessors = {item.id: item for item in after.subprocessors}
    replaced: dict[str, str] = {}
    for change in changes:
        section, _, rest = change.path.partition(".")
        if section != "subprocessors":
            continue
        key, _, field = rest.partition(".")
        if change.kind is ChangeKind.SUBPROCESSOR_ADDED:
            replaced[key] = "added"
        elif change.kind is ChangeKind.SUBPROCESSOR_CHANGED and field in _MATERIAL:
            replaced.setdefault(key, "replaced")
    for key, how in replaced.items():
        item = subprocessors[key]
        yield Notice(
            subprocessor=item.id,
            name=item.name,
            function=item.role,
            change=how,
            regions=regions,
            everyone=True,
            notice_days=days,
            quotes=_quotes(item),
            path=f"subprocessors.{key}",
        )
    yield from _new_hosts(before, after, regions, days)


def _quotes(item: SubProcessor) -> tuple[str, ...]:
    said = (item.role, item.as_written, item.condition, item.condition_as_written)
    quotes = tuple(text for text in said if text)
    return (*quotes, f"({item.ref})") if item.ref else quotes


def _new_hosts(
    before: Catalog, after: Catalog, regions: tuple[str, ...], days: int | None
) -> Iterator[Notice]:
    """A notice per data center whose provider hosted nothing of its region before."""
    hosting = {(dc.region, dc.provider.id) for dc in before.data_centers}
    told: set[tuple[str, str]] = set()
    for dc in sorted(after.data_centers, key=lambda item: item.id):
        pair = (dc.region, dc.provider.id)
        if pair in hosting or pair in told:
            continue
        told.add(pair)
        place = dc.location or dc.city or NOT_STATED
        said = (dc.as_written, dc.facility.text if dc.facility is not None else "")
        quotes = tuple(text for text in said if text)
        yield Notice(
            subprocessor=dc.provider.id,
            name=dc.provider.legal_name,
            function=f"hosts the data of region {dc.region} in data center {dc.id} ({place})",
            change="added",
            regions=(dc.region,),
            everyone=regions == (dc.region,),
            notice_days=days,
            quotes=(*quotes, f"({dc.ref})") if dc.ref else quotes,
            path=f"data_centers.{dc.id}",
        )
