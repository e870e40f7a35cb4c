"""The file schemas: the one place that knows the shape of a catalog or agreements file.

Catalog files and agreements files (TOML or JSON) are checked here against pydantic models,
every problem gathered with its path and said in plain words; what passes is handed on as
plain data, in the field names of the values it becomes (``residency.catalog``,
``residency.groups``, ``residency.agreements``), which build themselves from it by a small
table of references. Adding a field touches its model here and its value there, nothing else.

A catalog is checked item by item: a data center with a bad field is reported and left out,
and the rest of the catalog is still checked (references, coverage), so one run lists every
problem. The bundled catalog skips this module at run time (the test suite checks it against
the same models), so importing residency does not import pydantic.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import attrs
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
)

from residency import _time
from residency._text import shown
from residency.errors import InvalidTime, Problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "CATALOG_SECTIONS",
    "AgreementsFile",
    "CatalogFile",
    "Checked",
    "catalog_json_schema",
    "check_agreements",
    "check_catalog",
    "check_groups",
]

# --- field types ------------------------------------------------------------------------------

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
GROUP_PATTERN: Final = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
GroupId = Annotated[str, Field(min_length=1, max_length=64, pattern=GROUP_PATTERN)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="An ISO 3166-1 alpha-2 code.")]
MaybeCountry = Annotated[
    str, Field(pattern=r"^([A-Z]{2})?$", description="An alpha-2 code, or empty if not stated.")
]
Text = Annotated[str, Field(max_length=4000)]
Count = Annotated[int, Field(ge=0, le=3650)]


def _day(value: object) -> datetime:
    try:
        return _time.day_or_instant(value)
    except InvalidTime as error:
        raise ValueError(str(error)) from None


def _instant(value: object) -> datetime:
    try:
        return _time.instant(value)
    except InvalidTime as error:
        raise ValueError(str(error)) from None


Day = Annotated[
    datetime,
    BeforeValidator(_day),
    WithJsonSchema(
        {"type": "string", "description": "An ISO date (00:00 UTC) or an RFC 3339 time."}
    ),
]
Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "description": "RFC 3339, with an offset."}
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- catalog files ------------------------------------------------------------------------------


class QuoteModel(_Model):
    """A statement of the source: English text, the original words, where it stands."""

    text: Text
    as_written: Text = ""
    ref: Text = ""
    note: Text = ""


class SafeguardModel(QuoteModel):
    """A contractual safeguard sub-processors must meet."""

    id: Id


class SourceModel(_Model):
    """The document the catalog's facts come from."""

    title: Text
    publisher: Text = ""
    language: Text = ""
    updated: Text = ""
    updated_as_written: Text = ""
    service: Text = ""


class RegionModel(_Model):
    """A region where data is stored."""

    id: Id
    name: Text
    as_written: Text = ""


class ProviderModel(_Model):
    """A company that operates data centers."""

    id: Id
    legal_name: Text
    jurisdiction: MaybeCountry = ""


class FacilityModel(_Model):
    """A facility statement of the source."""

    id: Id
    text: Text
    as_written: Text = ""
    standards: list[Text] = []
    power: Text = ""
    power_as_written: Text = ""
    backup: list[Text] = []


class DataCenterModel(_Model):
    """A data center; it belongs to exactly one region."""

    id: Id
    provider: Id
    region: Id
    as_written: Text = ""
    location: Text = ""
    serves: Text = ""
    country: MaybeCountry = ""
    city: Text = ""
    facility: Annotated[str, Field(max_length=64)] = ""
    certifications: list[Text] = []
    weight: Annotated[float, Field(gt=0, le=1_000_000)] = 1.0
    ref: Text = ""


class SubProcessorModel(_Model):
    """A third party that may access service data."""

    id: Id
    name: Text = ""
    kind: Literal["service", "support"]
    role: Text = ""
    as_written: Text = ""
    group_company: bool = False
    country: MaybeCountry = ""
    consent_required: bool = False
    condition: Text = ""
    condition_as_written: Text = ""
    ref: Text = ""


