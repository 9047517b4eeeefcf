"""Mail strings in all six languages, and the unsubscribe token's signature."""

from __future__ import annotations

from forum.mail import tokens
from forum.mail.sender import parse_smtp_url
from forum.mail.texts import LANGUAGES, TEXTS, text


def test_every_language_has_every_string_and_its_placeholders() -> None:
    assert set(TEXTS) == set(LANGUAGES)
    keys = set(TEXTS["en"])
    for language in LANGUAGES:
        assert set(TEXTS[language]) == keys, language
        for key in keys:
            # Every placeholder of the English string is filled, none is left over.
            filled = text(language, key, actor="A", title="T", space="S", count=3)
            assert "{" not in filled, (language, key)
            for name, value in (("{actor}", "A"), ("{title}", "T"), ("{count}", "3")):
                if name in TEXTS["en"][key]:
                    assert value in filled, (language, key)


def test_tokens_verify_only_what_was_signed_with_the_key() -> None:
    token = tokens.sign("key-one", 42)
    assert tokens.verify("key-one", token) == 42
    assert tokens.verify("key-two", token) is None
    assert tokens.verify("key-one", token.replace("42.", "43.", 1)) is None
    for bad in ("", "42", "42.", ".abc", "x.abc", "٤٢." + token.split(".")[1], "9" * 40 + ".abc"):
        assert tokens.verify("key-one", bad) is None, bad


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://u%40x:p%3Aw@mail.example:2525")
    assert (plain.hostname, plain.port, plain.use_tls, plain.username, plain.password) == (
        "mail.example",
        2525,
        False,
        "u@x",
        "p:w",
    )
    assert parse_smtp_url("smtps://mail.example").port == 465
