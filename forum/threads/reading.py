"""Who follows a thread and how far they read: watching levels, read positions, unread.

A user's level for a thread is their own (`ThreadUser.level`), else their level for its
space (`SpaceWatch`), else `normal`: `effective_level`. Posting in a thread, or being
mentioned in it, makes it `tracking` unless the user chose a level for it (or watches
its space). The read position is the highest post number read, only ever moved forward:
by `POST /api/threads/{id}/read`, and by reading a page of the thread (`mark_read`, one
upsert). Unread posts are the published posts of others past that position: a pending
or hidden post never counts, whoever reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import BigInteger, ColumnElement, Integer, and_, bindparam, case, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.viewer import Viewer
from forum.threads.models import Post, PostStatus, SpaceWatch, Thread, ThreadUser, WatchLevel
from forum.threads.policy import status_literal

LEVELS = tuple(level.value for level in WatchLevel)
# Levels under which unread posts are counted in GET /api/me/unread.
COUNTED_LEVELS = (WatchLevel.tracking.value, WatchLevel.watching.value)


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def effective_level(user_id: ColumnElement[int], thread_id: ColumnElement[int], space_id: ColumnElement[int]):  # type: ignore[no-untyped-def]
    """A user's level for a thread, as a SQL expression on the given columns."""
    own = (
        select(ThreadUser.level)
        .where(ThreadUser.user_id == user_id, ThreadUser.thread_id == thread_id)
        .scalar_subquery()
    )
    spaces = (
        select(SpaceWatch.level)
        .where(SpaceWatch.user_id == user_id, SpaceWatch.space_id == space_id)
        .scalar_subquery()
    )
    return func.coalesce(own, spaces, literal(WatchLevel.normal.value))


# Compiled once, as `_TRACK` below and for the same reason (an ON CONFLICT construct is
# compiled on every use); the same text on both databases.
_MARK_READ = text(
    "INSERT INTO thread_users (user_id, thread_id, last_read_number) VALUES (:user_id, :thread_id, :number)"
    " ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_number ="
    " CASE WHEN excluded.last_read_number > thread_users.last_read_number"
    " THEN excluded.last_read_number ELSE thread_users.last_read_number END"
).bindparams(
    bindparam("user_id", type_=BigInteger),
    bindparam("thread_id", type_=BigInteger),
    bindparam("number", type_=Integer),
)


async def mark_read(session: AsyncSession, user_id: int, thread_id: int, number: int) -> None:
    """The user has read the thread up to post `number`: one upsert, never moving back."""
    await session.execute(_MARK_READ, {"user_id": user_id, "thread_id": thread_id, "number": number})


async def mark_page_read(
    sessions: async_sessionmaker[AsyncSession], user_id: int, thread_id: int, number: int
) -> None:
    """After a GET of a thread's posts that moved the reader's position, on PostgreSQL: one
    upsert in a short transaction of its own (the page itself is read without one).

    On SQLite nothing: a write there takes the database's one write lock, and a read must
    never queue behind the writer (tests/integration/test_sqlite_reads.py). The client
    reports how far it read with `POST /api/threads/{id}/read` instead, as the web client
    does when the end of the thread is on screen.
    """
    if sessions.kw["bind"].dialect.name == "sqlite":
        return
    async with sessions() as session:
        await mark_read(session, user_id, thread_id, number)
        await session.commit()


async def track(
    session: AsyncSession, thread: Thread, user_ids: Iterable[int], *, read_up_to: int = 0
) -> None:
    """Posting or being mentioned: these users track the thread, unless they chose a level
    for it or watch or mute its space; `read_up_to` moves their read position (an author has read
    their own post). One statement for all of them."""
    await track_many(session, [(thread, user_ids, read_up_to)])


