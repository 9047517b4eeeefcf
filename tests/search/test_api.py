"""GET /api/search: filters, paging, snippets, the index kept in step with every write, and
bad input answered with problem+json naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum.searching import reads
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import assert_problem, create_cafe, join, make_post, say
from tests.plans import capture_selects


async def hits(client: httpx.AsyncClient, q: str, who=None, **params: str) -> list[dict]:
    resp = await client.get("/api/search", params={"q": q, **params}, headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


@pytest.fixture
async def thread(client: httpx.AsyncClient, cast: Cast) -> dict:
    await make_space(client, cast.admin, "general")
    return await make_thread(client, cast.focal_point, "general", title="Capacity building", body="Welcome")


# --- bad input ------------------------------------------------------------------------------

BAD = [
    ({}, "q"),
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * 201}, "q"),
    ({"q": "!!! ???"}, "q"),
    ({"q": "a", "kind": "everything"}, "kind"),
    ({"q": "a", "order": "oldest"}, "order"),
    ({"q": "a", "role": "king"}, "role"),
    ({"q": "a", "party": "XYZ"}, "party"),
    ({"q": "a", "party": "JAPAN"}, "party"),
    ({"q": "a", "author": "0"}, "author"),
    ({"q": "a", "author": "-1"}, "author"),
    ({"q": "a", "author": "99999999999999999999999999"}, "author"),
    ({"q": "a", "author": "1.0"}, "author"),
    ({"q": "a", "since": "yesterday"}, "since"),
    ({"q": "a", "until": "2026-13-45"}, "until"),
    ({"q": "a", "since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
    ({"q": "a", "limit": "0"}, "limit"),
    ({"q": "a", "limit": "101"}, "limit"),
    ({"q": "a", "cursor": "not-a-cursor"}, "cursor"),
    ({"q": "a", "cursor": "WzEuMCw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ"}, "cursor"),  # [1.0, 10**22]
    ({"q": "a", "space": "no-such-space"}, "space"),
    ({"q": "a\x00b"}, "q"),
]


@pytest.mark.parametrize(("params", "field"), BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD)])
async def test_bad_input_is_a_problem_naming_the_field(
    client: httpx.AsyncClient, thread: dict, params: dict, field: str
) -> None:
    body = assert_problem(await client.get("/api/search", params=params), 400)
    assert body.get("field") == field, body


async def test_a_repeated_parameter_is_refused(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/search?q=a&q=b"), 400)
    assert body["field"] == "q"


# --- the index follows every write -------------------------------------------------------


async def test_edits_renames_moves_and_corrections_reach_the_index(
    client: httpx.AsyncClient, cast: Cast, thread: dict
) -> None:
    post = await make_post(client, cast.focal_point, thread["id"], "The first draft mentions glaciers.")
    assert [h["id"] for h in await hits(client, "glaciers")] == [post["id"]]
    resp = await client.patch(
        f"/api/posts/{post['id']}",
        json={"body": "Now it speaks of mangroves."},
        headers=cast.focal_point.headers,
    )
    assert resp.status_code == 200
    assert await hits(client, "glaciers") == []
    assert [h["id"] for h in await hits(client, "mangroves")] == [post["id"]]

    resp = await client.patch(
        f"/api/threads/{thread['id']}", json={"title": "Peer learning"}, headers=cast.admin.headers
    )
    assert resp.status_code == 200
    assert await hits(client, "capacity building", kind="threads") == []
    [hit] = await hits(client, "peer learning", kind="threads")
    assert (hit["kind"], hit["id"], hit["snippet"]) == (
        "thread",
        thread["id"],
        "<mark>Peer</mark> <mark>learning</mark>",
    )

    # A moderator's correction on approval replaces the text; the original is a revision only.
    await make_space(client, cast.admin, "premod", moderation="pre")
    premod = await make_thread(client, cast.focal_point, "premod", title="Reviewed", body="Hello")
    waiting = await make_post(client, cast.observer, premod["id"], "Spam spam advertisement")
    assert [h["id"] for h in await hits(client, "advertisement", cast.observer)] == [waiting["id"]]
    resp = await client.post(
        f"/api/posts/{waiting['id']}/approve",
        json={"body": "A useful remark"},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200, resp.text
    assert await hits(client, "advertisement", cast.moderator) == []
    assert [h["id"] for h in await hits(client, "useful remark")] == [waiting["id"]]


async def test_table_messages_and_harvests(client: httpx.AsyncClient, cast: Cast, people: People) -> None:
    host = await people.make("focal_point", name="Host")
    await make_space(client, cast.admin, "workshop", kind="workshop")
    cafe = await create_cafe(client, cast.moderator, [host], slug="workshop")
    table_id = await join(client, cafe["id"], cast.observer)
    resp = await say(client, table_id, cast.observer, "Mangroves protect the coast in Sabah.")
    assert resp.status_code == 201
    [hit] = await hits(client, "mangrove", cast.observer)
    assert hit["kind"] == "message" and hit["table"]["id"] == table_id and hit["space"]["slug"] == "workshop"
    assert hit["thread"] is None
    for harvest in ("First harvest: coral reefs", "Second harvest: seagrass meadows"):
        resp = await client.put(
            f"/api/tables/{table_id}/harvest", json={"body": harvest}, headers=host.headers
        )
        assert resp.status_code == 200
    assert await hits(client, "coral", kind="harvests") == []
    [hit] = await hits(client, "seagrass")
    assert hit["kind"] == "harvest" and hit["id"] == table_id


# --- filters, order, paging ----------------------------------------------------------------


async def test_filters(client: httpx.AsyncClient, cast: Cast, thread: dict) -> None:
    mine = await make_post(client, cast.focal_point, thread["id"], "Forest finance in Japan")
    theirs = await make_post(client, cast.lcipp, thread["id"], "Forest finance for communities")
    both = {mine["id"], theirs["id"]}
    assert {h["id"] for h in await hits(client, "forest finance")} == both
    assert [h["id"] for h in await hits(client, "forest", author=str(cast.lcipp.id))] == [theirs["id"]]
    assert [h["id"] for h in await hits(client, "forest", party="JPN")] == [mine["id"]]
    assert [h["id"] for h in await hits(client, "forest", role="lcipp")] == [theirs["id"]]
    assert {h["id"] for h in await hits(client, "forest", space="general", kind="posts")} == both
    assert await hits(client, "forest", kind="messages") == []
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert await hits(client, "forest", since=future) == []
    assert {h["id"] for h in await hits(client, "forest", since=past, until=future)} == both
    assert await hits(client, "forest", until=past) == []
    # Without an offset a date-time is UTC.
    naive_past = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert {h["id"] for h in await hits(client, "forest", since=naive_past)} == both
    assert await hits(client, "forest", until=naive_past) == []


async def test_a_filtered_search_writes_its_filters_into_the_statement(
    client: httpx.AsyncClient, cast: Cast, thread: dict
) -> None:
    """The same filtered search, repeated while nothing is written, is the same statement:
    a filter bound as a parameter would let PostgreSQL settle on one generic plan for every
    author, kind, role, party and space after five runs (forum.searching.reads `_inline`)."""
    await make_post(client, cast.lcipp, thread["id"], "Forest finance for communities")
    mine = await make_post(client, cast.focal_point, thread["id"], "Forest finance in Japan")
    author = cast.focal_point.id
    filters = {
        "author": str(author),
        "party": "JPN",
        "role": "focal_point",
        "space": "general",
        "kind": "posts",
    }
    with capture_selects() as captured:
        found = await hits(client, "forest", **filters)
    assert [h["id"] for h in found] == [mine["id"]]
    searches = [c for c in captured if "search_entries" in c.sql]
    assert searches
    values = {author, "JPN", "focal_point", "post", "posts", "published", "message", "thread"}
    for statement in searches:
        bound = statement.params.values() if isinstance(statement.params, dict) else statement.params
        # Lists are the entries' ids and the readable spaces, bound on purpose.
        scalars = {value for value in bound if not isinstance(value, list | tuple)}
        assert not values & scalars, (statement.sql, statement.params)
    # Filters that name what does not match still answer nothing.
    assert await hits(client, "forest", **{**filters, "party": "BOL"}) == []
    assert await hits(client, "forest", **{**filters, "role": "observer"}) == []


@pytest.mark.parametrize("order", ["relevance", "newest"])
@pytest.mark.parametrize("first_slice", [reads.FIRST_SLICE, 3], ids=["one-slice", "slices-of-3"])
async def test_pages_hold_every_hit_once(
    client: httpx.AsyncClient,
    cast: Cast,
    thread: dict,
    order: str,
    first_slice: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On PostgreSQL matches are read in slices of entry ids (3, 6, 12... here): every hit
    # is still found once, in order, across slices and pages.
    monkeypatch.setattr(reads, "FIRST_SLICE", first_slice)
    made = []
    for i in range(23):
        # Different lengths give different scores; some share a score.
        body = "Resilience " + "and adaptation " * (i % 5) + f"note {i}"
        made.append((await make_post(client, cast.focal_point, thread["id"], body))["id"])
    seen: list[dict] = []
    cursor = None
    for _ in range(10):
        params = {"q": "resilience", "limit": "10", "order": order}
        if cursor:
            params["cursor"] = cursor
        resp = await client.get("/api/search", params=params)
        assert resp.status_code == 200, resp.text
        seen.extend(resp.json()["items"])
        cursor = resp.json()["next"]
        if cursor is None:
            break
    assert sorted(h["id"] for h in seen) == sorted(made)
    if order == "newest":
        assert [h["id"] for h in seen] == sorted(made, reverse=True)
    else:
        scores = [h["score"] for h in seen]
        assert scores == sorted(scores, reverse=True)


async def test_snippets_hold_no_markup_but_mark(client: httpx.AsyncClient, cast: Cast, thread: dict) -> None:
    body = '<script>alert("x")</script> <b>bold</b> & <img src=x onerror=alert(1)> a drought plan'
    await make_post(client, cast.focal_point, thread["id"], body)
    [hit] = await hits(client, "drought")
    assert set(re.findall(r"<[^>]*>", hit["snippet"])) == {"<mark>", "</mark>"}
    assert "<mark>drought</mark>" in hit["snippet"]
    [hit] = await hits(client, "script")
    assert "&lt;<mark>script</mark>&gt;" in hit["snippet"]
