"""`forum generate`'s data read back through the API: it behaves as data written through it.

A small dataset is generated into the test's database; then the figures the service keeps
beside the posts (post counts, restricted counts, the event log's per-topic counters, the
thread's latest activity) are checked against the rows, and the API's pages (a thread's
posts, a space's threads, the moderation queue, the audit log) are read to the end and
compared with what the rows say each reader may see. Finally a new post in a generated
thread gets the next number and the next seq, as in a thread the service wrote.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.demo.generate import GenerateRefused, generate, thread_sizes
from forum.threads.models import QueueEntry
from forum.threads.queue import computed_entries
from tests.conftest import Cast

POSTS = 4000
THREADS = 40
SEED = 11


async def _rows(db: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await db.execute(text(sql), params)).all())


async def _scalar(db: AsyncSession, sql: str, **params: Any) -> Any:
    return (await db.execute(text(sql), params)).scalar()


async def _read_all(client: httpx.AsyncClient, url: str, headers: dict[str, str], *, by: str) -> list[dict]:
    """Every item of a paged list, following `next` (as a cursor or as `after`)."""
    items: list[dict] = []
    nxt: str | None = None
    while True:
        params = {"limit": "100"}
        if nxt is not None:
            params[by] = nxt
        resp = await client.get(url, params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        items += page["items"]
        nxt = page["next"]
        if nxt is None:
            return items


def _entry(row: Any) -> tuple[int, int, str, datetime]:
    since = datetime.fromisoformat(row[3]) if isinstance(row[3], str) else row[3].replace(tzinfo=None)
    return (row[0], row[1], row[2], since)


@pytest.fixture
async def generated(database_url: str, cast: Cast) -> str:
    summary = await generate(database_url, posts=POSTS, threads=THREADS, spaces=8, users=80, seed=SEED)
    assert summary.posts == POSTS and summary.threads == THREADS
    return database_url


def test_thread_sizes_are_skewed_and_sum_up() -> None:
    import random

    sizes = thread_sizes(random.Random(1), 1_000_000, 10_000)
    assert sum(sizes) == 1_000_000 and min(sizes) >= 1
    assert sum(1 for s in sizes if s >= 5000) >= 3  # a few very long threads
    assert sum(1 for s in sizes if s <= 20) >= 2000  # many short ones


async def test_the_kept_figures_agree_with_the_rows(generated: str, db: AsyncSession) -> None:
    wrong = await _rows(
        db,
        "SELECT t.id FROM threads t WHERE t.post_count != (SELECT count(*) FROM posts p WHERE p.thread_id = t.id)"
        " OR t.post_count != (SELECT max(number) FROM posts p WHERE p.thread_id = t.id)"
        " OR t.restricted_count != (SELECT count(*) FROM posts p WHERE p.thread_id = t.id"
        "   AND p.status IN ('pending', 'hidden'))"
        " OR t.last_post_at < (SELECT max(created_at) FROM posts p WHERE p.thread_id = t.id"
        "   AND p.status IN ('published', 'deleted'))",
    )
    assert wrong == []
    # Each topic's events are numbered 1..n without a gap, and its counter is n.
    topics = await _rows(
        db,
        "SELECT e.topic, count(*), min(e.seq), max(e.seq), c.seq FROM events e"
        " JOIN topic_counters c ON c.topic = e.topic GROUP BY e.topic, c.seq",
    )
    assert len(topics) == THREADS + 1  # the threads and `moderation`
    for topic, count, low, high, counter in topics:
        assert (count, low, high) == (counter, 1, counter), topic
    assert await _scalar(db, "SELECT count(*) FROM topic_counters") == THREADS + 1
    # Every post has its post.created event; a pending one waits in the moderation topic.
    assert await _scalar(db, "SELECT count(*) FROM events WHERE type = 'post.created'") == POSTS
    pending = await _scalar(db, "SELECT count(*) FROM posts WHERE status = 'pending'")
    assert pending > 0, "the fixture's seed should leave posts waiting"
    assert await _scalar(
        db, "SELECT count(*) FROM posts p WHERE p.status = 'pending' AND p.thread_id IN"
        " (SELECT t.id FROM threads t JOIN spaces s ON s.id = t.space_id WHERE s.moderation != 'pre')"
    ) == 0  # fmt: skip
    # What waits for a moderator is in queue_entries, as the service would have left it.
    held = (
        await db.execute(select(QueueEntry.post_id, QueueEntry.space_id, QueueEntry.kind, QueueEntry.since))
    ).all()
    truth = (await db.execute(computed_entries())).all()
    assert len(held) >= pending
    assert {_entry(row) for row in held} == {_entry(row) for row in truth}
    # Edited posts keep their earlier text; deleted posts keep none.
    assert await _scalar(db, "SELECT count(*) FROM posts WHERE edited_at IS NOT NULL") == await _scalar(
        db, "SELECT count(DISTINCT post_id) FROM post_revisions"
    )
    assert await _scalar(db, "SELECT count(*) FROM posts WHERE status = 'deleted' AND body != ''") == 0
    # Audit entries are numbered in time order.
    stamps = [row[0] for row in await _rows(db, "SELECT at FROM audit_log ORDER BY id")]
    assert stamps == sorted(stamps) and len(stamps) > 0


async def test_what_waits_is_in_queue_entries(database_url: str, db: AsyncSession) -> None:
    # Bigger than the fixture's forum, and a seed that leaves both kinds waiting.
    await generate(database_url, posts=20_000, threads=40, spaces=8, users=80, seed=3)
    held = (
        await db.execute(select(QueueEntry.post_id, QueueEntry.space_id, QueueEntry.kind, QueueEntry.since))
    ).all()
    truth = (await db.execute(computed_entries())).all()
    assert {row[2] for row in held} == {"pending", "flagged"}
    assert sorted(_entry(row) for row in held) == sorted(_entry(row) for row in truth)


async def test_the_api_reads_what_the_rows_say(
    generated: str, db: AsyncSession, client: httpx.AsyncClient, cast: Cast
) -> None:
    # The longest thread, read to the end: anyone sees the public posts, a moderator all.
    tid, slug, count, restricted = (
        await _rows(
            db,
            "SELECT t.id, s.slug, t.post_count, t.restricted_count FROM threads t"
            " JOIN spaces s ON s.id = t.space_id WHERE s.visibility = 'public'"
            " ORDER BY t.post_count DESC LIMIT 1",
        )
    )[0]
    anyone = await _read_all(client, f"/api/threads/{tid}/posts", {}, by="after")
    assert len(anyone) == count - restricted
    assert [p["number"] for p in anyone] == sorted(p["number"] for p in anyone)
    everything = await _read_all(client, f"/api/threads/{tid}/posts", cast.admin.headers, by="after")
    assert [p["number"] for p in everything] == list(range(1, count + 1))
    thread = (await client.get(f"/api/threads/{tid}")).json()
    assert thread["post_count"] == count - restricted

    # Every space's threads, paged: all of them, each once, in the list's order, with the figures.
    for space_id, space_slug in await _rows(
        db, "SELECT id, slug FROM spaces WHERE slug LIKE :p", p=f"gen{SEED}-%"
    ):
        listed = await _read_all(client, f"/api/spaces/{space_slug}/threads", cast.admin.headers, by="cursor")
        stored = {
            row[0]: row[1]
            for row in await _rows(db, "SELECT id, post_count FROM threads WHERE space_id = :s", s=space_id)
        }
        assert {t["id"]: t["post_count"] for t in listed} == stored
        keys = [(t["pinned"], t["last_post_at"], t["id"]) for t in listed]
        assert keys == sorted(keys, reverse=True)

    # The queue: every pending post and every post with an open flag, oldest first.
    queue = await _read_all(client, "/api/moderation/queue", cast.admin.headers, by="cursor")
    waiting = {
        row[0]
        for row in await _rows(
            db,
            "SELECT id FROM posts WHERE status = 'pending' UNION"
            " SELECT f.post_id FROM flags f JOIN posts p ON p.id = f.post_id"
            " WHERE f.resolved_at IS NULL AND p.status != 'deleted'",
        )
    }
    assert waiting and {item["post"]["id"] for item in queue} == waiting
    assert len(queue) == len(waiting)
    assert [item["since"] for item in queue] == sorted(item["since"] for item in queue)

    # The audit log, newest first, whole.
    log = await _read_all(client, "/api/moderation/log", cast.admin.headers, by="cursor")
    assert len(log) == await _scalar(db, "SELECT count(*) FROM audit_log")
    assert [e["id"] for e in log] == sorted((e["id"] for e in log), reverse=True)

    # A new post in the generated thread takes the next number and the next seq.
    seq_before = await _scalar(db, "SELECT seq FROM topic_counters WHERE topic = :t", t=f"thread:{tid}")
    resp = await client.post(
        f"/api/threads/{tid}/posts",
        json={"body": "A new post after the generated ones."},
        headers=cast.lcipp.headers,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["number"] == count + 1
    assert (
        await _scalar(db, "SELECT seq FROM topic_counters WHERE topic = :t", t=f"thread:{tid}")
        == seq_before + 1
    )
    created = await _rows(
        db, "SELECT type, seq FROM events WHERE topic = :t ORDER BY seq DESC LIMIT 1", t=f"thread:{tid}"
    )
    assert created == [("post.created", seq_before + 1)]
    # ... and the next post id, past every generated one.
    assert resp.json()["id"] == await _scalar(db, "SELECT max(id) FROM posts")
    del slug


async def test_the_same_seed_twice_is_refused(generated: str) -> None:
    with pytest.raises(GenerateRefused):
        await generate(generated, posts=10, threads=1, seed=SEED)
