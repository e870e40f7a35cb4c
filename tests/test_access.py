"""Access: hosting, service and support parties, where they sit, and consent."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import attrs
import pytest

from residency import Constraint, Policy, UnassignedLocation, UnknownConsent, default_policy
from residency.access import NOT_NAMED, Access, Side, who_can_access
from residency.catalog import NOT_STATED

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from residency.catalog import Catalog

CATALOG_ID = "liveagent-2019-10-28"
LINODE = "Linode, LLC"
AWS = "Amazon Web Services, LLC"
WEBSUPPORT = "Websupport, s.r.o."
SERVICE_IDS = ["quality-unit-llc", "quality-unit-ukraine", "twilio"]
SERVICE_NAMES = ["Quality Unit, LLC", "Quality Unit Ukraine", "Twilio, Inc."]
SERVICE_CONDITION = "May access service data to keep LiveAgent's functions running."
SERVICE_CONDITION_VI = (
    "Nhằm duy trì các chức năng hoạt động, các đơn vị xử lý phụ này có thể tiếp cận với dữ liệu "
    "dịch vụ."
)
SUPPORT_CONDITION = "May access this information only with the customer's consent."
SUPPORT_CONDITION_VI = (
    "trong đó có yêu cầu chỉ được tiếp cập những thông tin này khi có sự đồng ý của khách hàng."
)

# location, home region, and the region's data centers: (id, provider legal name, place).
REGIONS = [
    pytest.param(
        "DE",
        "EU",
        [
            ("linode-eu", LINODE, "Europe"),
            ("aws-eu-west-1", AWS, "Ireland"),
            ("websupport-eu", WEBSUPPORT, NOT_STATED),
        ],
        id="EU-DE",
    ),
    pytest.param("GB", "UK", [("linode-uk", LINODE, "United Kingdom")], id="UK-GB"),
    pytest.param(
        "US",
        "US",
        [("linode-us", LINODE, "United States"), ("aws-us-west-1", AWS, "N. California")],
        id="US-US",
    ),
    pytest.param(
        "SG",
        "APAC",
        [("linode-sg", LINODE, "Singapore"), ("aws-ap-southeast-1", AWS, "Singapore")],
        id="APAC-SG",
    ),
]
LOCATIONS = [pytest.param(location, id=location) for location in ("DE", "GB", "US", "SG")]
REGION_OF_LOCATION = {"DE": "EU", "GB": "UK", "US": "US", "SG": "APAC"}

WITHOUT_SUPPORT_CONSENT = [
    pytest.param((), id="no-consent"),
    pytest.param(("service",), id="service-kind-only"),
    pytest.param(("twilio",), id="service-id-only"),
]
WITH_SUPPORT_CONSENT = [
    pytest.param(("support-24-7",), id="by-id"),
    pytest.param(("support",), id="by-kind"),
    pytest.param(("support", "support-24-7"), id="by-kind-and-id"),
    pytest.param((" support ",), id="padded-kind"),
    pytest.param(["service", "support"], id="every-kind-as-list"),
]


def _region_of(policy: Policy) -> Callable[[str], str | None]:
    """The policy's region for a country, None where it assigns none."""

    def region_of(country: str) -> str | None:
        try:
            return policy.region_of(country)
        except UnassignedLocation:
            return None

    return region_of


def _access(location: str, consents: Sequence[str] = (), policy: Policy | None = None) -> Access:
    policy = policy or default_policy()
    return who_can_access(
        policy.catalog,
        policy.assign(location),
        consents=consents,
        region_of=_region_of(policy),
    )


def _with_subprocessor(catalog: Catalog, sub_id: str, *, country: str) -> Catalog:
    subs = tuple(
        attrs.evolve(sub, country=country) if sub.id == sub_id else sub
        for sub in catalog.subprocessors
    )
    return attrs.evolve(catalog, subprocessors=subs)


