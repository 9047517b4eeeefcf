"""Thread posts written together: `posting.create_posts` and the process's `PostWriter`.

Several drafts in one call follow exactly the rules of one post over HTTP
(`services.create_post`); they share the reads, one counter update for the threads, one
insert for the posts and one for their events, and every draft gets its own result or
error, in order.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.models import User
from forum.lib.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, RateLimited
from forum.settings import Settings
from forum.threads import posting, queue
from forum.threads.models import Post, Thread
from forum.threads.posting import PostDraft, PostWritten
from forum.threads.writer import PostWriter
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import assert_gap_free, events, fetch, make_post, until_a_transaction_waits
from tests.integration.conftest import RecordingPublisher, viewer_of
from tests.queries import count_app_queries
from tests.realtime.conftest import Live, live

__all__ = ["live"]  # the live server fixture of the websocket tests, for HTTP over real sockets


async def thread_row(db: AsyncSession, thread_id: int) -> Thread:
    return (await fetch(db, select(Thread).where(Thread.id == thread_id)))[0]


async def test_one_call_answers_every_draft_in_order_by_the_rules_of_one_post(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, writer: async_sessionmaker
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    await make_space(client, cast.admin, "lcipp", visibility="restricted", allowed_roles=["lcipp"])
    here = (await make_thread(client, cast.focal_point, "agora"))["id"]
    there = (await make_thread(client, cast.focal_point, "agora"))["id"]
    locked = (await make_thread(client, cast.focal_point, "agora"))["id"]
    slow = (await make_thread(client, cast.focal_point, "agora"))["id"]
    waiting = (await make_thread(client, cast.focal_point, "workshop"))["id"]
    hidden = (await make_thread(client, cast.lcipp, "lcipp"))["id"]
    for thread_id, change in ((locked, {"locked": True}), (slow, {"slow_mode_seconds": 600})):
        resp = await client.patch(f"/api/threads/{thread_id}", json=change, headers=cast.admin.headers)
        assert resp.status_code == 200, resp.text
    stored = await make_post(client, cast.observer, here, "said before", client_id="old")
    opener_there = (await client.get(f"/api/threads/{there}/posts?after=0")).json()["items"][0]
    opener_here = (await client.get(f"/api/threads/{here}/posts?after=0")).json()["items"][0]
    silenced = await people.make("observer")
    user = (await fetch(db, select(User).where(User.id == silenced.id)))[0]
    user.silenced_until = datetime.now(UTC) + timedelta(hours=1)
    await db.commit()
    before_waiting = await thread_row(db, waiting)

    observer = await viewer_of(writer, cast.observer)
    second = await viewer_of(writer, cast.other_observer)
    moderator = await viewer_of(writer, cast.moderator)
    quiet = await viewer_of(writer, silenced)
    drafts = [
        PostDraft(observer, here, "one", "a-1"),
        PostDraft(second, there, "over there", "b-1"),
        PostDraft(observer, here, "one again", "a-1"),  # a repeat within the call
        PostDraft(observer, there, "elsewhere", "a-1"),  # that client_id in another thread
        PostDraft(observer, here, "said before, again", "old"),  # a repeat of a stored one
        PostDraft(observer, there, "elsewhere too", "old"),  # that client_id in another thread
        PostDraft(observer, locked, "too late", "a-2"),  # locked: 403
        PostDraft(moderator, locked, "a moderator may", "m-1"),
        PostDraft(quiet, here, "hello?", "s-1"),  # silenced: 403
        PostDraft(observer, 999_999, "nowhere", "a-3"),  # no such thread
        PostDraft(observer, hidden, "not for me", "a-4"),  # a space the observer may not see
        PostDraft(observer, here, "answering", "a-5", reply_to=opener_there["id"]),  # another thread's post
        PostDraft(observer, here, "nul \x00 inside", "a-6"),
        PostDraft(observer, waiting, "waits for a moderator", "a-7"),  # pre-moderated: pending
        PostDraft(observer, slow, "first in slow mode", "a-8"),
        PostDraft(observer, slow, "second in slow mode", "a-9"),  # the first one was just now
        PostDraft(observer, here, "two", None, reply_to=opener_here["id"]),
    ]
    async with writer() as session, session.begin():
        results = await posting.create_posts(session, drafts)
    assert len(results) == len(drafts)
    (
        one,
        over,
        again,
        clash,
        before,
        clash_stored,
        refused_locked,
        by_moderator,
        refused_silenced,
        nowhere,
        invisible,
        bad_reply,
        nul,
        pending,
        slow_first,
        slow_second,
        two,
    ) = results
    assert isinstance(one, PostWritten) and one.created and one.post.body == "one"
    assert isinstance(over, PostWritten) and over.created and over.post.thread_id == there
    assert isinstance(again, PostWritten) and not again.created and again.post.id == one.post.id
    assert again.seq is None
    assert isinstance(clash, Conflict) and clash.field == "client_id"
    assert isinstance(before, PostWritten) and not before.created and before.post.id == stored["id"]
    assert before.post.body == "said before"
    assert isinstance(clash_stored, Conflict) and clash_stored.field == "client_id"
    assert isinstance(refused_locked, Forbidden) and "locked" in str(refused_locked)
    assert isinstance(by_moderator, PostWritten) and by_moderator.created
    assert isinstance(refused_silenced, Forbidden) and "silenced" in str(refused_silenced)
    assert isinstance(nowhere, NotFound)
    assert isinstance(invisible, NotFound)
    assert isinstance(bad_reply, Invalid) and bad_reply.field == "reply_to"
    assert isinstance(nul, BadRequest) and nul.field == "body"
    assert isinstance(pending, PostWritten) and pending.created and pending.post.status == "pending"
    assert isinstance(slow_first, PostWritten) and slow_first.created
    assert isinstance(slow_second, RateLimited) and slow_second.retry_after
    assert isinstance(two, PostWritten) and two.created and two.post.reply_to == opener_here["id"]
    assert "<p>two</p>" in two.post.html

    # Numbers and seqs follow the drafts' order, with no gap and nothing for the refused.
    assert [one.post.number, two.post.number] == [3, 4]
    assert over.post.number == 2
    here_events = await events(db, f"thread:{here}")
    assert_gap_free(here_events)
    created = [e for e in here_events if e.type == "post.created"]
    assert [e.data["body"] for e in created] == ["First", "said before", "one", "two"]
    assert [one.seq, two.seq] == [created[2].seq, created[3].seq]
    rows = await fetch(db, select(Post).where(Post.thread_id == here).order_by(Post.number))
    assert [p.body for p in rows] == ["First", "said before", "one", "two"]
    assert (await thread_row(db, here)).post_count == 4

    # The pending post: counted as restricted, the thread's activity unmoved, its event a
    # stub to others, and the moderation queue's item as the queue reads it back.
    after_waiting = await thread_row(db, waiting)
    assert (after_waiting.post_count, after_waiting.restricted_count) == (2, 1)
    assert after_waiting.last_post_at == before_waiting.last_post_at
    (announced,) = [e for e in await events(db, f"thread:{waiting}") if e.seq == pending.seq]
    assert announced.restricted and announced.owner_id == cast.observer.id
    assert announced.public_type == "post.hidden" and "body" not in (announced.public_data or {})
    items = [e for e in await events(db, "moderation") if e.type == "moderation.item"]
    assert [e.data["post"]["id"] for e in items] == [pending.post.id]
    async with writer() as session:
        (read_back,) = await queue.queue_items(session, post_id=pending.post.id)
    assert items[0].data == msgspec.to_builtins(read_back)
    assert items[0].restricted and items[0].public_type == queue.ELSEWHERE


async def test_the_writer_puts_concurrent_posts_in_shared_transactions(
    client: AsyncTestClient,
    cast: Cast,
    db: AsyncSession,
    writer: async_sessionmaker,
    publisher: RecordingPublisher,
) -> None:
    await make_space(client, cast.admin, "agora")
    first = (await make_thread(client, cast.focal_point, "agora"))["id"]
    second = (await make_thread(client, cast.focal_point, "agora"))["id"]
    viewers = [await viewer_of(writer, who) for who in (cast.observer, cast.other_observer, cast.lcipp)]
    posts = PostWriter(writer)
    try:
        sends = [
            posts.post(who, (first, second)[i % 2], f"{n} {i}", f"{n}-{i}")
            for i in range(20)
            for n, who in enumerate(viewers)
        ]
        results = await asyncio.gather(*sends)
    finally:
        await posts.stop()
    assert all(r.created for r in results)
    # Sixty posts submitted together did not take sixty transactions.
    assert 1 <= publisher.commits < 60
    assert len(publisher.published) == 60
    # Each thread numbered its posts in the order they were submitted, after its opener.
    for thread_id in (first, second):
        mine = [r for r in results if r.post.thread_id == thread_id]
        assert [r.post.number for r in mine] == list(range(2, 32))
        assert [r.seq for r in mine] == list(range(2, 32))
        stored = await events(db, f"thread:{thread_id}")
        assert_gap_free(stored)
        by_seq = {e.seq: e for e in stored}
        assert [by_seq[r.seq].data["id"] for r in mine] == [r.post.id for r in mine]


async def test_a_batch_that_fails_as_a_whole_is_written_again_one_post_at_a_time(
    client: AsyncTestClient,
    cast: Cast,
    db: AsyncSession,
    writer: async_sessionmaker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_space(client, cast.admin, "agora")
    thread_id = (await make_thread(client, cast.focal_point, "agora"))["id"]
    observer = await viewer_of(writer, cast.observer)
    posts = PostWriter(writer)
    # An id no column holds fails the batch's read of the threads in the driver (the socket
    # never lets one through: forum.realtime.topics.parse bounds it); the posts beside it
    # are stored all the same, each alone.
    caplog.set_level(logging.ERROR, logger="forum")
    try:
        results = await asyncio.gather(
            posts.post(observer, thread_id, "before", "r-1"),
            posts.post(observer, 2**70, "unstorable", "r-2"),
            posts.post(observer, thread_id, "after", "r-3"),
            return_exceptions=True,
        )
    finally:
        await posts.stop()
    before, broken, after = results
    assert isinstance(before, PostWritten) and before.created
    assert isinstance(broken, Exception) and not isinstance(broken, PostWritten)
    assert isinstance(after, PostWritten) and after.created
    assert "writing them one at a time" in caplog.text
    assert [before.post.number, after.post.number] == [2, 3]
    stored = await events(db, f"thread:{thread_id}")
    assert_gap_free(stored)
    assert [e.data["body"] for e in stored] == ["First", "before", "after"]


async def test_a_post_refused_inside_a_batch_leaves_the_others_written(
    client: AsyncTestClient,
    cast: Cast,
    db: AsyncSession,
    writer: async_sessionmaker,
    publisher: RecordingPublisher,
) -> None:
    await make_space(client, cast.admin, "agora")
    open_thread = (await make_thread(client, cast.focal_point, "agora"))["id"]
    locked = (await make_thread(client, cast.focal_point, "agora"))["id"]
    resp = await client.patch(f"/api/threads/{locked}", json={"locked": True}, headers=cast.admin.headers)
    assert resp.status_code == 200, resp.text
    observer = await viewer_of(writer, cast.observer)
    second = await viewer_of(writer, cast.other_observer)
    moderator = await viewer_of(writer, cast.moderator)
    posts = PostWriter(writer)
    try:
        # Submitted before the writer's task runs: one batch, one transaction.
        results = await asyncio.gather(
            posts.post(observer, open_thread, "before", "k-1"),
            posts.post(observer, locked, "refused: locked", "k-2"),
            posts.post(second, open_thread, "after", "k-3"),
            posts.post(moderator, locked, "a moderator may", "k-4"),
            return_exceptions=True,
        )
    finally:
        await posts.stop()
    before, refused, after, by_moderator = results
    assert publisher.commits == 1
    assert isinstance(refused, Forbidden) and "locked" in str(refused)
    assert isinstance(before, PostWritten) and before.created
    assert isinstance(after, PostWritten) and after.created
    assert isinstance(by_moderator, PostWritten) and by_moderator.created
    assert [before.post.number, after.post.number] == [2, 3]
    assert by_moderator.post.number == 2
    for thread_id, bodies in (
        (open_thread, ["First", "before", "after"]),
        (locked, ["First", "a moderator may"]),
    ):
        stored = await events(db, f"thread:{thread_id}")
        assert_gap_free(stored)
        assert [e.data["body"] for e in stored if e.type == "post.created"] == bodies
        assert (await thread_row(db, thread_id)).post_count == len(bodies)


@pytest.mark.parametrize("where", ["same thread", "another thread"])
async def test_a_client_id_that_races_in_from_another_transaction_answers_as_a_repeat(
    client: AsyncTestClient,
    cast: Cast,
    db: AsyncSession,
    writer: async_sessionmaker,
    settings: Settings,
    where: str,
) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite's writers hold the write lock from their first statement: no race")
    await make_space(client, cast.admin, "agora")
    thread_id = (await make_thread(client, cast.focal_point, "agora"))["id"]
    other_id = (await make_thread(client, cast.focal_point, "agora"))["id"]
    first_in = thread_id if where == "same thread" else other_id
    observer = await viewer_of(writer, cast.observer)
    posts = PostWriter(writer)
    try:
        # Another transaction (another process's writer) stores the client_id first...
        async with writer() as elsewhere, elsewhere.begin():
            (first,) = await posting.create_posts(
                elsewhere, [PostDraft(observer, first_in, "first", "raced")]
            )
            assert isinstance(first, PostWritten) and first.created
            # ...while this writer's batch, which read no earlier post with it, waits on
            # that transaction (for the thread's row, or for the client_id's unique key).
            racing = asyncio.create_task(posts.post(observer, thread_id, "second", "raced"))
            await until_a_transaction_waits(db)
            assert not racing.done()
        if where == "same thread":
            result = await racing
            assert not result.created and result.post.id == first.post.id
        else:
            with pytest.raises(Conflict, match="another thread"):
                await racing
    finally:
        await posts.stop()
    # Stored once; the thread the second send named is as it was, or holds only the first.
    assert len(await fetch(db, select(Post).where(Post.client_id == "raced"))) == 1
    for tid in (thread_id, other_id):
        stored = await events(db, f"thread:{tid}")
        assert_gap_free(stored)
        bodies = [e.data["body"] for e in stored if e.type == "post.created"]
        assert bodies == (["First", "first"] if tid == first_in else ["First"])
        assert (await thread_row(db, tid)).post_count == len(bodies)


# --- HTTP posts through the process's writer (real server, real sockets) --------------


async def test_concurrent_http_posts_to_one_thread_get_consecutive_numbers_and_read_back_at_once(
    live: Live, cast: Cast
) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread_id = (await make_thread(live.http, cast.focal_point, "agora"))["id"]
    authors = [cast.observer, cast.other_observer, cast.lcipp, cast.moderator]
    for who in authors:  # each token seen once, so the posts below wait on nothing else
        assert (await live.http.get("/api/me", headers=who.headers)).status_code == 200
    url = f"/api/threads/{thread_id}/posts"
    sent = 24

    async def post_and_read(i: int) -> dict:
        who = authors[i % len(authors)]
        resp = await live.http.post(
            url, json={"body": f"post {i}", "client_id": f"c-{i}"}, headers=who.headers
        )
        assert resp.status_code == 201, resp.text
        post = resp.json()
        # The 201 came after the commit: the post reads back at once, by anyone.
        got = await live.http.get(f"/api/posts/{post['id']}")
        assert got.status_code == 200, got.text
        assert got.json()["body"] == f"post {i}" and got.json()["number"] == post["number"]
        return post

    assert live.app is not None
    with count_app_queries(live.app) as queries:
        posts = await asyncio.gather(*(post_and_read(i) for i in range(sent)))
    assert sorted(p["number"] for p in posts) == list(range(2, 2 + sent))
    assert len({p["id"] for p in posts}) == sent
    # They shared the writer's transactions: fewer commits than posts.
    assert 1 <= queries.labels("writer").count("commit") < sent, str(queries)
    page = (await live.http.get(f"{url}?after=0&limit=100")).json()["items"]
    assert [p["number"] for p in page] == list(range(1, 2 + sent))

    # A repeated client_id answers 200 with the stored post, through the writer too.
    again = await live.http.post(url, json={"body": "post 0", "client_id": "c-0"}, headers=authors[0].headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == next(p["id"] for p in posts if p["body"] == "post 0")


async def test_an_http_post_refused_beside_others_is_its_own_problem(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "agora")
    open_thread = (await make_thread(live.http, cast.focal_point, "agora"))["id"]
    locked = (await make_thread(live.http, cast.focal_point, "agora"))["id"]
    resp = await live.http.patch(f"/api/threads/{locked}", json={"locked": True}, headers=cast.admin.headers)
    assert resp.status_code == 200, resp.text

    async def post(who: Persona, thread_id: int, body: str) -> httpx.Response:
        return await live.http.post(
            f"/api/threads/{thread_id}/posts", json={"body": body}, headers=who.headers
        )

    answers = await asyncio.gather(
        *(post(cast.other_observer, open_thread, f"open {i}") for i in range(6)),
        post(cast.observer, locked, "refused"),
        post(cast.moderator, locked, "a moderator may"),
        post(cast.observer, 999_999, "nowhere"),
    )
    *opens, refused, by_moderator, nowhere = answers
    assert [r.status_code for r in opens] == [201] * 6, [r.text for r in opens]
    assert sorted(r.json()["number"] for r in opens) == list(range(2, 8))
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "forbidden"
    assert by_moderator.status_code == 201 and by_moderator.json()["number"] == 2, by_moderator.text
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found", nowhere.text
