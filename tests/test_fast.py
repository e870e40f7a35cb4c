"""The fenced fast paths compute exactly what their plain definitions say."""

from __future__ import annotations

import copy
import pickle
import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from residency import Agreement, LegalBasis, Policy, default_policy
from residency._chain import decode, reference_snapshot, snapshot
from residency._fast import decide, decision, in_region_fields
from residency._rank import Ranker
from residency._time import from_micros, micros
from residency.catalog import DataCenter, Provider
from residency.errors import InvalidAgreement
from residency.placement import rendezvous_order
from residency.transfers import reference_decision

PROVIDER = Provider("p", "P, Inc.")


def _region(weights: list[float]) -> tuple[DataCenter, ...]:
    return tuple(
        DataCenter(id=f"dc-{index}", provider=PROVIDER, region="R", weight=weight)
        for index, weight in enumerate(weights)
    )


SHAPES = [pytest.param([1.0] * count, id=f"uniform-{count}") for count in range(1, 10)] + [
    pytest.param([1.0, 2.0], id="weighted-2"),
    pytest.param([1.0, 1.0, 3.0], id="weighted-3"),
    pytest.param([0.5, 1.0, 1.5, 2.0], id="weighted-4"),
    pytest.param([5.0, 1.0, 1.0, 1.0, 0.25], id="weighted-5"),
    pytest.param([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], id="weighted-9"),
]


@pytest.mark.parametrize("weights", SHAPES)
def test_ranker_orders_as_the_definition_on_thousands_of_accounts(weights: list[float]) -> None:
    """For every region shape, the fast ranker gives the defined order for 2,000 accounts."""
    region = _region(weights)
    ranker = Ranker(region)
    for number in range(2_000):
        account = f"account-{number}"
        fast = tuple(region[index] for index in ranker.order(account))
        assert fast == rendezvous_order(account, region), account


@pytest.mark.no_cover  # 300 accounts and catalogs traced line by line cover nothing new
@given(
    st.text(min_size=1, max_size=40),
    st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=1, max_size=9),
)
@settings(max_examples=300)
def test_ranker_agrees_on_any_account_id(account: str, weights: list[float]) -> None:
    """Any account id, lone surrogates included, ranks as the definition ranks it."""
    region = _region(weights)
    assert tuple(region[i] for i in Ranker(region).order(account)) == rendezvous_order(
        account, region
    )


def _agreements(rng: random.Random, accounts: list[str], places: list[str]) -> list[Agreement]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    agreements = []
    for number in range(400):
        begin = start + timedelta(days=rng.randrange(0, 700))
        end = begin + timedelta(days=rng.randrange(1, 400)) if rng.random() < 0.5 else None
        revoked = begin + timedelta(days=rng.randrange(0, 500)) if rng.random() < 0.3 else None
        agreements.append(
            Agreement(
                id=f"agr-{number}",
                account_id=rng.choice(accounts),
                destinations=rng.sample(places, rng.randrange(1, 3)),
                valid_from=begin,
                valid_until=end,
                revoked_at=revoked,
            )
        )
    return agreements


def _agreements_of(
    policy: Policy, rng: random.Random, count: int
) -> tuple[list[str], list[str], list[Agreement]]:
    """``count`` accounts, the catalog's places, and random agreements of those over these."""
    catalog = policy.catalog
    accounts = [f"acct-{number}" for number in range(count)]
    places = [region.id for region in catalog.regions] + [dc.id for dc in catalog.data_centers]
    return accounts, places, _agreements(rng, accounts, places)


def _decision_fields(decision: object) -> dict[str, object]:
    fields = attrs.asdict(decision, recurse=False)  # type: ignore[arg-type]
    fields["agreement"] = getattr(fields["agreement"], "id", None)
    fields["lapsed"] = [agreement.id for agreement in fields["lapsed"]]
    fields["reason"] = decision.reason  # type: ignore[attr-defined]
    return fields