def _with_data_center(catalog: Catalog, dc_id: str, *, country: str) -> Catalog:
    dcs = tuple(
        attrs.evolve(dc, country=country) if dc.id == dc_id else dc for dc in catalog.data_centers
    )
    return attrs.evolve(catalog, data_centers=dcs)


# --- hosting -----------------------------------------------------------------------------


@pytest.mark.parametrize("consents", [(), ("support",)], ids=["no-consent", "support"])
@pytest.mark.parametrize(("location", "region", "hosting"), REGIONS)
def test_hosting_is_the_regions_data_centers(
    location: str, region: str, hosting: list[tuple[str, str, str]], consents: tuple[str, ...]
) -> None:
    """The hosting parties are exactly the region's data centers, with provider and place."""
    access = _access(location, consents)
    assert (access.region, access.catalog, access.location.country) == (
        region,
        CATALOG_ID,
        location,
    )
    parties = access.by_kind("hosting")
    assert [(party.id, party.name, party.place) for party in parties] == hosting
    for party in parties:
        assert party.provider is not None
        assert party.provider.legal_name == party.name
        assert party.facility is not None
        assert party.facility.standards == (
            "Tier III+",
            "Tier IV",
            "PCI DSS",
            "SSAE-16",
            "ISO 27001",
        )
        assert party.role == "Server"
        assert party.outside_region is Side.INSIDE
        assert (party.consent_required, party.may_access) == (False, True)
        assert party.condition == default_policy().catalog.statement("promise")


@pytest.mark.parametrize(
    ("location", "dc_id", "reason"),
    [
        pytest.param("DE", "aws-eu-west-1", "sits in IE, which is assigned to region EU", id="IE"),
        pytest.param("GB", "linode-uk", "sits in GB, which is assigned to region UK", id="GB"),
        pytest.param(
            "SG", "aws-ap-southeast-1", "sits in SG, which is assigned to region APAC", id="SG"
        ),
        pytest.param(
            "DE",
            "websupport-eu",
            "a data center of region EU; the source states no country for it",
            id="no-country",
        ),
        pytest.param(
            "US",
            "aws-us-west-1",
            "a data center of region US; the source states no country for it",
            id="place-not-country",
        ),
    ],
)
def test_hosting_reason_for_inside(location: str, dc_id: str, reason: str) -> None:
    """A hosting data center is inside by its stated country, else as one of the region's."""
    party = _access(location).party(dc_id)
    assert (party.outside_region, party.outside_reason) == (Side.INSIDE, reason)


def test_hosting_of_a_constrained_placement_lists_the_whole_region() -> None:
    """A constrained placement comes first, and the region's other data centers still follow."""
    policy = default_policy()
    placement = policy.assign("DE", constraint=Constraint(providers={"aws"}))
    access = who_can_access(policy.catalog, placement, region_of=_region_of(policy))
    assert [party.id for party in access.by_kind("hosting")] == [
        "aws-eu-west-1",
        "linode-eu",
        "websupport-eu",
    ]


def test_hosting_follows_the_accounts_order() -> None:
    """With an account, the hosting parties come in that account's placement order."""
    policy = default_policy()
    placement = policy.assign("DE", account_id="acme-gmbh")
    access = who_can_access(policy.catalog, placement, region_of=_region_of(policy))
    assert [party.id for party in access.by_kind("hosting")] == [
        dc.id for dc in placement.data_centers
    ]


# --- service and support sub-processors ----------------------------------------------------


@pytest.mark.parametrize("location", LOCATIONS)
def test_service_subprocessors_may_sit_outside(location: str) -> None:
    """The three service sub-processors are listed and marked as possibly outside the region."""
    region = REGION_OF_LOCATION[location]
    parties = _access(location).by_kind("service")
    assert [party.id for party in parties] == SERVICE_IDS
    assert [party.name for party in parties] == SERVICE_NAMES
    for party in parties:
        assert party.outside_region is Side.UNKNOWN
        assert party.outside_reason == (
            f"may sit outside region {region}: where it sits is not stated in source"
        )
        assert (party.place, party.country) == (NOT_STATED, "")
        assert (party.condition.text, party.condition.as_written) == (
            SERVICE_CONDITION,
            SERVICE_CONDITION_VI,
        )
        assert (party.consent_required, party.may_access) == (False, True)


