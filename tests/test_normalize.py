"""The one normalisation behind every name lookup."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residency._normalize import exact, normalize, reference_exact, reference_normalize

# (text, key): what each rule does to a name.
KEYS = [
    pytest.param("Germany", "germany", id="lower-case"),
    pytest.param("GERMANY", "germany", id="upper-case"),
    pytest.param("  Germany \n", "germany", id="surrounding-white-space"),
    pytest.param("United  States", "unitedstates", id="inner-white-space"),
    pytest.param("United\u00a0States", "unitedstates", id="no-break-space"),
    pytest.param("Côte d'Ivoire", "cotedivoire", id="accent-and-apostrophe"),
    pytest.param("Côte d\u2019Ivoire", "cotedivoire", id="typographic-apostrophe"),
    pytest.param("Côte d\u02bcIvoire", "cotedivoire", id="letter-apostrophe"),
    pytest.param("Guinea-Bissau", "guineabissau", id="hyphen"),
    pytest.param("St. Lucia", "stlucia", id="full-stop"),
    pytest.param("Bonaire, Sint Eustatius and Saba", "bonairesinteustatiusandsaba", id="comma"),
    pytest.param("Falkland Islands (Malvinas)", "falklandislandsmalvinas", id="parenthesis"),
    pytest.param("Antigua & Barbuda", "antiguaandbarbuda", id="ampersand"),
    pytest.param("Trinidad&Tobago", "trinidadandtobago", id="ampersand-without-spaces"),
    pytest.param("The Gambia", "gambia", id="leading-article"),
    pytest.param("the   Netherlands", "netherlands", id="leading-article-spaces"),
    pytest.param("Thailand", "thailand", id="the-inside-a-word"),
    pytest.param(
        "Congo, the Democratic Republic of the",
        "congothedemocraticrepublicofthe",
        id="inner-article",
    ),
    pytest.param("the", "the", id="article-alone"),
    pytest.param("Åland", "aland", id="ring"),
    pytest.param("Føroyar", "foroyar", id="o-stroke"),
    pytest.param("Łódź", "lodz", id="l-stroke"),
    pytest.param("Đức", "duc", id="d-stroke"),
    pytest.param("Ísland", "island", id="acute"),
    pytest.param("Ærø", "aero", id="ae-ligature"),
    pytest.param("Œland", "oeland", id="oe-ligature"),
    pytest.param("Großbritannien", "grossbritannien", id="sharp-s"),
    pytest.param("Þýskaland", "thyskaland", id="thorn"),
    pytest.param("T\u00fcrk\u0131ye", "turkiye", id="dotless-i"),
    pytest.param("TÜRKİYE", "turkiye", id="dotted-capital-i"),
    pytest.param("Azərbaycan", "azerbaycan", id="schwa"),
    pytest.param("Hoa Kỳ", "hoaky", id="vietnamese-stacked-accents"),
    pytest.param("Việt Nam", "vietnam", id="vietnamese"),
    pytest.param("\uff35\uff33\uff21", "usa", id="full-width"),
    pytest.param("Ελλάδα", "ελλαδα", id="greek-accent"),
    pytest.param("Россия", "россия", id="cyrillic"),
    pytest.param("الولايات المتّحدة", "الولاياتالمتحدة", id="arabic-vowel-point"),
    pytest.param("ドイツ", "ドイツ", id="japanese-voicing-mark-kept"),
    pytest.param("\uff84\uff9e\uff72\uff82", "ドイツ", id="half-width-katakana"),
    pytest.param("대한민국", "대한민국", id="hangul"),
    pytest.param("भारत", "भारत", id="devanagari"),
    pytest.param("Cura\u00e7ao", "curacao", id="composed-cedilla"),
    pytest.param("Curac\u0327ao", "curacao", id="decomposed-cedilla"),
    pytest.param("Ger\u200bmany", "germany", id="zero-width-space"),
    pytest.param("Ger\u00admany", "germany", id="soft-hyphen"),
    pytest.param("...", "", id="punctuation-only"),
]


@pytest.mark.parametrize(("text", "key"), KEYS)
def test_key(text: str, key: str) -> None:
    """Each rule folds its variant onto the same matching key."""
    assert normalize(text) == key


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("Niger", "Nigeria", id="niger-nigeria"),
        pytest.param("Dominica", "Dominican Republic", id="dominica"),
        pytest.param("Sudan", "South Sudan", id="sudan"),
        pytest.param("Jersey", "New Jersey", id="jersey"),
        pytest.param("ト", "ド", id="voicing-mark"),
        pytest.param("Korea", "Korean", id="suffix"),
    ],
)
def test_keeps_names_apart(left: str, right: str) -> None:
    """Normalisation never merges two names that differ in a letter."""
    assert normalize(left) != normalize(right)


@given(st.text())
def test_idempotent(text: str) -> None:
    """A key normalises to itself, so the build and the lookup agree."""
    key = normalize(text)
    assert normalize(key) == key


@given(st.text())
def test_no_white_space_or_upper_case(text: str) -> None:
    """A key holds no white space and is its own case fold."""
    key = normalize(text)
    assert not any(char.isspace() for char in key)
    assert key == key.casefold()


ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)


@pytest.mark.parametrize("code", range(128))
def test_fast_path_agrees_on_every_ascii_character(code: int) -> None:
    """Each ASCII character, alone and inside a name, folds as the reference folds it."""
    for text in (chr(code), f"Ger{chr(code)}many", f"the {chr(code)}", f"x, the{chr(code)}"):
        assert normalize(text) == reference_normalize(text)
        assert exact(text) == reference_exact(text)


@given(ASCII)
def test_fast_path_agrees_with_the_reference(text: str) -> None:
    """For ASCII text the fast path gives exactly the reference key and exact form."""
    assert normalize(text) == reference_normalize(text)
    assert exact(text) == reference_exact(text)
