"""The moderators' page in a real browser: the queue is live (a waiting post arrives and
leaves without a reload, and the nav's badge counts it on every screen), the audit log reads
as sentences with linked targets and filters, and in Arabic on a 390 px phone it is mirrored
and never wider than the screen. axe-core checks each screen."""

from __future__ import annotations

import re
import uuid

import pytest

from .conftest import Server, run_axe, screenshot

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect

LIVE_TIMEOUT_MS = 10_000
RAW_CODE = re.compile(r"\b(post|thread|user|space|cafe|message|roundtable|poll|report)\.[a-z_]+\b")


def make_thread(server: Server, who: str, slug: str, title: str) -> int:
    res = server.api(
        who, "POST", f"/api/spaces/{slug}/threads", json={"title": title, "body": "Opening post"}
    )
    assert res.status_code == 201, res.text
    return res.json()["id"]


def add_post(server: Server, who: str, thread_id: int, body: str) -> dict:
    res = server.api(
        who, "POST", f"/api/threads/{thread_id}/posts", json={"body": body, "client_id": str(uuid.uuid4())}
    )
    assert res.status_code in (200, 201), res.text
    return res.json()


def waiting(server: Server, who: str) -> int:
    res = server.api(who, "GET", "/api/moderation/queue/count")
    assert res.status_code == 200, res.text
    return res.json()["count"]


def badge(page):
    return page.locator("#site-nav [data-queue-count]")


def assert_accessible(page, where: str) -> None:
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on {where}: {problems}"


def test_queue_is_live_and_the_badge_counts_it(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "moderator", spaces["review"], "National guidance for NMAs")
    mod = new_page("moderator", path="#/moderation")
    elsewhere = new_page("admin", path="#/")  # another moderator, on another screen
    for page in (mod, elsewhere):
        page.wait_for_selector("html[data-live=online]", timeout=LIVE_TIMEOUT_MS)
    before = waiting(server, "moderator")
    expect(badge(mod)).to_have_attribute("data-queue-count", str(before))

    body = f"Could the secretariat share the template? {uuid.uuid4().hex[:6]}"
    post = add_post(server, "alice", thread_id, body)
    item = mod.locator("main li.post").filter(has_text=body)
    # Arrives without a reload, named by its space's title (not its slug).
    expect(item).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(item).to_contain_text("E2E review space")
    for page in (mod, elsewhere):
        expect(badge(page)).to_have_attribute("data-queue-count", str(before + 1), timeout=LIVE_TIMEOUT_MS)
    link = elsewhere.get_by_role("link", name=re.compile(r"Moderation.*posts? waiting"))
    expect(link).to_have_accessible_name(re.compile(rf"{before + 1} posts? waiting"))
    # Approve asks for no reason; reject and hide do.
    expect(item.get_by_role("button", name="Approve")).to_be_visible()
    item.get_by_role("button", name="Reject").click()
    expect(item.get_by_role("alert")).to_contain_text("Please give a reason")
    assert_accessible(mod, "the live queue")
    assert_accessible(elsewhere, "the spaces screen with the queue's badge")

    # Another moderator approves it: it leaves the open queue and both badges, live.
    res = server.api("admin", "POST", f"/api/posts/{post['id']}/approve")
    assert res.status_code == 200, res.text
    expect(item).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    for page in (mod, elsewhere):
        expect(badge(page)).to_have_attribute("data-queue-count", str(before), timeout=LIVE_TIMEOUT_MS)
    # The approval is in the log, as a sentence, without a reload.
    expect(mod.locator("ol.log-entries li").first).to_contain_text(
        "Ada Secretariat approved post", timeout=LIVE_TIMEOUT_MS
    )


