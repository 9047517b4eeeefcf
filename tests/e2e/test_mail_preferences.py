"""The preferences page's mail settings: the mails' language, mentions and replies, the digest."""

from __future__ import annotations

import pytest

from .conftest import Server, run_axe

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect


def test_mail_settings_are_saved_from_the_preferences_page(new_page, server: Server) -> None:
    page = new_page("bob", path="#/preferences")
    expect(page.locator("main h1")).to_have_text("Preferences")
    # The e2e server has no FORUM_SMTP_URL: the page says mail is off, and keeps the settings.
    expect(page.locator("main")).to_contain_text("does not send mail")
    page.get_by_label("Digest").select_option("weekly")
    expect(page.locator("#announcer")).to_contain_text("Saved.")
    page.get_by_label("Language of the mails").select_option("fr")
    expect(page.locator("#announcer")).to_contain_text("Saved.")
    page.get_by_label("Mentions and replies").select_option("off")
    expect(page.locator("#announcer")).to_contain_text("Saved.")
    assert server.api("bob", "GET", "/api/me/mail").json() == {
        "language": "fr",
        "immediate": False,
        "digest": "weekly",
        "mail_enabled": False,
    }
    violations = run_axe(page)
    assert violations == [], violations
    assert not page.errors, page.errors
