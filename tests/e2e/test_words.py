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
