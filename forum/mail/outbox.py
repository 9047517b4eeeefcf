"""Filling the outbox in the cause's transaction, and claiming due rows for a worker.

`on_posts_written` / `on_post_approved` run after forum.attention's hooks of the same
name (forum.mail.install registers them after attention's), so the post's `mention` and
`reply` notifications exist: one `INSERT INTO mail_outbox ... SELECT ... FROM
notifications` queues a mail for each whose recipient wants immediate mail, due after
the delay (settings.mail_delay_seconds). Nothing runs when mail is off, nor for a post
that neither answers nor mentions anyone, so a plain post costs no statement more.

`claim` takes up to `limit` due rows for one worker for a lease, in one statement: on
PostgreSQL the inner SELECT is `FOR UPDATE SKIP LOCKED`, so two workers never take the
same row; on SQLite the database has one writer at a time, so the UPDATE ... RETURNING
is enough. A row whose lease ran out (its worker died) is due again.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import String, and_, cast, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from forum.attention.models import Notification
from forum.lib.db import utcnow
from forum.mail.models import MailOutbox, MailPreference
from forum.threads.models import Post
from forum.threads.posting import StoredPost

IMMEDIATE_KINDS = ("mention", "reply")
QUEUED = "queued"
SENT = "sent"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass
class MailState:
    """What the hooks need to know of the app's settings (set by forum.mail.install)."""

    enabled: bool = False
    delay_seconds: int = 300
    domain: str = "localhost"


STATE = MailState()


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT of the session's database, which knows ON CONFLICT DO NOTHING."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def message_id_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


async def queue_for_post(session: AsyncSession, post: Post) -> None:
    """Queue a mail for each mention or reply notification of `post` whose recipient wants one."""
    if not STATE.enabled or (post.reply_to is None and 'class="mention"' not in post.html):
        return
    now = utcnow()
    wants = or_(MailPreference.immediate.is_(None), MailPreference.immediate.is_(True))
    # The Message-ID is fixed now, so a resend after a crash carries the same one.
    prefix = secrets.token_hex(6)
    rows = (
        select(
            Notification.user_id,
            Notification.kind,
            literal("n:") + cast(Notification.id, String),
            Notification.id,
            literal(QUEUED),
            literal(0),
            literal(now + timedelta(seconds=STATE.delay_seconds), MailOutbox.next_attempt_at.type),
            literal("<n.") + cast(Notification.id, String) + literal(f".{prefix}@{STATE.domain}>"),
            literal(now, MailOutbox.created_at.type),
        )
        .outerjoin(MailPreference, MailPreference.user_id == Notification.user_id)
        .where(Notification.post_id == post.id, Notification.kind.in_(IMMEDIATE_KINDS), wants)
    )
    columns = [
        "user_id",
        "kind",
        "dedupe_key",
        "notification_id",
        "status",
        "attempts",
        "next_attempt_at",
        "message_id",
        "created_at",
    ]
    # A post's notifications are queued once; should a hook run twice for one post, the
    # second insert does nothing rather than fail the post's transaction.
    await session.execute(
        dialect_insert(session)(MailOutbox)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def on_posts_written(session: AsyncSession, *, posts: Sequence[StoredPost], **_: object) -> None:
    for stored in posts:
        await queue_for_post(session, stored.post)


async def on_post_approved(session: AsyncSession, *, post: Post, **_: object) -> None:
    await queue_for_post(session, post)


async def claim(
    session: AsyncSession, worker: str, *, limit: int, lease_seconds: int, now: datetime | None = None
) -> list[int]:
    """Claim up to `limit` due rows for `worker` until the lease ends; their ids."""
    now = now or utcnow()
    due = (
        select(MailOutbox.id)
        .where(
            MailOutbox.status == QUEUED,
            MailOutbox.next_attempt_at <= now,
            or_(MailOutbox.claimed_until.is_(None), MailOutbox.claimed_until < now),
        )
        .order_by(MailOutbox.next_attempt_at, MailOutbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(MailOutbox)
        .where(
            MailOutbox.id.in_(due.scalar_subquery()),
            # Checked again on the row itself (PostgreSQL re-evaluates it on a row another
            # transaction changed meanwhile), so a row is never claimed twice.
            MailOutbox.status == QUEUED,
            or_(MailOutbox.claimed_until.is_(None), MailOutbox.claimed_until < now),
        )
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds))
        .returning(MailOutbox.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(int(i) for i in (await session.scalars(stmt)).all())


def still_mine(row_id: int, worker: str) -> object:
    """The WHERE that makes a worker's final update of a row apply only while it holds it."""
    return and_(MailOutbox.id == row_id, MailOutbox.claimed_by == worker, MailOutbox.status == QUEUED)
