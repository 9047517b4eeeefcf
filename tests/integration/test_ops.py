"""Operations: /health, /metrics, and the OpenAPI schema."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from forum.app import create_app
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread


async def test_health_is_ok_while_the_service_can_serve(client: AsyncTestClient) -> None:
    resp = await client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": "ok", "broker": "ok"}


async def test_health_is_503_naming_the_database_when_it_is_unreachable(
    settings: Settings, tmp_path: Path
) -> None:
    gone = tmp_path / "no-such-directory" / "forum.db"
    app = create_app(replace(settings, database_url=f"sqlite+aiosqlite:///{gone}", auto_migrate=False))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        resp = await c.get("/health")
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["status"] != "ok"
    assert body["database"] != "ok"
    assert body["broker"] == "ok"
    assert not gone.parent.exists()


async def test_metrics_are_prometheus_text(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    await make_thread(client, cast.observer, "agora")
    await client.get("/api/spaces")
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    assert "# TYPE" in text and "# HELP" in text
    # Requests are counted by path template, not one series per id.
    assert re.search(
        r'^litestar_requests_total\{[^}]*app_name="forum"[^}]*path="/api/spaces"[^}]*\} \d',
        text,
        re.MULTILINE,
    ), text[:2000]
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEinfaINF]+( \d+)?", line), line


async def test_openapi_lists_every_api_endpoint(app: Litestar, client: AsyncTestClient) -> None:
    resp = await client.get("/schema/openapi.json")
    assert resp.status_code == 200
    schema = resp.json()
    documented = {
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    # Every route the app serves under /api, from the app's own routing table.
    served = set()
    for route in app.routes:
        if not route.path.startswith("/api"):
            continue
        for method in getattr(route, "methods", set()):
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                served.add((re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), method))
    assert served, "no /api routes found"
    missing = served - documented
    assert not missing, f"undocumented endpoints: {sorted(missing)}"
    # The contract's core endpoints in particular.
    for path, method in [
        ("/api/auth/register", "POST"),
        ("/api/auth/login", "POST"),
        ("/api/auth/logout", "POST"),
        ("/api/me", "GET"),
        ("/api/users/{user_id}", "PATCH"),
        ("/api/spaces", "POST"),
        ("/api/spaces", "GET"),
        ("/api/spaces/{slug}", "GET"),
        ("/api/spaces/{slug}/moderators", "PUT"),
        ("/api/spaces/{slug}/threads", "POST"),
        ("/api/spaces/{slug}/threads", "GET"),
        ("/api/threads/{thread_id}", "GET"),
        ("/api/threads/{thread_id}", "PATCH"),
        ("/api/threads/{thread_id}/posts", "POST"),
        ("/api/threads/{thread_id}/posts", "GET"),
        ("/api/posts/{post_id}", "PATCH"),
        ("/api/posts/{post_id}", "DELETE"),
        ("/api/posts/{post_id}/revisions", "GET"),
    ]:
        assert (path, method) in documented, (path, method)
    assert "bearer" in schema["components"]["securitySchemes"]


async def test_unknown_paths_and_methods_are_problems(client: AsyncTestClient) -> None:
    resp = await client.get("/api/does-not-exist")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    resp = await client.put("/api/me", json={})
    assert resp.status_code == 405
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_health_is_503_naming_the_broker_when_redis_is_unreachable(settings: Settings) -> None:
    app = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        resp = await c.get("/health")
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
    assert body["status"] != "ok"


def _series(text: str, name: str, **labels: str) -> float:
    """The value of the one series of `name` with these labels (0 if none yet)."""
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit("} ", 1)[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_each_request_is_counted_once_under_its_path_template_and_status(
    client: AsyncTestClient, cast: Cast
) -> None:
    """forum.lib.metrics keeps Litestar's metrics exactly: one count and one duration per
    request, under the path template and the status that went out."""
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    template = "/api/threads/{thread_id}/posts"
    before = (await client.get("/metrics")).text
    for _ in range(3):
        assert (await client.get(f"/api/threads/{thread['id']}/posts")).status_code == 200
    assert (await client.get("/api/threads/999999/posts")).status_code == 404
    after = (await client.get("/metrics")).text
    for status, n in (("200", 3), ("404", 1)):
        labels = {"app_name": "forum", "method": "GET", "path": template, "status_code": status}
        for name in ("litestar_requests_total", "litestar_request_duration_seconds_count"):
            assert _series(after, name, **labels) - _series(before, name, **labels) == n, (name, status)
    # Nothing is left in progress once the answers are out.
    in_progress = {"app_name": "forum", "method": "GET", "path": template, "status_code": "200"}
    assert _series(after, "litestar_requests_in_progress", **in_progress) == 0
