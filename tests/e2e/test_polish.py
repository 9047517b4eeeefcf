"""The thread and home details of issue 13 in a real browser: the tab's title counts unseen
live posts, "(edited)" opens the earlier versions, a post written offline shows as
"Sending…" and is replaced by the real one, Russian plural forms, the home page's activity
with a café running now, and a closed café's screen (no "Your table", no "Here now"),
on a phone too; axe on each screen changed."""

from __future__ import annotations

import re

import pytest

from .conftest import Server
from .test_client import LIVE_TIMEOUT_MS, add_post, assert_accessible, make_thread, post_item, wait_live

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect


def test_the_tab_title_counts_live_posts_not_seen_yet(new_page, server: Server, spaces) -> None:
    title = "Tab titles and baselines"
    thread_id = make_thread(server, "host1", spaces["talk"], title)
    for i in range(25):
        add_post(server, "host2", thread_id, f"Baseline point {i}")
    page = new_page("bob", path=f"#/thread/{thread_id}")
    expect(post_item(page, "Baseline point 24")).to_have_count(1)
    expect(page).to_have_title(f"{title} – NMA forum")
    wait_live(page)
    page.evaluate("window.scrollTo(0, 0)")
    add_post(server, "host1", thread_id, "First new point")
    add_post(server, "host1", thread_id, "Second new point")
    expect(page).to_have_title(f"(2) {title} – NMA forum", timeout=LIVE_TIMEOUT_MS)
    pill = page.get_by_role("button", name="2 new posts ↓")
    expect(pill).to_be_visible()
    pill.click()
    expect(page).to_have_title(f"{title} – NMA forum")

    # A hidden tab counts too, even at the end of the thread; seeing it again resets it.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    add_post(server, "host1", thread_id, "Third new point")
    expect(page).to_have_title(f"(1) {title} – NMA forum", timeout=LIVE_TIMEOUT_MS)
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    # Back on the tab, the post is below what was on screen: seen once scrolled to.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(page).to_have_title(f"{title} – NMA forum")
    # Leaving the thread gives the tab its plain name back.
    page.goto("/#/")
    expect(page).to_have_title("NMA forum")
    assert not page.errors, page.errors


def test_edited_opens_the_earlier_versions(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "alice", spaces["talk"], "Revisions you may read", body="First wording")
    posts = server.api("alice", "GET", f"/api/threads/{thread_id}/posts", params={"after": 0}).json()["items"]
    res = server.api("alice", "PATCH", f"/api/posts/{posts[0]['id']}", json={"body": "Second wording"})
    assert res.status_code == 200, res.text
    page = new_page("bob", path=f"#/thread/{thread_id}")
    item = page.locator("li.post#post-1")
    expect(item).to_contain_text("Second wording")
    edited = item.get_by_role("button", name="Post #1 was edited: show the earlier versions")
    expect(edited).to_have_attribute("aria-expanded", "false")
    edited.click()
    region = page.get_by_role("region", name="Earlier versions of post #1")
    expect(region).to_contain_text("First wording")
    expect(region).to_contain_text("Alice Observer")
    expect(edited).to_have_attribute("aria-expanded", "true")
    expect(edited).to_be_focused()
    assert_accessible(page, "a post's earlier versions")
    # An edit while it is open adds the version just replaced.
    server.api("alice", "PATCH", f"/api/posts/{posts[0]['id']}", json={"body": "Third wording"})
    expect(region.locator(".revision-list > li")).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    region.get_by_role("button", name="Close").click()
    expect(region).to_have_count(0)
    expect(edited).to_have_attribute("aria-expanded", "false")
    assert not page.errors, page.errors