class RuleModel(_Model):
    """An assignment rule; the first rule that matches a country wins."""

    id: Id
    region: Id
    title: Text = ""
    countries: list[Country] = []
    groups: list[GroupId] = []


class UnassignedModel(_Model):
    """A country the catalog assigns to no region."""

    country: Country
    reason: Text = ""


def _m49(value: object) -> object:
    if not isinstance(value, str):
        message = f'expected a three-digit UN M49 code as text ("150"), not {_kind(value)}'
        raise ValueError(message)  # noqa: TRY004 - pydantic reports a ValueError as a problem
    return value


M49 = Annotated[str, BeforeValidator(_m49), Field(pattern=r"^\d{3}$")]
Title = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]


def _member_kind(value: object) -> str | None:
    if isinstance(value, str):
        return "code"
    return "table" if isinstance(value, dict) else None


class MemberModel(_Model):
    """A dated group membership: ``since`` inclusive, ``until`` exclusive (a date is 00:00 UTC)."""

    country: Country
    since: Day | None = None
    until: Day | None = None


class GroupModel(_Model):
    """A named group of countries that a catalog defines for its own rules."""

    title: Title
    source: Title
    note: Text = ""
    m49: M49 | None = None
    members: list[
        Annotated[
            Annotated[Country, Tag("code")] | Annotated[MemberModel, Tag("table")],
            Discriminator(_member_kind),
        ]
    ] = []
    include: list[GroupId] = []


STATEMENTS: Final = (
    "promise",
    "assignment",
    "due_diligence",
    "disclaimer",
    "dpa_request",
    "management",
)
"""The single statements of the source a catalog may quote, each a :class:`QuoteModel`."""


class CatalogFile(_Model):
    """A residency catalog file (TOML or JSON)."""

    model_config = ConfigDict(title="residency catalog")

    schema_: Literal[1] = Field(1, alias="schema", description="The schema version.")
    id: Id
    title: Text = ""
    version: Text = ""
    source: SourceModel
    placement: Literal["rendezvous-blake2b-v1"] = Field(
        "rendezvous-blake2b-v1",
        description=(
            "The placement scheme: how an account's data centers are ordered. Changing it moves "
            "customers' data."
        ),
    )
    notice_days: Annotated[int, Field(ge=0, le=3650)] | None = Field(
        None,
        description=(
            "The days customers have to object to a new or replaced sub-processor "
            "(GDPR Art. 28(2)); absent where the source does not state them."
        ),
    )
    promise: QuoteModel | None = None
    assignment: QuoteModel | None = None
    due_diligence: QuoteModel | None = None
    disclaimer: QuoteModel | None = None
    dpa_request: QuoteModel | None = None
    management: QuoteModel | None = None
    safeguards: list[SafeguardModel] = []
    regions: Annotated[list[RegionModel], Field(min_length=1)]
    providers: list[ProviderModel] = []
    facilities: list[FacilityModel] = []
    data_centers: Annotated[list[DataCenterModel], Field(min_length=1)]
    subprocessors: list[SubProcessorModel] = []
    groups: dict[GroupId, GroupModel] = {}
    rules: Annotated[list[RuleModel], Field(min_length=1)]
    unassigned: list[UnassignedModel] = []


CATALOG_SECTIONS: Final[Mapping[str, type[_Model]]] = {
    "safeguards": SafeguardModel,
    "regions": RegionModel,
    "providers": ProviderModel,
    "facilities": FacilityModel,
    "data_centers": DataCenterModel,
    "subprocessors": SubProcessorModel,
    "rules": RuleModel,
    "unassigned": UnassignedModel,
}
"""The list sections of a catalog and the model of each item, in file order."""

_REQUIRED_SECTIONS: Final = frozenset({"regions", "data_centers", "rules"})

EVERY_ID: Final = frozenset({"*"})
"""The ids that failed of a section missing or unreadable as a whole: every one, so that what
refers into it is not reported again as unknown."""


