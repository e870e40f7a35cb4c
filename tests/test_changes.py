"""diff_catalogs over real catalog files: every kind of change, in both directions, and notices."""

from __future__ import annotations

import copy
import json
import tomllib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from residency import (
    CatalogError,
    ChangeKind,
    InvalidTime,
    default_policy,
    diff_catalogs,
    load_policy,
)
from residency._data import read_bytes
from residency.catalog import NOT_STATED
from residency.locations import countries

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from residency import CatalogDiff, Policy

AT = datetime(2026, 6, 1, tzinfo=UTC)
Document = dict[str, Any]


def bundled() -> Document:
    """The bundled catalog as a document, to edit."""
    document: Document = tomllib.loads(read_bytes("catalog.toml").decode("utf-8"))
    return document


def write(tmp_path: Path, document: Document, name: str) -> Path:
    """``document`` as a catalog file of its own."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def item(document: Document, section: str, key: str) -> dict[str, Any]:
    """The item ``key`` of a section of ``document``."""
    found: dict[str, Any] = next(each for each in document[section] if each.get("id") == key)
    return found


def rule(document: Document, key: str) -> dict[str, Any]:
    """The rule ``key`` of ``document``."""
    return item(document, "rules", key)


NEW_DATA_CENTER = {
    "id": "example-eu-2",
    "provider": "linode",
    "region": "EU",
    "location": "Frankfurt",
    "ref": "an example, not a fact of the source",
}
NEW_PROVIDER = {"id": "example-cloud", "legal_name": "Example Cloud, Inc.", "jurisdiction": "US"}
NEW_HOST = {
    "id": "example-cloud-eu",
    "provider": "example-cloud",
    "region": "EU",
    "location": "Amsterdam",
    "as_written": "Example Cloud (EU)",
    "ref": "an example",
}
NEW_SUBPROCESSOR = {
    "id": "example-mail",
    "name": "Example Mail, Inc.",
    "kind": "service",
    "role": "Sends the service's email.",
    "condition": "May access service data to send email.",
    "ref": "an example",
}


def _add_data_center(document: Document) -> None:
    document["data_centers"].append(dict(NEW_DATA_CENTER))


def _add_host(document: Document) -> None:
    document["providers"].append(dict(NEW_PROVIDER))
    document["data_centers"].append(dict(NEW_HOST))


def _add_subprocessor(document: Document) -> None:
    document["subprocessors"].append(dict(NEW_SUBPROCESSOR))


def _weigh(document: Document) -> None:
    item(document, "data_centers", "linode-eu")["weight"] = 2.0


def _rehost(document: Document) -> None:
    item(document, "data_centers", "aws-eu-west-1")["provider"] = "linode"


def _refacility(document: Document) -> None:
    item(document, "data_centers", "linode-eu")["facility"] = "stable-power"


def _move_data_center(document: Document) -> None:
    item(document, "data_centers", "websupport-eu")["region"] = "UK"


def _condition(document: Document) -> None:
    item(document, "subprocessors", "twilio")["condition"] = "May access call recordings."


def _kind(document: Document) -> None:
    item(document, "subprocessors", "twilio")["kind"] = "support"


def _reference(document: Document) -> None:
    item(document, "subprocessors", "twilio")["ref"] = "Other sub-processors (moved)"


def _move_iran(document: Document) -> None:
    # Iran, named by the EU rule, falls to the Southern Asia group of the APAC rule.
    rule(document, "europe-africa-west-central-asia")["countries"] = ["XK"]


def _switzerland_by_group(document: Document) -> None:
    # Switzerland, named by the EEA rule, falls to the rest-of-Europe rule: same region.
    rule(document, "eu-eea")["countries"] = ["AX"]


def _add_region(document: Document) -> None:
    document["regions"].append({"id": "LATAM", "name": "Latin America"})
    document["data_centers"].append(
        {"id": "example-br", "provider": "aws", "region": "LATAM", "ref": "an example"}
    )
    document["rules"].insert(0, {"id": "brazil", "region": "LATAM", "countries": ["BR"]})


def _rename_region(document: Document) -> None:
    item(document, "regions", "APAC")["name"] = "Asia and the Pacific"


def _jurisdiction(document: Document) -> None:
    item(document, "providers", "aws")["jurisdiction"] = "US"


def _notice_days(document: Document) -> None:
    document["notice_days"] = 30


# name: (the edit, the changes old -> new as (kind, path), the same new -> old)
CASES: dict[str, tuple[Callable[[Document], None], list[tuple[str, str]], list[tuple[str, str]]]]
CASES = {
    "data center added": (
        _add_data_center,
        [("data-center-added", "data_centers.example-eu-2")],
        [("data-center-removed", "data_centers.example-eu-2")],
    ),
    "data center weight": (
        _weigh,
        [("data-center-changed", "data_centers.linode-eu.weight")],
        [("data-center-changed", "data_centers.linode-eu.weight")],
    ),
    "data center provider": (
        _rehost,
        [("data-center-changed", "data_centers.aws-eu-west-1.provider")],
        [("data-center-changed", "data_centers.aws-eu-west-1.provider")],
    ),
    "data center facility": (
        _refacility,
        [("data-center-changed", "data_centers.linode-eu.facility")],
        [("data-center-changed", "data_centers.linode-eu.facility")],
    ),
    "data center region": (
        _move_data_center,
        [("data-center-changed", "data_centers.websupport-eu.region")],
        [("data-center-changed", "data_centers.websupport-eu.region")],
    ),
    "provider added with its data center": (
        _add_host,
        [
            ("provider-added", "providers.example-cloud"),
            ("data-center-added", "data_centers.example-cloud-eu"),
        ],
        [
            ("provider-removed", "providers.example-cloud"),
            ("data-center-removed", "data_centers.example-cloud-eu"),
        ],
    ),
    "provider jurisdiction": (
        _jurisdiction,
        [("provider-changed", "providers.aws.jurisdiction")],
        [("provider-changed", "providers.aws.jurisdiction")],
    ),
    "sub-processor added": (
        _add_subprocessor,
        [("subprocessor-added", "subprocessors.example-mail")],
        [("subprocessor-removed", "subprocessors.example-mail")],
    ),
    "sub-processor condition": (
        _condition,
        [("subprocessor-changed", "subprocessors.twilio.condition")],
        [("subprocessor-changed", "subprocessors.twilio.condition")],
    ),
    "sub-processor kind": (
        _kind,
        [("subprocessor-changed", "subprocessors.twilio.kind")],
        [("subprocessor-changed", "subprocessors.twilio.kind")],
    ),
    "a country moves region": (
        _move_iran,
        [("country-region-changed", "countries.IR")],
        [("country-region-changed", "countries.IR")],
    ),
    "a country moves rule": (
        _switzerland_by_group,
        [("country-rule-changed", "countries.CH")],
        [("country-rule-changed", "countries.CH")],
    ),
    "region added": (
        _add_region,
        [
            ("region-added", "regions.LATAM"),
            ("data-center-added", "data_centers.example-br"),
            ("country-region-changed", "countries.BR"),
        ],
        [
            ("region-removed", "regions.LATAM"),
            ("data-center-removed", "data_centers.example-br"),
            ("country-region-changed", "countries.BR"),
        ],
    ),
    "region renamed": (
        _rename_region,
        [("region-changed", "regions.APAC.name")],
        [("region-changed", "regions.APAC.name")],
    ),
    "notice window": (
        _notice_days,
        [("notice-days-changed", "notice_days")],
        [("notice-days-changed", "notice_days")],
    ),
}


def _pair(tmp_path: Path, edit: Callable[[Document], None]) -> tuple[Policy, Policy]:
    old = bundled()
    new = copy.deepcopy(old)
    edit(new)
    return load_policy(write(tmp_path, old, "old")), load_policy(write(tmp_path, new, "new"))


def _kinds(diff: CatalogDiff) -> list[tuple[str, str]]:
    return [(change.kind.value, change.path) for change in diff.changes]


@pytest.mark.parametrize("case", CASES)
def test_every_kind_of_change_both_ways(tmp_path: Path, case: str) -> None:
    """Each edit is found as exactly its changes, and the reverse diff as their mirror."""
    edit, forward, backward = CASES[case]
    old, new = _pair(tmp_path, edit)
    there, back = diff_catalogs(old, new, at=AT), diff_catalogs(new, old, at=AT)
    assert _kinds(there) == forward
    assert _kinds(back) == backward
    for change, mirror in zip(there.changes, back.changes, strict=True):
        assert (change.old, change.new) == (mirror.new, mirror.old)


def test_field_changes_carry_both_values(tmp_path: Path) -> None:
    """A changed field gives its old and its new value, as JSON-ready data."""
    old, new = _pair(tmp_path, _weigh)
    (change,) = diff_catalogs(old, new, at=AT).changes
    assert (change.old, change.new) == (1.0, 2.0)
    old, new = _pair(tmp_path, _move_iran)
    (change,) = diff_catalogs(old, new, at=AT).changes
    assert change.old == {"region": "EU", "rule": "europe-africa-west-central-asia"}
    assert change.new == {"region": "APAC", "rule": "asia-pacific"}


def test_an_added_item_is_given_whole(tmp_path: Path) -> None:
    """An added data center comes whole, in its wire form, its provider too."""
    old, new = _pair(tmp_path, _add_data_center)
    (change,) = diff_catalogs(old, new, at=AT).changes
    assert change.old is None
    assert change.new["id"] == "example-eu-2"
    assert change.new["region"] == "EU"
    assert change.new["location"] == "Frankfurt"
    assert change.new["provider"]["legal_name"] == "Linode, LLC"


def test_the_same_catalog_has_no_changes(tmp_path: Path) -> None:
    """Two files of the same catalog differ in nothing, and need no notice."""
    old, new = _pair(tmp_path, lambda _: None)
    diff = diff_catalogs(old, new, at=AT)
    assert not diff
    assert diff.changes == ()
    assert diff.notices == ()
    assert (diff.old, diff.new) == ("liveagent-2019-10-28", "liveagent-2019-10-28")


def test_countries_are_compared_at_the_moment_asked(tmp_path: Path) -> None:
    """A dated membership is compared as of ``at``: every country, one answer per moment."""
    old, new = _pair(tmp_path, _move_iran)
    assert len(countries()) == 250  # every ISO 3166-1 country and XK is compared
    early = diff_catalogs(old, new, at=datetime(2019, 6, 1, tzinfo=UTC))
    assert _kinds(early) == [("country-region-changed", "countries.IR")]


def test_a_new_placement_scheme_is_its_own_change() -> None:
    """A new placement scheme is one change of its own, which the diff flags."""
    catalog = default_policy().catalog
    renamed = attrs.evolve(catalog, placement="rendezvous-example-v2")
    diff = diff_catalogs(catalog, renamed, at=AT)
    assert diff.placement_changed
    assert [change.to_dict() for change in diff.changes] == [
        {
            "kind": "placement-changed",
            "path": "placement",
            "old": "rendezvous-blake2b-v1",
            "new": "rendezvous-example-v2",
        }
    ]
    assert not diff_catalogs(catalog, catalog, at=AT).placement_changed


def test_an_unknown_placement_scheme_is_refused(tmp_path: Path) -> None:
    """A catalog naming a scheme residency does not know is refused, never guessed."""
    document = bundled()
    document["placement"] = "round-robin"
    with pytest.raises(CatalogError, match="placement"):
        load_policy(write(tmp_path, document, "odd"))


# --- notices --------------------------------------------------------------------------------


def test_a_new_subprocessor_is_told_to_everyone_with_the_window(tmp_path: Path) -> None:
    """An added service sub-processor is told to every region, with the stated window."""

    def edit(document: Document) -> None:
        _add_subprocessor(document)
        _notice_days(document)

    old, new = _pair(tmp_path, edit)
    (notice,) = diff_catalogs(old, new, at=AT).notices
    assert notice.subprocessor == "example-mail"
    assert notice.name == "Example Mail, Inc."
    assert notice.function == "Sends the service's email."
    assert notice.change == "added"
    assert notice.everyone
    assert notice.regions == ("EU", "UK", "US", "APAC")
    assert notice.customers == "all customers"
    assert notice.notice_days == 30
    assert notice.window == "30 days to object"
    assert "May access service data to send email." in notice.quotes
    assert notice.to_dict()["customers"] == "all"


def test_the_bundled_catalog_states_no_window(tmp_path: Path) -> None:
    """Where the catalog states no window, the notice says so: None, not a default."""
    old, new = _pair(tmp_path, _add_subprocessor)
    (notice,) = diff_catalogs(old, new, at=AT).notices
    assert notice.notice_days is None
    assert notice.window == f"objection window {NOT_STATED}"
    assert notice.to_dict()["notice_days"] is None


def test_a_new_provider_in_a_region_is_told_to_that_region(tmp_path: Path) -> None:
    """A provider new to a region is a new sub-processor for that region's customers."""
    old, new = _pair(tmp_path, _add_host)
    (notice,) = diff_catalogs(old, new, at=AT).notices
    assert notice.subprocessor == "example-cloud"
    assert notice.name == "Example Cloud, Inc."
    assert notice.regions == ("EU",)
    assert not notice.everyone
    assert notice.customers == "customers of EU"
    assert "Example Cloud (EU)" in notice.quotes
    assert notice.path == "data_centers.example-cloud-eu"


