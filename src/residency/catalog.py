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
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency import _wire
from residency._text import quoted
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
    "build_catalog",
    "catalog_json_schema",
]

DEFAULT_SCHEME: Final = "rendezvous-blake2b-v1"
"""The placement scheme of a catalog that names none: weighted rendezvous over BLAKE2b."""

NOT_STATED = "not stated in source"
"""How residency shows a fact that the catalog's source does not state."""


# The converters of the fields below are Python functions, not the builtins tuple, frozenset
# and float: attrs reads each converter's signature, and a builtin's is parsed from its text
# signature by the tokenizer, whose patterns then compile; that was a fifth of what importing
# this module cost.
def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _string_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _number(value: float) -> float:
    return float(value)


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
    id: str = attrs.field(default="", repr=False)
    """The statement's id, where the catalog lists several of a kind (the safeguards)."""

    def to_dict(self) -> dict[str, Any]:
        """The statement as JSON-ready data (its wire form)."""
        return dict(_wire.quote(self))


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

    def to_dict(self) -> dict[str, Any]:
        """The region as JSON-ready data (its wire form)."""
        return dict(_wire.region(self))


@attrs.frozen
class Provider:
    """A company that operates data centers."""

    id: str
    """The provider id, used by data centers and constraints."""
    legal_name: str
    """The legal name as the source writes it (``Linode, LLC``)."""
    jurisdiction: str = ""
    """The alpha-2 code of the provider's jurisdiction; empty where the source is silent."""

    def to_dict(self) -> dict[str, Any]:
        """The provider as JSON-ready data; an unstated jurisdiction is None."""
        return dict(_wire.provider(self))


@attrs.frozen
class Facility:
    """The facility statement that the source makes for a set of data centers."""

    id: str
    """The facility statement id."""
    text: str = attrs.field(repr=False)
    """The statement in English."""
    as_written: str = attrs.field(default="", repr=False)
    """The statement verbatim."""
    standards: tuple[str, ...] = attrs.field(default=(), repr=False, converter=_strings)
    """The standards the statement names; the source says the facility meets one of them."""
    power: str = attrs.field(default="", repr=False)
    """The power supply as the source describes it (``abundant``, ``stable``)."""
    power_as_written: str = attrs.field(default="", repr=False)
    """That description verbatim."""
    backup: tuple[str, ...] = attrs.field(default=(), repr=False, converter=_strings)
    """The backup equipment named (``UPS``, ``backup generators``)."""

    def to_dict(self) -> dict[str, Any]:
        """The facility statement as JSON-ready data (its wire form)."""
        return dict(_wire.facility(self))


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
    certifications: frozenset[str] = attrs.field(
        default=frozenset(), repr=False, converter=_string_set
    )
    """Certifications the catalog credits to this data center alone (for constraints)."""
    weight: float = attrs.field(default=1.0, repr=False, converter=_number)
    """Its share of new accounts in rendezvous placement, relative to its region's others."""
    as_written: str = attrs.field(default="", repr=False)
    """The source's heading for it, verbatim."""
    ref: str = attrs.field(default="", repr=False)
    """Where in the source it stands."""

    def to_dict(self) -> dict[str, Any]:
        """The data center as JSON-ready data; what the source does not state is None."""
        return dict(_wire.data_center(self))


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

    def to_dict(self) -> dict[str, Any]:
        """The sub-processor as JSON-ready data; what the source does not state is None."""
        return dict(_wire.subprocessor(self))