@pytest.mark.parametrize("consents", WITHOUT_SUPPORT_CONSENT)
@pytest.mark.parametrize("location", LOCATIONS)
def test_support_withheld_without_consent(location: str, consents: tuple[str, ...]) -> None:
    """Without consent to support, the support sub-processors are withheld, not listed."""
    access = _access(location, consents)
    assert access.by_kind("support") == ()
    assert access.granted == ()
    assert [party.id for party in access.withheld] == ["support-24-7"]
    (support,) = access.withheld
    assert (support.kind, support.name, support.named) == ("support", NOT_NAMED, False)
    assert (support.condition.text, support.condition.as_written) == (
        SUPPORT_CONDITION,
        SUPPORT_CONDITION_VI,
    )
    assert (support.consent_required, support.consent_granted, support.may_access) == (
        True,
        False,
        False,
    )


@pytest.mark.parametrize("consents", WITH_SUPPORT_CONSENT)
@pytest.mark.parametrize("location", LOCATIONS)
def test_support_granted_with_consent(location: str, consents: Sequence[str]) -> None:
    """Consent by id or by kind lists the support sub-processors and withholds nothing."""
    access = _access(location, consents)
    assert access.withheld == ()
    assert [party.id for party in access.by_kind("support")] == ["support-24-7"]
    assert access.granted == access.by_kind("support")
    (support,) = access.granted
    assert (support.name, support.place) == (NOT_NAMED, NOT_STATED)
    assert support.outside_region is Side.UNKNOWN
    assert (support.consent_required, support.consent_granted, support.may_access) == (
        True,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("consents", "support"),
    [pytest.param((), [], id="no-consent"), pytest.param(("support",), ["support"], id="support")],
)
@pytest.mark.parametrize(("location", "region", "hosting"), REGIONS)
def test_parties_come_hosting_then_service_then_support(
    location: str,
    region: str,
    hosting: list[tuple[str, str, str]],
    consents: tuple[str, ...],
    support: list[str],
) -> None:
    """The parties come in order: hosting, then service, then consented support."""
    access = _access(location, consents)
    assert access.region == region
    kinds = ["hosting"] * len(hosting) + ["service"] * 3 + support
    ids = [dc_id for dc_id, _, _ in hosting] + SERVICE_IDS + ["support-24-7"] * len(support)
    assert [party.kind for party in access.parties] == kinds
    assert [party.id for party in access.parties] == ids


@pytest.mark.parametrize(
    ("consents", "possibly_outside"),
    [
        pytest.param((), SERVICE_IDS, id="no-consent"),
        pytest.param(("support",), [*SERVICE_IDS, "support-24-7"], id="support"),
    ],
)
def test_possibly_outside_lists_parties_not_inside(
    consents: tuple[str, ...], possibly_outside: list[str]
) -> None:
    """The parties that may sit outside are the ones whose place the source does not state."""
    assert [party.id for party in _access("DE", consents).possibly_outside] == possibly_outside


# --- consents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consents", "unknown"),
    [
        pytest.param(["hosting"], ["'hosting'"], id="hosting-kind"),
        pytest.param(["linode-eu"], ["'linode-eu'"], id="data-center-id"),
        pytest.param(["suport"], ["'suport'"], id="misspelt-kind"),
        pytest.param(["Support"], ["'Support'"], id="wrong-case"),
        pytest.param([""], ["''"], id="empty"),
        pytest.param(["support", "nope", "twilo"], ["'nope'", "'twilo'"], id="several"),
    ],
)
def test_unknown_consent_refused(consents: list[str], unknown: list[str]) -> None:
    """A consent that names no sub-processor id or kind is refused, every one named."""
    with pytest.raises(ValueError, match="unknown consent") as caught:
        _access("DE", consents)
    message = str(caught.value)
    assert all(name in message for name in unknown)
    assert f"catalog {CATALOG_ID!r}" in message
    assert "support-24-7" in message


