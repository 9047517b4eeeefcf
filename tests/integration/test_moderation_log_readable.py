"""The audit log as the page reads it: what each entry's target is called and where it is
(only where the reader moderates its space), filters by date, the queue's count and its
spaces' names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import assert_problem, make_post
from tests.queries import count_app_queries


async def log(client: AsyncTestClient, headers: dict, query: str = "") -> list[dict]:
    resp = await client.get(f"/api/moderation/log{query}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_entries_name_their_target_for_moderators_of_its_space(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    await make_space(client, cast.admin, "other", moderation="post")
    space_mod = await people.make("focal_point", name="Ana")
    await client.put(
        "/api/spaces/workshop/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    thread = await make_thread(client, cast.lcipp, "workshop", title="Workshop SBSTA 63")
    waiting = await make_post(client, cast.observer, thread["id"], "buy now")
    resp = await client.post(
        f"/api/posts/{waiting['id']}/reject", json={"reason": "spam"}, headers=space_mod.headers
    )
    assert resp.status_code == 200, resp.text
    other = await make_thread(client, cast.lcipp, "other", title="Elsewhere")
    resp = await client.patch(
        f"/api/threads/{other['id']}", json={"pinned": True}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    silenced = await client.post(
        f"/api/users/{cast.observer.id}/silence",
        json={"reason": "cool off", "duration_seconds": 60},
        headers=space_mod.headers,
    )
    assert silenced.status_code == 200, silenced.text

    mine = await log(client, space_mod.headers)
    reject = next(e for e in mine if e["action"] == "post.reject")
    assert reject["target"] == {
        "type": "post",
        "id": waiting["id"],
        "title": "Workshop SBSTA 63",
        "thread_id": thread["id"],
        "number": waiting["number"],
        "space": "workshop",
    }
    assert reject["space"] == "workshop" and reject["space_title"] == "Workshop"
    assert reject["actor"]["display_name"] == "Ana"
    # A user is named to every moderator, with their page's handle.
    silence = next(e for e in mine if e["action"] == "user.silence")
    assert silence["target"]["title"] == cast.observer.name
    assert silence["target"]["handle"]
    # The space moderator does not read the other space's entries at all.
    assert not any(e["action"] == "thread.pin" for e in mine)

    everything = await log(client, cast.moderator.headers)
    pin = next(e for e in everything if e["action"] == "thread.pin")
    assert pin["target"]["title"] == "Elsewhere" and pin["target"]["thread_id"] == other["id"]

    # The thread moves to a space Ana does not moderate: her own entry keeps its id and
    # loses the title and the place.
    resp = await client.patch(
        f"/api/threads/{thread['id']}", json={"space": "other"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    reject = next(e for e in await log(client, space_mod.headers) if e["action"] == "post.reject")
    assert reject["target"] == {"type": "post", "id": waiting["id"]}


async def test_since_and_until_bound_the_entries(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "sa")
    await make_space(client, cast.admin, "sb")
    old = datetime(2025, 11, 11, 10, 0, tzinfo=UTC)
    await db.execute(update(AuditEntry).where(AuditEntry.target_type == "space").values(at=old))
    await db.commit()
    await make_space(client, cast.admin, "sc")
    now = datetime.now(UTC)
    recent = await log(
        client, cast.admin.headers, f"?since={(now - timedelta(hours=1)).isoformat()}".replace("+", "%2B")
    )
    assert [e["action"] for e in recent] == ["space.create"]
    assert len(await log(client, cast.admin.headers, "?until=2025-11-11T10:00:00Z")) == 2
    assert (
        len(await log(client, cast.admin.headers, "?since=2025-11-11T00:00:00&until=2025-11-12T00:00:00"))
        == 2
    )
    assert await log(client, cast.admin.headers, "?until=2025-11-11T09:59:59Z") == []
    # Paged with a filter: the cursor keeps it.
    resp = await client.get(
        "/api/moderation/log?until=2025-11-12T00:00:00Z&limit=1", headers=cast.admin.headers
    )
    page = resp.json()
    assert len(page["items"]) == 1 and page["next"]
    resp = await client.get(
        f"/api/moderation/log?until=2025-11-12T00:00:00Z&limit=1&cursor={page['next']}",
        headers=cast.admin.headers,
    )
    assert len(resp.json()["items"]) == 1 and resp.json()["next"] is None


async def test_bad_dates_are_problems(client: AsyncTestClient, cast: Cast) -> None:
    for query, name in [
        ("?since=yesterday", "since"),
        ("?until=2025-13-01", "until"),
        ("?since=1999-12-31T00:00:00Z", "since"),
        ("?until=2999-01-01T00:00:00Z", "until"),
        ("?since=2025-11-12T00:00:00Z&until=2025-11-11T00:00:00Z", "until"),
    ]:
        resp = await client.get(f"/api/moderation/log{query}", headers=cast.admin.headers)
        body = assert_problem(resp, 400)
        assert body["code"] == "bad_request"
        assert name in resp.text, (query, body)


async def test_queue_count_and_space_names(client: AsyncTestClient, cast: Cast, people: People) -> None:
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    await make_space(client, cast.admin, "other", moderation="pre")
    space_mod = await people.make("focal_point")
    await client.put(
        "/api/spaces/workshop/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    here = await make_thread(client, cast.lcipp, "workshop")
    there = await make_thread(client, cast.lcipp, "other")
    p1 = await make_post(client, cast.observer, here["id"], "one")
    await make_post(client, cast.observer, there["id"], "two")
    published = await make_post(client, cast.lcipp, here["id"], "three")
    resp = await client.post(
        f"/api/posts/{published['id']}/flags", json={"reason": "spam"}, headers=cast.observer.headers
    )
    assert resp.status_code == 201, resp.text

    async def count(headers: dict) -> dict:
        resp = await client.get("/api/moderation/queue/count", headers=headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    assert await count(space_mod.headers) == {"moderates": True, "count": 2, "pending": 1, "flagged": 1}
    assert await count(cast.moderator.headers) == {"moderates": True, "count": 3, "pending": 2, "flagged": 1}
    assert await count(cast.observer.headers) == {"moderates": False, "count": 0, "pending": 0, "flagged": 0}
    assert_problem(await client.get("/api/moderation/queue/count"), 401)
    await client.post(f"/api/posts/{p1['id']}/approve", headers=space_mod.headers)
    assert (await count(space_mod.headers))["count"] == 1

    items = (await client.get("/api/moderation/queue", headers=cast.moderator.headers)).json()["items"]
    assert {i["space"]: i["space_title"] for i in items} == {"workshop": "Workshop", "other": "Other"}


async def test_a_rejected_post_reads_as_rejected_to_its_author(client: AsyncTestClient, cast: Cast) -> None:
    """The status stays `hidden` (the contract's); `rejected` tells a refusal from a hiding."""
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    thread = await make_thread(client, cast.lcipp, "workshop")
    refused = await make_post(client, cast.observer, thread["id"], "refused")
    later_hidden = await make_post(client, cast.lcipp, thread["id"], "hidden later")
    resp = await client.post(
        f"/api/posts/{refused['id']}/reject", json={"reason": "off topic"}, headers=cast.moderator.headers
    )
    assert resp.json()["status"] == "hidden" and resp.json()["rejected"] is True
    resp = await client.post(
        f"/api/posts/{later_hidden['id']}/hide", json={"reason": "tidy"}, headers=cast.moderator.headers
    )
    assert resp.json()["status"] == "hidden" and resp.json()["rejected"] is False
    page = (await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.observer.headers)).json()
    mine = next(p for p in page["items"] if p["id"] == refused["id"])
    assert mine["rejected"] is True and mine["moderation_reason"] == "off topic"
    # Published again, it is no longer a rejected post.
    resp = await client.post(f"/api/posts/{refused['id']}/unhide", headers=cast.moderator.headers)
    assert resp.json()["status"] == "published" and resp.json()["rejected"] is False