@pytest.mark.no_cover  # thousands of moves traced line by line cover nothing new
def test_decide_gives_the_defined_decision_on_thousands_of_moves() -> None:
    """Over random agreements, accounts, moves and moments, decide equals the plain rule."""
    policy = default_policy()
    catalog = policy.catalog
    rng = random.Random(20261201)  # noqa: S311 - reproducible test data, not secrets
    accounts, places, agreements = _agreements_of(policy, rng, 40)
    index = policy.check_agreements(agreements)
    known = frozenset(places)
    for _ in range(5_000):
        location = rng.choice(["DE", "GB", "US", "SG", "FR", "JP"])
        placement = policy.assign(location)
        source, target = rng.choice(catalog.data_centers), rng.choice(catalog.data_centers)
        account = rng.choice([*accounts, None])
        at = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 24 * 1200))
        plain = reference_decision(placement, source, target, account, agreements, at)
        for given_agreements in (index, agreements, tuple(agreements)):
            fast = decide(placement, source, target, account, given_agreements, at, known)
            assert _decision_fields(fast) == _decision_fields(plain)
        # The moment as the clock gives it, integer microseconds: the same decision.
        fast = decide(placement, source, target, account, index, micros(at), known)
        assert _decision_fields(fast) == _decision_fields(plain)


@pytest.mark.no_cover  # thousands of checks traced line by line cover nothing new
def test_check_transfer_gives_the_defined_decision_asked_once_and_again() -> None:
    """Every move, first asked and then answered by the policy's memory of it, is the plain rule.

    Each location, each pair of data centers (within the home region, from it, into it and
    between two others), with and without an account, with the agreements checked into an
    index and as a list, for a given moment and for now.
    """
    policy = default_policy()
    catalog = policy.catalog
    rng = random.Random(20261202)  # noqa: S311 - reproducible test data, not secrets
    accounts, _, agreements = _agreements_of(policy, rng, 12)
    index = policy.check_agreements(agreements)
    at = datetime(2025, 9, 1, tzinfo=UTC)
    for location in ("DE", "GB", "US", "SG", "Deutschland"):
        placement = policy.assign(location)
        for source in catalog.data_centers:
            for target in catalog.data_centers:
                for account in (None, *accounts[:4]):
                    plain = _decision_fields(
                        reference_decision(placement, source, target, account, agreements, at)
                    )
                    for kind in (index, agreements):
                        for _ in range(2):  # first asked, then remembered
                            decided = policy.check_transfer(
                                location, source.id, target.id, account_id=account,
                                agreements=kind, at=at,
                            )  # fmt: skip
                            assert _decision_fields(decided) == plain, (location, source, target)
                    before = datetime.now(UTC)
                    for _ in range(2):
                        now = policy.check_transfer(
                            location, source.id, target.id, account_id=account, agreements=index
                        )
                        assert before <= now.at <= datetime.now(UTC)
                        fields = _decision_fields(now)
                        del fields["at"]
                        defined = reference_decision(
                            placement, source, target, account, agreements, now.at
                        )
                        expected = _decision_fields(defined)
                        del expected["at"]
                        assert fields == expected, (location, source, target, account)


_MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001 - Hypothesis bounds are naive; zones are drawn
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.timezones(),
)


@given(
    id=st.text(min_size=1),
    account_id=st.text(min_size=1),
    destinations=st.lists(st.text(min_size=1), min_size=1, max_size=4),
    valid_from=_MOMENTS,
    valid_until=st.none() | _MOMENTS,
    revoked_at=st.none() | _MOMENTS,
    basis=st.sampled_from(LegalBasis),
    reference=st.text(),
)
def test_snapshot_is_the_encoders_canonical_json(**fields: object) -> None:
    """The hand-written snapshot is, character for character, what the JSON encoder writes."""
    try:
        agreement = Agreement(**fields)  # type: ignore[arg-type]
    except InvalidAgreement:
        reject()  # not an agreement at all: nothing to encode
    text = snapshot(agreement)
    assert text == reference_snapshot(agreement)
    assert decode(text) == agreement


def test_a_decision_built_fast_is_the_one_its_constructor_builds() -> None:
    """decision() gives the TransferDecision of the same fields, field by field and by ==."""
    from residency.transfers import TransferBasis, TransferDecision  # noqa: PLC0415

    policy = default_policy()
    catalog = policy.catalog
    agreement = Agreement(
        id="agr",
        account_id="acme",
        destinations=["US"],
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    )
    at = datetime(2026, 6, 1, tzinfo=UTC)
    for basis in TransferBasis:
        for account, chosen, lapsed, misplaced in (
            (None, None, (), False),
            ("acme", agreement, (agreement,), True),
        ):
            fields = (
                basis is not TransferBasis.DENIED,
                basis,
                policy.assign("DE"),
                catalog.data_center("linode-eu"),
                catalog.data_center("linode-us"),
                at,
                account,
                chosen,
                lapsed,
                misplaced,
                (),
            )
            fast, made = decision(*fields), TransferDecision(*fields)
            assert type(fast) is TransferDecision
            assert fast == made
            assert attrs.asdict(fast, recurse=False) == attrs.asdict(made, recurse=False)
            assert fast.reason == made.reason
            assert repr(fast) == repr(made)
            assert hash(fast) == hash(made)
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                fast.allowed = not fast.allowed  # type: ignore[misc]