@pytest.mark.parametrize(
    ("consents", "match"),
    [
        pytest.param("support", "not a str", id="bare-str"),
        pytest.param([1], "not 1", id="int-item"),
        pytest.param([None], "not None", id="none-item"),
    ],
)
def test_consents_of_the_wrong_type_refused(consents: object, match: str) -> None:
    """Consents must be a collection of str; a bare str or another item type is refused."""
    policy = default_policy()
    with pytest.raises(TypeError, match=match):
        who_can_access(
            policy.catalog,
            policy.assign("DE"),
            consents=consents,  # type: ignore[arg-type]
            region_of=_region_of(policy),
        )


def test_consents_recorded_once_in_order() -> None:
    """The answer records each consent once, stripped, in the order given."""
    access = _access("DE", ["support", " support", "twilio", "support-24-7"])
    assert access.consents == ("support", "twilio", "support-24-7")


# --- stated countries in a custom catalog --------------------------------------------------


@pytest.mark.parametrize(
    ("country", "location", "side", "reason", "place"),
    [
        pytest.param(
            "US",
            "US",
            Side.INSIDE,
            "sits in US, which is assigned to region US",
            "United States",
            id="US-in-US",
        ),
        pytest.param(
            "US",
            "DE",
            Side.OUTSIDE,
            "sits in US, which is assigned to region US, not EU",
            "United States",
            id="US-from-EU",
        ),
        pytest.param(
            "US",
            "SG",
            Side.OUTSIDE,
            "sits in US, which is assigned to region US, not APAC",
            "United States",
            id="US-from-APAC",
        ),
        pytest.param(
            "CA",
            "US",
            Side.INSIDE,
            "sits in CA, which is assigned to region US",
            "Canada",
            id="CA-in-US-by-rule",
        ),
        pytest.param(
            "IE",
            "GB",
            Side.OUTSIDE,
            "sits in IE, which is assigned to region EU, not UK",
            "Ireland",
            id="IE-from-UK",
        ),
        pytest.param(
            "AQ",
            "DE",
            Side.OUTSIDE,
            "sits in AQ, which is assigned to no region",
            "Antarctica",
            id="unassigned",
        ),
    ],
)
def test_stated_country_of_a_subprocessor(
    country: str, location: str, side: Side, reason: str, place: str
) -> None:
    """A sub-processor with a stated country is inside or outside as the policy assigns it."""
    policy = Policy(_with_subprocessor(default_policy().catalog, "twilio", country=country))
    twilio = _access(location, policy=policy).party("twilio")
    assert (twilio.outside_region, twilio.outside_reason) == (side, reason)
    assert (twilio.country, twilio.place) == (country, place)
    others = _access(location, policy=policy).by_kind("service")
    assert [party.outside_region for party in others if party.id != "twilio"] == [
        Side.UNKNOWN,
        Side.UNKNOWN,
    ]


def test_stated_country_of_a_data_center_outside_the_region() -> None:
    """A data center whose stated country the policy assigns elsewhere is marked outside."""
    policy = Policy(_with_data_center(default_policy().catalog, "aws-eu-west-1", country="US"))
    access = _access("DE", policy=policy)
    party = access.party("aws-eu-west-1")
    assert (party.outside_region, party.outside_reason) == (
        Side.OUTSIDE,
        "sits in US, which is assigned to region US, not EU",
    )
    assert party in access.possibly_outside


