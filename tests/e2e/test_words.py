"""The server's words in the reader's language: sign-in and registration errors, the
password rule, and a café's archive (docs/errors.md, docs/cafes.md)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server

# What each language says; the English of bad fields is the server's own detail.
WORDS = {
    "en-US": {
        "hint": "At least {n} characters.",
        "too_short": "password: must be at least {n} characters long",
        "taken": "An account with this email already exists.",
        "wrong": "The email or the password is wrong.",
    },
    "fr-FR": {
        "hint": "Au moins {n} caractères.",
        "too_short": "Mot de passe : au moins {n} caractères.",
        "taken": "Un compte existe déjà avec cette adresse électronique.",
        "wrong": "L’adresse électronique ou le mot de passe est incorrect.",
    },
}


@pytest.mark.parametrize("locale", list(WORDS))
def test_registration_and_sign_in_errors_in_the_readers_language(
    new_page, server: Server, locale: str
) -> None:
    words = WORDS[locale]
    page = new_page(locale=locale, path="#/register")
    rule = page.request.get("/api/auth/rules").json()["password_min_length"]
    password = page.locator("main form input[name=password]")
    alert = page.locator("main form [role=alert]")

    # The hint and minlength state the server's rule, not a number of the page's own.
    hint_id = password.get_attribute("aria-describedby")
    expect(page.locator(f"#{hint_id}")).to_have_text(words["hint"].format(n=rule))
    expect(password).to_have_attribute("minlength", str(rule))

    # Too short: the field is named, marked invalid and described by the message.
    page.locator("main form input[name=display_name]").fill("Léa Nouvelle")
    page.locator("main form input[name=email]").fill(server.users["alice"].email)
    password.fill("x" * (rule - 1))
    page.locator("main form button[type=submit]").click()
    expect(alert).to_have_text(words["too_short"].format(n=rule))
    expect(password).to_have_attribute("aria-invalid", "true")
    assert "auth-error" in (password.get_attribute("aria-describedby") or "").split()

    # Long enough, but the email is taken: now the email is the field in question.
    password.fill("x" * rule)
    page.locator("main form button[type=submit]").click()
    expect(alert).to_have_text(words["taken"])
    email = page.locator("main form input[name=email]")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(password).not_to_have_attribute("aria-invalid", "true")

    # A wrong password at sign-in.
    page.goto("/#/login")
    page.locator("main form input[name=email]").fill(f"nobody-{uuid.uuid4().hex[:8]}@example.org")
    page.locator("main form input[name=password]").fill("not the password at all")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main form [role=alert]")).to_have_text(words["wrong"])
    expect(page.locator("main form input[name=password]")).to_have_attribute("aria-invalid", "true")
    assert not page.errors, page.errors


# The archive's words per language; the time zone is the reader's (Tokyo here, UTC+9).
ARCHIVE_WORDS = {
    "en-US": {
        "table": "Table 1: {topic}",
        "host": "Host: {name}",
        "harvest": "Harvest",
        "count": "Messages: 1",
    },
    "fr-FR": {
        "table": "Table 1 : {topic}",
        "host": "Animation : {name}",
        "harvest": "Récolte",
        "count": "Messages : 1",
    },
}


def test_a_cafe_archive_in_two_languages_with_the_readers_dates(browser, server: Server, spaces) -> None:
    host, alice = server.users["host1"], server.users["alice"]
    topic = f"Finance for NMAs {uuid.uuid4().hex[:6]}"
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/cafes",
        json={"title": "Words café", "round_seconds": 600, "tables": [{"topic": topic, "host_id": host.id}]},
    )
    assert res.status_code == 201, res.text
    cafe_id = res.json()["id"]
    table = server.api("alice", "POST", f"/api/cafes/{cafe_id}/join").json()["table_id"]
    said = server.api(
        "alice", "POST", f"/api/tables/{table}/messages", json={"body": "Blended **finance** works"}
    )
    assert said.status_code == 201, said.text
    stamp = said.json()["created_at"]
    server.api("host1", "PUT", f"/api/tables/{table}/harvest", json={"body": "Trust first"})
    thread_id = server.api("moderator", "POST", f"/api/cafes/{cafe_id}/close").json()["thread_id"]

    for locale, words in ARCHIVE_WORDS.items():
        context = browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Tokyo")
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.goto(f"/#/thread/{thread_id}")
            page.wait_for_selector("body[data-ready=true]")
            record = page.locator("section.archive-cafe").first
            expect(record.locator("h2")).to_have_text(words["table"].format(topic=topic))
            expect(record.locator(".archive-host")).to_have_text(words["host"].format(name=host.name))
            expect(record.locator("h3").first).to_have_text(words["harvest"])
            expect(record.locator(".archive-count")).to_have_text(words["count"])
            expect(record.locator(".archive-harvest")).to_have_text("Trust first")
            expect(record.locator(".archive-quote strong")).to_have_text("finance")
            expect(record.locator(".archive-meta strong")).to_have_text(alice.name)
            # The time is the reader's: their locale's format in their time zone, not UTC.
            shown = record.locator(".archive-meta time")
            expect(shown).to_have_attribute("datetime", stamp)
            expected = page.evaluate(
                "([iso, lang]) => new Intl.DateTimeFormat(lang, {dateStyle: 'medium', timeStyle: 'short',"
                " timeZone: 'Asia/Tokyo'}).format(new Date(iso))",
                [stamp, locale.split("-")[0]],
            )
            expect(shown).to_have_text(expected)
            assert "UTC" not in shown.inner_text()
            # The English Markdown is not what is shown.
            expect(page.locator("main")).not_to_contain_text("### Harvest")
            assert not errors, errors
        finally:
            context.close()
