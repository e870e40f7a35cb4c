"""Machine instructions per call of the hot paths, counted by valgrind's callgrind.

The clock of a shared machine moves by a factor of two between minutes; the number of
instructions a call executes does not. This script runs each hot path in a child interpreter
under ``valgrind --tool=callgrind``, ``--calls`` calls after the same setup, and prints what
it executed beyond a child that runs the same setup and the same loop without the call,
per call, beside the same count for the floor the benchmark sets each row against
(``benchmarks/run.py`` measures the times).

    .venv/bin/python benchmarks/instructions.py                # the source tree beside it
    .venv/bin/python benchmarks/instructions.py --src OTHER/src  # another checkout, to compare
    .venv/bin/python benchmarks/instructions.py cold-assign cold-where  # some cases only

The ``cold-*`` cases count a whole fresh interpreter instead, start to exit: the cold starts
of ``run.py``'s cold section, after a run that writes their ``.pyc`` files.

Needs valgrind on PATH; the counts include the call itself and the freeing of what it
returns. The hash seed is fixed, so two runs of the same code give the same counts to within
a few instructions.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Each case: (name, what it is). The child runs the code of the case in _CHILD.
CASES = {
    "assign-new": "assign(x, account_id=a), an account never seen",
    "floor-blake2b": "BLAKE2b of a new account, as the placement scheme takes it",
    "bound-assign-new": "the bound of a new account: BareAssign of _floors.py, nothing checked",
    "assign-repeat": "assign(x, account_id=a), one of 2,000 accounts asked before",
    "floor-dict": "a dict lookup of one of 2,000 accounts",
    "assign-plain": "assign(x), no account",
    "floor-call": "the call alone: a method that does nothing, assign's signature, as assign(x)",
    "floor-call-account": "the same method, called as assign(x, account_id=a)",
    "access": "who_can_access(x), warm",
    "transfer-in-region": "check_transfer, in region (EU -> EU), 2,000 accounts",
    "transfer-allowed": "check_transfer, cross-region, allowed by an agreement",
    "transfer-denied": "check_transfer, cross-region, denied",
    "floor-transfer": "the plain-dict transfer decision of run.py, cross-region",
    "bound-transfer": "the bound across regions, allowed: BareTransfers of _floors.py",
}

# The cold starts: (what it is, the code a fresh interpreter runs), counted whole, start to
# exit, after a run that writes the .pyc files (as an installed package has them).
COLD = {
    "cold-bare": ("python -c pass, the floor", "pass"),
    "cold-assign": (
        "import residency; default_policy().assign('DE')",
        "import residency; residency.default_policy().assign('DE')",
    ),
    "cold-name": (
        "the same, then a first name lookup: assign('Deutschland')",
        "import residency; p = residency.default_policy(); p.assign('DE'); p.assign('Deutschland')",
    ),
    "cold-where": (
        "residency where DE, as the console script runs it",
        "import sys; from residency.cli import main; sys.argv[1:] = ['where', 'DE']; main()",
    ),
}

_CHILD = r"""
import gc, hashlib, itertools, sys
sys.path.insert(0, {benchmarks!r})
import _inputs
_inputs.ACCOUNTS = 2_000
from residency import default_policy
from _floors import BareAssign, BareTransfers, EmptyPolicy, PlainTransfers
case, count = sys.argv[1], int(sys.argv[2])
policy = default_policy()
agreements = _inputs.agreements()
index = policy.check_agreements(agreements)
accounts = [_inputs.account_id(number) for number in range(_inputs.ACCOUNTS)]
check = policy.check_transfer
allowed = [a for a in accounts
           if check("DE", "linode-eu", "linode-us", account_id=a, agreements=index).allowed]
kept = set(allowed)
denied = [a for a in accounts if a not in kept]
plain = PlainTransfers(policy, ["DE"], agreements)
bare = BareAssign(policy, ["DE"])
bare_transfers = BareTransfers(policy, ["DE"], index)
assign = policy.assign
for account in accounts:
    assign("DE", account_id=account)
policy.who_can_access("DE")
fresh = [f"acct-new-{{number:07d}}" for number in range(count)]
table = dict.fromkeys(accounts, 1)
def cycle(values):
    return list(itertools.islice(itertools.cycle(values), count))