# `track_many` as one text statement per dialect, its rows in one JSON parameter
# (`[{"u": user, "t": thread, "s": its space, "n": read_up_to}, ...]`): the dialects' INSERT
# ... ON CONFLICT constructs are never cached by SQLAlchemy (their `inherit_cache` is off),
# so built from Core they were compiled again on every post written, a sixth of the
# server's time under a busy thread. A text statement is compiled once, whatever the size
# of the batch. The rows are joined to `users` so that an id of nobody writes nothing; a
# user who watches or mutes the space gets no level of their own (their space's applies).
# On SQLite the SELECT needs a WHERE before ON CONFLICT (the parser would read a join's ON).
_TRACK_LEVEL = (
    "CASE WHEN EXISTS (SELECT 1 FROM space_watches w WHERE w.user_id = u.id AND w.space_id = {space}"
    " AND w.level IN ('watching', 'muted')) THEN NULL ELSE 'tracking' END"
)
_TRACK_CONFLICT = (
    " ON CONFLICT (user_id, thread_id) DO UPDATE SET level = COALESCE(thread_users.level, excluded.level),"
    " last_read_number = CASE WHEN excluded.last_read_number > thread_users.last_read_number"
    " THEN excluded.last_read_number ELSE thread_users.last_read_number END"
)
_TRACK = {
    "sqlite": text(
        "INSERT INTO thread_users (user_id, thread_id, level, last_read_number)"
        " SELECT u.id, json_extract(r.value, '$.t'), "
        + _TRACK_LEVEL.format(space="json_extract(r.value, '$.s')")
        + ", json_extract(r.value, '$.n')"
        " FROM json_each(:rows) AS r JOIN users u ON u.id = json_extract(r.value, '$.u') WHERE true"
        + _TRACK_CONFLICT
    ),
    "postgresql": text(
        "INSERT INTO thread_users (user_id, thread_id, level, last_read_number)"
        " SELECT u.id, r.t, " + _TRACK_LEVEL.format(space="r.s") + ", r.n"
        " FROM jsonb_to_recordset(CAST(:rows AS JSONB)) AS r(u BIGINT, t BIGINT, s BIGINT, n INTEGER)"
        " JOIN users u ON u.id = r.u" + _TRACK_CONFLICT
    ),
}


async def track_many(session: AsyncSession, items: Iterable[tuple[Thread, Iterable[int], int]]) -> None:
    """`track` for several (thread, users, read_up_to) at once, as for a batch of posts: one
    statement. A user named twice for a thread keeps the highest read_up_to (an upsert may
    touch a row once)."""
    best: dict[tuple[int, int], int] = {}
    spaces: dict[int, int] = {}
    for thread, user_ids, read_up_to in items:
        spaces[thread.id] = thread.space_id
        for user_id in user_ids:
            key = (thread.id, user_id)
            best[key] = max(best.get(key, read_up_to), read_up_to)
    if not best:
        return
    rows = [
        {"u": user_id, "t": thread_id, "s": spaces[thread_id], "n": read_up_to}
        for (thread_id, user_id), read_up_to in sorted(best.items())
    ]
    await session.execute(_TRACK[session.bind.dialect.name], {"rows": json.dumps(rows)})


async def set_thread_level(session: AsyncSession, user_id: int, thread_id: int, level: str) -> None:
    ins = _insert(session)(ThreadUser).values(user_id=user_id, thread_id=thread_id, level=level)
    await session.execute(
        ins.on_conflict_do_update(index_elements=["user_id", "thread_id"], set_={"level": level})
    )


async def set_space_level(session: AsyncSession, user_id: int, space_id: int, level: str) -> None:
    ins = _insert(session)(SpaceWatch).values(user_id=user_id, space_id=space_id, level=level)
    await session.execute(
        ins.on_conflict_do_update(index_elements=["user_id", "space_id"], set_={"level": level})
    )


def unread_posts(viewer_id: int, last_read: ColumnElement[int]):  # type: ignore[no-untyped-def]
    """How many published posts of others on `Thread`'s row lie past `last_read`."""
    return (
        select(func.count(Post.id))
        .where(
            Post.thread_id == Thread.id,
            Post.number > last_read,
            Post.status == status_literal(PostStatus.published.value),
            Post.author_id != viewer_id,
        )
        .correlate(Thread, ThreadUser)
        .scalar_subquery()
    )


def unread_column(viewer: Viewer):  # type: ignore[no-untyped-def]
    """For a thread list: the viewer's unread posts of each thread they have read or follow
    (None for the others, and for everyone signed out). Needs `with_reader` on the query."""
    if viewer.id is None:
        return literal(None).label("unread")
    return case(
        (
            and_(ThreadUser.id.is_not(None), func.coalesce(ThreadUser.level, "") != WatchLevel.muted.value),
            unread_posts(viewer.id, ThreadUser.last_read_number),
        ),
        else_=None,
    ).label("unread")


def with_reader(query, viewer: Viewer):  # type: ignore[no-untyped-def]
    """`query` (on `Thread`) joined to the viewer's own row of each thread, if any."""
    if viewer.id is None:
        return query
    return query.outerjoin(
        ThreadUser, and_(ThreadUser.thread_id == Thread.id, ThreadUser.user_id == viewer.id)
    )
