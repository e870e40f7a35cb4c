"""Placement: data centers in order, rendezvous spreading, stability and constraints."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from residency import (
    Constraint,
    InvalidConstraint,
    NoEligibleDataCenter,
    Policy,
    default_policy,
    load_policy,
)
from residency._rank import Ranker, _order_of_three
from residency.placement import account_key, data_center_key, pair_hash, rendezvous_order

if TYPE_CHECKING:
    from pathlib import Path

ACCOUNTS = [f"account-{number}" for number in range(9000)]
EU_IDS = {"linode-eu", "aws-eu-west-1", "websupport-eu"}


def _primaries(policy: Policy, accounts: list[str]) -> list[str]:
    return [policy.assign("DE", account_id=account).primary.id for account in accounts]


def _policy_with(tmp_path: Path, change: Any) -> Policy:  # noqa: ANN401 - a callable on the raw document
    data = json.loads(json.dumps(default_policy_document()))
    change(data)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_policy(path)


def default_policy_document() -> dict[str, Any]:
    """The bundled catalog document, as plain data."""
    from residency import _data  # noqa: PLC0415

    return _data.load_toml("catalog.toml")


def test_without_account_the_catalog_order() -> None:
    """Without an account the region's data centers come in catalog order."""
    placement = default_policy().assign("FR")
    assert [dc.id for dc in placement.data_centers] == [
        "linode-eu",
        "aws-eu-west-1",
        "websupport-eu",
    ]
    assert placement.primary.id == "linode-eu"
    assert all(dc.region == "EU" for dc in placement.data_centers)


@pytest.mark.parametrize(
    ("location", "region", "ids"),
    [
        ("GB", "UK", ["linode-uk"]),
        ("US", "US", ["linode-us", "aws-us-west-1"]),
        ("SG", "APAC", ["linode-sg", "aws-ap-southeast-1"]),
    ],
)
def test_each_region_has_its_data_centers(location: str, region: str, ids: list[str]) -> None:
    """Every region is served by exactly the data centers the source lists for it."""
    placement = default_policy().assign(location, account_id="acme")
    assert placement.region == region
    assert sorted(dc.id for dc in placement.data_centers) == sorted(ids)


def test_same_account_same_order() -> None:
    """An account gets the same order every time, whatever the input form of its location."""
    policy = default_policy()
    first = policy.assign("DE", account_id="acme")
    assert policy.assign("deu", account_id="acme") == first
    assert policy.assign(" Germany ", account_id="acme").data_centers == first.data_centers
    assert policy.assign("FR", account_id="acme").data_centers == first.data_centers


def test_order_is_the_same_in_other_processes() -> None:
    """The order comes from a stable hash, not Python's salted hash: other seeds agree."""
    accounts = ACCOUNTS[:200]
    here = _primaries(default_policy(), accounts)
    script = (
        "import json, residency; p = residency.default_policy(); "
        f"print(json.dumps([p.assign('DE', account_id=a).primary.id for a in {accounts!r}]))"
    )
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(result.stdout) == here


def test_accounts_spread_over_the_region() -> None:
    """Nine thousand accounts spread over EU's three data centers, 25-42% each."""
    counts = Counter(_primaries(default_policy(), ACCOUNTS))
    assert set(counts) == EU_IDS
    for count in counts.values():
        assert 0.25 <= count / len(ACCOUNTS) <= 0.42


def test_adding_a_data_center_moves_only_accounts_to_it(tmp_path: Path) -> None:
    """A new data center takes only the accounts it wins; no other account moves."""

    def add_eu_data_center(data: dict[str, Any]) -> None:
        data["data_centers"].append({"id": "new-eu", "provider": "aws", "region": "EU"})

    before = _primaries(default_policy(), ACCOUNTS)
    after = _primaries(_policy_with(tmp_path, add_eu_data_center), ACCOUNTS)
    moved = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert moved, "the new data center won no account"
    assert all(new == "new-eu" for _, new in moved)
    assert 0.18 <= len(moved) / len(ACCOUNTS) <= 0.32