def _fields_of(decision: object) -> dict[str, object]:
    return attrs.asdict(decision, recurse=False)  # type: ignore[arg-type]


def test_a_decision_made_for_the_present_reads_its_moment_exactly_once_asked() -> None:
    """Given the clock's microseconds, ``at`` is the same instant, made when first read."""
    from residency.transfers import AT_MICROS, TransferBasis, TransferDecision  # noqa: PLC0415

    policy = default_policy()
    catalog = policy.catalog
    placement = policy.assign("DE")
    source, target = catalog.data_center("linode-eu"), catalog.data_center("linode-us")
    moments = [
        datetime(2026, 6, 1, 12, 30, 15, 999_999, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    for at in moments:
        fields = (False, TransferBasis.DENIED, placement, source, target)
        rest = ("acme", None, (), False, ())
        lazy = decision(*fields, micros(at), *rest)
        made = TransferDecision(*fields, at, *rest)
        assert AT_MICROS in vars(lazy)
        assert "at" not in vars(lazy)
        assert lazy == made  # reads at, and keeps it
        assert lazy.at == at
        assert lazy.at.tzinfo is UTC
        assert lazy.at is lazy.at
        assert hash(lazy) == hash(made)
        assert lazy.reason == made.reason
        assert lazy.to_event() == made.to_event()
        # A copy taken before ``at`` was read still makes the same instant.
        fresh = decision(*fields, micros(at), *rest)
        for copied in (copy.copy(fresh), pickle.loads(pickle.dumps(fresh))):  # noqa: S301 - our own
            assert copied == made
            assert copied.at == at
        assert attrs.evolve(decision(*fields, micros(at), *rest), allowed=True).at == at
        assert from_micros(micros(at)) == at
    unread = decision(*fields, 0, *rest)
    with pytest.raises(AttributeError, match="no attribute 'when'") as raised:
        unread.when  # type: ignore[attr-defined]  # noqa: B018 - the lookup is the test
    assert raised.value.name == "when"
    assert not hasattr(unread, "_at")
    made_now = default_policy().check_transfer("DE", "linode-eu", "linode-us")
    assert AT_MICROS in vars(made_now)
    assert abs(made_now.at - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_in_region_decision_is_the_general_one() -> None:
    """A move within the home region, which decide builds from a template, is decision(...)."""
    from residency.transfers import AT_MICROS, TransferBasis  # noqa: PLC0415

    policy = default_policy()
    catalog = policy.catalog
    index = policy.check_agreements(())  # checked: the template answers for an account too
    known = index.checked_against
    assert known is not None
    misplaced = False
    for location in ("DE", "GB", "US", "SG"):
        placement = policy.assign(location)
        for source in catalog.data_centers_in(placement.region):
            for target in catalog.data_centers_in(placement.region):
                for at in (datetime(2026, 6, 1, tzinfo=UTC), 1_780_000_000_000_000):
                    for account in (None, "acme"):
                        fast = decide(placement, source, target, account, index, at, known)
                        allowed = (True, TransferBasis.IN_REGION, placement, source, target)
                        plain = decision(*allowed, at, account, None, (), misplaced, ())
                        # What check_transfer keeps per move, filled with the moment and the
                        # account, is the same dict, key for key, in order (before .at is read).
                        now_fields, at_fields = in_region_fields(placement, source, target)
                        if isinstance(at, int):
                            filled = {**now_fields, AT_MICROS: at, "account_id": account}
                        else:
                            filled = {**at_fields, "at": at, "account_id": account}
                        assert list(filled.items()) == list(vars(fast).items())
                        assert vars(fast) == vars(plain)
                        assert fast == plain
                        assert _fields_of(fast) == _fields_of(plain)
