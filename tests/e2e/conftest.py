"""Browser tests of the web client against the real service.

A session-scoped fixture starts `python -m forum serve` on a free loopback port with a
fresh SQLite file, after `python -m forum demo` and a few extra users made with
`python -m forum users create`. Chromium is Debian's (/usr/bin/chromium) and axe-core
comes from tests/e2e/node_modules; without either the tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "e2e-password-2025"
# Generous: the UI polls nothing, but every test signs several people in.
UI_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
    # Playwright's sync API keeps an event loop running in this thread until the session
    # ends, which would break every asyncio test after it: the browser tests go last.
    items.sort(key=lambda item: E2E_DIR in Path(str(item.fspath)).parents)


def _missing_requirement() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not AXE_JS.exists():
        return f"{AXE_JS.relative_to(ROOT)} is missing (run `npm ci` in tests/e2e)"
    return None


@dataclass
class User:
    email: str
    name: str
    role: str
    password: str = PASSWORD
    id: int | None = None
    token: str | None = None


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    users: dict[str, User] = field(default_factory=dict)

    def client(self, who: str | None = None) -> httpx.Client:
        headers = {}
        if who:
            headers["Authorization"] = f"Bearer {self.token(who)}"
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=15)

    def token(self, who: str) -> str:
        user = self.users[who]
        if not user.token:
            with httpx.Client(base_url=self.base_url, timeout=15) as c:
                res = c.post("/api/auth/login", json={"email": user.email, "password": user.password})
                assert res.status_code == 200, res.text
                body = res.json()
                user.token = body["token"]
                user.id = body["user"]["id"]
        return user.token

    def api(self, who: str, method: str, path: str, **kwargs) -> httpx.Response:
        with self.client(who) as c:
            return c.request(method, path, **kwargs)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    res = subprocess.run(
        [sys.executable, "-m", "forum", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if res.returncode != 0:
        pytest.fail(f"`forum {' '.join(args[:2])}` failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res.stdout


# The people of the tests; made with `forum users create` besides the demo users.
PEOPLE = {
    "admin": ("e2e-admin@example.org", "Ada Secretariat", "admin", None),
    "moderator": ("e2e-moderator@example.org", "Mo Facilitator", "moderator", None),
    "host1": ("e2e-host1@example.org", "Hana Host", "focal_point", "JPN"),
    "host2": ("e2e-host2@example.org", "Hugo Host", "lcipp", None),
    "alice": ("e2e-alice@example.org", "Alice Observer", "observer", None),
    "bob": ("e2e-bob@example.org", "Bob Observer", "observer", None),
}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    reason = _missing_requirement()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'e2e.db'}",
        "FORUM_ALLOWED_ORIGINS": base_url,
        "FORUM_SECRET_KEY": f"e2e-{uuid.uuid4().hex}",
        "FORUM_RATE_LIMIT_PER_MINUTE": "100000",
        "FORUM_RATE_LIMIT_ADDRESS_PER_MINUTE": "100000",
        "FORUM_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    _cli(env, "demo")
    srv = Server(base_url=base_url, env=env)
    # The first admin comes from the command line; the others register and are given
    # their role by that admin, as in real life (and faster than one process each).
    email, name, role, _party = PEOPLE["admin"]
    _cli(env, "users", "create", "--email", email, "--password", PASSWORD, "--name", name, "--role", role)
    for key, (email, name, role, _party) in PEOPLE.items():
        srv.users[key] = User(email=email, name=name, role=role)

    log_path = tmp / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "forum", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not become healthy:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.25)
        for key, (email, name, role, party) in PEOPLE.items():
            if key == "admin":
                continue
            res = httpx.post(
                f"{base_url}/api/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": name},
                timeout=15,
            )
            assert res.status_code == 201, res.text
            if role != "observer":
                change = {"role": role, **({"party": party} if party else {})}
                res = srv.api("admin", "PATCH", f"/api/users/{res.json()['id']}", json=change)
                assert res.status_code == 200, res.text
        for key in srv.users:
            srv.token(key)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if os.environ.get("E2E_SHOW_SERVER_LOG"):
            print(log_path.read_text()[-8000:])


@pytest.fixture(scope="session")
def spaces(server: Server) -> dict[str, str]:
    """Spaces of the tests' own, so the tests do not depend on the demo's content."""
    made = {}
    for key, kind, moderation in [
        ("talk", "nma", "post"),
        ("workshop", "workshop", "post"),
        ("review", "general", "pre"),
    ]:
        slug = f"e2e-{key}"
        res = server.api(
            "admin",
            "POST",
            "/api/spaces",
            json={
                "slug": slug,
                "title": f"E2E {key} space",
                "kind": kind,
                "moderation": moderation,
                "visibility": "public",
            },
        )
        assert res.status_code in (201, 409), res.text
        made[key] = slug
    return made


@pytest.fixture(scope="session")
def browser(server: Server):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def new_page(request: pytest.FixtureRequest, server: Server, browser) -> Iterator[Callable]:
    """new_page(who=None, locale='en-US') -> a page in its own context, signed in as `who`."""
    contexts = []
    pages = []

    def make(who: str | None = None, locale: str = "en-US", path: str = "#/"):
        context = browser.new_context(
            base_url=server.base_url, locale=locale, viewport={"width": 1100, "height": 760}
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("dialog", lambda d: d.accept("e2e reason") if d.type == "prompt" else d.accept())
        page.console = []
        page.on("console", lambda m: page.console.append(f"{m.type}: {m.text}"))
        pages.append(page)
        page.goto(f"/{path}")
        page.wait_for_selector("body[data-ready=true]")
        if who:
            sign_in(page, server.users[who])
            if path != "#/":
                page.goto(f"/{path}")
                page.wait_for_selector("body[data-ready=true]")
        return page

    yield make
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # Say what each browser showed, to make a failure readable from the log alone.
        for i, page in enumerate(pages):
            try:
                text = page.locator("main").inner_text(timeout=2000)
            except Exception as exc:
                text = f"<unreadable: {exc}>"
            print(
                f"\n--- page {i}: {page.url}\n{text[:3000]}\n--- console:\n" + "\n".join(page.console[-30:])
            )
    for context in contexts:
        context.close()


def sign_in(page, user: User) -> None:
    page.goto("/#/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.locator("main form button[type=submit]").click()
    page.locator("#user-box").get_by_text(user.name).wait_for()
    page.wait_for_function("location.hash !== '#/login'")
    page.wait_for_selector("main h1")


def run_axe(page) -> list[dict]:
    """Run axe-core on the page; return the serious and critical violations."""
    # Evaluated through the browser's debugging protocol, not as a <script> of the page:
    # the site's Content-Security-Policy (script-src 'self') rightly refuses inline script.
    page.evaluate(AXE_JS.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page, name: str) -> None:
    """Refresh docs/screenshots/{name}.png when E2E_SCREENSHOTS=1."""
    if os.environ.get("E2E_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=False)
    if shutil.which("pngquant"):
        subprocess.run(
            ["pngquant", "--force", "--skip-if-larger", "--output", str(path), "64", str(path)], check=False
        )
