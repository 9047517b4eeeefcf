"""The page does not jump while it loads (issue 13, items 11 and 13), measured in Chromium.

Each screen (home, the workshop space, its longest thread, its world café) is opened in a
fresh browser context at 390x844 (a phone, touch) and 1280x800, as a guest and as a
signed-in participant, with a `PerformanceObserver('layout-shift')` installed before the
page's own code runs. The sum of every shift not caused by input (an upper bound of the
cumulative layout shift, which keeps the worst session window) must stay under 0.1.
It is a measurement of where things moved, not of how long anything took.

Also: the phone header is two fixed rows (at most 96 px) whatever the language and who
is signed in, the phone's controls are at least 44 px tall, a heading focused after a
click has no focus box, and a signed-out visitor's console stays free of errors (no 401).
"""

from __future__ import annotations

import pytest

from .conftest import UI_TIMEOUT_MS, Server

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

OBSERVE_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    window.__shifts.push({
      value: e.value,
      sources: (e.sources || []).map((s) => s.node ? `${s.node.nodeName}.${s.node.className || ''}` : '?'),
    });
  }
}).observe({ type: 'layout-shift', buffered: true });
"""

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# After the page says it is ready, what a late response or the socket could still move.
SETTLE_MS = 1200


@pytest.fixture(scope="module")
def demo_screens(server: Server) -> dict[str, str]:
    """The demo's own screens, as Lighthouse measures them (tests/lighthouse)."""
    with server.client() as c:
        spaces = c.get("/api/spaces").json()["items"]
        workshop = next(s for s in spaces if s["kind"] == "workshop")
        threads = c.get(f"/api/spaces/{workshop['slug']}/threads", params={"limit": 100}).json()["items"]
        longest = max(threads, key=lambda t: t.get("post_count", 0))
        cafe = next(x for x in c.get(f"/api/spaces/{workshop['slug']}/cafes").json()["items"])
    return {
        "home": "#/",
        "space": f"#/space/{workshop['slug']}",
        "thread": f"#/thread/{longest['id']}",
        "cafe": f"#/cafe/{cafe['id']}",
    }


def _open(browser, server: Server, device: dict, who: str | None, locale: str = "en-US"):
    context = browser.new_context(base_url=server.base_url, locale=locale, **device)
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.add_init_script(OBSERVE_SHIFTS)
    if who:
        context.add_cookies([{"name": "forum_session", "value": server.token(who), "url": server.base_url}])
    page = context.new_page()
    page.console = []
    page.on("console", lambda m: page.console.append(f"{m.type}: {m.text}"))
    return context, page


def _load(page, fragment: str) -> float:
    page.goto(f"/{fragment}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("main h1")
    page.wait_for_timeout(SETTLE_MS)
    shifts = page.evaluate("window.__shifts")
    total = sum(s["value"] for s in shifts)
    assert total < 0.1, f"{fragment}: layout shift {total:.3f}: {shifts}"
    return total


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("who", [None, "host1"], ids=["guest", "signed-in"])
def test_no_screen_jumps_while_loading(
    browser, server: Server, demo_screens: dict[str, str], device: dict, who: str | None
) -> None:
    measured = {}
    for name, fragment in demo_screens.items():
        context, page = _open(browser, server, device, who)
        try:
            measured[name] = _load(page, fragment)
            if who is None:
                errors = [m for m in page.console if m.startswith("error")]
                assert not errors, f"{name}: {errors}"
        finally:
            context.close()
    print(f"layout shift ({'phone' if device is PHONE else 'desktop'}, {who or 'guest'}): {measured}")


@pytest.mark.parametrize("locale", ["en-US", "ru-RU", "ar"])
def test_the_phone_header_is_two_fixed_rows(browser, server: Server, locale: str) -> None:
    for who in (None, "moderator"):
        context, page = _open(browser, server, PHONE, who, locale)
        try:
            page.goto("/#/")
            page.wait_for_selector("body[data-ready=true]")
            header = page.locator(".site-header").bounding_box()
            assert header is not None and header["height"] <= 96, (locale, who, header)
            # Nothing sticks out sideways: the page does not scroll horizontally.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            context.close()


def test_phone_controls_are_44_px_tall(browser, server: Server, demo_screens: dict[str, str]) -> None:
    context, page = _open(browser, server, PHONE, "host1")
    try:
        for fragment in (demo_screens["thread"], demo_screens["cafe"], "#/login"):
            page.goto(f"/{fragment}")
            page.wait_for_selector("body[data-ready=true]")
            page.wait_for_selector("main h1")
            small = page.evaluate(
                """() => [...document.querySelectorAll(
                      'button, select, input:not([type=checkbox]):not([type=radio]):not([type=hidden])')]
                    .filter((el) => el.offsetParent !== null)
                    .map((el) => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
                    .filter(([, height]) => height < 43.5)"""
            )
            assert not small, f"{fragment}: {small}"
    finally:
        context.close()


def test_a_heading_focused_after_a_click_has_no_focus_box(
    browser, server: Server, demo_screens: dict[str, str]
) -> None:
    context, page = _open(browser, server, DESKTOP, None)
    try:
        page.goto("/#/")
        page.wait_for_selector("body[data-ready=true]")
        page.locator(f"main a[href='{demo_screens['space']}']").first.click()
        page.wait_for_selector("main h1:focus")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.boxShadow]; })()"
        )
        assert style == ["none", "none"], style
    finally:
        context.close()


def test_the_shell_links_its_icon_and_versioned_stylesheet(browser, server: Server) -> None:
    context, page = _open(browser, server, DESKTOP, None)
    try:
        responses = []
        page.on("response", lambda r: responses.append(r))
        page.goto("/#/")
        page.wait_for_selector("body[data-ready=true]")
        icon = page.evaluate("document.querySelector('link[rel=icon]').href")
        css = page.evaluate("document.querySelector('link[rel=stylesheet]').href")
        assert "/favicon.svg?v=" in icon and "/css/app.css?v=" in css
        sheet = next(r for r in responses if "/css/app.css" in r.url)
        assert "immutable" in sheet.headers["cache-control"]
        assert sheet.headers.get("content-encoding") == "gzip"
        # A second visit revalidates the modules: the server answers 304, nothing is resent.
        statuses = []
        page.on("response", lambda r: statuses.append((r.url, r.status)))
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        modules = [status for url, status in statuses if "/js/" in url]
        assert modules and set(modules) == {304}, statuses
    finally:
        context.close()
