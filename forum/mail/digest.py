"""The daily or weekly digest: one mail per user and period of what is new where they watch.

`queue_due` (each worker pass) queues one outbox row per user whose digest is due, with
the dedupe key `digest:{user}:{period}` (`2026-11-30` daily, `2026-W48` weekly): however
many workers run, a period has one row, as the key is unique and the insert does nothing
on conflict. The row covers posts since the user's last digest (or one period back) up
to when it was queued. At send time `links` lists the threads with new published posts
in the spaces the user watches or tracks, judged by the visibility rule as the reader
is now (forum.spaces.policy, forum.threads.policy).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.mail import outbox
from forum.mail.models import MailOutbox, MailPreference
from forum.mail.render import Link
from forum.settings import Settings
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space
from forum.threads.models import Post, PostStatus, SpaceWatch, Thread, WatchLevel
from forum.threads.policy import can_see_thread, status_literal

KIND = "digest"
OFF = "off"
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_THREADS = 50


def period_key(digest: str, now: datetime) -> str:
    if digest == "daily":
        return now.date().isoformat()
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


async def queue_due(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """One digest row per user and period, for everyone with a digest (two statements)."""
    make_insert = outbox.dialect_insert(session)
    domain = outbox.message_id_domain(settings.mail_from)
    for digest, length in PERIODS.items():
        key = period_key(digest, now)
        uid = cast(MailPreference.user_id, String)
        rows = select(
            MailPreference.user_id,
            literal(KIND),
            literal("digest:") + uid + literal(f":{key}"),
            literal(outbox.QUEUED),
            literal(0),
            literal(now, MailOutbox.next_attempt_at.type),
            literal("<digest.") + uid + literal(f".{key}@{domain}>"),
            func.coalesce(MailPreference.last_digest_at, literal(now - length, MailOutbox.since.type)),
            literal(now, MailOutbox.created_at.type),
        ).where(MailPreference.digest == digest)
        stmt = (
            make_insert(MailOutbox)
            .from_select(
                [
                    "user_id",
                    "kind",
                    "dedupe_key",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "message_id",
                    "since",
                    "created_at",
                ],
                rows,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        await session.execute(stmt)


async def mark_sent(session: AsyncSession, row_id: int) -> None:
    """A digest sent moves its user's `last_digest_at` to the end of what it covered."""
    row = await session.get(MailOutbox, row_id)
    if row is None or row.kind != KIND:
        return
    await session.execute(
        update(MailPreference)
        .where(MailPreference.user_id == row.user_id)
        .values(last_digest_at=row.created_at)
    )


async def links(
    session: AsyncSession, viewer: Viewer, settings: Settings, *, since: datetime | None, until: datetime
) -> list[Link]:
    user = viewer.require_user()
    followed = select(SpaceWatch.space_id).where(
        SpaceWatch.user_id == user.id,
        SpaceWatch.level.in_([WatchLevel.watching.value, WatchLevel.tracking.value]),
    )
    new_posts = select(Post.thread_id).where(
        Post.status == status_literal(PostStatus.published.value),
        Post.created_at <= until,
        Post.author_id != user.id,
        *([Post.created_at > since] if since is not None else []),
    )
    rows = (
        await session.execute(
            select(Thread, Space)
            .join(Space, Space.id == Thread.space_id)
            .where(Thread.space_id.in_(followed), Thread.id.in_(new_posts))
            .order_by(Thread.last_post_at.desc())
            .limit(MAX_THREADS)
        )
    ).all()
    return [
        Link(title=thread.title, url=f"{settings.public_url}/#/thread/{thread.id}", space=space.title)
        for thread, space in rows
        if can_see_space(viewer, space) and can_see_thread(viewer, thread)
    ]
