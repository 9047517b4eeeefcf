"""Watching levels as users set and read them, and their unread posts (GET /api/me/unread).

The rules of levels and read positions are forum.threads.reading's; this module checks
that the caller may read what they follow, and builds the answers.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.attention import inbox
from forum.attention.schemas import (
    LevelOut,
    SpaceUnreadOut,
    ThreadUnreadOut,
    UnreadOut,
    WatchingOut,
    WatchOut,
)
from forum.spaces import services as spaces
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space
from forum.threads import reading
from forum.threads.lookup import get_thread
from forum.threads.models import Post, PostStatus, SpaceWatch, Thread, ThreadUser, WatchLevel
from forum.threads.policy import can_see_thread, status_literal

# Threads listed by GET /api/me/unread at most (the counts cover every thread).
UNREAD_THREADS_MAX = 50


async def thread_level(session: AsyncSession, viewer: Viewer, thread_id: int) -> LevelOut:
    user = viewer.require_user()
    found = await get_thread(session, viewer, thread_id)
    level = await session.scalar(
        select(reading.effective_level(user.id, found.thread.id, found.space.id))  # type: ignore[arg-type]
    )
    return LevelOut(level=level or WatchLevel.normal.value)  # type: ignore[arg-type]


async def set_thread_level(session: AsyncSession, viewer: Viewer, thread_id: int, level: str) -> LevelOut:
    user = viewer.require_user()
    found = await get_thread(session, viewer, thread_id)
    await reading.set_thread_level(session, user.id, found.thread.id, level)
    return LevelOut(level=level)  # type: ignore[arg-type]


async def space_level(session: AsyncSession, viewer: Viewer, slug: str) -> LevelOut:
    user = viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    level = await session.scalar(
        select(SpaceWatch.level).where(SpaceWatch.user_id == user.id, SpaceWatch.space_id == space.id)
    )
    return LevelOut(level=level or WatchLevel.normal.value)  # type: ignore[arg-type]


async def set_space_level(session: AsyncSession, viewer: Viewer, slug: str, level: str) -> LevelOut:
    user = viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    await reading.set_space_level(session, user.id, space.id, level)
    return LevelOut(level=level)  # type: ignore[arg-type]


async def mark_read(session: AsyncSession, viewer: Viewer, thread_id: int, number: int) -> None:
    """POST /api/threads/{id}/read: read up to `number` (at most the thread's last post)."""
    user = viewer.require_user()
    found = await get_thread(session, viewer, thread_id)
    await reading.mark_read(session, user.id, found.thread.id, min(number, found.thread.post_count))


async def watching(session: AsyncSession, viewer: Viewer) -> WatchingOut:
    """Every level the user chose, for spaces and threads they may still read."""
    user = viewer.require_user()
    items: list[WatchOut] = []
    for watch, space in (
        await session.execute(
            select(SpaceWatch, Space)
            .join(Space, Space.id == SpaceWatch.space_id)
            .where(SpaceWatch.user_id == user.id)
            .order_by(Space.title)
        )
    ).all():
        if can_see_space(viewer, space):
            items.append(WatchOut("space", space.slug, None, space.title, watch.level))  # type: ignore[arg-type]
    for row, thread, space in (
        await session.execute(
            select(ThreadUser, Thread, Space)
            .join(Thread, Thread.id == ThreadUser.thread_id)
            .join(Space, Space.id == Thread.space_id)
            .where(ThreadUser.user_id == user.id, ThreadUser.level.is_not(None))
            .order_by(Thread.last_post_at.desc())
            .limit(200)
        )
    ).all():
        if can_see_space(viewer, space) and can_see_thread(viewer, thread):
            items.append(WatchOut("thread", space.slug, thread.id, thread.title, row.level))  # type: ignore[arg-type]
    return WatchingOut(items=items)


async def unread(session: AsyncSession, viewer: Viewer) -> UnreadOut:
    """Unread posts of the threads the user tracks or watches, per thread and per space,
    and their unread notifications: the figures of the page's badges."""
    user = viewer.require_user()
    level = func.coalesce(ThreadUser.level, SpaceWatch.level, WatchLevel.normal.value)
    rows = (
        await session.execute(
            select(Thread, Space, func.count(Post.id))
            .join(ThreadUser, and_(ThreadUser.thread_id == Thread.id, ThreadUser.user_id == user.id))
            .join(Space, Space.id == Thread.space_id)
            .outerjoin(SpaceWatch, and_(SpaceWatch.space_id == Space.id, SpaceWatch.user_id == user.id))
            .join(
                Post,
                and_(
                    Post.thread_id == Thread.id,
                    Post.number > ThreadUser.last_read_number,
                    Post.status == status_literal(PostStatus.published.value),
                    Post.author_id != user.id,
                ),
            )
            .where(level.in_(reading.COUNTED_LEVELS))
            .group_by(Thread.id, Space.id)
            .order_by(Thread.last_post_at.desc())
        )
    ).all()
    per_space: dict[str, SpaceUnreadOut] = {}
    threads: list[ThreadUnreadOut] = []
    total = 0
    for thread, space, count in rows:
        if not can_see_space(viewer, space) or not can_see_thread(viewer, thread):
            continue
        total += count
        entry = per_space.setdefault(space.slug, SpaceUnreadOut(space=space.slug, unread=0, threads=0))
        entry.unread += count
        entry.threads += 1
        if len(threads) < UNREAD_THREADS_MAX:
            threads.append(ThreadUnreadOut(thread.id, space.slug, thread.title, count))
    return UnreadOut(
        notifications=await inbox.unread_count(session, viewer),
        posts=total,
        spaces=list(per_space.values()),
        threads=threads,
    )
