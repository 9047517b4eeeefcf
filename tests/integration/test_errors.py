"""Bad input everywhere: malformed bodies, wrong types, oversize requests, unknown ids.

Every refusal is problem+json with a 4xx status naming what is wrong, and nothing is
written: each test counts the rows before and after.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.lib.pagination import encode_cursor
from forum.spaces.models import Space, SpaceModerator
from forum.threads.models import Post, PostRevision, Thread
from tests.conftest import Cast, make_space, make_thread
from tests.helpers import PROBLEM_JSON, assert_problem, count
from tests.realtime.conftest import Live, live

__all__ = ["live"]  # the live server fixture (a real uvicorn on loopback), for the streamed body


async def snapshot(db: AsyncSession) -> dict[str, int]:
    return {
        model.__tablename__: await count(db, model)
        for model in (User, Space, SpaceModerator, Thread, Post, PostRevision, AuditEntry)
    }


@pytest.fixture
async def world(client: AsyncTestClient, cast: Cast) -> dict:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    posts = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"]
    return {"thread": thread, "post": posts[0]}


def _writes(cast: Cast, world: dict) -> list[tuple[str, str, dict[str, str]]]:
    """Every write endpoint of the core, with a caller allowed to use it."""
    tid, pid = world["thread"]["id"], world["post"]["id"]
    admin, author = cast.admin.headers, cast.observer.headers
    return [
        ("POST", "/api/auth/register", {}),
        ("POST", "/api/auth/login", {}),
        ("PATCH", f"/api/users/{cast.observer.id}", admin),
        ("POST", "/api/spaces", admin),
        ("PUT", "/api/spaces/agora/moderators", admin),
        ("POST", "/api/spaces/agora/threads", author),
        ("PATCH", f"/api/threads/{tid}", admin),
        ("POST", f"/api/threads/{tid}/posts", author),
        ("PATCH", f"/api/posts/{pid}", author),
    ]


BAD_BODIES: list[tuple[str, bytes]] = [
    ("not json", b"this is not json"),
    ("truncated json", b'{"title": "x", '),
    ("a json array", b'["title", "body"]'),
    ("a json string", b'"hello"'),
    ("a json number", b"42"),
    ("json null", b"null"),
    ("invalid utf-8", b'{"body": "\xff\xfe"}'),
]


@pytest.mark.parametrize(("label", "raw"), BAD_BODIES, ids=[label for label, _ in BAD_BODIES])
async def test_malformed_bodies_are_refused_and_write_nothing(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict, label: str, raw: bytes
) -> None:
    before = await snapshot(db)
    for method, path, headers in _writes(cast, world):
        resp = await client.request(
            method, path, content=raw, headers={**headers, "content-type": "application/json"}
        )
        problem = assert_problem(resp, (400, 422))
        if label in ("not json", "truncated json"):
            assert "not valid JSON" in problem["detail"], problem
        elif label.startswith("a json") or label == "json null":
            assert "must be a JSON object" in problem["detail"], problem
    assert await snapshot(db) == before


async def test_wrong_types_name_the_field(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    tid, pid = world["thread"]["id"], world["post"]["id"]
    before = await snapshot(db)
    cases = [
        ("POST", "/api/auth/register", {}, {"email": 5, "password": "x" * 12, "display_name": "A"}, "email"),
        ("POST", "/api/spaces/agora/threads", cast.observer.headers, {"title": ["x"], "body": "b"}, "title"),
        ("POST", f"/api/threads/{tid}/posts", cast.observer.headers, {"body": 12}, "body"),
        (
            "POST",
            f"/api/threads/{tid}/posts",
            cast.observer.headers,
            {"body": "b", "reply_to": "one"},
            "reply_to",
        ),
        ("PATCH", f"/api/posts/{pid}", cast.observer.headers, {"body": None}, "body"),
        ("PATCH", f"/api/threads/{tid}", cast.admin.headers, {"pinned": "yes"}, "pinned"),
        ("PUT", "/api/spaces/agora/moderators", cast.admin.headers, {"user_ids": "1,2"}, "user_ids"),
        ("PATCH", f"/api/users/{cast.observer.id}", cast.admin.headers, {"role": 3}, "role"),
    ]
    for method, path, headers, body, field in cases:
        resp = await client.request(method, path, json=body, headers=headers)
        assert_problem(resp, (400, 422), names=field)
    assert await snapshot(db) == before


async def test_unknown_fields_are_refused(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    tid = world["thread"]["id"]
    before = await snapshot(db)
    resp = await client.post(
        f"/api/threads/{tid}/posts", json={"body": "hi", "status": "published"}, headers=cast.observer.headers
    )
    assert_problem(resp, (400, 422), names="status")
    resp = await client.post(
        "/api/spaces/agora/threads",
        json={"title": "t", "body": "b", "pinned": True},
        headers=cast.observer.headers,
    )
    assert_problem(resp, (400, 422), names="pinned")
    assert await snapshot(db) == before


async def test_over_long_title_and_body(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    tid, pid = world["thread"]["id"], world["post"]["id"]
    before = await snapshot(db)
    huge = "x" * 20_001
    resp = await client.post(f"/api/threads/{tid}/posts", json={"body": huge}, headers=cast.observer.headers)
    assert_problem(resp, (400, 422), names="body")
    resp = await client.patch(f"/api/posts/{pid}", json={"body": huge}, headers=cast.observer.headers)
    assert_problem(resp, (400, 422), names="body")
    resp = await client.post(
        "/api/spaces/agora/threads", json={"title": "t" * 201, "body": "b"}, headers=cast.observer.headers
    )
    assert_problem(resp, (400, 422), names="title")
    resp = await client.post(
        "/api/spaces/agora/threads", json={"title": "t", "body": huge}, headers=cast.observer.headers
    )
    assert_problem(resp, (400, 422), names="body")
    resp = await client.post(f"/api/threads/{tid}/posts", json={"body": ""}, headers=cast.observer.headers)
    assert_problem(resp, (400, 422), names="body")
    assert await snapshot(db) == before
    # Exactly at the limit is fine.
    resp = await client.post(
        f"/api/threads/{tid}/posts", json={"body": "y" * 20_000}, headers=cast.observer.headers
    )
    assert resp.status_code == 201, resp.text


async def test_body_over_one_mebibyte_is_413_before_parsing(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    tid = world["thread"]["id"]
    before = await snapshot(db)
    # Not even JSON: a 413 proves the size is checked before the body is parsed.
    raw = b"{" + b"x" * (1024 * 1024 + 10)
    for method, path, headers in _writes(cast, world):
        resp = await client.request(
            method, path, content=raw, headers={**headers, "content-type": "application/json"}
        )
        assert_problem(resp, 413, names="1 MiB")
    body = b'{"body": "' + b"z" * (1024 * 1024) + b'"}'
    resp = await client.post(
        f"/api/threads/{tid}/posts",
        content=body,
        headers={**cast.observer.headers, "content-type": "application/json"},
    )
    assert_problem(resp, 413)
    assert await snapshot(db) == before


async def test_unknown_ids_are_404(client: AsyncTestClient, cast: Cast, world: dict) -> None:
    h = cast.admin.headers
    for method, path, body in [
        ("GET", "/api/threads/999999", None),
        ("GET", "/api/threads/999999/posts", None),
        ("POST", "/api/threads/999999/posts", {"body": "x"}),
        ("PATCH", "/api/threads/999999", {"pinned": True}),
        ("GET", "/api/posts/999999", None),
        ("PATCH", "/api/posts/999999", {"body": "x"}),
        ("DELETE", "/api/posts/999999", None),
        ("GET", "/api/posts/999999/revisions", None),
        ("GET", "/api/spaces/no-such-space", None),
        ("GET", "/api/spaces/no-such-space/threads", None),
        ("POST", "/api/spaces/no-such-space/threads", {"title": "t", "body": "b"}),
        ("PUT", "/api/spaces/no-such-space/moderators", {"user_ids": []}),
        ("GET", "/api/users/999999", None),
        ("PATCH", "/api/users/999999", {"organisation": "x"}),
        ("GET", "/api/nothing-here", None),
    ]:
        resp = await client.request(method, path, json=body, headers=h)
        assert_problem(resp, 404)


async def test_bad_query_parameters(client: AsyncTestClient, cast: Cast, world: dict) -> None:
    tid = world["thread"]["id"]
    for query, field in [
        ("after=-1", "after"),
        ("after=abc", "after"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
    ]:
        resp = await client.get(f"/api/threads/{tid}/posts?{query}")
        assert_problem(resp, 400, names=field)
    for query, field in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=%25%25", "cursor"),
        ("cursor=abc", "cursor"),
    ]:
        resp = await client.get(f"/api/spaces/agora/threads?{query}")
        assert_problem(resp, 400, names=field)
    # Cursors come back from clients: forged ones are refused, never a 5xx.
    for forged in (
        [1, "yesterday", 3],
        [1, 5, 3],
        [7, "2026-01-01T00:00:00+00:00", 3],
        [1, "2026-01-01T00:00:00", 3],
        [1, "2026-01-01T00:00:00+00:00", "x"],
        [None, None, None],
    ):
        resp = await client.get(f"/api/spaces/agora/threads?cursor={encode_cursor(forged)}")
        assert_problem(resp, 400, names="cursor")
    resp = await client.get("/api/threads/not-a-number")
    assert_problem(resp, (400, 404))


# Fuzzing: arbitrary JSON bodies against every write endpoint never get a 5xx.
# More examples on demand: FORUM_FUZZ_EXAMPLES=2000 pytest -k fuzzed
FUZZ_EXAMPLES = int(os.environ.get("FORUM_FUZZ_EXAMPLES", "60"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "email",
    "password",
    "display_name",
    "role",
    "party",
    "organisation",
    "slug",
    "title",
    "kind",
    "moderation",
    "visibility",
    "allowed_roles",
    "user_ids",
    "body",
    "reply_to",
    "client_id",
    "pinned",
    "locked",
    "space",
    "slow_mode_seconds",
]
bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
)


async def test_fuzzed_json_bodies_never_get_a_5xx(client: AsyncTestClient, cast: Cast, world: dict) -> None:
    writes = _writes(cast, world)
    seen: list[int] = []
    # Hypothesis drives a synchronous function: it generates the cases, and the
    # requests then run on this test's event loop against the live app.
    results: list[tuple[str, str, Any]] = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(st.sampled_from(range(len(writes))), bodies)
    def probe(index: int, body: Any) -> None:
        results.append((writes[index][0], writes[index][1], body))

    probe()
    for method, path, body in results:
        headers = next(h for m, p, h in writes if (m, p) == (method, path))
        resp = await client.request(method, path, json=body, headers=headers)
        seen.append(resp.status_code)
        assert resp.status_code < 500, (method, path, body, resp.text)
        if resp.status_code >= 400:
            assert resp.headers["content-type"].startswith(PROBLEM_JSON)
    assert seen


async def test_nul_characters_are_refused_everywhere(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    """PostgreSQL cannot store U+0000: it is refused on every database alike, never a 5xx."""
    tid, pid = world["thread"]["id"], world["post"]["id"]
    before = await snapshot(db)
    h = cast.observer.headers
    for method, path, body, headers in [
        ("POST", f"/api/threads/{tid}/posts", {"body": "a\u0000b"}, h),
        ("PATCH", f"/api/posts/{pid}", {"body": "\u0000"}, h),
        ("POST", "/api/spaces/agora/threads", {"title": "t\u0000", "body": "b"}, h),
        ("PATCH", f"/api/threads/{tid}", {"title": "t\u0000"}, cast.admin.headers),
        (
            "POST",
            "/api/auth/register",
            {"email": "a\u0000@b.org", "password": "x" * 12, "display_name": "A"},
            {},
        ),
        ("POST", "/api/auth/login", {"email": "a\u0000@b.org", "password": "x" * 12}, {}),
        ("PATCH", f"/api/users/{cast.observer.id}", {"organisation": "\u0000"}, cast.admin.headers),
    ]:
        resp = await client.request(method, path, json=body, headers=headers)
        assert_problem(resp, 400, names="NUL")
    for path in (
        "/api/spaces/a%00b",
        "/api/spaces/agora/threads?cursor=%00",
        f"/api/threads/{tid}/posts?x=%00",
    ):
        assert_problem(await client.get(path), 400, names="NUL")
    assert await snapshot(db) == before
    # The six characters of an escaped backslash followed by "u0000" are ordinary text.
    resp = await client.post(f"/api/threads/{tid}/posts", json={"body": "C:\\u0000"}, headers=h)
    assert resp.status_code == 201
    assert resp.json()["body"] == "C:\\u0000"


async def test_ids_and_numbers_beyond_any_column_are_refused(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    """Integers PostgreSQL's columns cannot hold are a 4xx on every database, never a 5xx."""
    tid = world["thread"]["id"]
    big = 2**63
    for path in (f"/api/threads/{big}", f"/api/posts/{big}", f"/api/users/{big}", f"/api/posts/{big}/revisions",
                 f"/api/threads/{big}/posts", "/api/threads/0", f"/api/threads/{2**40}"):  # fmt: skip
        assert_problem(await client.get(path, headers=cast.admin.headers), 404)
    for after in (2**31, 2**63, 10**30):
        resp = await client.get(f"/api/threads/{tid}/posts?after={after}")
        assert resp.status_code == 200, resp.text
        assert resp.json()["items"] == []
    before = await snapshot(db)
    h = cast.observer.headers
    for reply_to in (big, 0, -5):
        resp = await client.post(
            f"/api/threads/{tid}/posts", json={"body": "x", "reply_to": reply_to}, headers=h
        )
        assert_problem(resp, 400, names="reply_to")
    resp = await client.put(
        "/api/spaces/agora/moderators", json={"user_ids": [big]}, headers=cast.admin.headers
    )
    assert_problem(resp, 400, names="user_ids")
    resp = await client.patch(f"/api/posts/{big}", json={"body": "x"}, headers=h)
    assert_problem(resp, 404)
    assert await snapshot(db) == before


async def test_a_streamed_body_over_one_mebibyte_is_413(live: Live, db: AsyncSession, cast: Cast) -> None:
    """Without a Content-Length (chunked), the limit still holds while the body streams in."""
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        h = {**cast.admin.headers, "content-type": "application/json"}
        resp = await http.post(
            "/api/spaces",
            json={"slug": "agora", "title": "A", "kind": "nma", "moderation": "post", "visibility": "public"},
            headers=cast.admin.headers,
        )
        assert resp.status_code == 201

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"title": "t", "body": "'
            for _ in range(12):
                yield b"x" * 100_000
            yield b'"}'

        before = await snapshot(db)
        resp = await http.post("/api/spaces/agora/threads", content=chunks(), headers=h)
        assert "content-length" not in resp.request.headers
        assert_problem(resp, 413)
        assert await snapshot(db) == before