@attrs.frozen
class Rule:
    """One assignment rule: countries and groups whose customers go to ``region``."""

    id: str
    """The rule id, named by every placement it decides."""
    region: str
    """The region it assigns."""
    title: str = attrs.field(default="", repr=False)
    """What the rule covers, for people."""
    countries: frozenset[str] = attrs.field(default=frozenset(), repr=False, converter=_string_set)
    """Alpha-2 codes the rule names one by one."""
    groups: tuple[str, ...] = attrs.field(default=(), repr=False, converter=_strings)
    """Ids of the country groups the rule names."""

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data (its wire form)."""
        return dict(_wire.rule(self))


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
    placement: str = attrs.field(default=DEFAULT_SCHEME, repr=False)
    """The placement scheme that orders an account's data centers (``rendezvous-blake2b-v1``)."""
    notice_days: int | None = attrs.field(default=None, repr=False)
    """The days customers have to object to a new or replaced sub-processor (GDPR Art. 28(2));
    ``None`` where the source does not state them."""
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
        """Return the region ``region_id`` (in any case), or raise ``UnknownRegion``."""
        try:
            return self._regions[region_id]  # type: ignore[index]
        except (KeyError, TypeError):
            pass
        found: Region | None = _by_case(self._regions, region_id)
        if found is None:
            raise UnknownRegion(region_id, catalog=self.id, known=self._regions)
        return found

    def data_center(self, data_center_id: object) -> DataCenter:
        """Return the data center ``data_center_id`` (in any case), or raise ``UnknownDataCenter``.

        >>> from residency import default_policy
        >>> default_policy().catalog.data_center("AWS-EU-West-1").id
        'aws-eu-west-1'
        """
        try:
            return self._data_centers[data_center_id]  # type: ignore[index]
        except (KeyError, TypeError):
            pass
        found: DataCenter | None = _by_case(self._data_centers, data_center_id)
        if found is None:
            raise UnknownDataCenter(
                data_center_id,
                catalog=self.id,
                known=self._data_centers,
                suggestions=_close(self._data_centers, data_center_id),
            )
        return found

    def data_centers_in(self, region_id: str) -> tuple[DataCenter, ...]:
        """Return the region's data centers in catalog order, or raise ``UnknownRegion``."""
        try:
            return self._in_region[region_id]
        except (KeyError, TypeError):
            raise UnknownRegion(region_id, catalog=self.id, known=self._regions) from None

    def statement(self, key: str) -> Quote | None:
        """Return the source statement ``key`` (``promise``, ``due_diligence``, ...), if any."""
        return self.statements.get(key)


def _by_case(items: Mapping[str, Any], name: object) -> Any:  # noqa: ANN401 - the item's type
    """The one item whose id is ``name`` in another case, or None (none, or several)."""
    if not isinstance(name, str) or len(name) > _LONGEST_ID:
        return None
    folded = name.strip().casefold()
    found = [item for key, item in items.items() if key.casefold() == folded]
    return found[0] if len(found) == 1 else None


def _close(items: Mapping[str, Any], name: object) -> tuple[str, ...]:
    """The ids close to ``name``, for a message; never a decision."""
    if not isinstance(name, str) or len(name) > _LONGEST_ID:
        return ()
    import difflib  # noqa: PLC0415 - only a refusal pays for it

    return tuple(difflib.get_close_matches(name.strip().casefold(), list(items), n=3, cutoff=0.8))


_LONGEST_ID: Final = 64


def _catalog(fields: dict[str, Any]) -> Catalog:
    """Rebuild a pickled catalog; its read-only views are made anew."""
    fields["groups"] = MappingProxyType(fields["groups"])
    fields["statements"] = MappingProxyType(fields["statements"])
    return Catalog(**fields)


# --- building a catalog from a checked document ---------------------------------------------


@attrs.frozen
class _Reference:
    """A field of an item that names an item of another section."""

    field: str
    section: str
    noun: str
    many: bool = False
    """The field holds a list of names."""
    optional: bool = False
    """An empty value names nothing, and is fine."""
    replace: bool = True
    """The built value holds the item named (a Provider), not its id."""


# What each section of a catalog becomes, and what its items name, in the order they are
# built (an item is built after the sections it names). A field of a file is the field of
# its value, so a new field needs its model in _schema and its attribute here, nothing else.
_SECTIONS: Final = (
    ("regions", Region, ()),
    ("providers", Provider, ()),
    ("facilities", Facility, ()),
    ("safeguards", Quote, ()),
    (
        "data_centers",
        DataCenter,
        (
            _Reference("region", "regions", "region", replace=False),
            _Reference("provider", "providers", "provider"),
            _Reference("facility", "facilities", "facility", optional=True),
        ),
    ),
    ("subprocessors", SubProcessor, ()),
    (
        "rules",
        Rule,
        (
            _Reference("region", "regions", "region", replace=False),
            _Reference("groups", "groups", "group", many=True, replace=False),
        ),
    ),
    ("unassigned", Unassigned, ()),
)
_KEYS: Final = {"unassigned": "country"}
_COUNTRIES: Final = {
    "providers": ("jurisdiction",),
    "data_centers": ("country",),
    "subprocessors": ("country",),
    "rules": ("countries",),
    "unassigned": ("country",),
}
_STATEMENTS: Final = (
    "promise",
    "assignment",
    "due_diligence",
    "disclaimer",
    "dpa_request",
    "management",
)


