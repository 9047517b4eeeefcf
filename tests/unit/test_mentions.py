"""Mentions in rendered Markdown: links for known handles only, never in code or links."""

from __future__ import annotations

from forum.lib.markdown import MENTION_LINK, mention_candidates, render, render_with_mentions


def test_a_known_handle_becomes_a_mention_link() -> None:
    html, linked = render_with_mentions("Thanks @Ana.Q, and @nobody.", {"ana.q"})
    assert '<a href="/u/ana.q" class="mention" rel="nofollow noopener noreferrer">@Ana.Q</a>' in html
    assert "@nobody" in html and "/u/nobody" not in html
    assert linked == {"ana.q"}
    assert MENTION_LINK.findall(html) == ["ana.q"]


def test_never_in_code_links_or_addresses() -> None:
    body = "`@ana`\n\n```\n@ana\n```\n\n[see @ana](https://example.org) ana@ana.org path/@ana"
    html, linked = render_with_mentions(body, {"ana"})
    assert 'class="mention"' not in html and linked == set()


def test_the_sanitizer_keeps_the_class_of_mentions_only() -> None:
    # Raw HTML is text; a class on any other element, or another class, never survives.
    raw = render('<a class="mention" href="/u/x">x</a> <p class="evil">')
    assert "<a" not in raw and "<p class" not in raw
    linked = render('[x](https://example.org "t") @ana', {"ana"})
    assert linked.count('class="') == 1
    assert render("**@ana**", {"ana"}).count('class="mention"') == 1
    assert render("@ana") == "<p>@ana</p>\n"


def test_candidates_are_a_superset_in_lower_case() -> None:
    assert mention_candidates("@Ana `@Bob` x@c.org @d_e-f.g") == {"ana", "bob", "d_e-f.g"}
    assert mention_candidates("no at sign") == set()
