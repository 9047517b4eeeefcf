"""The search page in the browser: words and filters, hits with the words marked (and nothing
else of a post's markup), More for the next page, keyboard use, another language, axe."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Server, run_axe, screenshot

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect


def _thread(server: Server, slug: str, title: str, body: str) -> int:
    res = server.api("alice", "POST", f"/api/spaces/{slug}/threads", json={"title": title, "body": body})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def test_search_finds_marks_and_pages(new_page, server: Server, spaces) -> None:
    tag = uuid.uuid4().hex[:8]
    thread_id = _thread(
        server,
        spaces["talk"],
        f"Adaptation technology {tag}",
        f"我们推广适应技术 {tag} <img src=x onerror=alert(1)> and **bold** words",
    )
    for i in range(22):
        res = server.api(
            "alice",
            "POST",
            f"/api/threads/{thread_id}/posts",
            json={"body": f"Climate adaptation note {i} {tag}"},
        )
        assert res.status_code == 201, res.text

    page = new_page()
    page.goto("/#/")
    page.locator("#site-nav").get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    # Keyboard only: type the words and press Enter.
    words = page.get_by_label("Words")
    words.fill(f"适应 {tag}")
    words.press("Enter")
    hit = page.locator("li.search-hit").first
    expect(hit.locator("mark").first).to_have_text("适应")
    expect(hit.get_by_role("link")).to_have_text(f"Adaptation technology {tag}")
    # The post's own markup is text in the snippet, never an element.
    expect(page.locator(".snippet img")).to_have_count(0)
    expect(hit.locator(".snippet")).to_contain_text("<img src=x onerror=alert(1)>")
    screenshot(page, "search")
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on the search page: {problems}"

    # Filters and More: posts only, newest first, two pages of twenty.
    page.goto(f"/#/search?q=adaptation+{tag}&kind=posts&order=newest")
    expect(page.locator("li.search-hit")).to_have_count(20)
    expect(page.locator("li.search-hit").first).to_contain_text("note 21")
    page.get_by_role("button", name="More results").click()
    expect(page.locator("li.search-hit")).to_have_count(22)  # the notes; the first post says 适应
    expect(page.get_by_role("button", name="More results")).to_be_hidden()
    expect(page.get_by_label("Kind")).to_have_value("posts")

    # Bad input is said next to the form.
    page.goto("/#/search?q=adaptation&party=XX1")
    expect(page.locator("main form [role=alert]")).to_contain_text("party")
    assert not page.errors, page.errors


def test_search_page_in_arabic(new_page, spaces) -> None:
    page = new_page(locale="ar", path="#/search")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("البحث")
    expect(page.get_by_label("الكلمات")).to_be_visible()
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on the Arabic search page: {problems}"