def test_consent_by_kind_covers_every_subprocessor_of_that_kind() -> None:
    """Consent to a kind covers each sub-processor of that kind, the catalog's new ones too."""
    catalog = default_policy().catalog
    extra = attrs.evolve(catalog.subprocessors[-1], id="support-night", name="Night Desk")
    policy = Policy(attrs.evolve(catalog, subprocessors=(*catalog.subprocessors, extra)))
    assert [party.id for party in _access("DE", policy=policy).withheld] == [
        "support-24-7",
        "support-night",
    ]
    granted = _access("DE", ["support"], policy=policy).granted
    assert [(party.id, party.name) for party in granted] == [
        ("support-24-7", NOT_NAMED),
        ("support-night", "Night Desk"),
    ]
    only_one = _access("DE", ["support-night"], policy=policy)
    assert [party.id for party in only_one.granted] == ["support-night"]
    assert [party.id for party in only_one.withheld] == ["support-24-7"]


def test_kinds_keep_their_order_whatever_the_catalog_order() -> None:
    """Service sub-processors come before support ones even when the catalog lists them after."""
    catalog = default_policy().catalog
    policy = Policy(attrs.evolve(catalog, subprocessors=tuple(reversed(catalog.subprocessors))))
    access = _access("DE", ["support"], policy=policy)
    assert [party.id for party in access.parties[3:]] == [
        "twilio",
        "quality-unit-ukraine",
        "quality-unit-llc",
        "support-24-7",
    ]


def test_placement_from_another_catalog_refused() -> None:
    """A placement made by another catalog is refused rather than mixed with this one."""
    policy = default_policy()
    other = attrs.evolve(policy.catalog, id="other-catalog")
    with pytest.raises(ValueError, match="from catalog 'liveagent-2019-10-28'"):
        who_can_access(other, policy.assign("DE"), region_of=_region_of(policy))


# --- accessors and output ------------------------------------------------------------------


def test_party_lookup() -> None:
    """``party`` finds listed and withheld parties, and refuses ids that are no party."""
    access = _access("DE")
    assert access.party("linode-eu").kind == "hosting"
    assert access.party("support-24-7").may_access is False
    with pytest.raises(KeyError, match="'linode-us' is no party"):
        access.party("linode-us")


def test_by_kind_refuses_an_unknown_kind() -> None:
    """Asking for a kind that does not exist is an error, not an empty answer."""
    with pytest.raises(ValueError, match="unknown kind 'servce'"):
        _access("DE").by_kind("servce")


@pytest.mark.parametrize(("location", "region", "hosting"), REGIONS)
@pytest.mark.parametrize("consents", [(), ("support",)], ids=["no-consent", "support"])
def test_to_dict_is_json_and_keeps_the_facts(
    location: str, region: str, hosting: list[tuple[str, str, str]], consents: tuple[str, ...]
) -> None:
    """``to_dict`` survives a JSON round trip and carries every party's key facts."""
    access = _access(location, consents)
    data = json.loads(json.dumps(access.to_dict()))
    assert data == access.to_dict()
    assert (data["country"], data["region"], data["rule"], data["catalog"]) == (
        location,
        region,
        access.rule.id,
        CATALOG_ID,
    )
    assert data["consents"] == list(consents)
    for key, parties in (("parties", access.parties), ("withheld", access.withheld)):
        assert [entry["id"] for entry in data[key]] == [party.id for party in parties]
        for entry, party in zip(data[key], parties, strict=True):
            assert entry["kind"] == party.kind
            assert entry["name"] == (party.name if party.named else None)
            assert entry["country"] == (party.country or None)
            assert entry["outside_region"] == party.outside_region.value
            assert entry["condition"]["text"] == party.condition.text
            assert entry["consent_required"] == party.consent_required
            assert entry["consent_granted"] == party.consent_granted
            assert entry["may_access"] == party.may_access
    assert [entry["provider"]["legal_name"] for entry in data["parties"][: len(hosting)]] == [
        name for _, name, _ in hosting
    ]


def test_to_dict_shows_unstated_facts() -> None:
    """Unstated countries and the names of unnamed parties are null in the JSON."""
    data = _access("DE").to_dict()
    (support,) = data["withheld"]
    assert (support["name"], support["country"]) == (None, None)
    assert (support["outside_region"], support["provider"], support["facility"]) == (
        "unknown",
        None,
        None,
    )
    websupport = data["parties"][2]
    assert (websupport["id"], websupport["country"]) == ("websupport-eu", None)
    assert websupport["facility"]["power"] == "abundant"


