"""The round-table screen in a real browser: a chair and two participants at once, the
queue and the floor live on every screen, the countdown, polite announcements, summaries,
closing, and axe on both sides."""

from __future__ import annotations

import re

import pytest

from .conftest import Server, run_axe, screenshot

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect

LIVE_TIMEOUT_MS = 10_000


def wait_live(page) -> None:
    page.wait_for_selector("html[data-live=online]", timeout=LIVE_TIMEOUT_MS)


def assert_accessible(page, where: str) -> None:
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on {where}: {problems}"


def test_a_chair_and_two_participants_run_a_round_table(new_page, server: Server, spaces) -> None:
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/roundtables",
        json={"question": "How do your NMAs reach local communities?", "turn_seconds": 180},
    )
    assert res.status_code == 201, res.text
    rt_id = res.json()["id"]
    path = f"#/roundtable/{rt_id}"
    chair = new_page("moderator", path=path)
    hana = new_page("host1", path=path)  # a focal point of Japan
    hugo = new_page("host2", path=path)  # an LCIPP representative
    pages = (chair, hana, hugo)
    for page in pages:
        expect(page.locator("#rt-question")).to_have_text("How do your NMAs reach local communities?")
        wait_live(page)

    # Both ask for the floor, each in their own capacity; every screen sees the queue.
    hana.get_by_role("button", name="Request the floor").click()
    expect(hana.locator("#rt-withdraw")).to_be_visible()
    hugo.get_by_label("Speaking as").select_option("fwg")
    hugo.get_by_role("button", name="Request the floor").click()
    for page in pages:
        queue = page.locator("#rt-queue li")
        expect(queue).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
        expect(queue.nth(0)).to_contain_text("Hana Host")
        expect(queue.nth(0)).to_contain_text("Japan")
        expect(queue.nth(1)).to_contain_text("Facilitative Working Group")
    # The change was said politely to screen readers.
    expect(hana.locator("#announcer")).to_contain_text("Hugo Host", timeout=LIVE_TIMEOUT_MS)
    assert chair.locator("#announcer").get_attribute("aria-live") == "polite"

    # The chair moves Hugo up, then gives the floor to the first in the queue.
    chair.get_by_role("button", name="Move Hugo Host up").click()
    for page in pages:
        expect(page.locator("#rt-queue li").nth(0)).to_contain_text("Hugo Host", timeout=LIVE_TIMEOUT_MS)
    chair.get_by_role("button", name="Give the floor to the next").click()
    for page in pages:
        expect(page.locator("#rt-speaker")).to_contain_text("Hugo Host", timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("#rt-countdown")).to_have_text(re.compile(r"\d+:\d\d"))
        expect(page.locator("#announcer")).to_contain_text(
            "Hugo Host (LCIPP Facilitative Working Group) has the floor"
        )
        expect(page.locator("#rt-queue li")).to_have_count(1)
    expect(hugo.get_by_text("You have the floor.")).to_be_visible()

    # The speaker writes the summary; the chair ends the turn.
    hugo.locator("#rt-interventions textarea").fill("Indigenous knowledge shapes the safeguards.")
    hugo.get_by_role("button", name="Save the summary").click()
    expect(hana.locator("#rt-interventions")).to_contain_text("Indigenous knowledge", timeout=LIVE_TIMEOUT_MS)
    # The chair may edit it: it arrives in the chair's form.
    expect(chair.locator("#rt-interventions textarea")).to_have_value(
        "Indigenous knowledge shapes the safeguards.", timeout=LIVE_TIMEOUT_MS
    )
    chair.get_by_role("button", name="End the turn").click()
    for page in pages:
        expect(page.locator("#rt-nobody")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("#rt-interventions")).to_contain_text(
            "a representative of the Facilitative Working Group"
        )

    assert_accessible(chair, "the chair's round table")
    assert_accessible(hana, "a participant's round table")
    screenshot(chair, "roundtable")

    # Hana withdraws; the queue empties everywhere.
    hana.get_by_role("button", name="Withdraw").click()
    for page in pages:
        expect(page.locator("#rt-queue-empty")).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    # The chair closes; everyone is told and finds the record.
    chair.get_by_role("button", name="Close the round table").click()
    for page in pages:
        expect(page.get_by_role("link", name="Read the round table's record")).to_be_visible(
            timeout=LIVE_TIMEOUT_MS
        )
    # The workshop's page lists it.
    hana.goto(f"/#/space/{spaces['workshop']}")
    expect(hana.locator(f'a[href="#/roundtable/{rt_id}"]')).to_have_text(
        "How do your NMAs reach local communities?"
    )
    assert not any(page.errors for page in pages), [page.errors for page in pages]