class _Shell(_Model):
    """The catalog's own fields, checked apart from its sections' items."""

    schema_: Literal[1] = Field(1, alias="schema")
    id: Id
    title: Text = ""
    version: Text = ""
    source: SourceModel
    placement: Literal["rendezvous-blake2b-v1"] = Field(
        "rendezvous-blake2b-v1",
        description=(
            "The placement scheme: how an account's data centers are ordered. Changing it moves "
            "customers' data."
        ),
    )
    notice_days: Annotated[int, Field(ge=0, le=3650)] | None = Field(
        None,
        description=(
            "The days customers have to object to a new or replaced sub-processor "
            "(GDPR Art. 28(2)); absent where the source does not state them."
        ),
    )


def catalog_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of catalog files."""
    schema = CatalogFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


@attrs.frozen
class Checked:
    """A document as far as it passed its schema: the good parts, and every problem found."""

    data: dict[str, Any]
    """The fields and the items that passed, normalised (defaults filled in)."""
    problems: tuple[Problem, ...]
    """Every problem of the document's shape, in document order."""
    broken: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    """Per section, the ids of the items that failed: references to them are not reported
    again as unknown."""
    left_out: Mapping[str, tuple[Any, ...]] = attrs.field(factory=dict)
    """Per section, the items that failed, as written: what they name still counts (a region
    whose one data center has a bad field is not also reported as having none)."""
    positions: Mapping[str, tuple[int, ...]] = attrs.field(factory=dict)
    """For a group checked without its bad members, the positions in the file of the members
    kept, so that what the others name is reported at their own paths."""


def check_catalog(document: object) -> Checked:
    """Check a parsed catalog document item by item; keep what passes, list every problem."""
    problems: list[Problem] = []
    if not isinstance(document, dict):
        problems.append(Problem("", f"a catalog is a table, not {_kind(document)}"))
        return Checked({}, tuple(problems))
    known = {"schema", *_Shell.model_fields, *STATEMENTS, *CATALOG_SECTIONS, "groups"}
    problems.extend(
        Problem(str(key), "unknown field") for key in document if key not in known - {"schema_"}
    )
    data: dict[str, Any] = {}
    shell = {key: document[key] for key in ("schema", *_Shell.model_fields) if key in document}
    shell_model = _validated(_Shell, shell, "", problems)
    if shell_model is not None:
        data.update(shell_model.model_dump(exclude={"schema_"}))
    for key in STATEMENTS:
        if key in document:
            quote = _validated(QuoteModel, document[key], key, problems)
            if quote is not None:
                data[key] = quote.model_dump()
    broken: dict[str, frozenset[str]] = {}
    left_out: dict[str, tuple[Any, ...]] = {}
    for section, model in CATALOG_SECTIONS.items():
        items, failed = _items(document, section, model, problems)
        data[section] = items
        broken[section] = failed
        raw = document.get(section)
        if isinstance(raw, list) and len(items) < len(raw):
            left_out[section] = tuple(item for item in raw if isinstance(item, dict))
    groups = check_groups(document.get("groups", {}), path="groups")
    problems.extend(groups.problems)
    data["groups"] = groups.data
    broken["groups"] = groups.broken.get("groups", frozenset())
    return Checked(data, tuple(problems), broken, left_out)


def check_groups(table: object, *, path: str = "groups") -> Checked:
    """Check a table of groups (group id -> group); keep the groups that pass."""
    problems: list[Problem] = []
    if not isinstance(table, dict):
        problems.append(Problem(path, f"expected a table of groups, not {_kind(table)}"))
        return Checked({}, tuple(problems))
    good: dict[str, Any] = {}
    failed: set[str] = set()
    positions: dict[str, tuple[int, ...]] = {}
    for key, raw in table.items():
        where = _child(path, key)
        if not isinstance(key, str) or not re.fullmatch(GROUP_PATTERN, key):
            problems.append(
                Problem(
                    where,
                    "a group id is lower-case letters, digits and hyphens, starting"
                    " and ending with a letter or digit",
                )
            )
            continue
        group, kept = _validated_pruned(GroupModel, raw, where, problems)
        whole = kept is None
        if group is None:
            failed.add(key)
            continue
        if not group.members and not group.include:
            if whole:
                problems.append(Problem(where, "a group needs members or include: at least one"))
            failed.add(key)
            continue
        good[key] = group.model_dump(exclude_none=True)
        if kept is not None:
            failed.add(key)  # checked for what it names, never built
            positions[key] = kept
    return Checked(good, tuple(problems), {"groups": frozenset(failed)}, positions=positions)