PROMISE = (
    "A customer's account is stored in one of the regions below, based on the customer's "
    "geographic location. The customer's service data stays in its region unless the customer "
    "and LiveAgent reach an agreement otherwise, but it may be moved between data centers within "
    "the region to keep the service running and available."
)
SERVICE_LINES = [
    f"- service {sub_id}: {name} (not stated in source); may sit outside region UK: where it "
    "sits is not stated in source"
    for sub_id, name in zip(SERVICE_IDS, SERVICE_NAMES, strict=True)
]
SUPPORT_LINE = (
    "- support support-24-7: not named in source (not stated in source); may sit outside region "
    "UK: where it sits is not stated in source"
)
CONDITION_LINES = [
    "Conditions, as the source states them:",
    f"- linode-uk: {PROMISE}",
    f"- quality-unit-llc, quality-unit-ukraine, twilio: {SERVICE_CONDITION}",
    f"- support-24-7: {SUPPORT_CONDITION}",
]


@pytest.mark.parametrize(
    ("consents", "expected"),
    [
        pytest.param(
            (),
            [
                "Customer in GB: region UK (rule uk), catalog liveagent-2019-10-28.",
                "Can access the data:",
                "- hosting linode-uk: Linode, LLC (United Kingdom); sits in GB, which is "
                "assigned to region UK",
                *SERVICE_LINES,
                "Only with the customer's consent, which is not given:",
                f"{SUPPORT_LINE}; consent not given",
                *CONDITION_LINES,
            ],
            id="no-consent",
        ),
        pytest.param(
            ("support-24-7",),
            [
                "Customer in GB: region UK (rule uk), catalog liveagent-2019-10-28.",
                "Can access the data:",
                "- hosting linode-uk: Linode, LLC (United Kingdom); sits in GB, which is "
                "assigned to region UK",
                *SERVICE_LINES,
                f"{SUPPORT_LINE}; consent given",
                *CONDITION_LINES,
            ],
            id="consent",
        ),
    ],
)
def test_explain_for_support_staff(consents: tuple[str, ...], expected: list[str]) -> None:
    """``explain`` says who can access, where they sit, and who waits for consent."""
    assert _access("GB", consents).explain().splitlines() == expected


@pytest.mark.parametrize(
    ("location", "region", "hosting"),
    [
        ("DE", "EU", ["linode-eu", "aws-eu-west-1", "websupport-eu"]),
        ("Anh Quốc", "UK", ["linode-uk"]),
        ("US-GA", "US", ["linode-us", "aws-us-west-1"]),
        ("SG", "APAC", ["linode-sg", "aws-ap-southeast-1"]),
    ],
)
def test_policy_who_can_access(location: str, region: str, hosting: list[str]) -> None:
    """The policy lists the region's hosts and service sub-processors; support needs consent."""
    policy = default_policy()
    without = policy.who_can_access(location)
    assert without.region == region
    assert [party.id for party in without.by_kind("hosting")] == hosting
    assert [party.id for party in without.by_kind("service")] == [
        "quality-unit-llc",
        "quality-unit-ukraine",
        "twilio",
    ]
    assert without.by_kind("support") == ()
    assert [party.id for party in without.withheld] == ["support-24-7"]
    granted = policy.who_can_access(location, consents=["support-24-7"])
    assert [party.id for party in granted.by_kind("support")] == ["support-24-7"]
    assert granted.withheld == ()


def test_policy_refuses_unknown_consent() -> None:
    """An unknown consent is an UnknownConsent error listing what a consent may name."""
    with pytest.raises(UnknownConsent) as caught:
        default_policy().who_can_access("DE", consents=["marketing"])
    assert caught.value.consents == ("marketing",)
    assert "support" in caught.value.known
    assert isinstance(caught.value, ValueError)
