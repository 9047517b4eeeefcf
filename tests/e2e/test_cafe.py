"""The world café in a real browser (issue 13): a facilitator's console and four people
at two tables through two rounds, with the one-minute warning, "time's up", an extension
and moves shown plainly, everyone at 1280x800, then everyone on a phone (390x844), axe
on both sides."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, update

from forum.cafes.models import Cafe

from .conftest import Server, run_axe, screenshot

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect

LIVE_TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FINANCE = "Finance for adaptation benefits"
SAFEGUARDS = "Safeguards and indigenous knowledge"


def wait_live(page) -> None:
    page.wait_for_selector("html[data-live=online]", timeout=LIVE_TIMEOUT_MS)


def assert_accessible(page, where: str) -> None:
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on {where}: {problems}"


def round_ends_in(server: Server, cafe_id: int, seconds: float) -> None:
    """Bring the stored end of the round near, as waiting ten minutes would: the server's
    round clock reads it from the database."""
    url = server.env["FORUM_DATABASE_URL"].replace("+aiosqlite", "")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Cafe)
                .where(Cafe.id == cafe_id)
                .values(round_ends_at=datetime.now(UTC) + timedelta(seconds=seconds))
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("participant_viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_facilitator_runs_two_rounds_with_their_ends_and_moves(
    new_page, server: Server, spaces, participant_viewport: dict
) -> None:
    host1, host2 = server.users["host1"], server.users["host2"]
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/cafes",
        json={
            "title": f"Café at {participant_viewport['width']} px",
            "round_seconds": 600,
            "tables": [
                {"topic": FINANCE, "host_id": host1.id},
                {"topic": SAFEGUARDS, "host_id": host2.id},
            ],
        },
    )
    assert res.status_code == 201, res.text
    cafe_id = res.json()["id"]
    path = f"#/cafe/{cafe_id}"

    facilitator = new_page("moderator", path=path)
    hana, hugo = new_page("host1", path=path), new_page("host2", path=path)
    alice, bob = new_page("alice", path=path), new_page("bob", path=path)
    for page in (facilitator, hana, hugo, alice, bob):
        page.set_viewport_size(participant_viewport)
    everyone = (facilitator, hana, hugo, alice, bob)

    # The hosts are at their tables; the participants join (one at each table).
    expect(hana.locator("#table-h")).to_have_text(FINANCE)
    expect(hugo.locator("#table-h")).to_have_text(SAFEGUARDS)
    seats = {}
    for page in (alice, bob):
        page.get_by_role("button", name="Join the café").click()
        expect(page.locator("#table-h")).to_have_text(re.compile(f"{FINANCE}|{SAFEGUARDS}"))
        seats[page] = page.locator("#table-h").inner_text()
    assert seats[alice] != seats[bob]
    for page in everyone:
        wait_live(page)

    # The facilitator's console: the whole width, every table with its host, who sits
    # there (the host counted) and its messages; no "Join the café" card.
    console = facilitator.locator("#cafe-console")
    expect(console).to_be_visible()
    expect(facilitator.get_by_role("button", name="Join the café")).to_have_count(0)
    cards = console.locator(".console-table")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Hana Host")
    expect(cards.nth(1)).to_contain_text("Hugo Host")
    for card in (cards.nth(0), cards.nth(1)):
        expect(card).to_contain_text("(2 seated)", timeout=LIVE_TIMEOUT_MS)
    box, page_box = console.bounding_box(), facilitator.locator("main").bounding_box()
    assert box is not None and page_box is not None
    assert box["width"] > page_box["width"] * 0.9, (box, page_box)
    assert_accessible(facilitator, "the facilitator's console before the first round")

    # Round 1: alice is typing when she is moved; the move is shown with the new table and host.
    alice.get_by_label("Message to your table").fill("A line I am still typing")
    # The round's controls are on the first screen, on a phone too.
    start = facilitator.get_by_role("button", name="Start the first round")
    expect(start).to_be_in_viewport()
    start.click()
    for page in (alice, bob):
        new_topic = SAFEGUARDS if seats[page] == FINANCE else FINANCE
        new_host = "Hugo Host" if new_topic == SAFEGUARDS else "Hana Host"
        banner = page.locator("#move-banner")
        expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(banner).to_contain_text(new_topic)
        expect(banner).to_contain_text(new_host)
        expect(banner).to_be_focused()
        expect(banner).to_be_in_viewport()
        expect(page.locator("#table-h")).to_have_text(new_topic)
        seats[page] = new_topic
    expect(alice.get_by_label("Message to your table")).to_have_value("A line I am still typing")
    alice.get_by_role("button", name="OK, got it").click()
    expect(alice.locator("#move-banner")).to_be_hidden()
    expect(alice.get_by_label("Message to your table")).to_be_focused()
    for page in everyone:
        expect(page.locator(".countdown").first).to_have_text(
            re.compile(r"\d+:\d\d"), timeout=LIVE_TIMEOUT_MS
        )

    # A minute before the end every table is warned; at 0 the countdown says time's up.
    round_ends_in(server, cafe_id, 40)
    for page in everyone:
        expect(page.locator("#round-banner")).to_have_text(
            "One minute left in this round.", timeout=LIVE_TIMEOUT_MS
        )
    round_ends_in(server, cafe_id, -1)
    for page in everyone:
        expect(page.locator("#round-banner")).to_contain_text(
            "Time's up for round 1", timeout=LIVE_TIMEOUT_MS
        )
        expect(page.locator(".countdown").first).to_have_text("Time's up")
    screenshot(bob, f"cafe-times-up-{participant_viewport['width']}")
    assert_accessible(bob, "a table whose round is over")

    # The facilitator gives five more minutes: the clock runs again everywhere.
    facilitator.get_by_role("button", name="+5 min").click()
    for page in everyone:
        expect(page.locator("#round-banner")).to_have_text(
            "The round was extended by 5 min.", timeout=LIVE_TIMEOUT_MS
        )
        expect(page.locator(".countdown").first).to_have_text(re.compile(r"\d+:\d\d"))

    # Round 2 (asked to confirm; the page accepts): everyone moves again.
    facilitator.get_by_role("button", name="Start the next round").click()
    for page in (alice, bob):
        new_topic = SAFEGUARDS if seats[page] == FINANCE else FINANCE
        expect(page.locator("#table-h")).to_have_text(new_topic, timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("#move-banner")).to_contain_text("Round 2")
    expect(facilitator.locator("#cafe-console")).to_contain_text("Round 2")
    screenshot(facilitator, "cafe-console")
    assert_accessible(facilitator, "the facilitator's console in round 2")

    # The facilitator looks at a table from the console: it opens below, focused.
    console.get_by_role("button", name=f"View the table on {FINANCE}").click()
    expect(facilitator.locator("#table-h")).to_have_text(FINANCE)
    expect(facilitator.locator("#table-h")).to_be_focused()
    expect(facilitator.locator("#cafe-console")).to_be_visible()

    # Closing is apart from the round controls and asks first.
    facilitator.get_by_role("button", name="Close the café").click()
    for page in (alice, bob):
        expect(page.locator(".badge").first).to_have_text(re.compile("Closed", re.I), timeout=LIVE_TIMEOUT_MS)
    for page in everyone:
        assert not page.errors, page.errors