def build_catalog(
    data: Mapping[str, Any],
    *,
    groups: Mapping[str, Group],
    known_countries: Iterable[str],
    broken: Mapping[str, Iterable[str]] | None = None,
    left_out: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
) -> tuple[Catalog | None, list[Problem]]:
    """Build a catalog from a checked document, gathering every reference problem.

    The shape of ``data`` (types, required fields) is checked before, by the file schema, or
    trusted (the bundled catalog); this checks what refers to what: duplicate ids, unknown
    regions, providers, facilities, groups and country codes, and regions without data
    centers. ``broken`` names, per section, items that failed their schema: a reference to
    one is not reported again; ``left_out`` holds those items as written, whose regions
    still count as served. Returns the catalog of every item that could be built, even
    when there are problems (coverage can then still be checked), or ``None`` when the
    document names no catalog at all.
    """
    known = frozenset(known_countries)
    problems: list[Problem] = []
    broken = broken or {}
    built: dict[str, dict[str, Any]] = {"groups": dict(groups)}
    for section, kind, references in _SECTIONS:
        built[section] = {}
        key = _KEYS.get(section, "id")
        first: dict[str, int] = {}
        for index, raw in enumerate(data.get(section, ())):
            path = f"{section}[{index}]"
            name = raw[key]
            if name in first:
                message = f"duplicate {key} {quoted(name)} (first at {section}[{first[name]}])"
                problems.append(Problem(f"{path}.{key}", message))
                continue
            first[name] = index
            fields, fine = _resolved(raw, path, references, built, broken, problems)
            fine &= _countries_known(raw, path, _COUNTRIES.get(section, ()), known, problems)
            if fine:
                built[section][name] = kind(**fields)
    regions = built["regions"]
    served = {
        region
        for raw in (*data.get("data_centers", ()), *(left_out or {}).get("data_centers", ()))
        if isinstance(region := raw.get("region"), str)
    }
    problems.extend(
        Problem(f"regions[{index}]", f"region {quoted(region)} has no data centers")
        for index, region in enumerate(regions)
        if region not in served
    )
    if "id" not in data or "source" not in data:
        return None, problems
    catalog = Catalog(
        id=data["id"],
        title=data.get("title", ""),
        version=data.get("version", ""),
        source=Source(**data["source"]),
        regions=tuple(regions.values()),
        providers=tuple(built["providers"].values()),
        data_centers=tuple(built["data_centers"].values()),
        subprocessors=tuple(built["subprocessors"].values()),
        rules=tuple(built["rules"].values()),
        unassigned=tuple(built["unassigned"].values()),
        groups=groups,
        facilities=tuple(built["facilities"].values()),
        safeguards=tuple(built["safeguards"].values()),
        statements=MappingProxyType(
            {key: Quote(**data[key]) for key in _STATEMENTS if key in data}
        ),
        placement=data.get("placement", DEFAULT_SCHEME),
        notice_days=data.get("notice_days"),
    )
    return catalog, problems


def _resolved(  # noqa: PLR0913 - one item's whole context
    raw: Mapping[str, Any],
    path: str,
    references: Iterable[_Reference],
    built: Mapping[str, Mapping[str, Any]],
    broken: Mapping[str, Iterable[str]],
    problems: list[Problem],
) -> tuple[dict[str, Any], bool]:
    """The fields of an item with what it names put in; whether every name was known."""
    fields = dict(raw)
    fine = True
    for reference in references:
        value = raw.get(reference.field, () if reference.many else "")
        targets = built[reference.section]
        names = enumerate(value) if reference.many else ((None, value),)
        for position, name in names:
            if (reference.optional and not name) or name in targets:
                continue
            fine = False
            failed = broken.get(reference.section, ())
            if name not in failed and "*" not in failed:  # else its own problem is reported
                where = f"{path}.{reference.field}" + (f"[{position}]" if reference.many else "")
                problems.append(Problem(where, f"unknown {reference.noun} {quoted(name)}"))
        if fine and reference.replace:
            fields[reference.field] = targets.get(value) if value else None
    return fields, fine


def _countries_known(
    raw: Mapping[str, Any],
    path: str,
    fields: Iterable[str],
    known: frozenset[str],
    problems: list[Problem],
) -> bool:
    fine = True
    for field in fields:
        value = raw.get(field, "")
        codes = enumerate(value) if isinstance(value, list | tuple) else ((None, value),)
        for position, code in codes:
            if (position is None and not code) or code in known:
                continue  # a scalar code may be empty: not stated
            fine = False
            where = f"{path}.{field}" + (f"[{position}]" if position is not None else "")
            problems.append(Problem(where, f"unknown country code {quoted(code)}"))
    return fine


def catalog_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of catalog files (the first call imports pydantic).

    >>> catalog_json_schema()["title"]
    'residency catalog'
    """
    from residency._schema import catalog_json_schema as schema  # noqa: PLC0415 - lazy by design

    return schema()