asked, yes, no = cycle(accounts), cycle(allowed), cycle(denied)
blake2b = hashlib.blake2b
gc.disable()
if case == "assign-new":
    for a in fresh: assign("DE", account_id=a)
elif case == "bound-assign-new":
    for a in fresh: bare.assign("DE", account_id=a)
elif case == "floor-blake2b":
    for a in fresh: int.from_bytes(blake2b(a.encode(), digest_size=8).digest(), "big")
elif case == "assign-repeat":
    for a in asked: assign("DE", account_id=a)
elif case == "floor-dict":
    get = table.get
    for a in asked: get(a)
elif case == "assign-plain":
    for a in asked: assign("DE")
elif case == "floor-call":
    empty = EmptyPolicy().assign
    for a in asked: empty("DE")
elif case == "floor-call-account":
    empty = EmptyPolicy().assign
    for a in asked: empty("DE", account_id=a)
elif case == "access":
    access = policy.who_can_access
    for a in asked: access("DE")
elif case == "transfer-in-region":
    for a in asked: check("DE", "linode-eu", "aws-eu-west-1", account_id=a, agreements=index)
elif case == "transfer-allowed":
    for a in yes: check("DE", "linode-eu", "linode-us", account_id=a, agreements=index)
elif case == "transfer-denied":
    for a in no: check("DE", "linode-eu", "linode-us", account_id=a, agreements=index)
elif case == "loop":
    for a in asked: pass
elif case == "bound-transfer":
    check_bare = bare_transfers.check_transfer
    for a in yes: check_bare("DE", "linode-eu", "linode-us", account_id=a, agreements=index)
elif case == "floor-transfer":
    decide = plain.decide
    for a in yes: decide("DE", "linode-us", a)
"""

VALGRIND = shutil.which("valgrind")
_COLLECTED = re.compile(r"Collected : (\d+)")


def _count(src: Path, case: str, calls: int) -> int:
    """The instructions a child executes, start to end, making ``calls`` calls of ``case``."""
    return _counted(src, case, [_CHILD.format(benchmarks=str(HERE)), case, str(calls)])


def _count_cold(src: Path, case: str) -> int:
    """The instructions of a fresh interpreter running the cold start ``case``, whole."""
    code = COLD[case][1]
    writing = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-c", code],
        env={**writing, "PYTHONPATH": str(src)},
        capture_output=True,
        check=True,
    )
    return _counted(src, case, [code])


def _counted(src: Path, case: str, arguments: list[str]) -> int:
    """The instructions of ``python -c ARGUMENTS`` under callgrind, residency from ``src``."""
    assert VALGRIND is not None  # noqa: S101 - main checked
    environment = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(src)}
    done = subprocess.run(
        [
            VALGRIND,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            *arguments,
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        message = f"{case}: the child failed under valgrind:\n{done.stderr[-2000:]}"
        raise SystemExit(message)
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    """Print the instructions per call of each case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=HERE.parent / "src", help="residency's src")
    parser.add_argument("--calls", type=int, default=4_000, help="calls per case (4,000)")
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"of {', '.join([*CASES, *COLD])}")
    arguments = parser.parse_args(argv)
    unknown = sorted(set(arguments.cases) - set(CASES) - set(COLD))
    if unknown:
        parser.error(f"no such case: {', '.join(unknown)}")
    if VALGRIND is None:
        print("valgrind is not on PATH: nothing to count", file=sys.stderr)
        return 1
    chosen = arguments.cases or [*CASES, *COLD]
    calls = [case for case in chosen if case in CASES]
    if calls:
        print(f"instructions per call, callgrind, {arguments.calls:,} calls, src {arguments.src}")
        loop = _count(arguments.src, "loop", arguments.calls)
        for case in calls:
            per_call = (_count(arguments.src, case, arguments.calls) - loop) / arguments.calls
            print(f"  {case:20s} {per_call:11,.0f}   {CASES[case]}", flush=True)
    colds = [case for case in chosen if case in COLD]
    if colds:
        print(f"instructions per cold start, callgrind, .pyc written first, src {arguments.src}")
        for case in colds:
            print(
                f"  {case:20s} {_count_cold(arguments.src, case):11,}   {COLD[case][0]}", flush=True
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
