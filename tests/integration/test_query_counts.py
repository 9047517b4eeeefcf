"""Query-count guards on the hot paths: what one request, send or batch costs the database.

Each guard counts the statements the app's engines execute (tests/queries.py) and asserts
their exact list, so that a query per row (an N+1) or one more query on a hot path fails
here, and a change that adds or removes one updates the expectation on purpose. The lists
name each statement by its kind and table; `begin`, `commit` and `rollback` are the
transaction's own events. No timing is asserted.

The counts differ by database only where the code does: on PostgreSQL an insert that may
race on a unique key runs inside a savepoint (`forum.lib.db.race_savepoint`), two
statements more; SQLite needs none.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import async_sessionmaker

from forum.cafes import messages
from forum.cafes.messages import MessageDraft, Posted
from forum.settings import Settings
from forum.threads import posting
from forum.threads.posting import PostDraft
from forum.threads.services import PostWritten
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import join, make_post, say, setup
from tests.integration.conftest import viewer_of
from tests.queries import QueryLog, count_app_queries, count_queries, engine_of
from tests.realtime.conftest import Live, live

__all__ = ["live"]  # the live server fixture of the websocket tests, for the socket's guard

# The signed-in viewer of an HTTP request whose token this process has not seen lately
# (forum.spaces.viewers): the token's user, joined with auth_tokens, and the spaces they
# moderate as a subquery in its select list, on the autocommit engine (`reader`). A token
# seen lately is served from the process's memory (forum.spaces.viewer_cache): no
# statement. The guards below count the usual case, a token that has been used before
# (`warm`), and the first request apart.
VIEWER = [
    "select users",
]
# A thread the viewer may read (forum.threads.lookup.get_thread).
THREAD = [
    "select threads",  # joined with its space, for the visibility rules
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A remembered viewer is kept for the whole test, however slow the machine: the guards
    # count statements, not seconds.
    return replace(settings, viewer_cache_seconds=3600.0)


async def warm(client: Any, who: Persona) -> None:
    """Use `who`'s token once, so that this process remembers its viewer."""
    resp = await client.get("/api/me", headers=who.headers)
    assert resp.status_code == 200, resp.text


def race_savepoint(settings: Settings, *inside: str) -> list[str]:
    """What `forum.lib.db.race_savepoint` puts around `inside`: on PostgreSQL a savepoint,
    so a unique-key race can be caught in the transaction; on SQLite nothing."""
    if settings.is_sqlite:
        return list(inside)
    return ["savepoint", *inside, "release savepoint"]


async def posts_in(client: AsyncTestClient, thread_id: int, authors: list[Persona], n: int) -> None:
    for i in range(n):
        await make_post(client, authors[i % len(authors)], thread_id, f"reply {i}")


async def counted(app: Litestar, request: Awaitable[Any], status: int) -> tuple[Any, QueryLog]:
    """The response to an HTTP request, and what the app's engines executed for it."""
    with count_app_queries(app) as queries:
        resp = await request
    assert resp.status_code == status, resp.text
    return resp, queries


# --- posting over HTTP ---------------------------------------------------------------