def test_adding_a_data_center_elsewhere_moves_nothing(tmp_path: Path) -> None:
    """A data center added to another region never moves an account out of its region."""

    def add_us_data_center(data: dict[str, Any]) -> None:
        data["data_centers"].append({"id": "new-us", "provider": "aws", "region": "US"})

    changed = _policy_with(tmp_path, add_us_data_center)
    assert _primaries(changed, ACCOUNTS[:2000]) == _primaries(default_policy(), ACCOUNTS[:2000])


def test_weights_shift_the_share(tmp_path: Path) -> None:
    """A data center of weight 2 among two of weight 1 wins about half of the accounts."""

    def double_linode(data: dict[str, Any]) -> None:
        data["data_centers"][0]["weight"] = 2.0

    counts = Counter(_primaries(_policy_with(tmp_path, double_linode), ACCOUNTS))
    assert 0.45 <= counts["linode-eu"] / len(ACCOUNTS) <= 0.55


def test_rendezvous_ignores_input_order() -> None:
    """The order of an account's data centers does not depend on the order they are given in."""
    eu = default_policy().catalog.data_centers_in("EU")
    for account in ACCOUNTS[:300]:
        forward = rendezvous_order(account, eu)
        assert rendezvous_order(account, tuple(reversed(eu))) == forward
        assert set(forward) == set(eu)


@pytest.mark.parametrize(
    "keys",
    [
        *itertools.permutations((1, 2, 3)),
        (1, 1, 1),
        (2, 1, 1),
        (1, 2, 1),
        (1, 1, 2),
        (2, 2, 1),
        (1, 2, 2),
        (2, 1, 2),
    ],
    ids=str,
)
def test_order_of_three_sorts_like_a_stable_sort(keys: tuple[int, int, int]) -> None:
    """The spelled-out order of three keys equals a stable descending sort, ties included."""
    expected = tuple(sorted(range(3), key=keys.__getitem__, reverse=True))
    assert _order_of_three(*keys) == expected


def test_every_order_is_equally_likely() -> None:
    """Over nine thousand accounts each of the six orders of three data centers is near 1/6."""
    ranker = Ranker(default_policy().catalog.data_centers_in("EU"))
    counts = Counter(ranker.order(account) for account in ACCOUNTS)
    assert len(counts) == 6
    for count in counts.values():
        assert 0.14 <= count / len(ACCOUNTS) <= 0.19


@pytest.mark.parametrize("account", ["acme", "Ünïcödé GmbH", "\ud800lone-surrogate", "x" * 500])
def test_order_follows_the_documented_hash(account: str) -> None:
    """The fast path ranks exactly by pair_hash of account_key and each data center's seed."""
    eu = default_policy().catalog.data_centers_in("EU")
    hashes = [pair_hash(account_key(account), data_center_key(dc.id)) for dc in eu]
    expected = tuple(sorted(range(3), key=hashes.__getitem__, reverse=True))
    assert Ranker(eu).order(account) == expected


def test_ranker_order_is_a_permutation() -> None:
    """A ranker returns every position exactly once."""
    ranker = Ranker(default_policy().catalog.data_centers_in("EU"))
    orders = {ranker.order(account) for account in ACCOUNTS[:500]}
    assert all(sorted(order) == [0, 1, 2] for order in orders)
    assert len(orders) == 6


@pytest.mark.parametrize(
    ("constraint", "ids"),
    [
        (Constraint(providers={"aws"}), ["aws-eu-west-1"]),
        (Constraint(providers={"linode", "websupport"}), ["linode-eu", "websupport-eu"]),
        (Constraint(), ["linode-eu", "aws-eu-west-1", "websupport-eu"]),
    ],
    ids=["aws", "linode-or-websupport", "none"],
)
def test_constraint_keeps_what_qualifies(constraint: Constraint, ids: list[str]) -> None:
    """A constraint keeps the region's data centers that meet it, in their order."""
    placement = default_policy().assign("DE", constraint=constraint)
    assert [dc.id for dc in placement.data_centers] == ids
    assert placement.region == "EU"