async def test_a_log_page_names_its_targets_in_one_query_per_kind(
    client: AsyncTestClient, app: Litestar, cast: Cast
) -> None:
    """5 or 50 entries about posts, threads and users: the same statements (no query per entry)."""
    await make_space(client, cast.admin, "agora")
    await client.get("/api/me", headers=cast.moderator.headers)  # the viewer remembered
    logs = []
    for n in (5, 50):
        thread = await make_thread(client, cast.lcipp, "agora", title=f"Thread of {n}")
        for i in range(n // 5):
            post = await make_post(client, cast.observer, thread["id"], f"reply {i}")
            await client.post(
                f"/api/posts/{post['id']}/hide", json={"reason": "r"}, headers=cast.moderator.headers
            )
            await client.post(f"/api/posts/{post['id']}/unhide", headers=cast.moderator.headers)
            await client.patch(
                f"/api/threads/{thread['id']}", json={"pinned": i % 2 == 0}, headers=cast.moderator.headers
            )
            await client.post(
                f"/api/users/{cast.observer.id}/silence",
                json={"reason": "r", "duration_seconds": 60},
                headers=cast.moderator.headers,
            )
            await client.delete(f"/api/users/{cast.observer.id}/silence", headers=cast.moderator.headers)
        with count_app_queries(app) as queries:
            resp = await client.get(f"/api/moderation/log?limit={n}", headers=cast.moderator.headers)
        assert resp.status_code == 200 and len(resp.json()["items"]) == n, resp.text
        assert {e["target"]["type"] for e in resp.json()["items"]} == {"post", "thread", "user"}
        logs.append(queries.labels())
    print("log page statements:", logs[0])
    assert logs[0] == logs[1], logs
    # The page (with actors and spaces), then posts, threads, users, and the spaces' slugs.
    assert logs[0].count("select audit_log") == 1, logs[0]
    assert len(logs[0]) <= 8, logs[0]
