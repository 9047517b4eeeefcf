"""How the report names a speaker in each of the six UN languages (forum.roundtables.wording,
pure): Party names from CLDR, the UN's English short names and articles, the European
Union, the anonymous attribution."""

from __future__ import annotations

import pytest

from forum.roundtables.wording import LANGUAGES, PHRASES, attributed_as, capacity_label, party_name


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "the representative of Malaysia"),
        ("fr", "le représentant de la Partie (Malaisie)"),
        ("es", "el representante de Malasia"),
        ("ar", "ممثل ماليزيا"),
        ("ru", "представитель Стороны (Малайзия)"),
        ("zh", "马来西亚代表"),
    ],
)
def test_a_party_in_each_language(language: str, expected: str) -> None:
    assert attributed_as("party", "MYS", "capacity", language) == expected


def test_every_language_has_every_phrase_and_anonymity_hides_the_capacity() -> None:
    assert set(PHRASES) == set(LANGUAGES)
    for language in LANGUAGES:
        assert PHRASES[language].keys() == PHRASES["en"].keys()
        anonymous = attributed_as("party", "MYS", "anonymous", language)
        assert anonymous == PHRASES[language]["anonymous"]
        assert party_name("MYS", language) not in anonymous
        # Every capacity reads differently from the others.
        phrases = {
            attributed_as(kind, code, "capacity", language)
            for kind, code in (
                ("party", "JPN"),
                ("lcipp", None),
                ("fwg", None),
                ("secretariat", None),
                ("observer", "CGIAR"),
            )
        }
        assert len(phrases) == 5


@pytest.mark.parametrize(
    ("code", "label", "phrase"),
    [
        ("BOL", "Plurinational State of Bolivia", "the representative of the Plurinational State of Bolivia"),
        ("KOR", "Republic of Korea", "the representative of the Republic of Korea"),
        (
            "COD",
            "Democratic Republic of the Congo",
            "the representative of the Democratic Republic of the Congo",
        ),
        ("PHL", "Philippines", "the representative of the Philippines"),
        ("JPN", "Japan", "the representative of Japan"),
        ("EUU", "the European Union", "the representative of the European Union"),
    ],
)
def test_english_names_are_the_uns(code: str, label: str, phrase: str) -> None:
    assert capacity_label("party", code) == label
    assert attributed_as("party", code, "capacity") == phrase


def test_the_european_union_and_unknown_codes() -> None:
    assert party_name("EUU", "es") == "la Unión Europea"
    assert party_name("EUU", "fr") == "Union européenne"
    assert party_name("EUU", "zh") == "欧盟"
    # A code no list knows is shown as it is, never an error.
    assert party_name("XXX", "ru") == "XXX"
    assert party_name(None, "fr") == "une Partie"