def test_constraint_keeps_the_account_order() -> None:
    """A constrained placement is the account's order with the others left out."""
    policy = default_policy()
    constraint = Constraint(providers={"linode", "websupport"})
    for account in ACCOUNTS[:100]:
        full = policy.assign("DE", account_id=account).data_centers
        kept = policy.assign("DE", account_id=account, constraint=constraint).data_centers
        assert kept == tuple(dc for dc in full if dc.provider.id != "aws")


@pytest.mark.parametrize(
    ("location", "constraint"),
    [
        ("GB", Constraint(providers={"aws"})),
        ("US", Constraint(jurisdictions={"US"})),
    ],
    ids=["no-aws-in-uk", "no-jurisdiction-stated"],
)
def test_constraint_never_falls_back_to_another_region(
    location: str, constraint: Constraint
) -> None:
    """When nothing in the region qualifies, that is an error naming the region."""
    region = default_policy().assign(location).region
    with pytest.raises(NoEligibleDataCenter) as caught:
        default_policy().assign(location, constraint=constraint)
    assert caught.value.region == region
    assert caught.value.constraint == constraint
    assert region in str(caught.value)


@pytest.mark.parametrize(
    ("constraint", "field", "names"),
    [
        (Constraint(providers={"awss"}), "providers", ("awss",)),
        (Constraint(providers={"aws", "azure"}), "providers", ("azure",)),
        (Constraint(certifications={"ISO 27001"}), "certifications", ("ISO 27001",)),
        (Constraint(jurisdictions={"ZZ"}), "jurisdictions", ("ZZ",)),
    ],
    ids=["typo", "one-of-two", "certification-no-data-center-holds", "no-such-country"],
)
def test_constraint_naming_what_the_catalog_lacks_is_its_own_error(
    constraint: Constraint, field: str, names: tuple[str, ...]
) -> None:
    """A constraint that names an unknown provider, certification or country is refused."""
    with pytest.raises(InvalidConstraint) as caught:
        default_policy().assign("DE", constraint=constraint)
    assert caught.value.unknown == {field: names}
    assert not isinstance(caught.value, NoEligibleDataCenter)


def test_constraint_on_certifications_a_catalog_credits(tmp_path: Path) -> None:
    """A catalog that credits a certification to one data center lets a constraint pick it."""

    def certify(data: dict[str, Any]) -> None:
        websupport = next(dc for dc in data["data_centers"] if dc["id"] == "websupport-eu")
        websupport["certifications"] = ["ISO 27001"]

    placement = _policy_with(tmp_path, certify).assign(
        "DE", account_id="acme", constraint=Constraint(certifications={"ISO 27001"})
    )
    assert [dc.id for dc in placement.data_centers] == ["websupport-eu"]


@pytest.mark.parametrize("account", ["", 42, None, b"acme"], ids=["empty", "int", "none", "bytes"])
def test_account_must_be_a_non_empty_string(account: object) -> None:
    """An account id that is not a non-empty str is refused, not hashed."""
    if account is None:
        assert default_policy().assign("DE", account_id=None).region == "EU"
        return
    with pytest.raises(ValueError, match="account id"):
        default_policy().assign("DE", account_id=account)  # type: ignore[arg-type]


def test_placement_is_immutable() -> None:
    """A placement is a frozen value; evolve makes a changed copy."""
    placement = default_policy().assign("DE")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        placement.region = "US"  # type: ignore[misc]
    assert attrs.evolve(placement, region="US").region == "US"
    assert placement.region == "EU"
