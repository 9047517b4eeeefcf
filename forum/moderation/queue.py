"""Reading the moderation queue: the waiting posts of the spaces a moderator moderates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import Id
from forum.moderation import access
from forum.threads import queue
from forum.threads.schemas import QueueItemOut


async def list_queue(
    session: AsyncSession,
    viewer: Viewer,
    *,
    space: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[QueueItemOut]:
    """Pending and flagged posts of the spaces the viewer moderates, oldest first."""
    access.require_moderator(viewer)
    limit = check_limit(limit)
    space_id = (await access.moderated_space(session, viewer, space)).id if space else None
    after = decode_cursor(cursor, tuple[Annotated[datetime, msgspec.Meta(tz=True)], Id])
    items = await queue.queue_items(
        session,
        space_ids=None if viewer.is_global_moderator else viewer.moderated_space_ids,
        space_id=space_id,
        kind=kind,
        after=after,
        limit=limit + 1,
    )
    nxt = None
    if len(items) > limit:
        items = items[:limit]
        nxt = encode_cursor([items[-1].since, items[-1].post.id])
    return Page(items=items, next=nxt)


class QueueCountOut(msgspec.Struct):
    """How many posts wait for the caller: `moderates` is false (and the counts 0) for
    someone who moderates nothing, so that a page may ask on every screen without an error."""

    moderates: bool
    count: int
    pending: int
    flagged: int


async def count_queue(session: AsyncSession, viewer: Viewer) -> QueueCountOut:
    """The size of the caller's queue, by kind: one count over the queue's index ranges."""
    viewer.require_user()
    if not viewer.moderates_anything:
        return QueueCountOut(moderates=False, count=0, pending=0, flagged=0)
    space_ids = None if viewer.is_global_moderator else viewer.moderated_space_ids
    counts = {}
    for kind in ("pending", "flagged"):
        waiting = queue.waiting_posts(space_ids=space_ids, kind=kind)
        counts[kind] = (await session.execute(select(func.count()).select_from(waiting))).scalar_one()
    return QueueCountOut(
        moderates=True,
        count=counts["pending"] + counts["flagged"],
        pending=counts["pending"],
        flagged=counts["flagged"],
    )
