"""Strict input, the same everywhere: bounded integers, bounded nesting, no blank names, real
Party codes, exact types, JSON bodies as JSON, ids in plain decimal, and errors that name
the field (problem+json with `code` and `field`). Nothing is written by a refused request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.cafes.models import Cafe, CafeTable
from forum.lib.pagination import encode_cursor
from forum.spaces.models import Space
from forum.threads.models import Post, Thread
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import assert_problem, count, create_cafe, join, say, workshop

BIG = [2**63, 2**64, 2**70, 10**30, -(2**64)]


async def rows(db: AsyncSession) -> dict[str, int]:
    return {
        m.__tablename__: await count(db, m) for m in (User, Space, Thread, Post, Cafe, CafeTable, AuditEntry)
    }


def problem_of(resp: Any, status: int | tuple[int, ...], field: str) -> dict:
    """problem+json with this status, naming `field` in `detail` and in `field`, with a `code`."""
    body = assert_problem(resp, status, names=field)
    assert body.get("field") == field, body
    assert body.get("code") == "bad_request", body
    return body


@pytest.fixture
async def world(client: AsyncTestClient, cast: Cast, people: People) -> dict:
    """A space with a thread, a workshop with a café whose first table has a message."""
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    await workshop(client, cast)
    host = await people.make("focal_point", name="Host")
    cafe = await create_cafe(client, cast.moderator, [host])
    table_id = await join(client, cafe["id"], cast.observer)
    assert (await say(client, table_id, cast.observer, "hello")).status_code == 201
    return {"thread": thread, "cafe": cafe, "table_id": table_id}


# --- 10. integers beyond 64 bits ---------------------------------------------------------


@pytest.mark.parametrize("big", BIG)
async def test_integers_beyond_64_bits_in_cursors_and_queries_are_refused(
    client: AsyncTestClient, cast: Cast, world: dict, big: int
) -> None:
    mod = cast.moderator.headers
    cases = [
        ("/api/spaces/agora/threads", [1, "2026-01-01T00:00:00+00:00", big], "cursor"),
        ("/api/moderation/queue", ["2026-01-01T00:00:00+00:00", big], "cursor"),
        ("/api/moderation/log", [big], "cursor"),
        ("/api/spaces/sbsta63-workshop/cafes", [big], "cursor"),
        ("/api/spaces", ["nma", "A title", big], "cursor"),
    ]
    for path, position, field in cases:
        resp = await client.get(f"{path}?cursor={encode_cursor(position)}", headers=mod)
        problem_of(resp, 400, field)
    problem_of(await client.get(f"/api/moderation/log?actor={big}", headers=mod), 400, "actor")
    for path in ("/api/spaces", "/api/spaces/agora/threads", "/api/moderation/log"):
        problem_of(await client.get(f"{path}?limit={big}", headers=mod), 400, "limit")


@pytest.mark.parametrize("big", BIG)
async def test_positions_beyond_64_bits_read_as_the_end(
    client: AsyncTestClient, cast: Cast, world: dict, big: int
) -> None:
    """`after` is a position: past the last number there is nothing (negative: refused)."""
    for path in (f"/api/threads/{world['thread']['id']}/posts", f"/api/tables/{world['table_id']}/messages"):
        resp = await client.get(f"{path}?after={big}", headers=cast.observer.headers)
        if big < 0:
            problem_of(resp, 400, "after")
        else:
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"items": [], "next": None}


@pytest.mark.parametrize("big", BIG)
async def test_integers_beyond_64_bits_in_bodies_are_refused(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict, big: int
) -> None:
    before = await rows(db)
    resp = await client.post(
        "/api/spaces/sbsta63-workshop/cafes",
        json={"title": "Café", "round_seconds": 900, "tables": [{"topic": "T", "host_id": big}]},
        headers=cast.moderator.headers,
    )
    problem_of(resp, 400, "tables[0].host_id")
    resp = await client.post(
        f"/api/threads/{world['thread']['id']}/posts",
        json={"body": "x", "reply_to": big},
        headers=cast.observer.headers,
    )
    problem_of(resp, 400, "reply_to")
    resp = await client.patch(
        f"/api/threads/{world['thread']['id']}", json={"slow_mode_seconds": big}, headers=cast.admin.headers
    )
    problem_of(resp, 400, "slow_mode_seconds")
    resp = await client.post(
        f"/api/users/{cast.observer.id}/silence",
        json={"reason": "r", "duration_seconds": big},
        headers=cast.moderator.headers,
    )
    problem_of(resp, 400, "duration_seconds")
    assert await rows(db) == before


def _request_body_handlers(app: Litestar) -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP operation that reads a JSON body, ids filled in."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if (
                not isinstance(handler, HTTPRouteHandler)
                or "data" not in handler.parsed_fn_signature.parameters
            ):
                continue
            path = route.path.replace("{slug:str}", "agora")
            for name in (
                "user_id",
                "thread_id",
                "post_id",
                "cafe_id",
                "table_id",
                "message_id",
                "entry_id",
                "roundtable_id",
                "intervention_id",
                "poll_id",
            ):
                path = path.replace(f"{{{name}:int}}", "1")
            for method in handler.http_methods:
                yield method, path


# --- 11. JSON nested too deeply ----------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_json_nested_too_deeply_is_400_on_every_json_endpoint(
    app: Litestar, client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict, depth: int
) -> None:
    before = await rows(db)
    deep = b'{"body": ' + b"[" * depth + b"]" * depth + b"}"
    operations = sorted(set(_request_body_handlers(app)))
    assert len(operations) > 20
    for method, path in operations:
        resp = await client.request(
            method, path, content=deep, headers={**cast.admin.headers, "content-type": "application/json"}
        )
        body = assert_problem(resp, 400, names="nested too deeply")
        assert body["code"] == "bad_request"
    assert await rows(db) == before


# --- 12. blank names, Party codes, exact types, media types, plain decimal ids ------------


BLANKS = [" ", "   ", "\t\n", "\u3000", "\u00a0 "]


@pytest.mark.parametrize("blank", BLANKS)
async def test_titles_names_and_bodies_of_spaces_only_are_refused(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict, blank: str
) -> None:
    tid = world["thread"]["id"]
    admin, mod, obs = cast.admin.headers, cast.moderator.headers, cast.observer.headers
    before = await rows(db)
    space = {"slug": "blank", "kind": "nma", "moderation": "post", "visibility": "public"}
    cafe = {"title": "Café", "round_seconds": 900, "tables": [{"topic": "T", "host_id": cast.focal_point.id}]}
    cases: list[tuple[str, str, dict, dict, str]] = [
        ("POST", "/api/spaces", {**space, "title": blank}, admin, "title"),
        ("POST", "/api/spaces/agora/threads", {"title": blank, "body": "b"}, obs, "title"),
        ("POST", "/api/spaces/agora/threads", {"title": "t", "body": blank}, obs, "body"),
        ("PATCH", f"/api/threads/{tid}", {"title": blank}, admin, "title"),
        ("POST", f"/api/threads/{tid}/posts", {"body": blank}, obs, "body"),
        (
            "POST",
            "/api/auth/register",
            {"email": "b@example.org", "password": "x" * 12, "display_name": blank},
            {},
            "display_name",
        ),
        ("PATCH", f"/api/users/{cast.observer.id}", {"display_name": blank}, obs, "display_name"),
        ("POST", "/api/spaces/sbsta63-workshop/cafes", {**cafe, "title": blank}, mod, "title"),
        (
            "POST",
            "/api/spaces/sbsta63-workshop/cafes",
            {**cafe, "tables": [{"topic": blank, "host_id": cast.focal_point.id}]},
            mod,
            "tables[0].topic",
        ),
        ("POST", f"/api/tables/{world['table_id']}/messages", {"body": blank}, obs, "body"),
        ("POST", f"/api/cafes/{world['cafe']['id']}/announce", {"text": blank}, mod, "text"),
    ]
    for method, path, body, headers, field in cases:
        resp = await client.request(method, path, json=body, headers=headers)
        problem = problem_of(resp, 400, field)
        assert "blank" in problem["detail"], problem
    assert await rows(db) == before
    me = (await client.get("/api/me", headers=obs)).json()
    assert me["display_name"].strip()


async def test_party_codes_are_iso_3166_alpha_3_or_euu(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    before = await rows(db)
    for bad in ("ZZZ", "XXX", "EUR", "jpn", "JP", "JPNX", "", 392):
        resp = await client.patch(
            f"/api/users/{cast.observer.id}", json={"party": bad}, headers=cast.admin.headers
        )
        problem_of(resp, 400, "party")
    assert await rows(db) == before
    for good in ("JPN", "EUU", "BOL", "MYS", None):
        resp = await client.patch(
            f"/api/users/{cast.observer.id}", json={"party": good}, headers=cast.admin.headers
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["party"] == good


async def test_login_and_every_body_refuse_unknown_fields(
    app: Litestar, client: AsyncTestClient, cast: Cast
) -> None:
    resp = await client.post(
        "/api/auth/login", json={"email": cast.observer.email, "password": "whatever it is", "remember": True}
    )
    problem = problem_of(resp, 400, "remember")
    assert "not a field" in problem["detail"]
    # Every body type of the API says so in its type: none lets an unknown field through.
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = getattr(handler, "parsed_fn_signature", None)
            if data is None or "data" not in data.parameters:
                continue
            for struct in _structs(data.parameters["data"].annotation):
                assert struct.__struct_config__.forbid_unknown_fields, (route.path, struct)


def _structs(annotation: Any) -> Iterator[type]:
    import msgspec

    info = msgspec.inspect.type_info(annotation)
    stack = [info]
    while stack:
        item = stack.pop()
        if isinstance(item, msgspec.inspect.StructType):
            yield item.cls
            stack.extend(field.type for field in item.fields)
        elif isinstance(item, msgspec.inspect.UnionType):
            stack.extend(item.types)
        elif isinstance(
            item, msgspec.inspect.ListType | msgspec.inspect.SetType | msgspec.inspect.FrozenSetType
        ):
            stack.append(item.item_type)


async def test_values_of_the_wrong_json_type_are_not_coerced(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    tid = world["thread"]["id"]
    before = await rows(db)
    cases = [
        ("PATCH", f"/api/threads/{tid}", {"pinned": "true"}, cast.admin.headers, "pinned"),
        ("PATCH", f"/api/threads/{tid}", {"locked": 1}, cast.admin.headers, "locked"),
        (
            "PATCH",
            f"/api/threads/{tid}",
            {"slow_mode_seconds": "60"},
            cast.admin.headers,
            "slow_mode_seconds",
        ),
        (
            "PATCH",
            f"/api/threads/{tid}",
            {"slow_mode_seconds": 60.0},
            cast.admin.headers,
            "slow_mode_seconds",
        ),
        (
            "POST",
            f"/api/threads/{tid}/posts",
            {"body": "x", "reply_to": "1"},
            cast.observer.headers,
            "reply_to",
        ),
        (
            "PUT",
            "/api/spaces/agora/moderators",
            {"user_ids": [str(cast.lcipp.id)]},
            cast.admin.headers,
            "user_ids[0]",
        ),
        (
            "POST",
            "/api/spaces/sbsta63-workshop/cafes",
            {
                "title": "C",
                "round_seconds": "900",
                "tables": [{"topic": "T", "host_id": cast.focal_point.id}],
            },
            cast.moderator.headers,
            "round_seconds",
        ),
    ]
    for method, path, body, headers, field in cases:
        problem_of(await client.request(method, path, json=body, headers=headers), 400, field)
    assert await rows(db) == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_a_json_body_must_be_sent_as_json(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict, content_type: str | None
) -> None:
    tid = world["thread"]["id"]
    before = await rows(db)
    headers = {**cast.observer.headers}
    if content_type:
        headers["content-type"] = content_type
    resp = await client.post(f"/api/threads/{tid}/posts", content=b'{"body": "sneaky"}', headers=headers)
    problem = assert_problem(resp, 415, names="application/json")
    assert problem["code"] == "unsupported_media_type"
    assert await rows(db) == before
    for accepted in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        resp = await client.post(
            f"/api/threads/{tid}/posts",
            content=b'{"body": "fine"}',
            headers={**cast.observer.headers, "content-type": accepted},
        )
        assert resp.status_code == 201, (accepted, resp.text)


@pytest.mark.parametrize(
    "raw", ["%20%31", "%31%20", "\uff11", "1_0", "+1", "01", "1.0", "%E0%A5%A7", "0x1", "1e0"]
)
async def test_ids_in_the_path_are_plain_decimal(
    client: AsyncTestClient, cast: Cast, world: dict, raw: str
) -> None:
    """Only the one spelling of an id reaches a row: `/api/posts/ 1`, `１`, `1_0`, `01` do not."""
    post_id = (await client.get(f"/api/threads/{world['thread']['id']}/posts")).json()["items"][0]["id"]
    assert post_id == 1
    assert (await client.get("/api/posts/1")).status_code == 200
    resp = await client.get(f"/api/posts/{raw}")
    body = assert_problem(resp, 404)
    assert body["code"] == "not_found"
    resp = await client.patch(f"/api/posts/{raw}", json={"body": "changed"}, headers=cast.observer.headers)
    assert_problem(resp, 404)


@pytest.mark.parametrize("raw", [" 5", "5 ", "+5", "05", "5.0", "1e1", "\uff15", "5_0"])
async def test_numbers_in_the_query_are_plain_decimal(client: AsyncTestClient, world: dict, raw: str) -> None:
    resp = await client.get("/api/spaces/agora/threads", params={"limit": raw})
    problem_of(resp, 400, "limit")
    resp = await client.get(f"/api/threads/{world['thread']['id']}/posts", params={"after": raw})
    problem_of(resp, 400, "after")


async def test_a_parameter_given_twice_is_refused(client: AsyncTestClient, world: dict) -> None:
    resp = await client.get("/api/spaces/agora/threads?limit=5&limit=7")
    problem_of(resp, 400, "limit")


# --- 13. GET /api/spaces pages like every list ---------------------------------------------


async def test_spaces_list_validates_limit_and_cursor_and_pages(client: AsyncTestClient, cast: Cast) -> None:
    for i in range(5):
        await make_space(client, cast.admin, f"space-{i}")
    await make_space(client, cast.admin, "hidden-lcipp", visibility="restricted", allowed_roles=["lcipp"])
    for query, field in [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                         ("cursor=%25%25", "cursor"), ("cursor=abc", "cursor")]:  # fmt: skip
        problem_of(await client.get(f"/api/spaces?{query}"), 400, field)
    everyone = (await client.get("/api/spaces", headers=cast.observer.headers)).json()
    assert everyone["next"] is None
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/spaces", params=params, headers=cast.observer.headers)).json()
        assert len(page["items"]) <= 2
        seen += [s["slug"] for s in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [s["slug"] for s in everyone["items"]]
    assert "hidden-lcipp" not in seen and len(seen) == 5
    # The restricted space pages for those who may see it, in its place.
    lcipp = [s["slug"] for s in (await client.get("/api/spaces", headers=cast.lcipp.headers)).json()["items"]]
    seen = []
    cursor = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/spaces", params=params, headers=cast.lcipp.headers)).json()
        seen += [s["slug"] for s in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == lcipp and "hidden-lcipp" in seen


# --- 14. the NUL refusal names the field ------------------------------------------------------


async def test_the_nul_refusal_names_the_field(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, world: dict
) -> None:
    tid = world["thread"]["id"]
    before = await rows(db)
    cases = [
        ("POST", f"/api/threads/{tid}/posts", {"body": "a\u0000b"}, cast.observer.headers, "body"),
        (
            "POST",
            "/api/spaces/agora/threads",
            {"title": "t", "body": "b\u0000"},
            cast.observer.headers,
            "body",
        ),
        (
            "PATCH",
            f"/api/users/{cast.observer.id}",
            {"organisation": "\u0000"},
            cast.admin.headers,
            "organisation",
        ),
        (
            "POST",
            "/api/spaces/sbsta63-workshop/cafes",
            {
                "title": "C",
                "round_seconds": 900,
                "tables": [{"topic": "T\u0000", "host_id": cast.focal_point.id}],
            },
            cast.moderator.headers,
            "tables[0].topic",
        ),
        ("POST", "/api/auth/login", {"email": "a\u0000@b.org", "password": "x" * 12}, {}, "email"),
    ]
    for method, path, body, headers, field in cases:
        problem = problem_of(await client.request(method, path, json=body, headers=headers), 400, field)
        assert "NUL" in problem["detail"]
    problem_of(await client.get("/api/spaces/agora/threads?cursor=a%00"), 400, "cursor")
    assert await rows(db) == before
