"""The policy facade: batches, caches, and pickling for distributed workers."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs
import pycountry
import pytest

from residency import (
    Agreement,
    InvalidAccount,
    InvalidAgreement,
    InvalidConstraint,
    InvalidLocation,
    Policy,
    UnassignedLocation,
    UnknownDataCenter,
    UnknownLocation,
    default_policy,
)
from residency.groups import Membership
from residency.locations import countries

if TYPE_CHECKING:
    from pathlib import Path

ASSIGNABLE = [code for code in countries() if code != "AQ"]
MIXED = ["DE", " fr ", "Germany", "Hoa Kỳ", "US-GA", "FR-NC", "276", "JPN", "Anh Quốc"]


def test_assign_many_equals_assign_row_by_row() -> None:
    """A batch gives, row by row, what assign gives, in the order of the input."""
    policy = default_policy()
    rows = (MIXED * 50) + ASSIGNABLE
    assert policy.assign_many(rows) == [policy.assign(row) for row in rows]


def test_assign_many_with_accounts() -> None:
    """With one account per row, each row comes in that account's order."""
    policy = default_policy()
    rows = MIXED * 20
    accounts = [f"account-{number}" for number in range(len(rows))]
    expected = [
        policy.assign(row, account_id=account) for row, account in zip(rows, accounts, strict=True)
    ]
    assert policy.assign_many(rows, account_ids=accounts) == expected
    assert policy.assign_many(iter(rows), account_ids=iter(accounts)) == expected


def test_assign_many_beyond_the_cache() -> None:
    """A batch with more distinct values than the cache holds is still answered in full."""
    codes = sorted(
        subdivision.code
        for subdivision in pycountry.subdivisions
        if not subdivision.code.startswith("AQ-")
    )
    assert len(codes) > 4096
    policy = default_policy()
    policy.clear_caches()
    placements = policy.assign_many(codes * 2)
    assert len(placements) == 2 * len(codes)
    fresh = load_policy_like(policy)
    expected = [fresh.assign(code) for code in codes]
    assert placements[: len(codes)] == expected
    assert placements[len(codes) :] == expected


class _Liar(str):
    """A str subclass that hashes as "DE" and says yes to any comparison."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash("DE")


def load_policy_like(policy: Policy) -> Policy:
    """A policy over the same catalog with empty caches."""
    fresh: Policy = pickle.loads(pickle.dumps(policy))  # noqa: S301 - our own bytes
    return fresh


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (["DE", "Atlantis", "FR"], UnknownLocation),
        (["DE", ["FR"], "FR"], InvalidLocation),
        (["DE", None], InvalidLocation),
        (["DE", "AQ"], UnassignedLocation),
    ],
    ids=["unknown", "unhashable", "none", "unassigned"],
)
def test_assign_many_raises_on_the_first_bad_row(
    rows: list[object], error: type[Exception]
) -> None:
    """A batch with a bad row raises that row's typed error."""
    with pytest.raises(error):
        default_policy().assign_many(rows)


def test_assign_many_can_return_each_bad_rows_error() -> None:
    """With errors="return" a bad row's slot holds its typed error and the others go on."""
    policy = default_policy()
    rows = ["DE", "Atlantis", ["FR"], "AQ", "Nga", "JP", "DE"]
    answers = policy.assign_many(rows, errors="return")
    assert [type(answer).__name__ for answer in answers] == [
        "Placement",
        "UnknownLocation",
        "InvalidLocation",
        "UnassignedLocation",
        "AmbiguousLocation",
        "Placement",
        "Placement",
    ]
    assert answers[0] == answers[6] == policy.assign("DE")
    assert all(
        getattr(answer, "__traceback__", None) is None
        for answer in answers
        if isinstance(answer, Exception)
    )


def test_assign_many_returns_account_errors_too() -> None:
    """With accounts, a bad account id is that row's error; its neighbours are ordered."""
    policy = default_policy()
    answers = policy.assign_many(
        ["DE", "DE", "Atlantis"], account_ids=["acme", "", "x"], errors="return"
    )
    assert answers[0] == policy.assign("DE", account_id="acme")
    assert type(answers[1]).__name__ == "InvalidAccount"
    assert type(answers[2]).__name__ == "UnknownLocation"


def test_assign_many_refuses_an_unknown_errors_mode() -> None:
    """The errors mode is "raise" or "return"; anything else is a ValueError."""
    with pytest.raises(ValueError, match="errors"):
        default_policy().assign_many(["DE"], errors="ignore")  # type: ignore[call-overload]


