"""The catalog: regions, data centers, providers, sub-processors and assignment rules.

A catalog is data, not code. These frozen values are what a catalog file becomes once it has
been read and checked; they never change afterwards (use ``attrs.evolve`` for a variant).

>>> from residency import default_policy
>>> catalog = default_policy().catalog
>>> catalog.id
'liveagent-2019-10-28'
>>> [dc.id for dc in catalog.data_centers_in("EU")]
['linode-eu', 'aws-eu-west-1', 'websupport-eu']
>>> catalog.data_center("aws-eu-west-1").provider.legal_name
'Amazon Web Services, LLC'

Facts the source does not state are empty strings; :data:`NOT_STATED` is how to show them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from residency.errors import Problem, UnknownDataCenter, UnknownRegion

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from residency.groups import Group

__all__ = [
    "NOT_STATED",
    "Catalog",
    "DataCenter",
    "Facility",
    "Provider",
    "Quote",
    "Region",
    "Rule",
    "Source",
    "SubProcessor",
    "Unassigned",
    "catalog_from_mapping",
    "catalog_json_schema",
]

NOT_STATED = "not stated in source"
"""How residency shows a fact that the catalog's source does not state."""


def stated(value: str) -> str:
    """Return ``value``, or :data:`NOT_STATED` when the source left it empty.

    >>> stated("Ireland"), stated("")
    ('Ireland', 'not stated in source')
    """
    return value or NOT_STATED


@attrs.frozen
class Quote:
    """A statement of the source, with its English rendering."""

    text: str
    """The statement in English."""
    as_written: str = attrs.field(default="", repr=False)
    """The statement verbatim, in the source's language."""
    ref: str = attrs.field(default="", repr=False)
    """Where in the source the statement stands."""
    note: str = attrs.field(default="", repr=False)
    """A remark of the catalog's authors about the statement."""


@attrs.frozen
class Source:
    """The document a catalog's facts come from."""

    title: str
    """The document's title."""
    publisher: str = ""
    """Who published it."""
    language: str = ""
    """The language of the document (BCP 47), which ``as_written`` quotes are in."""
    updated: str = ""
    """The date the document says it was last updated (ISO 8601)."""
    updated_as_written: str = ""
    """That date as the document writes it."""
    service: str = ""
    """The service the document describes."""


@attrs.frozen
class Region:
    """A region where customers' data is stored (``EU``, ``UK``, ``US``, ``APAC``)."""

    id: str
    """The region id, used by rules, data centers and agreements."""
    name: str
    """The region's name in English."""
    as_written: str = ""
    """The name as the source writes it."""


@attrs.frozen
class Provider:
    """A company that operates data centers."""

    id: str
    """The provider id, used by data centers and constraints."""
    legal_name: str
    """The legal name as the source writes it (``Linode, LLC``)."""
    jurisdiction: str = ""
    """The alpha-2 code of the provider's jurisdiction; empty where the source is silent."""


@attrs.frozen
class Facility:
    """The facility statement that the source makes for a set of data centers."""

    id: str
    """The facility statement id."""
    text: str = attrs.field(repr=False)
    """The statement in English."""
    as_written: str = attrs.field(default="", repr=False)
    """The statement verbatim."""
    standards: tuple[str, ...] = attrs.field(default=(), repr=False)
    """The standards the statement names; the source says the facility meets one of them."""
    power: str = attrs.field(default="", repr=False)
    """The power supply as the source describes it (``abundant``, ``stable``)."""
    power_as_written: str = attrs.field(default="", repr=False)
    """That description verbatim."""
    backup: tuple[str, ...] = attrs.field(default=(), repr=False)
    """The backup equipment named (``UPS``, ``backup generators``)."""


@attrs.frozen
class DataCenter:
    """A data center that may hold customers' data; it belongs to exactly one region."""

    id: str
    """The data center id (``aws-eu-west-1``)."""
    provider: Provider = attrs.field(repr=lambda provider: repr(provider.id))
    """The company that operates it."""
    region: str
    """The id of the region it serves."""
    location: str = attrs.field(default="", repr=False)
    """The place the source names for it, in English; empty where the source is silent."""
    serves: str = attrs.field(default="", repr=False)
    """The customers the source says it serves; empty where the source names none."""
    country: str = attrs.field(default="", repr=False)
    """The alpha-2 code of the country it stands in, where the source names one."""
    city: str = attrs.field(default="", repr=False)
    """The city it stands in, where the source names one."""
    facility: Facility | None = attrs.field(default=None, repr=False)
    """The facility statement the source makes for it."""
    certifications: frozenset[str] = attrs.field(default=frozenset(), repr=False)
    """Certifications the catalog credits to this data center alone (for constraints)."""
    weight: float = attrs.field(default=1.0, repr=False)
    """Its share of new accounts in rendezvous placement, relative to its region's others."""
    as_written: str = attrs.field(default="", repr=False)
    """The source's heading for it, verbatim."""
    ref: str = attrs.field(default="", repr=False)
    """Where in the source it stands."""


