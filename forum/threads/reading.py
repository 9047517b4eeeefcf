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

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.threads.models import Post, PostStatus, SpaceWatch, Thread, ThreadUser, WatchLevel

LEVELS = tuple(level.value for level in WatchLevel)
# Levels under which unread posts are counted in GET /api/me/unread.
COUNTED_LEVELS = (WatchLevel.tracking.value, WatchLevel.watching.value)


# The row an upsert proposed, as ON CONFLICT ... DO UPDATE names it. Made once rather than
# through `insert(...).excluded`, which copies the table, every column, on each call: those
# copies are reference cycles, left for the garbage collector on every post written.
_EXCLUDED = ThreadUser.__table__.alias("excluded")


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


async def mark_read(session: AsyncSession, user_id: int, thread_id: int, number: int) -> None:
    """The user has read the thread up to post `number`: one upsert, never moving back."""
    ins = _insert(session)(ThreadUser).values(user_id=user_id, thread_id=thread_id, last_read_number=number)
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["user_id", "thread_id"],
            set_={
                "last_read_number": case(
                    (
                        _EXCLUDED.c.last_read_number > ThreadUser.last_read_number,
                        _EXCLUDED.c.last_read_number,
                    ),
                    else_=ThreadUser.last_read_number,
                )
            },
        )
    )


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


# SQLite allows 500 terms in a compound SELECT: a batch's rows go in chunks well below.
COMPOUND_TERMS = 200


async def track_many(session: AsyncSession, items: Iterable[tuple[Thread, Iterable[int], int]]) -> None:
    """`track` for several (thread, users, read_up_to) at once, as for a batch of posts: one
    statement (per COMPOUND_TERMS groups). A user named twice for a thread keeps the
    highest read_up_to (an upsert may touch a row once)."""
    best: dict[tuple[int, int], int] = {}
    threads: dict[int, Thread] = {}
    for thread, user_ids, read_up_to in items:
        threads[thread.id] = thread
        for user_id in user_ids:
            key = (thread.id, user_id)
            best[key] = max(best.get(key, read_up_to), read_up_to)
    groups: dict[tuple[int, int], list[int]] = {}
    for (thread_id, user_id), read_up_to in sorted(best.items()):
        groups.setdefault((thread_id, read_up_to), []).append(user_id)
    parts = [_track_rows(threads[thread_id], ids, up_to) for (thread_id, up_to), ids in groups.items()]
    for at in range(0, len(parts), COMPOUND_TERMS):
        chunk = parts[at : at + COMPOUND_TERMS]
        ins = _insert(session)(ThreadUser).from_select(
            ["user_id", "thread_id", "level", "last_read_number"],
            chunk[0] if len(chunk) == 1 else union_all(*chunk),
        )
        await session.execute(
            ins.on_conflict_do_update(
                index_elements=["user_id", "thread_id"],
                set_={
                    "level": func.coalesce(ThreadUser.level, _EXCLUDED.c.level),
                    "last_read_number": case(
                        (
                            _EXCLUDED.c.last_read_number > ThreadUser.last_read_number,
                            _EXCLUDED.c.last_read_number,
                        ),
                        else_=ThreadUser.last_read_number,
                    ),
                },
            )
        )


def _track_rows(thread: Thread, ids: list[int], read_up_to: int) -> Select:
    """The rows `track` upserts for these users of one thread."""
    watches_space = exists().where(
        SpaceWatch.user_id == User.id,
        SpaceWatch.space_id == thread.space_id,
        SpaceWatch.level.in_([WatchLevel.watching.value, WatchLevel.muted.value]),
    )
    return select(
        User.id,
        literal(thread.id),
        case((watches_space, None), else_=literal(WatchLevel.tracking.value)),
        literal(read_up_to),
    ).where(User.id.in_(ids))


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
            Post.status == PostStatus.published.value,
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