def test_str_subclass_does_not_poison_the_policy_cache() -> None:
    """A str subclass that hashes and compares as another value is placed as its own text."""

    class Liar(str):
        __slots__ = ()

        def __hash__(self) -> int:
            return hash("FR")

        def __eq__(self, other: object) -> bool:
            return True

    policy = load_policy_like(default_policy())
    assert policy.assign("FR").region == "EU"
    assert policy.assign(Liar("JP")).region == "APAC"
    assert [p.region for p in policy.assign_many(["FR", Liar("US"), "FR"])] == ["EU", "US", "EU"]
    assert policy.assign("FR").region == "EU"


def test_placement_cache_is_bounded() -> None:
    """The placement cache of a time segment holds at most PLACEMENT_CACHE_SIZE raw inputs."""
    from residency.policy import PLACEMENT_CACHE_SIZE  # noqa: PLC0415 - pinned here only

    policy = load_policy_like(default_policy())
    view = policy._view(None)
    for left in range(60):
        for right in range(60):
            policy.assign(f"{' ' * left}DE{' ' * right}")
    assert 0 < len(view.placed) <= PLACEMENT_CACHE_SIZE
    assert view.placed.size * 2 == PLACEMENT_CACHE_SIZE


def test_assign_many_needs_one_account_per_row() -> None:
    """Accounts and locations of different lengths are refused."""
    with pytest.raises(ValueError, match="zip"):
        default_policy().assign_many(["DE", "FR"], account_ids=["a"])


def test_caches_can_be_cleared() -> None:
    """Clearing the caches changes no answer."""
    policy = default_policy()
    before = policy.assign("Deutschland", account_id="acme")
    policy.clear_caches()
    assert policy.assign("Deutschland", account_id="acme") == before


@pytest.mark.parametrize("first", ["assign", "check_transfer"])
def test_an_answer_for_now_follows_the_clock_into_the_next_time_segment(first: str) -> None:
    """While the present's segment has an end, the policy reads the clock; past it, the next.

    A catalog in which France leaves the EU member states half a second from now: until then
    the rule of the EU member states decides it, afterwards the rule of the rest of Europe
    (the same region, another rule). Every call for now follows, cached or not, whichever
    kind of call first read the clock; from then on the present lies in the last segment,
    which lasts for good.
    """
    catalog = default_policy().catalog
    member_states = catalog.groups["eu-member-states"]
    leaves = datetime.now(UTC) + timedelta(seconds=0.5)
    kept = tuple(member for member in member_states.members if member.country != "FR")
    groups = {
        **catalog.groups,
        "eu-member-states": attrs.evolve(
            member_states, members=(*kept, Membership("FR", until=leaves))
        ),
    }
    policy = Policy(attrs.evolve(catalog, groups=groups))
    index = policy.check_agreements(())

    def rules_now() -> set[str]:
        rules = [policy.assign("FR").rule, policy.assign("FR", account_id="acme").rule]
        rules.append(policy.who_can_access("FR").rule)
        decided = policy.check_transfer("FR", "linode-eu", "linode-eu", agreements=index)
        return {rule.id for rule in (*rules, decided.placement.rule)}

    if first == "check_transfer":
        policy.check_transfer("FR", "linode-eu", "linode-eu", agreements=index)
    member_rule, europe_rule = catalog.rules[2], catalog.rules[3]
    assert "eu-member-states" in member_rule.groups
    assert "m49-europe" in europe_rule.groups
    assert rules_now() == {member_rule.id}
    while datetime.now(UTC) < leaves:
        time.sleep(0.02)
    assert rules_now() == {europe_rule.id}
    assert rules_now() == {europe_rule.id}  # remembered now, in the last segment
    before = leaves - timedelta(microseconds=1)
    assert policy.assign("FR", at=before).rule.id == member_rule.id