@attrs.frozen
class SubProcessor:
    """A third party that may access service data, other than the hosting data centers."""

    id: str
    """The sub-processor id."""
    name: str
    """Its name as written; empty where the source names none."""
    kind: str
    """``service`` (may access data to run the service) or ``support`` (24/7 support)."""
    role: str = attrs.field(default="", repr=False)
    """What it does, in English."""
    as_written: str = attrs.field(default="", repr=False)
    """The source's description, verbatim."""
    group_company: bool = attrs.field(default=False, repr=False)
    """Whether the source says it belongs to the operator's group."""
    country: str = attrs.field(default="", repr=False)
    """The alpha-2 code of where it sits; empty where the source is silent."""
    consent_required: bool = attrs.field(default=False, repr=False)
    """Whether it may access data only with the customer's consent."""
    condition: str = attrs.field(default="", repr=False)
    """The condition under which it may access data, in English."""
    condition_as_written: str = attrs.field(default="", repr=False)
    """That condition verbatim."""
    ref: str = attrs.field(default="", repr=False)
    """Where in the source it stands."""


@attrs.frozen
class Rule:
    """One assignment rule: countries and groups whose customers go to ``region``."""

    id: str
    """The rule id, named by every placement it decides."""
    region: str
    """The region it assigns."""
    title: str = attrs.field(default="", repr=False)
    """What the rule covers, for people."""
    countries: frozenset[str] = attrs.field(default=frozenset(), repr=False)
    """Alpha-2 codes the rule names one by one."""
    groups: tuple[str, ...] = attrs.field(default=(), repr=False)
    """Ids of the country groups the rule names."""


@attrs.frozen
class Unassigned:
    """A country that the catalog deliberately assigns to no region."""

    country: str
    """Its alpha-2 code."""
    reason: str = ""
    """Why it is unassigned."""


def _by_id(items: Iterable[Any]) -> Mapping[str, Any]:
    return MappingProxyType({item.id: item for item in items})