def test_a_post_written_offline_shows_as_sending_then_as_itself(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "alice", spaces["talk"], "Sending while offline")
    for i in range(15):
        add_post(server, "alice", thread_id, f"Context {i}")
    page = new_page("bob", path=f"#/thread/{thread_id}")
    expect(post_item(page, "Context 14")).to_have_count(1)
    wait_live(page)
    page.context.set_offline(True)
    box = page.get_by_label("Your post")
    box.scroll_into_view_if_needed()
    box.fill("Typed on the train")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Post", exact=True).click()
    sending = page.locator("li.post.is-sending")
    expect(sending).to_contain_text("Typed on the train")
    expect(sending).to_contain_text("Sending…")
    # The offline banner stays in sight while composing at the end of a long thread.
    banner = page.locator("#conn")
    expect(banner).to_contain_text("Offline")
    rect = banner.bounding_box()
    assert rect is not None and 0 <= rect["y"] < page.viewport_size["height"], rect
    assert_accessible(page, "a thread offline with a post on its way")

    page.context.set_offline(False)
    expect(sending).to_have_count(0, timeout=LIVE_TIMEOUT_MS * 2)
    expect(post_item(page, "Typed on the train")).to_have_count(1)
    expect(page.locator("li.post").filter(has_text="Typed on the train")).to_have_count(1)
    # The preview closed with the send.
    expect(page.locator(".composer .preview")).to_be_hidden()
    expect(page.get_by_role("button", name="Preview")).to_have_attribute("aria-expanded", "false")
    bodies = [
        p["body"]
        for p in server.api("bob", "GET", f"/api/threads/{thread_id}/posts", params={"after": 0}).json()[
            "items"
        ]
    ]
    assert bodies.count("Typed on the train") == 1
    assert not page.errors, page.errors


def test_russian_plural_forms_and_the_home_page_s_activity(new_page, server: Server) -> None:
    res = server.api(
        "admin",
        "POST",
        "/api/spaces",
        json={
            "slug": "e2e-plural",
            "title": "E2E plural space",
            "kind": "general",
            "moderation": "post",
            "visibility": "public",
        },
    )
    assert res.status_code in (201, 409), res.text
    for title, extra in (("Один", 0), ("Три", 2), ("Пять", 4)):
        thread_id = make_thread(server, "host1", "e2e-plural", title)
        for i in range(extra):
            add_post(server, "host2", thread_id, f"Ответ {i}")
    page = new_page(locale="ru-RU", path="#/space/e2e-plural")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    rows = page.locator(".thread-list li")
    expect(rows.filter(has_text="Один")).to_contain_text("1 сообщение ·")
    expect(rows.filter(has_text="Три")).to_contain_text("3 сообщения ·")
    expect(rows.filter(has_text="Пять")).to_contain_text("5 сообщений ·")
    assert_accessible(page, "a space's threads in Russian")
    page.goto("/#/")
    item = page.locator(".space-list li").filter(has=page.get_by_role("link", name="E2E plural space"))
    expect(item.locator(".space-activity")).to_contain_text("3 темы · 9 сообщений · последнее сообщение")
    assert_accessible(page, "the home page in Russian")
    assert not page.errors, page.errors


def test_a_closed_cafe_has_no_table_of_one_s_own_and_nobody_here_now(
    new_page, server: Server, spaces
) -> None:
    host1 = server.users["host1"]
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/cafes",
        json={
            "title": "A café that closes",
            "round_seconds": 600,
            "tables": [{"topic": "Closing topic", "host_id": host1.id}],
        },
    )
    assert res.status_code == 201, res.text
    cafe_id = res.json()["id"]
    assert server.api("alice", "POST", f"/api/cafes/{cafe_id}/join").status_code == 200
    assert server.api("moderator", "POST", f"/api/cafes/{cafe_id}/rounds").status_code == 200
    table_id = res.json()["tables"][0]["id"]
    for i in range(12):
        body = {"body": f"Table line {i}", "client_id": f"closing-{cafe_id}-{i}"}
        assert server.api("alice", "POST", f"/api/tables/{table_id}/messages", json=body).status_code in (
            200,
            201,
        )

    # While it runs, the home page says so, with a link to it.
    home = new_page()
    section = home.locator(".space-list li").filter(has=home.get_by_role("link", name="E2E workshop space"))
    running = section.get_by_role("link", name="Café running now")
    expect(running).to_have_attribute("href", re.compile(r"#/cafe/\d+$"))
    assert_accessible(home, "the home page with a café running")

    page = new_page("alice", path=f"#/cafe/{cafe_id}")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("heading", name="Here now")).to_be_visible()
    assert server.api("moderator", "POST", f"/api/cafes/{cafe_id}/close").status_code == 200
    expect(page.get_by_text("The café is closed: this table's conversation, as it was kept.")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    expect(page.get_by_role("heading", name="Here now")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Your table")
    # On a phone the chat is not a scroll box of its own: its first line is on the page.
    chat = page.locator("#table-messages")
    assert chat.evaluate("el => getComputedStyle(el).overflowY") == "visible"
    first = chat.locator("li").first
    expect(first).to_contain_text("Table line 0")
    first.scroll_into_view_if_needed()
    expect(first).to_be_in_viewport()
    assert_accessible(page, "a closed café on a phone")
    assert not page.errors, page.errors