def test_a_known_provider_opening_a_data_center_needs_no_notice(tmp_path: Path) -> None:
    """A data center of a provider already hosting the region calls for no notice."""
    old, new = _pair(tmp_path, _add_data_center)
    assert diff_catalogs(old, new, at=AT).notices == ()


@pytest.mark.parametrize(
    ("edit", "noticed"), [(_condition, True), (_kind, True), (_reference, False)]
)
def test_a_replaced_subprocessor_is_told_a_reworded_record_is_not(
    tmp_path: Path, edit: Callable[[Document], None], noticed: bool
) -> None:
    """A change in what a sub-processor is or does is a replacement; where it stands is not."""
    old, new = _pair(tmp_path, edit)
    diff = diff_catalogs(old, new, at=AT)
    assert diff.changes
    assert [(n.subprocessor, n.change) for n in diff.notices] == (
        [("twilio", "replaced")] if noticed else []
    )


def test_removals_need_no_notice(tmp_path: Path) -> None:
    """Removing a sub-processor calls for no objection notice."""
    old, new = _pair(tmp_path, _add_subprocessor)
    assert diff_catalogs(new, old, at=AT).notices == ()


def test_the_diff_as_json(tmp_path: Path) -> None:
    """The JSON form has the keys scripts rely on, and is JSON throughout."""
    old, new = _pair(tmp_path, _add_subprocessor)
    data = diff_catalogs(old, new, at=AT).to_dict()
    assert list(data) == ["from_catalog", "to_catalog", "at", "changes", "notices"]
    assert data["at"] == "2026-06-01T00:00:00+00:00"
    assert [sorted(change) for change in data["changes"]] == [["kind", "new", "old", "path"]]
    json.dumps(data)  # JSON-ready throughout


def test_diff_kinds_filter(tmp_path: Path) -> None:
    """of_kind keeps the changes of the kinds asked for, in order."""
    old, new = _pair(tmp_path, _add_region)
    diff = diff_catalogs(old, new, at=AT)
    assert [c.path for c in diff.of_kind(ChangeKind.REGION_ADDED, "data-center-added")] == [
        "regions.LATAM",
        "data_centers.example-br",
    ]


def test_a_naive_moment_is_refused() -> None:
    """A naive ``at`` is an InvalidTime, as everywhere."""
    catalog = default_policy().catalog
    with pytest.raises(InvalidTime, match="naive"):
        diff_catalogs(catalog, catalog, at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point
