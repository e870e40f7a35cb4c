"""The bundled catalog: exactly what the source says, cited, and nothing invented."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from residency import UnknownDataCenter, _data, _schema, default_policy
from residency.catalog import NOT_STATED, stated

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "liveagent-subprocessors-vi.txt"
CATALOG = default_policy().catalog

# (id, provider legal name, region, place as the source names it, customers it names, power)
DATA_CENTERS = [
    ("linode-eu", "Linode, LLC", "EU", "Europe", "", "abundant"),
    ("linode-uk", "Linode, LLC", "UK", "United Kingdom", "", "abundant"),
    ("linode-us", "Linode, LLC", "US", "United States", "", "abundant"),
    ("linode-sg", "Linode, LLC", "APAC", "Singapore", "", "abundant"),
    ("aws-eu-west-1", "Amazon Web Services, LLC", "EU", "Ireland", "EU customers", "stable"),
    ("aws-us-west-1", "Amazon Web Services, LLC", "US", "N. California", "US customers", "stable"),
    (
        "aws-ap-southeast-1",
        "Amazon Web Services, LLC",
        "APAC",
        "Singapore",
        "Asia-Pacific customers",
        "stable",
    ),
    ("websupport-eu", "Websupport, s.r.o.", "EU", "", "European customers", "abundant"),
]


def test_catalog_identity() -> None:
    """The bundled catalog is liveagent-2019-10-28, dated and sourced."""
    assert CATALOG.id == "liveagent-2019-10-28"
    assert CATALOG.version == "2019-10-28"
    assert CATALOG.source.updated == "2019-10-28"
    assert CATALOG.source.language == "vi"
    assert CATALOG.source.publisher == "Quality Unit, s. r. o."


def test_regions() -> None:
    """The catalog has the four regions EU, UK, US and APAC, in that order."""
    assert [region.id for region in CATALOG.regions] == ["EU", "UK", "US", "APAC"]
    assert CATALOG.region("APAC").as_written == "Châu Á-Thái Bình Dương"


@pytest.mark.parametrize(
    ("dc_id", "legal_name", "region", "location", "serves", "power"),
    DATA_CENTERS,
    ids=[row[0] for row in DATA_CENTERS],
)
def test_data_center(
    dc_id: str, legal_name: str, region: str, location: str, serves: str, power: str
) -> None:
    """Each data center carries its provider, region, place and facility as the source says."""
    dc = CATALOG.data_center(dc_id)
    assert dc.provider.legal_name == legal_name
    assert dc.region == region
    assert dc.location == location
    assert dc.serves == serves
    assert dc.city == ""
    assert dc.facility is not None
    assert dc.facility.power == power
    assert dc.facility.standards == ("Tier III+", "Tier IV", "PCI DSS", "SSAE-16", "ISO 27001")
    assert dc.facility.backup == ("UPS", "backup generators")
    assert dc.certifications == frozenset()
    assert dc.ref


def test_data_centers_in_source_order() -> None:
    """The catalog holds exactly the eight data centers of the source, in its order."""
    assert [dc.id for dc in CATALOG.data_centers] == [row[0] for row in DATA_CENTERS]


def test_unknown_data_center() -> None:
    """An unknown data center id raises UnknownDataCenter listing the known ones."""
    with pytest.raises(UnknownDataCenter) as caught:
        CATALOG.data_center("aws-eu-central-1")
    assert caught.value.data_center == "aws-eu-central-1"
    assert "linode-eu" in caught.value.known
    assert isinstance(caught.value, LookupError)
    with pytest.raises(UnknownDataCenter):
        CATALOG.data_center(["not", "hashable"])


def test_providers_state_no_jurisdiction() -> None:
    """The source states no provider's jurisdiction, so none is filled in."""
    assert {p.legal_name: p.jurisdiction for p in CATALOG.providers} == {
        "Linode, LLC": "",
        "Amazon Web Services, LLC": "",
        "Websupport, s.r.o.": "",
    }


def test_subprocessors() -> None:
    """Three service sub-processors, and the unnamed support ones that need consent."""
    rows = [(s.id, s.name, s.kind, s.consent_required, s.country) for s in CATALOG.subprocessors]
    assert rows == [
        ("quality-unit-llc", "Quality Unit, LLC", "service", False, ""),
        ("quality-unit-ukraine", "Quality Unit Ukraine", "service", False, ""),
        ("twilio", "Twilio, Inc.", "service", False, ""),
        ("support-24-7", "", "support", True, ""),
    ]
    assert CATALOG.subprocessors[0].group_company
    assert "consent" in CATALOG.subprocessors[3].condition


def test_safeguards_and_statements() -> None:
    """The five DPA obligations and the source's statements are part of the catalog."""
    assert len(CATALOG.safeguards) == 5
    for key in ("promise", "assignment", "due_diligence", "disclaimer", "dpa_request"):
        statement = CATALOG.statement(key)
        assert statement is not None
        assert statement.text
        assert statement.as_written
    assert CATALOG.statement("no-such-statement") is None


def test_not_stated_shows_as_such() -> None:
    """An empty fact shows as 'not stated in source', a stated one as itself."""
    assert stated(CATALOG.data_center("websupport-eu").location) == NOT_STATED
    assert stated(CATALOG.data_center("aws-eu-west-1").location) == "Ireland"


def _quotes() -> list[str]:
    document = _data.load_toml("catalog.toml")
    quotes: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("as_written") and isinstance(value, str) and value:
                    quotes.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return quotes


@pytest.mark.skipif(not SOURCE.exists(), reason="the source document is not beside the checkout")
@pytest.mark.parametrize("quote", _quotes())
def test_every_quote_stands_in_the_source(quote: str) -> None:
    """Every as-written field quotes the source document verbatim."""
    source = unicodedata.normalize("NFC", SOURCE.read_text(encoding="utf-8"))
    assert unicodedata.normalize("NFC", quote) in source


def test_bundled_file_passes_the_file_schema() -> None:
    """The bundled catalog, which loads without pydantic, passes the full file schema too."""
    document = _data.load_toml("catalog.toml")
    checked = _schema.check_catalog(document)
    assert checked.problems == ()
    assert checked.data["id"] == "liveagent-2019-10-28"
    assert _schema.CatalogFile.model_validate(document).id == "liveagent-2019-10-28"
