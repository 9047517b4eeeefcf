"""The six translation files of the web client agree with each other and with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
LANGUAGES = ["ar", "zh", "en", "fr", "ru", "es"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Plural forms are keys `base.category` (static/js/i18n.js `tn`); each language has the
# categories its plural rules use (CLDR, as Intl.PluralRules gives them), `other` always.
PLURAL_CATEGORIES = {
    "en": {"one", "other"},
    "fr": {"one", "many", "other"},
    "es": {"one", "many", "other"},
    "ru": {"one", "few", "many", "other"},
    "ar": {"zero", "one", "two", "few", "many", "other"},
    "zh": {"other"},
}


CLDR_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})


def split(strings: dict[str, str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The plain keys, and the plural ones by base name and category. A dotted key is a
    plural form only when its suffix is a CLDR category (`post_count.few`); other dotted
    keys (`audit_post.hide`, one sentence per action) are plain."""
    plain: dict[str, str] = {}
    plural: dict[str, dict[str, str]] = {}
    for key, text in strings.items():
        base, dot, category = key.partition(".")
        if dot and category in CLDR_CATEGORIES:
            plural.setdefault(base, {})[category] = text
        else:
            plain[key] = text
    return plain, plural


def load(lang: str) -> dict[str, str]:
    return json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_same_keys_and_placeholders_as_english(lang: str) -> None:
    english, other = split(load("en"))[0], split(load(lang))[0]
    assert set(other) == set(english), {
        "missing": sorted(set(english) - set(other)),
        "extra": sorted(set(other) - set(english)),
    }
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), (lang, key)
        assert other[key].strip(), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_have_the_language_s_categories(lang: str) -> None:
    english = split(load("en"))[1]
    forms = split(load(lang))[1]
    assert set(forms) == set(english), sorted(set(forms) ^ set(english))
    for base, by_category in forms.items():
        assert set(by_category) == PLURAL_CATEGORIES[lang], (lang, base, sorted(by_category))
        allowed = set(PLACEHOLDER.findall(english[base]["other"]))
        # A form may spell its number out ("منشور واحد"), but names nothing English lacks.
        for category, text in by_category.items():
            assert text.strip() and set(PLACEHOLDER.findall(text)) <= allowed, (lang, base, category)
        assert set(PLACEHOLDER.findall(by_category["other"])) == allowed, (lang, base)


def test_every_key_the_code_uses_exists() -> None:
    english = load("en")
    used: set[str] = set()
    for path in (STATIC / "js").rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\('([a-z0-9_]+)'", source))
        used |= set(re.findall(r"label\('([a-z0-9_]+)'\)", source))
        used |= {f"{base}.other" for base in re.findall(r"\btn\('([a-z0-9_]+)'", source)}
    used |= set(re.findall(r'data-i18n(?:-aria-label)?="([a-z0-9_]+)"', (STATIC / "index.html").read_text()))
    # Keys built from data: kinds, roles, states, flag reasons, moderator actions.
    for prefix, names in {
        "kind_": ["nma", "workshop", "general", "other"],
        "role_": ["admin", "moderator", "focal_point", "lcipp", "observer"],
        "cafe_state_": ["open", "running", "closed"],
        "rt_state_": ["open", "closed"],
        "rt_capacity_": ["party", "observer", "lcipp", "fwg", "secretariat"],
        "flag_": ["spam", "off_topic", "abusive", "safeguards", "other"],
        "done_": ["approve", "reject", "hide", "unhide", "pin", "unpin", "lock", "unlock"],
        "log_": ["when", "actor", "action", "target", "reason"],
        "notif_": [
            "mention",
            "reply",
            "watched_post",
            "watched_thread",
            "post_approved",
            "post_rejected",
            "cafe_opened",
            "roundtable_opened",
            "queue_item",
        ],
        "level_": ["watching", "tracking", "normal", "muted"],
    }.items():
        used |= {prefix + name for name in names}
    missing = sorted(used - set(english))
    assert not missing, missing