def test_values_pickle() -> None:
    """Placements, decisions, access answers, agreements and catalogs survive pickling."""
    policy = default_policy()
    agreement = Agreement(
        id="agr-1",
        account_id="acme",
        destinations=["EU"],
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    )
    values = [
        policy.assign("DE", account_id="acme"),
        policy.check_transfer(
            "GB", "linode-uk", "linode-eu", account_id="acme", agreements=[agreement]
        ),
        policy.who_can_access("DE", consents=["support"]),
        agreement,
        policy.catalog,
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301 - our own bytes


def test_policy_pickles_with_its_mode(tmp_path: Path) -> None:
    """A pickled policy answers as the original, keeps its mode, and loads in another process."""
    policy = default_policy()
    audit = policy.with_mode("audit")
    restored = pickle.loads(pickle.dumps(audit))  # noqa: S301 - our own bytes
    assert restored.mode.value == "audit"
    assert restored.catalog == policy.catalog
    for account in ("a", "b", "c"):
        assert restored.assign("FR", account_id=account) == policy.assign("FR", account_id=account)
    path = tmp_path / "policy.pickle"
    path.write_bytes(pickle.dumps(policy))
    script = (
        "import pickle, sys; policy = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(policy.assign('Hoa Kỳ', account_id='acme').primary.id)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == policy.assign("US", account_id="acme").primary.id


def test_an_account_asked_again_gets_the_same_answer_as_the_first_time() -> None:
    """The account memo answers as the definition: the order, and the location asked about.

    An account asked at another spelling of the same place, at another place of its region,
    or in another region, gets that place's placement in its own order, not the one
    remembered.
    """
    from residency.placement import rendezvous_order  # noqa: PLC0415 - pinned here only

    policy = default_policy()
    for account in [f"acct-{number}" for number in range(300)]:
        for location in ("DE", "Deutschland", "FR", "DE", "US", "GB", "FR"):
            placement = policy.assign(location, account_id=account)
            plain = policy.assign(location)
            assert placement.location == plain.location
            assert placement.data_centers == rendezvous_order(account, plain.data_centers)


def test_the_account_memo_answers_only_the_text_it_remembers() -> None:
    """A repeated account is answered from memory only for the same plain text, unconstrained.

    Another text, a Location, a str subclass whose ``__eq__`` says yes to anything, and a
    constraint each get the answer the definition gives, and a constraint is checked.
    """
    from residency.placement import Constraint, rendezvous_order  # noqa: PLC0415

    policy = default_policy()
    germany = policy.assign("DE").location
    asked: list[object] = ["DE", "DE", _Liar("JP"), "DE", germany, "DE", _Liar("DE"), "DE", "JP"]
    for account in [f"acct-{number}" for number in range(200)]:
        for location in asked:
            placement = policy.assign(location, account_id=account)
            plain = policy.assign(str(location) if isinstance(location, str) else location)
            assert placement.location == plain.location, (account, location)
            assert placement.data_centers == rendezvous_order(account, plain.data_centers)
        assert policy.assign(_Liar("JP"), account_id=account).region == "APAC"
        kept = policy.assign("DE", account_id=account, constraint=Constraint(providers={"aws"}))
        assert {dc.provider.id for dc in kept.data_centers} == {"aws"}
        with pytest.raises(InvalidConstraint):
            policy.assign("DE", account_id=account, constraint=Constraint(providers={"nope"}))
        assert policy.assign("DE", account_id=account).data_centers == rendezvous_order(
            account, policy.assign("DE").data_centers
        )


def test_the_account_and_order_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts through a region of nine data centers: both caches stay within bounds.

    Each holds at most two generations (small ones here, so that many generations pass), and
    every answer stays the definition's.
    """
    import attrs  # noqa: PLC0415 - pinned here only

    from residency import policy as module  # noqa: PLC0415
    from residency.catalog import DataCenter  # noqa: PLC0415
    from residency.placement import rendezvous_order  # noqa: PLC0415

    assert default_policy()._view(None).accounts.size == module.ACCOUNT_CACHE_SIZE
    monkeypatch.setattr(module, "ACCOUNT_CACHE_SIZE", 256)
    monkeypatch.setattr(module, "ORDER_CACHE_SIZE", 64)
    catalog = default_policy().catalog
    provider = catalog.data_centers[0].provider
    nine = tuple(DataCenter(id=f"example-eu-{n}", provider=provider, region="EU") for n in range(9))
    others = tuple(dc for dc in catalog.data_centers if dc.region != "EU")
    policy = module.Policy(attrs.evolve(catalog, data_centers=nine + others))
    view = policy._view(None)
    accounts = [f"acct-{number}" for number in range(5_000)]
    for account in [*accounts, *accounts[:300]]:
        assert policy.assign("DE", account_id=account).data_centers == rendezvous_order(
            account, nine
        )
        assert len(view.accounts) <= 2 * 256
        assert len(view.orders) <= 2 * 64


def test_check_transfer_remembers_a_move_only_as_three_plain_str() -> None:
    """A move is remembered by its location and data center ids as given, three plain str.

    A str subclass whose ``__eq__`` says yes to anything, in any of the three places, is
    answered afresh, as its own text, and adds nothing to the memory; so is a ``Location``.
    A move that raises is not remembered: it raises again, the same error each time.
    """
    from residency.policy import MOVE_CACHE_SIZE  # noqa: PLC0415 - pinned here only

    policy = Policy(default_policy().catalog)  # its own caches
    index = policy.check_agreements(())
    view = policy._view(None)
    assert view.moves.size == MOVE_CACHE_SIZE
    move = ("DE", "linode-eu", "aws-eu-west-1")
    decided = policy.check_transfer(*move, account_id="acme", agreements=index)
    assert decided.allowed
    assert list(view.moves) == [move]
    germany = policy.assign("DE").location
    for location, source, target, region in [
        (_Liar("JP"), "linode-eu", "aws-eu-west-1", "APAC"),
        ("DE", _Liar("linode-us"), "aws-eu-west-1", "EU"),
        ("DE", "linode-eu", _Liar("linode-us"), "EU"),
        (germany, "linode-eu", "aws-eu-west-1", "EU"),
    ]:
        answer = policy.check_transfer(
            location, source, target, account_id="acme", agreements=index
        )
        assert answer.placement.region == region
        assert (answer.source.id, answer.target.id) == (str(source), str(target))
        assert answer.allowed is (answer.target.region == region)  # no agreement is given
        assert list(view.moves) == [move]
    unknown: list[tuple[tuple[str, str, str], type[Exception]]] = [
        (("Atlantis", "linode-eu", "aws-eu-west-1"), UnknownLocation),
        (("DE", "linode-eu", "nope"), UnknownDataCenter),
        (("DE", "nope", "aws-eu-west-1"), UnknownDataCenter),
    ]
    for given, error in unknown:
        for _ in range(2):
            with pytest.raises(error):
                policy.check_transfer(*given, account_id="acme", agreements=index)
    assert list(view.moves) == [move]


@pytest.mark.parametrize(
    "move", [("DE", "linode-eu", "aws-eu-west-1"), ("DE", "linode-eu", "linode-us")]
)
def test_a_remembered_move_still_checks_what_comes_with_it(move: tuple[str, str, str]) -> None:
    """The account and the agreements of every check are checked, the move remembered or not.

    Agreements given as a list are indexed for the account on every check, even for a move
    within the home region that none can change: a duplicate id is refused each time.
    """
    agreement = Agreement(
        id="agr-1",
        account_id="acme",
        destinations=["US"],
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
    )
    policy = default_policy()
    policy.check_transfer(*move)  # remembered from here on
    for _ in range(2):
        with pytest.raises(InvalidAgreement, match="duplicate agreement id"):
            policy.check_transfer(*move, account_id="acme", agreements=[agreement, agreement])
        with pytest.raises(InvalidAccount):
            policy.check_transfer(*move, account_id="", agreements=[agreement])
        with pytest.raises(InvalidAgreement, match="one-shot iterator"):
            policy.check_transfer(*move, account_id="acme", agreements=iter([agreement]))
        decided = policy.check_transfer(*move, account_id="acme", agreements=[agreement])
        assert decided.allowed
        assert decided.agreement == (None if decided.target.region == "EU" else agreement)


@pytest.mark.parametrize(
    "consents",
    [(), [], ("support",), ["support-24-7"], ("support", "service"), (" support ",)],
)
def test_who_can_access_remembers_exactly_what_it_would_answer(consents: object) -> None:
    """A remembered answer equals the one computed afresh, for every location and consents."""
    from residency.access import who_can_access  # noqa: PLC0415 - the plain function

    policy = default_policy()
    for location in ("DE", "Germany", "GB", "US", "JP", "CH", "DE"):
        first = policy.who_can_access(location, consents=consents)  # type: ignore[arg-type]
        again = policy.who_can_access(location, consents=consents)  # type: ignore[arg-type]
        plain = who_can_access(
            policy.catalog,
            policy.assign(location),
            consents=consents,  # type: ignore[arg-type]
            region_of=lambda country: policy.assign(country).region,
        )
        assert first == again == plain


def test_who_can_access_keeps_each_list_of_consents_apart() -> None:
    """Asked in turn with and without consents, each answer is its own, never the other's."""
    policy = default_policy()
    fresh = default_policy()
    for consents in [(), ("support",), [], ["support"], (), ("support", "service"), ()]:
        for location in ("DE", "GB", "DE"):
            remembered = policy.who_can_access(location, consents=consents)
            assert remembered == fresh.with_mode("enforce").who_can_access(
                location, consents=consents
            )
    assert policy.who_can_access("DE").granted == ()
    assert policy.who_can_access("DE", consents=("support",)).granted != ()


def test_who_can_access_checks_consents_every_time() -> None:
    """Unknown or malformed consents are refused on every call; an iterator is read once."""
    from residency.errors import UnknownConsent  # noqa: PLC0415 - pinned here only

    policy = default_policy()
    for _ in range(2):
        with pytest.raises(UnknownConsent):
            policy.who_can_access("DE", consents=["nobody"])
        with pytest.raises(TypeError):
            policy.who_can_access("DE", consents="support")
    granted = policy.who_can_access("DE", consents=iter(["support"])).granted
    assert [party.id for party in granted] == ["support-24-7"]
    assert policy.who_can_access("DE").granted == ()
