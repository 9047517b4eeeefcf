"""Polls and the workshop report in a real browser: a participant answers a poll with the
keyboard's controls while the moderator's results update live; the moderator builds the
report, edits it with its preview, finds the DOCX download and publishes it; axe on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import Server, run_axe

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect

LIVE_TIMEOUT_MS = 10_000


def assert_accessible(page, where: str) -> None:
    problems = run_axe(page)
    assert not problems, f"axe found serious or critical problems on {where}: {problems}"


def test_a_participant_answers_and_the_moderator_sees_results_live(new_page, server: Server, spaces) -> None:
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/polls",
        json={
            "title": "Feedback on the e2e workshop",
            "questions": [
                {"kind": "rating", "prompt": "How informative was it?"},
                {"kind": "single_choice", "prompt": "Keep the café?", "choices": ["Yes", "No"]},
                {"kind": "text", "prompt": "Anything else?"},
            ],
            "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    assert res.status_code == 201, res.text
    path = f"#/poll/{res.json()['id']}"
    moderator = new_page("moderator", path=path)
    expect(moderator.locator("#poll-results")).to_contain_text("0 responses")
    moderator.wait_for_selector("html[data-live=online]", timeout=LIVE_TIMEOUT_MS)
    participant = new_page("alice", path=path)
    expect(participant.get_by_text("The results are shown once the poll has closed.")).to_be_visible()
    assert_accessible(participant, "the poll")

    participant.get_by_role("group", name="How informative was it?").get_by_label("4").check()
    participant.get_by_role("group", name="Keep the café?").get_by_label("Yes").check()
    participant.get_by_label("Anything else?").fill("More time at the tables.")
    participant.get_by_role("button", name="Send my answers").click()
    expect(participant.locator("#announcer")).to_contain_text("Your answers are saved.")
    expect(moderator.locator("#poll-results p").first).to_have_text("1 response", timeout=LIVE_TIMEOUT_MS)
    expect(moderator.locator("#poll-results")).to_contain_text("More time at the tables.")
    assert_accessible(moderator, "the poll's results")


def test_the_moderator_builds_edits_and_publishes_the_report(new_page, server: Server, spaces) -> None:
    slug = spaces["workshop"]
    page = new_page("moderator", path=f"#/space/{slug}")
    page.get_by_role("link", name="The workshop report").click()
    expect(page.get_by_role("heading", name="Workshop report")).to_be_visible()
    page.get_by_label("Introduction: mandate, scope, possible action").fill("The mandate of the workshop.")
    page.get_by_role("button", name="Build the draft").click()
    expect(page.locator("#report-status")).to_contain_text("revision")
    expect(page.locator("#report-preview")).to_contain_text("I. Introduction")
    expect(page.locator("#report-preview")).to_contain_text("The mandate of the workshop.")
    docx = page.get_by_role("link", name="Download DOCX")
    assert docx.get_attribute("href") == f"/api/spaces/{slug}/report.docx"
    with page.expect_download() as download:
        docx.click()
    assert download.value.suggested_filename == f"{slug}-report.docx"
    assert_accessible(page, "the report editor")

    body = page.locator("#report-body")
    body.fill(body.input_value() + "\nA sentence the secretariat added.\n")
    expect(page.locator("#report-preview")).to_contain_text("A sentence the secretariat added.")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#report-status")).to_contain_text("revision 2")
    page.get_by_role("button", name="Publish as a pinned thread").click()
    page.get_by_role("link", name="Published: open the report’s thread").click()
    expect(page.locator("main")).to_contain_text("A sentence the secretariat added.")
