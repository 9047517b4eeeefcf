"""What notifying costs, in statements: the same for 3 watchers or 30, for 1 mention or 10,
and an inbox page or the unread figures cost the same however long the inbox is."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.models import User
from forum.attention.models import Notification
from forum.settings import Settings
from forum.streams.models import Event
from forum.threads import posting
from forum.threads.posting import PostDraft, PostWritten
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import count, make_post
from tests.integration.conftest import viewer_of
from tests.queries import QueryLog, count_app_queries, count_queries, engine_of


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Every request reads its viewer (no viewer remembered by the process,
    # forum.spaces.viewer_cache), so that two requests compared here cost alike whichever
    # token was used before.
    return replace(settings, viewer_cache_seconds=0)


async def post_counted(
    app: Litestar, client: AsyncTestClient, who: Persona, thread_id: int, body: str
) -> QueryLog:
    with count_app_queries(app) as queries:
        resp = await client.post(f"/api/threads/{thread_id}/posts", json={"body": body}, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return queries


async def test_a_post_costs_the_same_statements_for_3_or_30_watchers_and_1_or_10_mentions(
    client: AsyncTestClient, app: Litestar, db: AsyncSession, cast: Cast, people: People, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    logs = []
    for n in (3, 30):
        thread = await make_thread(client, cast.focal_point, "agora", title=f"{n} watchers")
        crowd = [await people.make("observer") for _ in range(n)]
        for who in crowd:
            resp = await client.put(
                f"/api/threads/{thread['id']}/watch", json={"level": "watching"}, headers=who.headers
            )
            assert resp.status_code == 200
        before = await count(db, Notification)
        logs.append(await post_counted(app, client, cast.lcipp, thread["id"], "news for the watchers"))
        assert await count(db, Notification) - before == n
        # Mentions of a third of them (a mention wins over watching: one notification each).
        handles = (
            await db.scalars(select(User.handle).where(User.id.in_([p.id for p in crowd[: n // 3]])))
        ).all()
        before = await count(db, Notification)
        body = " ".join(f"@{h}" for h in handles)
        logs.append(await post_counted(app, client, cast.lcipp, thread["id"], body))
        assert await count(db, Notification) - before == n
    assert logs[0].labels() == logs[2].labels(), f"{logs[0]}\n{logs[2]}"
    assert logs[1].labels() == logs[3].labels(), f"{logs[1]}\n{logs[3]}"
    assert logs[1].labels().count("insert notifications") == 2  # the mentioned, then the other watchers
    # Opening 30 inboxes at once makes their counters in one statement too.
    assert logs[2].labels().count("insert topic_counters") <= 1, str(logs[2])


async def test_the_inbox_and_the_unread_figures_cost_the_same_for_2_or_40_notifications(
    client: AsyncTestClient, app: Litestar, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    handle = await db.scalar(select(User.handle).where(User.id == cast.observer.id))
    costs = []
    for n in (2, 40):
        thread = await make_thread(client, cast.lcipp, "agora", title=f"{n} mentions")
        for i in range(n):
            await make_post(client, cast.lcipp, thread["id"], f"@{handle} point {i}")
        with count_app_queries(app) as inbox:
            resp = await client.get("/api/notifications?limit=50", headers=cast.observer.headers)
        assert resp.status_code == 200
        with count_app_queries(app) as unread:
            resp = await client.get("/api/me/unread", headers=cast.observer.headers)
        assert resp.status_code == 200
        costs.append((inbox.count(), unread.count()))
    assert costs[0] == costs[1], costs


async def test_a_batch_telling_each_watcher_of_1_post_or_10_costs_the_same_statements(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, people: People, writer: async_sessionmaker
) -> None:
    """A batch of posts (forum.threads.writer) tells each watcher of every post: ten
    events on one inbox are numbered by the same one counter upsert and written by the
    same one insert as one event (streams.append_to_each), where they cost a bump built
    for the batch's inboxes and an ORM object per event."""
    await make_space(client, cast.admin, "agora")
    thread = (await make_thread(client, cast.focal_point, "agora"))["id"]
    crowd = [await people.make("observer") for _ in range(5)]
    for who in crowd:
        resp = await client.put("/api/spaces/agora/watch", json={"level": "watching"}, headers=who.headers)
        assert resp.status_code == 200, resp.text
    author = await viewer_of(writer, cast.lcipp)

    async def batch(size: int, tag: str) -> QueryLog:
        drafts = [PostDraft(author, thread, f"{tag} {i}", f"{tag}-{i}") for i in range(size)]
        with count_queries(engine_of(writer)) as queries:
            async with writer() as session, session.begin():
                results = await posting.create_posts(session, drafts, own_transaction=True)
        assert all(isinstance(r, PostWritten) and r.created for r in results), results
        return queries

    one = await batch(1, "one")
    ten = await batch(10, "ten")
    assert ten.labels() == one.labels(), f"one post:\n{one}\n\nten posts:\n{ten}"
    # Each watcher's inbox: eleven events, numbered 1 to 11 in the order of its notifications.
    for who in crowd:
        rows = (
            await db.execute(
                select(Event.seq, Event.data).where(Event.topic == f"inbox:{who.id}").order_by(Event.seq)
            )
        ).all()
        assert [seq for seq, _ in rows] == list(range(1, 12))
        told = [data["id"] for _, data in rows]
        assert told == sorted(told)
        kinds = (await db.scalars(select(Notification.kind).where(Notification.id.in_(told)))).all()
        assert kinds == ["watched_post"] * 11
