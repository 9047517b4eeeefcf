"""Polls and the workshop report in a real browser: a participant answers a poll with the
keyboard's controls while the moderator's results update live; the moderator builds the
report, edits it with its preview, finds the DOCX download and publishes it; axe on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import Server, run_axe, screenshot

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
    # Chapter II's facts, entered once in their own group.
    settings = page.get_by_role("group", name="Proceedings (chapter II), entered once")
    settings.get_by_label("First day of the workshop").fill("2025-11-11")
    settings.get_by_label("Venue").fill("Belém, Brazil")
    settings.get_by_label("Opened by").fill("the Vice-Chair of the SBSTA")
    page.get_by_role("button", name="Build the draft").click()
    expect(page.locator("#report-status")).to_contain_text("revision")
    expect(page.locator("#report-preview")).to_contain_text("I. Introduction")
    expect(page.locator("#report-preview")).to_contain_text("The mandate of the workshop.")
    expect(page.locator("#report-preview")).to_contain_text(
        "The in-session workshop was held on 11 November 2025 in Belém, Brazil. It was opened by the Vice-Chair"
    )
    docx = page.get_by_role("link", name="Download DOCX")
    assert docx.get_attribute("href") == f"/api/spaces/{slug}/report.docx"
    with page.expect_download() as download:
        docx.click()
    assert download.value.suggested_filename == f"{slug}-report.docx"
    assert_accessible(page, "the report editor")
    screenshot(page, "report")

    body = page.locator("#report-body")
    body.fill(body.input_value() + "\nA sentence the secretariat added.\n")
    expect(page.locator("#report-preview")).to_contain_text("A sentence the secretariat added.")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#report-status")).to_contain_text("revision 2")
    page.get_by_role("button", name="Publish as a pinned thread").click()
    page.get_by_role("link", name="Published: open the report’s thread").click()
    expect(page.locator("main")).to_contain_text("A sentence the secretariat added.")


def test_a_moderator_attaches_a_poll_from_the_space_page(new_page, server: Server, spaces) -> None:
    slug = spaces["workshop"]
    page = new_page("moderator", path=f"#/space/{slug}")
    form = page.locator("#poll-new")
    expect(form.get_by_role("heading", name="Attach a poll")).to_be_visible()
    # An incomplete form is refused on the page, saying why.
    form.get_by_role("button", name="Attach the poll").click()
    expect(form.get_by_role("alert")).not_to_be_empty()
    form.get_by_label("Title of the poll").fill("Reflections from the e2e workshop")
    form.get_by_label("Answers are anonymous").uncheck()
    q1 = form.get_by_role("group", name="Question 1")
    q1.get_by_label("Kind of question").select_option("rating")
    expect(q1.get_by_label("Choices")).to_be_hidden()
    q1.get_by_label("The question").fill("Was the round table useful?")
    form.get_by_role("button", name="Add a question").click()
    q2 = form.get_by_role("group", name="Question 2")
    expect(q2.get_by_label("Choices")).to_be_visible()
    q2.get_by_label("The question").fill("Which segment helped most?")
    q2.get_by_label("Choices").fill("Presentations\nWorld café\nRound table")
    form.get_by_role("button", name="Add a question").click()
    q3 = form.get_by_role("group", name="Question 3")
    q3.get_by_label("Kind of question").select_option("text")
    q3.get_by_label("The question").fill("Anything to change?")
    # Removing a question renumbers the rest.
    form.get_by_role("button", name="Remove question 2").click()
    expect(form.get_by_role("group", name="Question 3")).to_have_count(0)
    expect(form.get_by_role("group", name="Question 2").get_by_label("The question")).to_have_value(
        "Anything to change?"
    )
    assert_accessible(page, "the poll form on the workshop's page")
    form.get_by_role("button", name="Attach the poll").click()

    expect(page.get_by_role("heading", name="Reflections from the e2e workshop")).to_be_visible()
    expect(page.get_by_text("Answers are named.")).to_be_visible()
    poll_id = int(page.url.rsplit("/", 1)[1])
    poll = server.api("moderator", "GET", f"/api/polls/{poll_id}").json()
    assert [q["kind"] for q in poll["questions"]] == ["rating", "text"]
    assert poll["anonymous"] is False and poll["state"] == "open"

    # A participant sees it listed, without the form, and answers it.
    alice = new_page("alice", path=f"#/space/{slug}")
    expect(alice.get_by_role("link", name="Reflections from the e2e workshop")).to_be_visible()
    expect(alice.locator("#poll-new")).to_have_count(0)
    alice.get_by_role("link", name="Reflections from the e2e workshop").click()
    alice.get_by_role("group", name="Was the round table useful?").get_by_label("5").check()
    alice.get_by_role("button", name="Send my answers").click()
    expect(alice.locator("#announcer")).to_contain_text("Your answers are saved.")
    assert not page.errors and not alice.errors, (page.errors, alice.errors)
