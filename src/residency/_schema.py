"""The catalog file schema: pydantic models at the file edge, and its JSON Schema.

Only files pass through here: a catalog file is parsed (TOML or JSON), checked against these
models with every problem gathered, and handed on as plain data. The bundled catalog skips
this module at run time (the test suite checks it against the same models), so importing
residency does not import pydantic.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from residency.errors import CatalogError, InvalidAgreement, Problem

if TYPE_CHECKING:
    import os

__all__ = [
    "AgreementsFile",
    "CatalogFile",
    "catalog_json_schema",
    "parse_document",
    "read_agreements",
    "read_catalog",
    "validate",
]

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="An ISO 3166-1 alpha-2 code.")]
MaybeCountry = Annotated[
    str, Field(pattern=r"^([A-Z]{2})?$", description="An alpha-2 code, or empty if not stated.")
]
Text = Annotated[str, Field(max_length=4000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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
    weight: Annotated[float, Field(gt=0, le=1_000_000, strict=False)] = 1.0
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
    groups: list[Id] = []


class UnassignedModel(_Model):
    """A country the catalog assigns to no region."""

    country: Country
    reason: Text = ""


class MemberModel(_Model):
    """A dated group membership: ``since`` inclusive, ``until`` exclusive, at 00:00 UTC."""

    country: Country
    since: Annotated[date, Field(strict=False)] | None = None
    until: Annotated[date, Field(strict=False)] | None = None


class GroupModel(_Model):
    """A named group of countries that a catalog defines for its own rules."""

    title: Text
    source: Text
    note: Text = ""
    m49: Annotated[str, Field(pattern=r"^\d{3}$")] | None = None
    members: list[Country | MemberModel] = []
    include: list[Id] = []


class CatalogFile(_Model):
    """A residency catalog file (TOML or JSON)."""

    model_config = ConfigDict(title="residency catalog")

    schema_: Literal[1] = Field(1, alias="schema", description="The schema version.")
    id: Id
    title: Text = ""
    version: Text = ""
    source: SourceModel
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
    groups: dict[Id, GroupModel] = {}
    rules: Annotated[list[RuleModel], Field(min_length=1)]
    unassigned: list[UnassignedModel] = []


def catalog_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of catalog files."""
    schema = CatalogFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def parse_document(text: bytes, *, suffix: str, source: str) -> dict[str, Any]:
    """Parse a TOML or JSON document; a syntax error is a ``CatalogError``."""
    try:
        decoded = text.decode("utf-8")
        if suffix == ".toml":
            return tomllib.loads(decoded)
        if suffix == ".json":
            data = json.loads(decoded)
        else:
            message = f"unsupported file type {suffix or '(none)'!r}: use .toml or .json"
            raise CatalogError([Problem("", message)], source=source)
    except UnicodeDecodeError as error:
        raise CatalogError([Problem("", f"not UTF-8: {error}")], source=source) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise CatalogError(
            [Problem("", f"not valid {suffix[1:].upper()}: {error}")], source=source
        ) from None
    if not isinstance(data, dict):
        message = f"the document must be an object, not {type(data).__name__}"
        raise CatalogError([Problem("", message)], source=source)
    return data


def _problems(error: ValidationError) -> list[Problem]:
    return [
        Problem(_path(detail["loc"]), detail["msg"]) for detail in error.errors(include_url=False)
    ]


def validate(data: object, *, source: str | None = None) -> dict[str, Any]:
    """Check ``data`` against the catalog schema; return it normalised, or raise every problem."""
    try:
        model = CatalogFile.model_validate(data)
    except ValidationError as error:
        raise CatalogError(_problems(error), source=source) from None
    return model.model_dump(by_alias=True, exclude_none=True)


def _suffix(source: str) -> str:
    name = source.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _read(path: str | os.PathLike[str], source: str) -> bytes:
    try:
        with open(path, "rb") as file:  # noqa: PTH123 - the caller's path, str or PathLike
            return file.read()
    except OSError as error:
        raise CatalogError([Problem("", f"cannot read: {error.strerror}")], source=source) from None


def read_catalog(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read, parse and check the catalog file at ``path``."""
    source = str(path)
    data = parse_document(_read(path, source), suffix=_suffix(source), source=source)
    return validate(data, source=source)


# --- agreements files -----------------------------------------------------------------------

Instant = Annotated[AwareDatetime, Field(strict=False, description="RFC 3339, with an offset.")]


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


def read_agreements(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read, parse and check the agreements file at ``path``; return one mapping per agreement."""
    source = str(path)
    try:
        data = parse_document(_read(path, source), suffix=_suffix(source), source=source)
        model = AgreementsFile.model_validate(data)
    except CatalogError as error:
        raise InvalidAgreement(error.problems, source=source) from None
    except ValidationError as error:
        raise InvalidAgreement(_problems(error), source=source) from None
    return [agreement.model_dump() for agreement in model.agreements]