def _validated_pruned(
    model: type[_Model], value: object, path: str, problems: list[Problem]
) -> tuple[Any, tuple[int, ...] | None]:
    """Validate a group; where only some of its members fail, also the group without them.

    Returns the model (or None) and, for a group checked without its bad members, the
    positions of the members kept (None for the whole group). A group with one bad member is
    reported, and its other members are still checked for what they name, so that one run
    lists every problem.
    """
    try:
        return model.model_validate(value), None
    except ValidationError as error:
        problems.extend(_plain(error, path))
        failed = error.errors(include_url=False)
    members = value.get("members") if isinstance(value, dict) else None
    locations = [detail["loc"] for detail in failed]
    if (
        not isinstance(value, dict)
        or not isinstance(members, list)
        or any(where[:1] != ("members",) or len(where) < 2 for where in locations)
    ):
        return None, None  # a problem outside the members' entries: nothing to leave out
    bad = {where[1] for where in locations}
    kept = tuple(index for index in range(len(members)) if index not in bad)
    try:
        return model.model_validate({**value, "members": [members[i] for i in kept]}), kept
    except ValidationError:
        return None, None


# --- agreements files ---------------------------------------------------------------------------


class AgreementModel(_Model):
    """One agreement of an agreements file, in the field names of ``residency.Agreement``."""

    id: Annotated[str, Field(min_length=1, max_length=200)]
    account_id: Annotated[str, Field(min_length=1, max_length=200)]
    destinations: Annotated[list[Id], Field(min_length=1)]
    valid_from: Instant
    valid_until: Instant | None = None
    revoked_at: Instant | None = None
    basis: Literal[
        "customer-consent",
        "standard-contractual-clauses",
        "dpa-amendment",
        "binding-corporate-rules",
        "adequacy-decision",
        "other",
    ] = "customer-consent"
    reference: Text = ""


class AgreementsFile(_Model):
    """An agreements file (TOML or JSON): a top-level ``agreements`` array."""

    model_config = ConfigDict(title="residency agreements")

    agreements: list[AgreementModel]


def check_agreements(document: object) -> Checked:
    """Check a parsed agreements document; keep the agreements that pass, list every problem."""
    problems: list[Problem] = []
    if not isinstance(document, dict):
        problems.append(Problem("", f"an agreements file is a table, not {_kind(document)}"))
        return Checked({"agreements": []}, tuple(problems))
    problems.extend(Problem(str(key), "unknown field") for key in document if key != "agreements")
    if "agreements" not in document:
        problems.append(Problem("agreements", "missing"))
    items, failed = _items(document, "agreements", AgreementModel, problems)
    return Checked({"agreements": items}, tuple(problems), {"agreements": failed})


# --- checking, in plain words ---------------------------------------------------------------------


def _items(
    document: Mapping[str, Any], section: str, model: type[_Model], problems: list[Problem]
) -> tuple[list[dict[str, Any]], frozenset[str]]:
    """Check each item of a list section; return the good ones and the ids of the bad."""
    raw = document.get(section, [])
    if not isinstance(raw, list):
        problems.append(Problem(section, f"expected a list, not {_kind(raw)}"))
        return [], EVERY_ID
    if not raw and section in _REQUIRED_SECTIONS:
        problems.append(Problem(section, "needs at least one entry"))
        return [], EVERY_ID
    good: list[dict[str, Any]] = []
    failed: set[str] = set()
    for index, item in enumerate(raw):
        checked = _validated(model, item, f"{section}[{index}]", problems)
        if checked is not None:
            good.append(checked.model_dump())
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            failed.add(item["id"])
    return good, frozenset(failed)


def _validated(model: type[_Model], value: object, path: str, problems: list[Problem]) -> Any:  # noqa: ANN401 - an instance of ``model``
    try:
        return model.model_validate(value)
    except ValidationError as error:
        problems.extend(_plain(error, path))
        return None


