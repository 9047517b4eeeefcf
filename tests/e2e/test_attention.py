"""Notifications in a real browser: the bell and its inbox, live; the mention autocomplete;
unread markers; "n new posts" while scrolled up; the preferences page; axe on each."""

from __future__ import annotations

import re

import pytest

from .conftest import Server, run_axe, screenshot
from .test_client import LIVE_TIMEOUT_MS, add_post, make_thread, post_item, wait_live

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect


def handle_of(server: Server, who: str) -> str:
    res = server.api(who, "GET", "/api/me")
    assert res.status_code == 200, res.text
    return res.json()["handle"]


def assert_accessible(page, where: str) -> None:
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on {where}: {problems}"


def test_a_mention_rings_the_bell_live_and_the_inbox_opens_it(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "host1", spaces["talk"], "Where do we start with guidance?")
    page = new_page("alice")
    wait_live(page)
    bell = page.locator("button.bell")
    expect(bell).to_have_attribute("aria-expanded", "false")
    server.api("alice", "POST", "/api/notifications/read-all")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    wait_live(page)
    expect(bell).to_have_accessible_name("Notifications")

    alice = handle_of(server, "alice")
    add_post(server, "host1", thread_id, f"@{alice} what did your network try first?")
    expect(bell).to_have_accessible_name("Notifications 1 unread", timeout=LIVE_TIMEOUT_MS)
    expect(bell.locator(".count")).to_have_text("1")

    bell.click()
    expect(bell).to_have_attribute("aria-expanded", "true")
    panel = page.get_by_role("region", name="Notifications")
    item = panel.get_by_role("link", name=re.compile("mentioned you in “Where do we start with guidance\\?”"))
    expect(item).to_be_visible()
    screenshot(page, "notifications")
    assert_accessible(page, "the open inbox")
    # Escape closes it and gives the focus back to the bell.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(bell).to_be_focused()
    bell.click()
    item.click()
    expect(page).to_have_url(re.compile(rf"#/thread/{thread_id}$"))
    expect(bell).to_have_accessible_name("Notifications", timeout=LIVE_TIMEOUT_MS)
    # The mention in the post links to the person's page inside the app.
    mention = post_item(page, "what did your network try first").locator("a.mention")
    expect(mention).to_have_text(f"@{alice}")
    mention.click()
    expect(page.locator("main h1")).to_have_text("Alice Observer")
    assert not page.errors, page.errors


def test_the_composer_offers_people_to_mention(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "host1", spaces["talk"], "Mentions from the keyboard")
    bob = handle_of(server, "bob")
    page = new_page("alice", path=f"#/thread/{thread_id}")
    box = page.get_by_label("Your post")
    box.fill("")
    box.press_sequentially(f"Thanks @{bob[:3]}")
    listbox = page.get_by_role("listbox", name="People to mention")
    option = listbox.get_by_role("option", name=re.compile(f"@{re.escape(bob)}"))
    expect(option).to_be_visible()
    # The number of suggestions is spoken in the plural form it takes.
    found = listbox.get_by_role("option").count()
    spoken = "1 person found" if found == 1 else f"{found} people found"
    expect(page.locator("#announcer")).to_contain_text(spoken)
    assert_accessible(page, "the mention autocomplete")
    # Arrow keys move through the list, Enter picks without sending.
    for _ in range(listbox.get_by_role("option").count()):
        if option.get_attribute("aria-selected") == "true":
            break
        box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(f"Thanks @{bob} ")
    expect(listbox).to_be_hidden()
    box.press("Control+Enter")
    expect(post_item(page, "Thanks").locator("a.mention")).to_have_text(f"@{bob}", timeout=LIVE_TIMEOUT_MS)
    assert not page.errors, page.errors


def test_unread_markers_and_new_posts_while_scrolled_up(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "host1", spaces["talk"], "A long exchange on safeguards")
    for i in range(30):
        add_post(server, "host2", thread_id, f"Point {i} on free, prior and informed consent")
    page = new_page("bob", path=f"#/thread/{thread_id}")  # reads the thread: all read
    expect(post_item(page, "Point 29 on")).to_have_count(1)
    wait_live(page)
    page.evaluate("window.scrollTo(0, 0)")
    add_post(server, "host1", thread_id, "A new point while Bob reads the top")
    button = page.get_by_role("button", name="1 new post ↓")
    expect(button).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    button.click()
    expect(button).to_be_hidden()
    expect(post_item(page, "A new point while Bob reads the top")).to_be_focused()

    # Bob tracks the thread from its page; two more posts while he is elsewhere: the
    # thread list and the home page say so.
    level = page.get_by_label("Notifications for this thread")
    expect(level).to_have_value("normal")
    level.select_option("tracking")
    expect(page.locator("#announcer")).to_contain_text("Saved.")
    page.goto(f"/#/space/{spaces['talk']}")
    page.wait_for_selector("main h1")
    add_post(server, "host2", thread_id, "One more")
    add_post(server, "host2", thread_id, "And another")
    page.reload()
    item = page.locator("li").filter(has=page.get_by_role("link", name="A long exchange on safeguards"))
    expect(item.locator(".badge.unread")).to_have_text("2 new")
    page.goto("/#/")
    section = page.get_by_role("region", name="New since your last visit")
    expect(section.get_by_role("link", name="A long exchange on safeguards")).to_be_visible()
    assert_accessible(page, "the home page with unread threads")
    assert not page.errors, page.errors


def test_preferences_watch_a_space_and_hear_of_its_new_threads(new_page, server: Server, spaces) -> None:
    page = new_page("bob", path="#/preferences")
    expect(page.locator("main h1")).to_have_text("Preferences")
    assert_accessible(page, "the preferences page")
    page.get_by_label("E2E workshop space").select_option("watching")
    expect(page.locator("#announcer")).to_contain_text("Saved.")
    assert server.api("bob", "GET", f"/api/spaces/{spaces['workshop']}/watch").json() == {"level": "watching"}
    server.api("bob", "POST", "/api/notifications/read-all")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    wait_live(page)
    make_thread(server, "host1", spaces["workshop"], "Preparing the next round table")
    bell = page.locator("button.bell")
    expect(bell).to_have_accessible_name("Notifications 1 unread", timeout=LIVE_TIMEOUT_MS)
    bell.click()
    expect(
        page.get_by_role("link", name=re.compile("started “Preparing the next round table”"))
    ).to_be_visible()
    # A round table opened there rings the bell too, and its entry leads to it.
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/roundtables",
        json={"question": "Which safeguards come first?", "turn_seconds": 180},
    )
    assert res.status_code == 201, res.text
    expect(bell).to_have_accessible_name("Notifications 2 unread", timeout=LIVE_TIMEOUT_MS)
    opened = page.get_by_role(
        "link", name=re.compile("opened the round table “Which safeguards come first\\?”")
    )
    expect(opened).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(opened).to_have_attribute("href", f"#/roundtable/{res.json()['id']}")
    page.keyboard.press("Escape")
    # The handle, changed here, is refused in a shape the server does not take.
    page.get_by_label("Handle").fill("x")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main .error")).to_contain_text("handle")
    assert not page.errors, page.errors