def test_log_reads_as_sentences_and_filters(new_page, server: Server, spaces) -> None:
    title = f"Workshop SBSTA 63 {uuid.uuid4().hex[:4]}"
    thread_id = make_thread(server, "moderator", spaces["review"], title)
    post = add_post(server, "bob", thread_id, "Cheap credits, click here")
    res = server.api("moderator", "POST", f"/api/posts/{post['id']}/reject", json={"reason": "spam"})
    assert res.status_code == 200, res.text
    page = new_page("moderator", path="#/moderation")
    entry = page.locator("ol.log-entries li").filter(has_text=title).first
    expect(entry).to_contain_text(f"Mo Facilitator rejected post {post['number']} in “{title}”")
    expect(entry).to_contain_text("Reason: spam")
    expect(entry.get_by_role("link", name=title)).to_have_attribute("href", f"#/thread/{thread_id}")
    expect(entry.get_by_role("link", name="E2E review space")).to_have_attribute(
        "href", f"#/space/{spaces['review']}"
    )
    assert not RAW_CODE.search(page.locator("ol.log-entries").inner_text())

    form = page.get_by_role("form", name="Filter the log")
    form.get_by_label("Action").select_option("post.reject")
    form.get_by_label("Space").select_option(spaces["review"])
    form.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("ol.log-entries > li:not([data-action='post.reject'])")).to_have_count(0)
    expect(page.locator("ol.log-entries > li").first).to_contain_text("rejected")
    form.get_by_label("To").fill("2001-01-01")
    form.get_by_role("button", name="Filter", exact=True).click()
    expect(page.get_by_text("No moderator action matches these filters.")).to_be_visible()
    assert_accessible(page, "the filtered log")


def test_arabic_log_on_a_phone_is_mirrored_and_fits(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "moderator", spaces["review"], "مقترح بوليفيا المشترك للتخفيف والتكيف")
    post = add_post(
        server,
        "bob",
        thread_id,
        "Anextraordinarilylongwordwithoutanyspacesthatmustwrapinsteadofscrolling" * 2,
    )
    res = server.api("moderator", "POST", f"/api/posts/{post['id']}/hide", json={"reason": "spam"})
    assert res.status_code == 200, res.text
    waiting_post = add_post(server, "alice", thread_id, "Averyveryverylongwordinthequeue" * 4)

    page = new_page("moderator")
    page.set_viewport_size({"width": 390, "height": 844})
    page.select_option("#lang-select", "ar")
    page.goto("/#/moderation")
    page.wait_for_selector("ol.log-entries li")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    expect(page.locator("main li.post").filter(has_text="Averyvery")).to_have_count(1)
    entries = page.locator("ol.log-entries")
    expect(entries).to_contain_text("أخفى Mo Facilitator المشاركة")
    text = entries.inner_text()
    assert not RAW_CODE.search(text), RAW_CODE.search(text)
    # Nothing wider than the phone, nothing scrolled sideways, the heading in sight at the right.
    sizes = page.evaluate(
        "() => ({sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,"
        " bw: document.body.scrollWidth, x: window.scrollX})"
    )
    assert sizes["sw"] <= sizes["cw"] and sizes["bw"] <= sizes["cw"] and sizes["x"] == 0, sizes
    box = page.locator("main h1").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    heading_right = page.evaluate("document.querySelector('main h1').getBoundingClientRect().right")
    assert heading_right > 300, heading_right  # right-aligned, as Arabic reads
    screenshot(page, "moderation-arabic-phone")
    assert_accessible(page, "the moderation page in Arabic on a phone")
    server.api("moderator", "POST", f"/api/posts/{waiting_post['id']}/approve")


def test_a_rejected_post_reads_as_rejected_to_its_author(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "moderator", spaces["review"], "Rejected or hidden")
    page = new_page("alice", path=f"#/thread/{thread_id}")
    page.wait_for_selector("html[data-live=online]", timeout=LIVE_TIMEOUT_MS)
    post = add_post(server, "alice", thread_id, "An off-topic question about something else")
    mine = page.locator("li.post").filter(has_text="off-topic question")
    expect(mine).to_contain_text("Waiting for a moderator", timeout=LIVE_TIMEOUT_MS)
    res = server.api("moderator", "POST", f"/api/posts/{post['id']}/reject", json={"reason": "off topic"})
    assert res.status_code == 200, res.text
    # Live, then after a reload: "Rejected" and the reason as a refusal, never "Hidden".
    for _ in range(2):
        expect(mine.locator(".badge.hidden")).to_have_text("Rejected", timeout=LIVE_TIMEOUT_MS)
        expect(mine).to_contain_text("Rejected by a moderator: off topic")
        expect(mine).not_to_contain_text("Hidden")
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
