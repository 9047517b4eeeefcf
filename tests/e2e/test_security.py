"""The web client runs under the site's Content-Security-Policy with nothing blocked.

Every screen is loaded in Chromium, as a guest and as a moderator, with a listener for
`securitypolicyviolation` installed before any of the page's own code runs; the policy
comes from the real server (`forum serve`). No violation and no console error may occur.
"""

from __future__ import annotations

import pytest

from .conftest import UI_TIMEOUT_MS, Server, sign_in

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

# Installed before the page's scripts: every violation the browser reports is kept.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def screens(server: Server, spaces: dict[str, str]) -> list[str]:
    """One address of every screen of the client, with real content behind it."""
    res = server.api(
        "alice", "POST", f"/api/spaces/{spaces['talk']}/threads", json={"title": "CSP", "body": "A **post**"}
    )
    assert res.status_code == 201, res.text
    thread_id = res.json()["id"]
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/cafes",
        json={
            "title": "A café under the policy",
            "round_seconds": 600,
            "tables": [{"topic": "Policies", "host_id": server.users["host1"].id}],
        },
    )
    assert res.status_code == 201, res.text
    cafe_id = res.json()["id"]
    res = server.api(
        "moderator",
        "POST",
        f"/api/spaces/{spaces['workshop']}/roundtables",
        json={"question": "A round table under the policy?", "turn_seconds": 120},
    )
    assert res.status_code == 201, res.text
    return [
        "#/",
        "#/login",
        "#/register",
        f"#/space/{spaces['talk']}",
        f"#/space/{spaces['workshop']}",
        f"#/thread/{thread_id}",
        f"#/cafe/{cafe_id}",
        f"#/roundtable/{res.json()['id']}",
        "#/moderation",
    ]


@pytest.mark.parametrize("who", [None, "moderator"])
def test_every_screen_runs_under_the_policy_with_nothing_blocked(
    browser, server: Server, screens: list[str], who: str | None
) -> None:
    context = browser.new_context(base_url=server.base_url, locale="en-US")
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message) -> None:
        # A guest's page asks who is signed in with GET /api/session, which answers 200
        # (not /api/me's 401): nothing may fail, a signed-out visitor's console included.
        if message.type == "error":
            problems.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        response = page.goto("/")
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
        page.wait_for_selector("body[data-ready=true]")
        if who:
            sign_in(page, server.users[who])
        for screen in screens:
            page.goto(f"/{screen}")
            page.wait_for_selector("body[data-ready=true]")
            page.wait_for_selector("main h1")
            if who:
                # A live screen opens the websocket: `connect-src 'self'` must allow it.
                page.wait_for_selector("html[data-live=online]")
            violations = page.evaluate("window.__cspViolations")
            assert violations == [], f"{screen}: {violations}"
        assert problems == [], problems
    finally:
        context.close()
