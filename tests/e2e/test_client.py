"""The web client in a real browser: accounts, live threads, moderation, the world café,
right-to-left Arabic, an offline period, and accessibility checks with axe-core."""

from __future__ import annotations

import contextlib
import re
import uuid

import pytest

from .conftest import Server, run_axe, screenshot, sign_in

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect

LIVE_TIMEOUT_MS = 10_000


def make_thread(server: Server, who: str, slug: str, title: str, body: str = "Opening post") -> int:
    res = server.api(who, "POST", f"/api/spaces/{slug}/threads", json={"title": title, "body": body})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def add_post(server: Server, who: str, thread_id: int, body: str) -> dict:
    res = server.api(
        who, "POST", f"/api/threads/{thread_id}/posts", json={"body": body, "client_id": str(uuid.uuid4())}
    )
    assert res.status_code in (200, 201), res.text
    return res.json()


def wait_live(page) -> None:
    page.wait_for_selector("html[data-live=online]", timeout=LIVE_TIMEOUT_MS)


def post_item(page, text: str):
    return page.locator("li.post:not(.is-sending)").filter(has_text=text)


def assert_accessible(page, where: str) -> None:
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on {where}: {problems}"


def test_register_sign_out_and_sign_in(new_page, server: Server) -> None:
    page = new_page()
    email = f"rosa-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/#/register")
    page.get_by_label("Display name").fill("Rosa Newcomer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#user-box")).to_contain_text("Rosa Newcomer")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#user-box")).to_contain_text("Sign in")

    # A wrong password: the server's detail is shown next to the form.
    page.goto("/#/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.locator("main form button[type=submit]").click()
    alert = page.locator("main form [role=alert]")
    expect(alert).not_to_be_empty()
    assert_accessible(page, "the sign-in form with an error")

    page.get_by_label("Password").fill("a long enough password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#user-box")).to_contain_text("Rosa Newcomer")
    assert not page.errors, page.errors


def test_spaces_grouped_by_kind(new_page, spaces) -> None:
    page = new_page("alice")
    page.goto("/#/")
    main = page.locator("main")
    expect(main.get_by_role("heading", name="Non-market approaches")).to_be_visible()
    expect(main.get_by_role("heading", name="Workshops")).to_be_visible()
    expect(main.get_by_role("heading", name="General discussion")).to_be_visible()
    expect(main.get_by_role("link", name="E2E talk space")).to_be_visible()
    screenshot(page, "spaces")
    assert_accessible(page, "the list of spaces")

    main.get_by_role("link", name="E2E talk space").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("E2E talk space")
    assert_accessible(page, "a space")