async def test_a_post_over_http_costs_the_same_statements_in_a_short_or_long_thread(
    client: AsyncTestClient, app: Litestar, cast: Cast, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    short = await make_thread(client, cast.focal_point, "agora")
    long = await make_thread(client, cast.focal_point, "agora")
    await posts_in(client, short["id"], [cast.lcipp, cast.other_observer], 2)  # 3 posts
    await posts_in(client, long["id"], [cast.lcipp, cast.other_observer], 29)  # 30 posts

    await warm(client, cast.observer)
    logs = []
    for thread in (short, long):
        _, queries = await counted(
            app,
            client.post(
                f"/api/threads/{thread['id']}/posts",
                json={"body": "A new point", "client_id": f"new-{thread['id']}"},
                headers=cast.observer.headers,
            ),
            201,
        )
        logs.append(queries)
    # The post goes through the process's post writer (forum.threads.writer), as a socket's
    # send does: alone, a batch of one, in the writer's transaction; the request's own
    # session has nothing to do (its viewer is remembered).
    expected = [
        "begin",
        "select posts",  # an earlier post of this author with this client_id?
        "select threads",  # joined with its space, for the visibility rules (locked on PG)
        # No savepoint on PostgreSQL: the writer owns its transaction and writes the batch
        # again if a client_id races in (forum.threads.writer).
        "update threads",  # post_count + 1, RETURNING it: the post's number
        "insert posts",
        "insert search_entries",  # the search index (on SQLite its triggers fill FTS5)
        "update topic_counters",  # the thread topic's next seq
        "insert events",  # post.created
        # forum.attention: the watchers' notifications, however many (here none), in one
        # INSERT ... SELECT; the author tracks the thread and has read their own post.
        "insert notifications",
        "insert thread_users",
        "commit",
        # The answer's author is the viewer, already at hand: no query.
    ]
    for queries in logs:
        # The writer engine's only: the hub's background readers (a round table's or a
        # café's clock) may run meanwhile on a slow machine.
        assert len(queries.labels("writer")) == 11, str(queries)
        assert queries.labels("writer") == expected, str(queries)


async def test_a_repeated_client_id_over_http_only_finds_the_first_post(
    client: AsyncTestClient, app: Litestar, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    url = f"/api/threads/{thread['id']}/posts"
    body = {"body": "Said once", "client_id": "once"}
    first = await client.post(url, json=body, headers=cast.observer.headers)
    assert first.status_code == 201, first.text

    again, queries = await counted(app, client.post(url, json=body, headers=cast.observer.headers), 200)
    assert again.json()["id"] == first.json()["id"]
    expected = [
        "begin",
        "select posts",  # the stored post with this client_id: the answer
        "commit",
    ]
    assert queries.count() == 3, str(queries)
    assert queries.labels() == expected, str(queries)


# --- reading over HTTP ---------------------------------------------------------------


# A page of a thread's posts (forum.threads.reads.list_posts): the thread's rules, the
# reader's read position and the page in one statement on the autocommit engine (`reader`),
# whose `begin` and `rollback` are SQLAlchemy's events only: no BEGIN or ROLLBACK is sent.
PAGE = ["select threads"]


async def test_a_thread_page_costs_the_same_statements_for_5_or_50_posts_by_20_authors(
    client: AsyncTestClient, app: Litestar, cast: Cast, people: People, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    few = await make_thread(client, cast.focal_point, "agora")
    await posts_in(client, few["id"], [cast.lcipp], 4)
    many = await make_thread(client, cast.focal_point, "agora")
    authors = [await people.make("observer") for _ in range(19)]
    await posts_in(client, many["id"], authors, 49)  # with the opener: 50 posts by 20 authors

    await warm(client, cast.observer)
    for thread, n in ((few, 5), (many, 50)):
        for first_time in (True, False):
            resp, queries = await counted(
                app,
                client.get(f"/api/threads/{thread['id']}/posts?after=0", headers=cast.observer.headers),
                200,
            )
            items = resp.json()["items"]
            assert len(items) == n and len({p["author"]["id"] for p in items}) == (2 if n == 5 else 20)
            assert queries.labels("reader") == PAGE, str(queries)
            # On PostgreSQL a page that moves the signed-in reader's read position upserts
            # it (forum.threads.reading.mark_page_read); the same page read again writes
            # nothing. On SQLite a read never writes.
            moved = first_time and not settings.is_sqlite
            assert queries.labels("writer") == (
                ["begin", "insert thread_users", "commit"] if moved else []
            ), str(queries)
    # Read without signing in, a page costs its one statement.
    resp, queries = await counted(app, client.get(f"/api/threads/{few['id']}/posts?after=0"), 200)
    assert queries.labels() == PAGE, str(queries)
    assert queries.labels("writer") == [], str(queries)


async def test_the_thread_list_costs_the_same_statements_for_3_or_30_threads(
    client: AsyncTestClient, app: Litestar, cast: Cast, people: People
) -> None:
    authors = [await people.make("observer") for _ in range(10)]
    await warm(client, cast.observer)
    logs = []
    for slug, n in (("few", 3), ("many", 30)):
        await make_space(client, cast.admin, slug)
        for i in range(n):
            await make_thread(client, authors[i % len(authors)], slug, title=f"Thread {i}")
        resp, queries = await counted(
            app, client.get(f"/api/spaces/{slug}/threads", headers=cast.observer.headers), 200
        )
        items = resp.json()["items"]
        assert len(items) == n and len({t["author"]["id"] for t in items}) == min(n, 10)
        logs.append(queries)
    expected = [
        "begin",
        "select spaces",  # the space by its slug
        "select threads",  # the page, joined with each thread's author
        "rollback",
    ]
    for queries in logs:
        assert queries.count() == 4, str(queries)
        assert queries.labels() == expected, str(queries)


async def test_a_token_s_viewer_is_read_once_and_again_after_an_account_change(
    client: AsyncTestClient, app: Litestar, cast: Cast, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    page = f"/api/threads/{thread['id']}/posts?after=0"

    _, first = await counted(app, client.get(page, headers=cast.observer.headers), 200)
    # The token's viewer is read in a short session of its own on the autocommit engine
    # (forum.spaces.viewers), before the page.
    assert first.labels("reader") == ["begin", *VIEWER, "rollback", *PAGE], str(first)
    _, again = await counted(app, client.get(page, headers=cast.observer.headers), 200)
    assert again.labels() == PAGE, str(again)

    # A change of the account (here its name) forgets the remembered viewer at once: the
    # next request reads it again, and sees the new name.
    renamed = await client.patch(
        f"/api/users/{cast.observer.id}", json={"display_name": "Renamed"}, headers=cast.observer.headers
    )
    assert renamed.status_code == 200, renamed.text
    me, after = await counted(app, client.get("/api/me", headers=cast.observer.headers), 200)
    assert me.json()["display_name"] == "Renamed"
    assert after.labels("reader")[:3] == ["begin", *VIEWER, "rollback"], str(after)


# --- posting over the socket ---------------------------------------------------------


async def test_a_post_over_the_socket_and_its_repeat(live: Live, cast: Cast, settings: Settings) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread = await make_thread(live.http, cast.focal_point, "agora")
    await posts_in(live.http, thread["id"], [cast.lcipp], 3)
    topic = f"thread:{thread['id']}"
    # Not subscribed: no topic of this socket is read or replayed meanwhile.
    peer = await live.peer(cast.observer)
    await peer.send(op="ping")
    await peer.expect("pong")  # the socket is set up, its viewer loaded
    assert live.app is not None

    with count_app_queries(live.app) as queries:
        await peer.send(op="send", topic=topic, body="Over the socket", client_id="ws-1")
        ack = await peer.expect("ack", client_id="ws-1")  # sent after the commit
    assert ack["seq"] == 5
    # The socket knows its viewer already: no token or user read, unlike HTTP. A post sent
    # alone is a batch of one of the process's post writer (the next test: one or ten).
    expected = [
        "begin",
        "select posts",  # an earlier post of this author with this client_id?
        "select threads",  # joined with its space, for the visibility rules
        "update threads",  # post_count + 1, RETURNING it: the post's number
        "insert posts",
        "insert search_entries",  # the search index
        # The event's author is the viewer's user, handed over: not read again.
        "update topic_counters",
        "insert events",
        "insert notifications",  # forum.attention: the watchers, as over HTTP
        "insert thread_users",
        "commit",
    ]
    assert queries.count() == 11, str(queries)
    assert queries.labels("writer") == expected, str(queries)
    assert queries.labels("reader") == [], str(queries)

    with count_app_queries(live.app) as queries:
        await peer.send(op="send", topic=topic, body="Over the socket", client_id="ws-1")
        again = await peer.expect("ack", client_id="ws-1")
    assert again["seq"] == ack["seq"]
    assert queries.count() == 6, str(queries)
    # The stored post, in the writer's transaction; then the seq of its event for the ack.
    assert queries.labels("writer") == ["begin", "select posts", "commit"], str(queries)
    assert queries.labels("reader") == ["begin", "select events", "rollback"], str(queries)


async def test_a_batch_of_socket_posts_reads_and_stores_once_for_one_post_or_ten(
    client: AsyncTestClient, cast: Cast, people: People, writer: async_sessionmaker, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    threads = [(await make_thread(client, cast.focal_point, "agora"))["id"] for _ in range(3)]
    authors = [await people.make("observer") for _ in range(10)]
    viewers = [await viewer_of(writer, who) for who in authors]

    async def batch(drafts: list[PostDraft]) -> QueryLog:
        with count_queries(engine_of(writer)) as queries:
            async with writer() as session, session.begin():
                results = await posting.create_posts(session, drafts, own_transaction=True)
        assert all(isinstance(r, PostWritten) and r.created for r in results), results
        return queries

    one = await batch([PostDraft(viewers[0], threads[0], "Alone", "one-0")])
    drafts = [PostDraft(v, threads[i % 3], f"Together {i}", f"ten-{i}") for i, v in enumerate(viewers)]
    ten = await batch(drafts)

    stored = [
        "update threads",  # every thread's counters, in one statement
        "insert posts",  # every post, in one statement
        "insert search_entries",  # every post's terms, in one statement
        "update topic_counters",  # every thread topic's seq, in one statement
        "insert events",  # every post.created, in one statement
    ]
    # forum.attention's fan-out runs once per batch: every post's watchers' notifications
    # (one INSERT ... SELECT ... UNION ALL, however many posts and watchers) and every
    # author's read position (one upsert).
    per_batch = ["insert notifications", "insert thread_users"]

    # One post or ten: the same statements.
    expected = [
        "begin",
        "select posts",  # earlier posts with these client_ids
        "select threads",  # the threads with their spaces (locked on PostgreSQL)
        # The writer's own transaction: no savepoint (a raced client_id writes it again).
        *stored,
        *per_batch,
        "commit",
    ]

    assert one.labels() == expected, str(one)
    assert ten.labels() == expected, str(ten)
    assert one.count() == 11, str(one)
    assert ten.count() == one.count(), str(ten)

    # The same ten again: answered from what is stored, by the one read, with no write.
    with count_queries(engine_of(writer)) as queries:
        async with writer() as session, session.begin():
            results = await posting.create_posts(session, drafts)
    assert all(isinstance(r, PostWritten) and not r.created for r in results), results
    assert queries.labels() == ["begin", "select posts", "commit"], str(queries)


async def test_a_batch_of_a_new_size_runs_only_statements_compiled_before(
    client: AsyncTestClient, cast: Cast, people: People, writer: async_sessionmaker
) -> None:
    """The writer's statements are built for padded sizes (forum.lib.shapes): once batches
    of 1, 2, 4 and 8 posts have run, batches of 3, 5, 6 and 7 compile nothing. Built for
    each size, every new size compiled its statements anew, a hundred-term INSERT ...
    SELECT for the watchers included, on the event loop's thread."""
    await make_space(client, cast.admin, "agora")
    threads = [(await make_thread(client, cast.focal_point, "agora"))["id"] for _ in range(8)]
    authors = [await people.make("observer") for _ in range(8)]
    viewers = [await viewer_of(writer, who) for who in authors]
    sent = 0

    async def batch(size: int) -> None:
        nonlocal sent
        drafts = []
        for i in range(size):  # each in a thread of its own: every statement sees `size` threads
            sent += 1
            drafts.append(PostDraft(viewers[i], threads[i], f"Post {sent}", f"sized-{sent}"))
        async with writer() as session, session.begin():
            results = await posting.create_posts(session, drafts, own_transaction=True)
        assert all(isinstance(r, PostWritten) and r.created for r in results), results

    for size in (1, 2, 4, 8):
        await batch(size)
    compiled: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if context is not None and context.cache_hit == CacheStats.CACHE_MISS:
            compiled.append(statement)

    sync_engine = engine_of(writer).sync_engine
    event.listen(sync_engine, "after_cursor_execute", note)
    try:
        for size in (3, 5, 6, 7):
            await batch(size)
    finally:
        event.remove(sync_engine, "after_cursor_execute", note)
    assert compiled == [], "\n\n".join(compiled)


# --- table messages written together ---------------------------------------------------


async def test_a_table_batch_reads_and_counts_once_for_one_draft_or_ten(
    client: AsyncTestClient, cast: Cast, people: People, writer: async_sessionmaker, settings: Settings
) -> None:
    cafe, _ = await setup(client, cast, people, tables=3)
    seated = [await people.make("observer") for _ in range(10)]
    tables = [await join(client, cafe["id"], who) for who in seated]
    assert len(set(tables)) == 3
    # Every table's topic has its counter row already (a topic's first event makes it).
    for table in sorted(set(tables)):
        who = seated[tables.index(table)]
        assert (await say(client, table, who, "Opening the table")).status_code == 201
    viewers = [await viewer_of(writer, who) for who in seated]

    async def batch(drafts: list[MessageDraft]) -> QueryLog:
        with count_queries(engine_of(writer)) as queries:
            async with writer() as session, session.begin():
                results = await messages.post_messages(session, drafts, own_transaction=True)
        assert all(isinstance(r, Posted) for r in results), results
        return queries

    one = await batch([MessageDraft(viewers[0], tables[0], "Alone", "one-0")])
    drafts = [
        MessageDraft(v, t, f"Together {i}", f"ten-{i}")
        for i, (v, t) in enumerate(zip(viewers, tables, strict=True))
    ]
    ten = await batch(drafts)

    expected = [
        "begin",
        "select cafe_tables",  # the tables with their cafés and spaces
        "select cafe_seats",  # the writers' seats
        "select table_messages",  # earlier sends with these client_ids
        # The table writer's own transaction: no savepoint (a raced client_id writes the
        # batch again, forum.lib.db.write_in_own_transaction).
        "update cafe_tables",  # every table's message_count, in one statement
        "insert table_messages",  # every message, in one statement
        "insert search_entries",  # every message's terms, in one statement
        "update topic_counters",  # every table topic's seq, in one statement
        "insert events",  # every event, in one statement
        "commit",
    ]
    # One draft or ten, the same statements on both databases: the inserts' ids are matched
    # to their rows by a unique key, so SQLite too gets one multi-row INSERT (asking for them
    # in the order given made SQLAlchemy send SQLite one INSERT per row).
    assert one.labels() == expected, str(one)
    assert ten.labels() == expected, str(ten)
    assert one.count() == ten.count() == 10, str(ten)
    assert one.count() - one.count("insert") == ten.count() - ten.count("insert")

    # The same ten again: answered from what is stored, with one more read and no write.
    again = await batch(drafts)
    assert again.labels() == [
        "begin",
        "select cafe_tables",
        "select cafe_seats",
        "select table_messages",  # which client_ids were sent before
        "select table_messages",  # those messages, for the answers
        "commit",
    ], str(again)
