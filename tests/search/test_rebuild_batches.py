"""The batched rebuild (`forum.search.rebuild.rebuild`, what `forum search reindex` runs) on
the demo: tiny batches give the answers the writes gave, a rebuild run twice or stopped
midway leaves every text with exactly one entry, and entries whose text is gone are
removed; the forum writes while it runs, and what it wrote is found by its latest text.
On SQLite the FTS5 table follows the entries row for row (its delete trigger).
SQLite by default, PostgreSQL when FORUM_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.demo.loader import load_demo
from forum.lib.db import create_engine, make_sessionmaker
from forum.search.rebuild import Walk, count_texts, rebuild
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.search.test_reindex import QUERIES


class Stop(Exception):
    """Raised by a test's progress callback to stop the rebuild after some batches."""


async def _load_demo(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await load_demo(session)
    finally:
        await engine.dispose()


async def _answers(client: AsyncTestClient) -> dict[str, list[tuple[str, int]]]:
    found = {}
    for q in QUERIES:
        resp = await client.get("/api/search", params={"q": q, "limit": 100})
        assert resp.status_code == 200, resp.text
        found[q] = sorted((hit["kind"], hit["id"]) for hit in resp.json()["items"])
    return found


async def _texts(db: AsyncSession) -> set[tuple[str, int]]:
    """Every text the sources hold, as (kind, ref id)."""
    connection = await db.connection()
    texts = await connection.run_sync(lambda sync: Walk().take(sync, 10**9))
    assert len(texts) == await connection.run_sync(count_texts)
    return {(found.kind, found.ref_id) for found in texts}


async def _entries(db: AsyncSession) -> list[tuple[str, int]]:
    """Every entry of the index, as (kind, ref id), duplicates kept."""
    rows = await db.execute(text("SELECT kind, ref_id FROM search_entries"))
    return [(kind, ref_id) for kind, ref_id in rows]


async def _assert_one_entry_per_text(db: AsyncSession) -> None:
    entries = await _entries(db)
    assert len(entries) == len(set(entries)), "a text has two entries"
    assert set(entries) == await _texts(db)
    if db.get_bind().dialect.name == "sqlite":
        # The FTS5 table holds one row per entry: no terms of a deleted entry left behind.
        fts_rows = (await db.execute(text("SELECT count(*) FROM search_fts"))).scalar_one()
        assert fts_rows == len(entries)


async def test_tiny_batches_give_the_answers_of_the_writes(
    settings: Settings, client: AsyncTestClient, db: AsyncSession
) -> None:
    await _load_demo(settings)
    written = await _answers(client)
    assert all(written.values()), written
    batches: list[int] = []
    count = await rebuild(settings, batch_size=7, workers=0, progress=lambda done, _: batches.append(done))
    assert count == len(await _texts(db))
    assert len(batches) == -(-count // 7)
    assert await _answers(client) == written
    await _assert_one_entry_per_text(db)


async def test_a_second_rebuild_leaves_one_entry_per_text(
    settings: Settings, client: AsyncTestClient, db: AsyncSession
) -> None:
    await _load_demo(settings)
    written = await _answers(client)
    await rebuild(settings, batch_size=50, workers=0)
    first = (await db.execute(text("SELECT count(*) FROM search_entries"))).scalar_one()
    # The second one in worker processes, as the command runs it.
    await rebuild(settings, batch_size=50, workers=2)
    assert (await db.execute(text("SELECT count(*) FROM search_entries"))).scalar_one() == first
    await _assert_one_entry_per_text(db)
    assert await _answers(client) == written


@pytest.mark.parametrize("stop_after", [1, 3])
async def test_a_rebuild_stopped_midway_leaves_every_text_found_once(
    settings: Settings, client: AsyncTestClient, db: AsyncSession, stop_after: int
) -> None:
    await _load_demo(settings)
    written = await _answers(client)
    before = {row[0]: row[1] for row in await db.execute(text("SELECT id, ref_id FROM search_entries"))}

    def progress(done: int, total: int) -> None:
        if done >= stop_after * 5:
            raise Stop

    with pytest.raises(Stop):
        await rebuild(settings, batch_size=5, workers=0, progress=progress)
    ids = {row[0] for row in await db.execute(text("SELECT id FROM search_entries"))}
    # Some entries are new (the batches written), the others untouched.
    assert len(ids - before.keys()) == stop_after * 5
    await _assert_one_entry_per_text(db)
    assert await _answers(client) == written
    # Run again, it finishes.
    await rebuild(settings, batch_size=5, workers=0)
    await _assert_one_entry_per_text(db)
    assert await _answers(client) == written


async def test_entries_of_texts_that_are_gone_are_removed(
    settings: Settings, client: AsyncTestClient, db: AsyncSession
) -> None:
    await _load_demo(settings)
    written = await _answers(client)
    post_id = (await db.execute(text("SELECT min(id) FROM posts"))).scalar_one()
    # A post deleted without its entry removed (a damaged index), and entries of texts that
    # never existed: a post, and a kind no source has.
    await db.execute(text("UPDATE posts SET status = 'deleted' WHERE id = :id"), {"id": post_id})
    for kind, ref_id in (("post", 10**9), ("note", 1)):
        await db.execute(
            text(
                "INSERT INTO search_entries (kind, ref_id, author_id, created_at, document)"
                " SELECT :kind, :ref_id, author_id, created_at, document FROM search_entries"
                " WHERE kind = 'post' AND ref_id = :post"
            ),
            {"kind": kind, "ref_id": ref_id, "post": post_id},
        )
    entries = await _entries(db)
    assert ("post", 10**9) in entries and ("post", post_id) in entries
    await rebuild(settings, batch_size=20, workers=0)
    entries = await _entries(db)
    assert ("post", post_id) not in entries
    assert ("post", 10**9) not in entries and ("note", 1) not in entries
    await _assert_one_entry_per_text(db)
    answers = await _answers(client)
    assert answers == {q: [hit for hit in hits if hit != ("post", post_id)] for q, hits in written.items()}


def _word(n: int) -> str:
    """A word found in no other text (letters only: digits would be a term of their own)."""
    return "zq" + "".join(chr(ord("a") + int(digit)) for digit in str(n)) + "x"


async def _found(client: AsyncTestClient, word: str) -> list[tuple[str, int]]:
    resp = await client.get("/api/search", params={"q": word, "kind": "posts", "limit": 100})
    assert resp.status_code == 200, resp.text
    return [(hit["kind"], hit["id"]) for hit in resp.json()["items"]]


async def test_writes_during_the_rebuild_are_found_with_their_latest_text(
    settings: Settings, client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await _load_demo(settings)
    await make_space(client, cast.admin, "online")
    thread = await make_thread(client, cast.observer, "online", "Written meanwhile", _word(0))
    posts: dict[int, str] = {}  # post id: its latest word
    gone: list[str] = []  # words no text holds any more
    for n in range(1, 7):
        resp = await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": _word(n)}, headers=cast.observer.headers
        )
        assert resp.status_code == 201, resp.text
        posts[resp.json()["id"]] = _word(n)
    first = list(posts)

    async def write(n: int) -> None:
        """The n-th write: a new post, an edit or a deletion of one of the first posts."""
        if n % 3 == 0:
            resp = await client.post(
                f"/api/threads/{thread['id']}/posts",
                json={"body": _word(200 + n)},
                headers=cast.observer.headers,
            )
            assert resp.status_code == 201, resp.text
            posts[resp.json()["id"]] = _word(200 + n)
        elif n % 3 == 1:
            post_id = first[n // 3]
            resp = await client.patch(
                f"/api/posts/{post_id}", json={"body": _word(100 + n)}, headers=cast.observer.headers
            )
            assert resp.status_code == 200, resp.text
            gone.append(posts[post_id])
            posts[post_id] = _word(100 + n)
        elif n // 3 + 3 < len(first):
            post_id = first[n // 3 + 3]
            resp = await client.delete(f"/api/posts/{post_id}", headers=cast.observer.headers)
            assert resp.status_code == 204, resp.text
            gone.append(posts.pop(post_id))

    # After each batch, a write starts, and runs beside the batches that follow.
    writes: list[asyncio.Task[None]] = []
    batches: list[int] = []

    def progress(done: int, _total: int) -> None:
        batches.append(done)
        if len(writes) < 9:
            writes.append(asyncio.get_running_loop().create_task(write(len(writes))))

    await rebuild(settings, batch_size=1, workers=0, progress=progress)
    assert len(batches) > len(writes) == 9
    await asyncio.gather(*writes)
    for post_id, word in posts.items():
        assert await _found(client, word) == [("post", post_id)], word
    for word in gone:
        assert await _found(client, word) == [], word
    await _assert_one_entry_per_text(db)
