"""The six translation files of the web client agree with each other and with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
LANGUAGES = ["ar", "zh", "en", "fr", "ru", "es"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(lang: str) -> dict[str, str]:
    return json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_same_keys_and_placeholders_as_english(lang: str) -> None:
    english, other = load("en"), load(lang)
    assert set(other) == set(english), {
        "missing": sorted(set(english) - set(other)),
        "extra": sorted(set(other) - set(english)),
    }
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), (lang, key)
        assert other[key].strip(), (lang, key)


def test_every_key_the_code_uses_exists() -> None:
    english = load("en")
    used: set[str] = set()
    for path in (STATIC / "js").rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\('([a-z0-9_]+)'", source))
        used |= set(re.findall(r"label\('([a-z0-9_]+)'\)", source))
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