@attrs.frozen
class Catalog:
    """A complete, checked catalog. Build one with :func:`residency.load_policy`."""

    id: str
    """The catalog id (``liveagent-2019-10-28``), quoted by every decision."""
    title: str
    """The catalog's title."""
    version: str
    """The catalog's version."""
    source: Source
    """The document its facts come from."""
    regions: tuple[Region, ...]
    """The regions, in catalog order."""
    providers: tuple[Provider, ...]
    """The providers, in catalog order."""
    data_centers: tuple[DataCenter, ...]
    """The data centers, in catalog order."""
    subprocessors: tuple[SubProcessor, ...]
    """The sub-processors, in catalog order."""
    rules: tuple[Rule, ...]
    """The assignment rules; the first that matches wins."""
    unassigned: tuple[Unassigned, ...]
    """The countries assigned to no region."""
    groups: Mapping[str, Group] = attrs.field(eq=False, repr=False)
    """Every country group the rules may name, by id."""
    facilities: tuple[Facility, ...] = ()
    """The facility statements."""
    safeguards: tuple[Quote, ...] = ()
    """The contractual safeguards sub-processors must meet."""
    statements: Mapping[str, Quote] = attrs.field(factory=dict, hash=False, repr=False)
    """Other statements of the source, by key (``promise``, ``due_diligence``, ...)."""
    _regions: Mapping[str, Region] = attrs.field(init=False, eq=False, repr=False)
    _data_centers: Mapping[str, DataCenter] = attrs.field(init=False, eq=False, repr=False)
    _in_region: Mapping[str, tuple[DataCenter, ...]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_regions", _by_id(self.regions))
        object.__setattr__(self, "_data_centers", _by_id(self.data_centers))
        in_region = {
            region.id: tuple(dc for dc in self.data_centers if dc.region == region.id)
            for region in self.regions
        }
        object.__setattr__(self, "_in_region", MappingProxyType(in_region))

    def __reduce__(self) -> tuple[Any, ...]:
        # Read-only mappings do not pickle: rebuild from the fields, as plain dicts.
        fields = {
            field.name: getattr(self, field.name) for field in attrs.fields(Catalog) if field.init
        }
        fields["groups"] = dict(self.groups)
        fields["statements"] = dict(self.statements)
        return (_catalog, (fields,))

    def region(self, region_id: object) -> Region:
        """Return the region ``region_id``, or raise ``UnknownRegion``."""
        try:
            return self._regions[region_id]  # type: ignore[index]
        except (KeyError, TypeError):
            raise UnknownRegion(region_id, catalog=self.id, known=self._regions) from None

    def data_center(self, data_center_id: object) -> DataCenter:
        """Return the data center ``data_center_id``, or raise ``UnknownDataCenter``."""
        try:
            return self._data_centers[data_center_id]  # type: ignore[index]
        except (KeyError, TypeError):
            raise UnknownDataCenter(
                data_center_id, catalog=self.id, known=self._data_centers
            ) from None

    def data_centers_in(self, region_id: str) -> tuple[DataCenter, ...]:
        """Return the region's data centers in catalog order, or raise ``UnknownRegion``."""
        try:
            return self._in_region[region_id]
        except (KeyError, TypeError):
            raise UnknownRegion(region_id, catalog=self.id, known=self._regions) from None

    def statement(self, key: str) -> Quote | None:
        """Return the source statement ``key`` (``promise``, ``due_diligence``, ...), if any."""
        return self.statements.get(key)


def _catalog(fields: dict[str, Any]) -> Catalog:
    """Rebuild a pickled catalog; its read-only views are made anew."""
    fields["groups"] = MappingProxyType(fields["groups"])
    fields["statements"] = MappingProxyType(fields["statements"])
    return Catalog(**fields)


# --- building a catalog from a parsed document --------------------------------------------

_STATEMENT_KEYS = (
    "promise",
    "assignment",
    "due_diligence",
    "disclaimer",
    "dpa_request",
    "management",
)


def _quote(raw: Mapping[str, Any]) -> Quote:
    return Quote(
        text=raw["text"],
        as_written=raw.get("as_written", ""),
        ref=raw.get("ref", ""),
        note=raw.get("note", ""),
    )


class _Builder:
    """Turns a structurally valid document into a :class:`Catalog`, gathering every problem."""

    def __init__(self, data: Mapping[str, Any], groups: Mapping[str, Group]) -> None:
        self.data = data
        self.groups = groups
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unique(self, section: str, items: list[Mapping[str, Any]], key: str = "id") -> None:
        seen: set[object] = set()
        for index, item in enumerate(items):
            if item[key] in seen:
                self.problem(f"{section}[{index}].{key}", f"duplicate {key} {item[key]!r}")
            seen.add(item[key])

    def country(self, path: str, code: str, known: frozenset[str], *, optional: bool) -> None:
        if (code or not optional) and code not in known:
            self.problem(path, f"unknown country code {code!r}")

    def build(self, known_countries: frozenset[str]) -> Catalog | None:  # noqa: C901, PLR0912 - one pass over the sections reads best
        data = self.data
        for section in ("regions", "providers", "facilities", "data_centers", "subprocessors"):
            self.unique(section, data.get(section, []))
        self.unique("rules", data.get("rules", []))
        self.unique("unassigned", data.get("unassigned", []), key="country")

        regions = tuple(
            Region(raw["id"], raw["name"], raw.get("as_written", "")) for raw in data["regions"]
        )
        region_ids = {region.id for region in regions}
        providers = {
            raw["id"]: Provider(raw["id"], raw["legal_name"], raw.get("jurisdiction", ""))
            for raw in data.get("providers", [])
        }
        for index, raw in enumerate(data.get("providers", [])):
            self.country(
                f"providers[{index}].jurisdiction",
                raw.get("jurisdiction", ""),
                known_countries,
                optional=True,
            )
        facilities = {
            raw["id"]: Facility(
                id=raw["id"],
                text=raw["text"],
                as_written=raw.get("as_written", ""),
                standards=tuple(raw.get("standards", ())),
                power=raw.get("power", ""),
                power_as_written=raw.get("power_as_written", ""),
                backup=tuple(raw.get("backup", ())),
            )
            for raw in data.get("facilities", [])
        }

        data_centers: list[DataCenter] = []
        for index, raw in enumerate(data.get("data_centers", [])):
            path = f"data_centers[{index}]"
            if raw["region"] not in region_ids:
                self.problem(f"{path}.region", f"unknown region {raw['region']!r}")
            provider = providers.get(raw["provider"])
            if provider is None:
                self.problem(f"{path}.provider", f"unknown provider {raw['provider']!r}")
                provider = Provider(raw["provider"], raw["provider"])
            facility_id = raw.get("facility", "")
            if facility_id and facility_id not in facilities:
                self.problem(f"{path}.facility", f"unknown facility {facility_id!r}")
            self.country(f"{path}.country", raw.get("country", ""), known_countries, optional=True)
            weight = raw.get("weight", 1.0)
            if not weight > 0:
                self.problem(f"{path}.weight", f"weight must be positive, not {weight!r}")
            data_centers.append(
                DataCenter(
                    id=raw["id"],
                    provider=provider,
                    region=raw["region"],
                    location=raw.get("location", ""),
                    serves=raw.get("serves", ""),
                    country=raw.get("country", ""),
                    city=raw.get("city", ""),
                    facility=facilities.get(facility_id),
                    certifications=frozenset(raw.get("certifications", ())),
                    weight=float(weight),
                    as_written=raw.get("as_written", ""),
                    ref=raw.get("ref", ""),
                )
            )
        served = {dc.region for dc in data_centers}
        for index, region in enumerate(regions):
            if region.id not in served:
                self.problem(f"regions[{index}]", f"region {region.id!r} has no data centers")

        subprocessors = tuple(
            SubProcessor(
                id=raw["id"],
                name=raw.get("name", ""),
                kind=raw["kind"],
                role=raw.get("role", ""),
                as_written=raw.get("as_written", ""),
                group_company=raw.get("group_company", False),
                country=raw.get("country", ""),
                consent_required=raw.get("consent_required", False),
                condition=raw.get("condition", ""),
                condition_as_written=raw.get("condition_as_written", ""),
                ref=raw.get("ref", ""),
            )
            for raw in data.get("subprocessors", [])
        )
        for index, sub in enumerate(subprocessors):
            self.country(
                f"subprocessors[{index}].country", sub.country, known_countries, optional=True
            )

        rules: list[Rule] = []
        for index, raw in enumerate(data.get("rules", [])):
            path = f"rules[{index}]"
            if raw["region"] not in region_ids:
                self.problem(f"{path}.region", f"unknown region {raw['region']!r}")
            for position, code in enumerate(raw.get("countries", ())):
                self.country(f"{path}.countries[{position}]", code, known_countries, optional=False)
            for position, group in enumerate(raw.get("groups", ())):
                if group not in self.groups:
                    self.problem(f"{path}.groups[{position}]", f"unknown group {group!r}")
            rules.append(
                Rule(
                    id=raw["id"],
                    region=raw["region"],
                    title=raw.get("title", ""),
                    countries=frozenset(raw.get("countries", ())),
                    groups=tuple(raw.get("groups", ())),
                )
            )
        unassigned = tuple(
            Unassigned(raw["country"], raw.get("reason", "")) for raw in data.get("unassigned", [])
        )
        for index, entry in enumerate(unassigned):
            self.country(
                f"unassigned[{index}].country", entry.country, known_countries, optional=False
            )

        if self.problems:
            return None
        raw_source = data.get("source", {})
        return Catalog(
            id=data["id"],
            title=data.get("title", ""),
            version=data.get("version", ""),
            source=Source(
                title=raw_source.get("title", ""),
                publisher=raw_source.get("publisher", ""),
                language=raw_source.get("language", ""),
                updated=raw_source.get("updated", ""),
                updated_as_written=raw_source.get("updated_as_written", ""),
                service=raw_source.get("service", ""),
            ),
            regions=regions,
            providers=tuple(providers.values()),
            data_centers=tuple(data_centers),
            subprocessors=subprocessors,
            rules=tuple(rules),
            unassigned=unassigned,
            groups=self.groups,
            facilities=tuple(facilities.values()),
            safeguards=tuple(_quote(raw) for raw in data.get("safeguards", ())),
            statements=MappingProxyType(
                {key: _quote(data[key]) for key in _STATEMENT_KEYS if key in data}
            ),
        )


def catalog_from_mapping(
    data: Mapping[str, Any], *, groups: Mapping[str, Group], known_countries: Iterable[str]
) -> tuple[Catalog | None, list[Problem]]:
    """Build a catalog from a structurally valid document, gathering every reference problem.

    Structure (types, required fields) is checked before, by the file schema; this checks what
    refers to what: duplicate ids, unknown regions, providers, facilities, groups and country
    codes, and regions without data centers. Returns the catalog, or ``None`` with the problems.
    """
    builder = _Builder(data, groups)
    catalog = builder.build(frozenset(known_countries))
    return catalog, builder.problems


def catalog_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of catalog files (the first call imports pydantic).

    >>> catalog_json_schema()["title"]
    'residency catalog'
    """
    from residency._schema import catalog_json_schema as schema  # noqa: PLC0415 - lazy by design

    return schema()