def test_post_appears_live_in_a_second_context(new_page, server: Server, spaces) -> None:
    page_a = new_page("alice")
    # Alice starts a thread from the space page.
    page_a.goto(f"/#/space/{spaces['talk']}")
    page_a.get_by_label("Title").fill("Lessons from adaptation technology matching")
    page_a.get_by_label("First post").fill("What worked for **cities** in your region?")
    page_a.get_by_role("button", name="Create thread").click()
    expect(page_a).to_have_url(re.compile(r"#/thread/\d+$"))
    thread_id = int(page_a.url.rsplit("/", 1)[1])
    expect(post_item(page_a, "What worked for cities")).to_have_count(1)

    page_b = new_page("bob", path=f"#/thread/{thread_id}")
    expect(post_item(page_b, "What worked for cities")).to_have_count(1)
    wait_live(page_a)
    wait_live(page_b)

    # A preview that is built safely from the text.
    text = f"Matching platforms helped; see the *Osaka* example {uuid.uuid4().hex[:6]}"
    page_a.get_by_label("Your post").fill(text + " <img src=x onerror=alert(1)>")
    page_a.get_by_role("button", name="Preview").click()
    preview = page_a.get_by_role("region", name="Preview")
    expect(preview.locator("em")).to_have_text("Osaka")
    assert preview.locator("img").count() == 0
    page_a.get_by_label("Your post").fill(text)
    page_a.get_by_role("button", name="Post", exact=True).click()

    # Bob sees it without reloading, with the body marked for its own direction.
    expect(post_item(page_b, text.replace("*", ""))).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(post_item(page_b, text.replace("*", "")).locator(".body")).to_have_attribute("dir", "auto")
    expect(page_a.get_by_label("Your post")).to_have_value("")

    # Bob replies; Alice sees the reply live, pointing at her post.
    item = post_item(page_b, text.replace("*", ""))
    number = item.get_attribute("data-number")
    item.get_by_role("button", name=f"Reply to post #{number}").click()
    page_b.get_by_label("Your post").fill("Agreed, and the SUBARU matching events too.")
    page_b.get_by_role("button", name="Post", exact=True).click()
    reply = post_item(page_a, "Agreed, and the SUBARU matching events too.")
    expect(reply).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(reply).to_contain_text(f"In reply to #{number}")

    # Bob edits his reply; Alice sees the new text in place.
    mine = post_item(page_b, "Agreed, and the SUBARU")
    mine.get_by_role("button", name=re.compile(r"^Edit post")).click()
    page_b.get_by_label(re.compile(r"^Edit post #")).fill(
        "Agreed, and the SUBARU matching events helped too."
    )
    page_b.get_by_role("button", name="Save").click()
    expect(post_item(page_a, "matching events helped too")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

    screenshot(page_b, "thread")
    assert_accessible(page_b, "a thread")

    # Bob deletes his reply: Alice sees it marked as removed, in place.
    post_item(page_b, "matching events helped too").get_by_role(
        "button", name=re.compile(r"^Delete post")
    ).click()
    expect(post_item(page_a, "This post was removed.")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(post_item(page_a, "matching events helped too")).to_have_count(0)
    assert not page_a.errors and not page_b.errors, page_a.errors + page_b.errors


def test_pending_post_waits_for_a_moderator(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "moderator", spaces["review"], "Capacity building for focal points")
    page = new_page("alice", path=f"#/thread/{thread_id}")
    page.get_by_label("Your post").fill("How do we write national guidance?")
    page.get_by_role("button", name="Post", exact=True).click()
    mine = post_item(page, "How do we write national guidance?")
    expect(mine).to_contain_text("Waiting for a moderator")

    # Bob does not see it; after approval from the queue he does, live.
    reader = new_page("bob", path=f"#/thread/{thread_id}")
    wait_live(reader)
    expect(post_item(reader, "national guidance")).to_have_count(0)
    mod = new_page("moderator", path="#/moderation")
    queued = mod.locator("main li.post").filter(has_text="How do we write national guidance?")
    queued.get_by_role("button", name="Approve").click()
    expect(queued).to_have_count(0)
    expect(post_item(reader, "national guidance")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(mine).not_to_contain_text("Waiting for a moderator", timeout=LIVE_TIMEOUT_MS)


def test_moderator_hides_a_post_and_it_vanishes_for_a_reader(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "alice", spaces["talk"], "Payment for ecosystem services")
    add_post(server, "bob", thread_id, "Buy cheap carbon credits here!!!")
    add_post(server, "alice", thread_id, "Brazil's proposal links ecotourism and education.")

    reader = new_page("alice", path=f"#/thread/{thread_id}")
    mod = new_page("moderator", path=f"#/thread/{thread_id}")
    wait_live(reader)
    spam = post_item(reader, "Buy cheap carbon credits")
    expect(spam).to_have_count(1)
    number = spam.get_attribute("data-number")

    mod.get_by_role("button", name=f"Hide post #{number}").click()  # the reason prompt is answered
    expect(post_item(mod, "Buy cheap carbon credits")).to_contain_text("Hidden by a moderator")
    expect(spam).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(post_item(reader, "Brazil's proposal")).to_have_count(1)

    # Pinned and locked: the reader's composer gives way to a notice, live.
    tools = mod.get_by_role("group", name="Moderator tools")
    tools.get_by_role("button", name="Pin").click()
    expect(mod.get_by_role("heading", level=1)).to_contain_text("Pinned")
    mod.get_by_role("group", name="Moderator tools").get_by_role("button", name="Lock").click()
    expect(reader.get_by_text("This thread is locked")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(reader.get_by_label("Your post")).to_have_count(0)
    expect(reader.get_by_role("heading", level=1)).to_contain_text("Locked")

    # The moderator's log records it; the page passes axe.
    mod.goto("/#/moderation")
    expect(mod.locator("ol.log-entries")).to_contain_text("Mo Facilitator hid post")
    assert_accessible(mod, "the moderation page")


def test_world_cafe_round_moves_both_participants(new_page, server: Server, spaces) -> None:
    host1 = server.users["host1"]
    host2 = server.users["host2"]
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/cafes",
        json={
            "title": "World café on NMAs",
            "round_seconds": 600,
            "tables": [
                {"topic": "Finance for adaptation benefits", "host_id": host1.id},
                {"topic": "Safeguards and indigenous knowledge", "host_id": host2.id},
            ],
        },
    )
    assert res.status_code == 201, res.text
    cafe_id = res.json()["id"]
    topics = {"Finance for adaptation benefits", "Safeguards and indigenous knowledge"}

    p1 = new_page("alice", path=f"#/cafe/{cafe_id}")
    p2 = new_page("bob", path=f"#/cafe/{cafe_id}")
    seats = {}
    for page in (p1, p2):
        page.get_by_role("button", name="Join the café").click()
        heading = page.locator("#table-h")
        expect(heading).to_have_text(re.compile("|".join(topics)))
        seats[page] = heading.inner_text()
        wait_live(page)
    assert seats[p1] != seats[p2], "two participants are seated at different tables"

    # Chat at the table, and a line being typed when the round changes.
    p1.get_by_label("Message to your table").fill("Certified adaptation benefits could work here.")
    p1.get_by_role("button", name="Send").click()
    expect(p1.locator("#table-messages")).to_contain_text("Certified adaptation benefits")
    p1.get_by_label("Message to your table").fill("A line I am still typing")

    res = server.api("moderator", "POST", f"/api/cafes/{cafe_id}/rounds")
    assert res.status_code in (200, 201), res.text
    for page in (p1, p2):
        other = (topics - {seats[page]}).pop()
        expect(page.locator("#table-h")).to_have_text(other, timeout=LIVE_TIMEOUT_MS)
        expect(page.locator(".countdown")).to_have_text(re.compile(r"\d+:\d\d"))
    expect(p1.get_by_label("Message to your table")).to_have_value("A line I am still typing")

    res = server.api(
        "moderator", "POST", f"/api/cafes/{cafe_id}/announce", json={"text": "Five minutes left"}
    )
    assert res.status_code in (200, 204), res.text
    for page in (p1, p2):
        expect(page.locator(".announcements")).to_contain_text("Five minutes left", timeout=LIVE_TIMEOUT_MS)

    # The host writes the harvest; the table sees it without reloading.
    host = new_page("host1", path=f"#/cafe/{cafe_id}")
    expect(host.locator("#table-h")).to_have_text("Finance for adaptation benefits")
    host.get_by_label("What this table learned").fill(
        "Adaptation benefits need certification that buyers trust."
    )
    host.get_by_role("button", name="Save harvest").click()
    at_finance = p1 if seats[p1] != "Finance for adaptation benefits" else p2
    expect(at_finance.locator("#harvest-text")).to_have_text(
        "Adaptation benefits need certification that buyers trust.", timeout=LIVE_TIMEOUT_MS
    )

    # The workshop's page leads to the café.
    p1.goto(f"/#/space/{spaces['workshop']}")
    p1.get_by_role("link", name="World café on NMAs").click()
    expect(p1.locator("#table-h")).to_be_visible()

    screenshot(p2, "cafe")
    assert_accessible(p2, "a café table")
    assert not p1.errors and not p2.errors, p1.errors + p2.errors


def test_arabic_is_right_to_left_and_the_choice_is_remembered(new_page, spaces) -> None:
    page = new_page(locale="ar")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", level=1)).to_have_text("المساحات")
    screenshot(page, "arabic")
    assert_accessible(page, "the Arabic home page")

    page.get_by_label("اللغة").select_option("fr")
    expect(html).to_have_attribute("dir", "ltr")
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Espaces")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(html).to_have_attribute("lang", "fr")

    zh = new_page(locale="zh-CN")
    expect(zh.locator("html")).to_have_attribute("lang", "zh")
    expect(zh.locator("html")).to_have_attribute("dir", "ltr")


def test_offline_period_then_resume_loses_nothing(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "alice", spaces["talk"], "Forest conservation certificates")
    page = new_page("bob", path=f"#/thread/{thread_id}")
    expect(post_item(page, "Opening post")).to_have_count(1)
    wait_live(page)
    context = page.context

    context.set_offline(True)
    expect(page.locator("#conn")).to_be_visible()
    expect(page.locator("#conn")).to_contain_text("Offline")

    # Others keep talking meanwhile.
    away = [f"While you were away {i}: tax incentives matter" for i in (1, 2)]
    for body in away:
        add_post(server, "alice", thread_id, body)

    # Bob writes during the outage: the text stays and waits.
    page.get_by_label("Your post").fill("Written during the outage")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("main .composer [role=status]")).to_contain_text("Not sent yet")
    expect(page.get_by_label("Your post")).to_have_value("Written during the outage")
    page.wait_for_timeout(1500)  # a few reconnect attempts fail while offline

    context.set_offline(False)
    for body in away:
        expect(post_item(page, body)).to_have_count(1, timeout=LIVE_TIMEOUT_MS * 2)
    expect(post_item(page, "Written during the outage")).to_have_count(1, timeout=LIVE_TIMEOUT_MS * 2)
    expect(page.locator("#conn")).to_be_hidden(timeout=LIVE_TIMEOUT_MS * 2)
    expect(page.get_by_label("Your post")).to_have_value("")

    # Nothing lost, nothing doubled, in order.
    res = server.api("bob", "GET", f"/api/threads/{thread_id}/posts", params={"after": 0})
    bodies = [p["body"] for p in res.json()["items"]]
    assert bodies.count("Written during the outage") == 1
    numbers = [int(n) for n in page.locator("li.post").evaluate_all("els => els.map(e => e.dataset.number)")]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) == len(bodies)

    # After the outage, live delivery works again.
    add_post(server, "alice", thread_id, "Back to live delivery")
    expect(post_item(page, "Back to live delivery")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)


def test_keyboard_only_sign_in_and_navigation(new_page, server: Server, spaces) -> None:
    page = new_page(path="#/login")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(server.users["alice"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(server.users["alice"].password)
    page.keyboard.press("Enter")
    expect(page.locator("#user-box")).to_contain_text(server.users["alice"].name)
    # Focus lands on the new page's heading, for screen readers and keyboards alike.
    expect(page.locator("main h1")).to_be_focused()


def test_guest_sees_public_spaces_but_must_sign_in_to_write(new_page, server: Server, spaces) -> None:
    thread_id = make_thread(server, "alice", spaces["talk"], "Open to read")
    page = new_page(path=f"#/thread/{thread_id}")
    expect(post_item(page, "Opening post")).to_have_count(1)
    expect(page.get_by_label("Your post")).to_have_count(0)
    page.locator("main").get_by_role("button", name="Sign in").click()
    sign_in(page, server.users["bob"])
    page.goto(f"/#/thread/{thread_id}")
    expect(page.get_by_label("Your post")).to_be_visible()


def test_first_screen_is_small(new_page, server: Server) -> None:
    """HTML, CSS, JavaScript and the translation loaded at start stay under 150 KB."""
    page = new_page()
    sizes: dict[str, int] = {}

    def record(response) -> None:
        if response.url.startswith(server.base_url) and "/api/" not in response.url:
            # A response without a body (a redirect, the websocket upgrade) is not counted.
            with contextlib.suppress(Exception):
                sizes[response.url] = len(response.body())

    page.on("response", record)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    assert any(url.endswith(".json") for url in sizes), sizes
    assert sum(1 for url in sizes if "/i18n/" in url) == 1, "only the active translation is loaded"
    assert total < 150 * 1024, f"{total} bytes: {sizes}"
