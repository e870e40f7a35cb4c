"""The evaluation script: every outcome of both sets, the report, and the CLDR thresholds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from tests import scripts

from residency.locations import CountryCode, Location

if TYPE_CHECKING:
    from pathlib import Path

evaluate_names = scripts.load("evaluate_names")

# One row per outcome, and two rows of statuses that are not scored.
ROWS = (
    ("Germany", "DEU", "iso3166-1", "resolved"),
    ("Atlantis", "DEU", "iso3166-1", "unknown"),
    ("Korea", "KOR", "iso3166-1", "ambiguous"),
    ("Germany", "FRA", "iso3166-1", "WRONG"),
    ("Europe", "NONE", "negative", "rejected"),
    ("US-NJ", "NONE", "negative", "named a subdivision"),
    ("France", "NONE", "negative", "resolved to a country"),
    ("China excluding Hong Kong", "CHN", "convention", None),
    ("Netherlands Antilles", "ANT", "iso3166-3_historic", None),
)


def _write_tsv(path: Path, rows: tuple[tuple[str, str, str, str | None], ...]) -> Path:
    lines = ["input\texpected_iso3\tcoco_name_short\tsource\tiso_status"]
    lines.extend(
        f"{text}\t{expected}\t-\ttests/hand-made.txt\t{status}"
        for text, expected, status, _ in rows
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _location(code: str) -> Location:
    country, _, _suffix = code.partition("-")
    return Location(country=CountryCode(country), subdivision=code if "-" in code else None)


def test_each_tsv_row_lands_in_its_outcome(tmp_path: Path) -> None:
    """Each scored row of a variants table lands in its own outcome; other statuses are skipped."""
    score = evaluate_names.score_tsv(_write_tsv(tmp_path / "variants.tsv", ROWS))
    outcomes = [(result.text, str(result.outcome)) for result in score.results]
    assert outcomes == [(text, outcome) for text, _, _, outcome in ROWS if outcome is not None]
    assert (score.resolved, score.unknown, score.ambiguous, score.wrong) == (1, 1, 1, 1)
    assert (score.rejected, score.subdivision, score.negative_resolved) == (1, 1, 1)
    assert (score.scored, score.negatives, score.not_scored, score.share) == (4, 3, 2, 0.25)
    assert [result.text for result in score.failures] == ["Germany", "France"]
    assert not score.passed
    assert len(score.problems()) == 3


def test_a_clean_tsv_passes_and_its_figures_reach_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table with no failure exits 0, and --json writes its figures and no failure."""
    data = _write_tsv(tmp_path / "variants.tsv", ROWS[:1] + ROWS[4:6])
    output = tmp_path / "figures.json"
    assert evaluate_names.main(["--tsv", "--data", str(data), "--json", str(output)]) == 0
    assert "every threshold met" in capsys.readouterr().out
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert figures["passed"] is True
    assert "cldr" not in figures
    assert figures["tsv"]["iso3166-1"] == {
        "rows": 1,
        "resolved": 1,
        "unknown": 0,
        "ambiguous": 0,
        "wrong": 0,
        "share": 1.0,
    }
    assert figures["tsv"]["negative"]["named a subdivision"] == 1
    assert figures["tsv"]["failures"] == []


def test_a_tsv_failure_is_printed_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong row is printed even with --quiet, an unknown one only with --show, and exit is 1."""
    data = _write_tsv(tmp_path / "variants.tsv", ROWS)
    assert evaluate_names.main(["--tsv", "--data", str(data), "--quiet"]) == 1
    quiet = capsys.readouterr().out
    assert "'Germany'" in quiet
    assert "'Atlantis'" not in quiet
    assert evaluate_names.main(["--tsv", "--data", str(data), "--show", "unknown"]) == 1
    assert "'Atlantis'" in capsys.readouterr().out


def test_a_missing_tsv_is_reported_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An absent variants table is named in the report and does not fail the run."""
    absent = tmp_path / "absent.tsv"
    assert evaluate_names.main(["--tsv", "--data", str(absent)]) == 0
    assert f"{absent} is absent" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "expected", "outcome"),
    [
        pytest.param("Germany", "DE", "right", id="right"),
        pytest.param("US-NJ", "US-NJ", "right", id="right-subdivision"),
        pytest.param("US-NJ", "US-CA", "right country", id="right-country"),
        pytest.param("Germany", "FR", "wrong", id="wrong"),
        pytest.param("Korea", "KR", "ambiguous-right", id="ambiguous-right"),
        pytest.param("Korea", "JP", "ambiguous-wrong", id="ambiguous-wrong"),
        pytest.param("Atlantis", "DE", "unknown", id="unknown"),
        pytest.param("Europe", None, "rejected", id="region-rejected"),
        pytest.param("Germany", None, "resolved", id="region-resolved"),
    ],
)
def test_each_cldr_pair_lands_in_its_outcome(name: str, expected: str | None, outcome: str) -> None:
    """A CLDR pair is scored by what residency answers for its name against what is expected."""
    location = None if expected is None else _location(expected)
    pair = evaluate_names.CldrPair("en", name, "ZZ", location)
    result = evaluate_names.score_pair(pair)
    assert result.outcome == outcome
    assert result.not_a_country == (outcome == "rejected")


def test_cldr_codes_expect_countries_places_or_no_country() -> None:
    """ISO codes expect their country, the other place codes their table entry, regions none."""
    listed = evaluate_names.cldr_expectations()
    assert evaluate_names.expectation("DE", listed) == _location("DE")
    assert evaluate_names.expectation("XK", listed) == _location("XK")
    assert evaluate_names.expectation("AC", listed) == _location("SH-AC")
    assert evaluate_names.expectation("EA", listed) == _location("ES")
    for region in ("150", "419", "001", "EU", "EZ", "UN", "QO", "ZZ"):
        assert evaluate_names.expectation(region, listed) is None
    with pytest.raises(KeyError):
        evaluate_names.expectation("XA", listed)


@pytest.mark.slow
@pytest.mark.no_cover  # every CLDR name resolved, traced line by line: covered elsewhere
def test_cldr_names_meet_the_figures() -> None:
    """Every CLDR territory name of every locale resolves with no failure and the shares asked."""
    pytest.importorskip("babel")
    score = evaluate_names.score_cldr()
    total = score.total
    failures = [
        f"{result.outcome} {result.pair.language} {result.pair.code} {result.pair.name!r}:"
        f" {result.said}"
        for result in score.failures[:20]
    ]
    assert (total.wrong, total.ambiguous_wrong, total.resolved) == (0, 0, 0), failures
    assert score.top40_min_share >= 0.99, score.top40_min_language
    assert score.overall_share >= 0.97