def _plain(error: ValidationError, prefix: str) -> list[Problem]:
    """Every error of a validation, as a problem in plain words at its path."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for detail in error.errors(include_url=False):
        path = _join(prefix, detail["loc"])
        message = _said(detail)
        if (path, message) not in seen:  # a union reports each branch: say it once
            seen.add((path, message))
            problems.append(Problem(path, message))
    return problems


def _join(prefix: str, location: Iterable[int | str]) -> str:
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _BRANCHES or str(part).startswith("function-"):
            continue  # the branch of a union or a validator, not a place in the document
        else:
            path += f".{part}" if path else str(part)
    return path


_BRANCHES: Final = frozenset({"code", "table", "constrained-str", "str", "datetime"})

# The pydantic error types, said as a reader of the file would want them said.
_MESSAGES: Final[Mapping[str, str]] = {
    "missing": "missing",
    "extra_forbidden": "unknown field",
    "string_type": "expected text, not {kind}",
    "string_too_short": "must not be empty",
    "string_too_long": "at most {max_length} characters, not {length:,}",
    "bool_type": "expected true or false, not {kind}",
    "int_type": "expected a whole number, not {kind}",
    "float_type": "expected a number, not {kind}",
    "greater_than": "must be more than {gt}, not {input}",
    "greater_than_equal": "must be at least {ge}, not {input}",
    "less_than_equal": "must be at most {le}, not {input}",
    "list_type": "expected a list, not {kind}",
    "too_short": "needs at least {min_length} entry",
    "dict_type": "expected a table, not {kind}",
    "model_type": "expected a table, not {kind}",
    "model_attributes_type": "expected a table, not {kind}",
    "literal_error": "expected one of {expected}, not {input}",
    "datetime_type": "expected a time, not {kind}",
    "union_tag_not_found": "expected a country code (DE) or a table with country, not {kind}",
    "union_tag_invalid": "expected a country code (DE) or a table with country, not {kind}",
}

_PATTERNS: Final[Mapping[str, str]] = {
    ID_PATTERN: "an id is letters, digits, '.', '_' and '-', starting with a letter or digit",
    GROUP_PATTERN: "a group id is lower-case letters, digits and hyphens",
    r"^[A-Z]{2}$": "expected an ISO 3166-1 alpha-2 code in capitals (DE)",
    r"^([A-Z]{2})?$": "expected an ISO 3166-1 alpha-2 code in capitals (DE), or nothing",
    r"^\d{3}$": 'expected a three-digit UN M49 code as text ("150")',
}


def _said(detail: Mapping[str, Any]) -> str:
    kind = detail["type"]
    context = dict(detail.get("ctx") or {})
    value = detail.get("input")
    if kind == "value_error":
        return str(context.get("error", detail["msg"]))
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        if pattern == r"\S":
            return "must not be empty"
        said = f"{_PATTERNS.get(pattern, 'does not fit ' + pattern)}, not {shown(value)}"
        code = value.strip() if isinstance(value, str) else ""
        if pattern.startswith(r"^[A-Z]{2}") and len(code) == 2 and code.isalpha():
            said += f": write {shown(code.upper())}"
        return said
    template = _MESSAGES.get(kind)
    if template is None:
        return str(detail["msg"])
    fields = {**context, "kind": _kind(value), "input": shown(value)}
    if isinstance(value, str):
        fields["length"] = len(value)
    try:
        return template.format(**fields)
    except (KeyError, ValueError):
        return str(detail["msg"])


def _child(path: str, key: object) -> str:
    if isinstance(key, str) and key.replace("-", "").replace("_", "").isalnum() and len(key) <= 64:
        return f"{path}.{key}"
    return f"{path}[{shown(key)}]"


def _kind(value: object) -> str:
    """Name the type of a value the way the document's author would see it."""
    names = {
        type(None): "nothing",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        tuple: "a list",
        dict: "a table",
    }
    return names.get(type(value), f"a {type(value).__name__}")
