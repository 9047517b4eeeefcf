"""The mail worker: claims due outbox rows, checks each again, renders, sends, marks.

Each pass (`run_once`): queue the digests that are due (forum.mail.digest), claim up to
`batch` due rows for a lease (forum.mail.outbox.claim), and for each one, in a short
transaction of its own, check that the recipient may still read what it is about (the
inbox's own check, forum.attention.inbox.get_notification: the visibility rule of every
read path), still wants this mail and has not read the notification on the site
meanwhile; then send it outside any transaction, and mark it sent only while the lease
is still ours. A temporary failure (4xx, a connection refused or cut) is tried again after
an exponential backoff with jitter; a final one (5xx), or the `max_attempts`-th, gives up
and records why (`status` `failed`, `last_error`).

Crash between sending and marking: the row's lease runs out and another pass sends it
again, with the same Message-ID. So a mail may arrive twice (mail clients fold messages
with one Message-ID), and is never lost: a row is only marked once the server accepted it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.models import User
from forum.accounts.services import is_suspended
from forum.attention import inbox
from forum.lib.db import utcnow
from forum.lib.errors import NotFound
from forum.mail import digest, outbox, render, tokens
from forum.mail.models import MailOutbox, MailPreference
from forum.mail.sender import SendFailed, SmtpTarget, parse_smtp_url, send
from forum.mail.texts import DEFAULT_LANGUAGE
from forum.settings import Settings
from forum.spaces.viewers import load_viewer
from forum.threads.models import Post

log = logging.getLogger("forum.mail")

MAX_BACKOFF_SECONDS = 6 * 3600
# Digests are looked for at most this often (two statements), not at every pass.
DIGEST_CHECK_SECONDS = 60


def unsubscribe_url(settings: Settings, user_id: int) -> str:
    return f"{settings.public_url}/api/mail/unsubscribe?token={tokens.sign(settings.secret_key, user_id)}"


@dataclass
class Prepared:
    """A row checked and rendered, ready to go; or the reason it is not sent."""

    message: EmailMessage | None = None
    to: str = ""
    skip_reason: str | None = None


class MailWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        name: str | None = None,
        batch: int = 20,
        lease_seconds: int = 300,
        retry_base_seconds: float = 60,
    ):
        assert settings.smtp_url, "mail is off: FORUM_SMTP_URL is unset"
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.target: SmtpTarget = parse_smtp_url(settings.smtp_url)
        self.name = name or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.retry_base_seconds = retry_base_seconds
        self._digests_checked: datetime | None = None

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the worker
                log.exception("mail pass failed")
                busy = 0
            if not busy:
                await asyncio.sleep(self.settings.mail_poll_seconds)

    async def run_once(self) -> int:
        """One pass; how many rows it handled."""
        now = utcnow()
        if self._digests_checked is None or now - self._digests_checked >= timedelta(
            seconds=DIGEST_CHECK_SECONDS
        ):
            async with self.sessionmaker() as session, session.begin():
                await digest.queue_due(session, self.settings, now)
            self._digests_checked = now
        async with self.sessionmaker() as session, session.begin():
            ids = await outbox.claim(session, self.name, limit=self.batch, lease_seconds=self.lease_seconds)
        for row_id in ids:
            await self._handle(row_id)
        return len(ids)

    async def _handle(self, row_id: int) -> None:
        async with self.sessionmaker() as session:
            row = await session.get(MailOutbox, row_id)
            if row is None or row.claimed_by != self.name:
                return
            prepared = await self._prepare(session, row)
            attempts = row.attempts
        if prepared.message is None:
            await self._finish(row_id, status=outbox.SKIPPED, error=prepared.skip_reason)
            return
        try:
            await send(self.target, prepared.message)
        except SendFailed as failure:
            await self._failed(row_id, attempts + 1, failure)
            return
        await self._finish(row_id, status=outbox.SENT, error=None, attempts=attempts + 1)

    async def _prepare(self, session: AsyncSession, row: MailOutbox) -> Prepared:
        user = await session.get(User, row.user_id)
        if user is None or is_suspended(user, utcnow()):
            return Prepared(skip_reason="the recipient is gone or suspended")
        prefs = await session.scalar(select(MailPreference).where(MailPreference.user_id == user.id))
        language = prefs.language if prefs else DEFAULT_LANGUAGE
        viewer = await load_viewer(session, user)
        env = render.Envelope(
            mail_from=self.settings.mail_from,
            to=user.email,
            message_id=row.message_id,
            language=language,
            unsubscribe_url=unsubscribe_url(self.settings, user.id),
            settings_url=f"{self.settings.public_url}/#/preferences",
        )
        if row.kind == digest.KIND:
            if prefs is None or prefs.digest == digest.OFF:
                return Prepared(skip_reason="the recipient turned the digest off")
            links = await digest.links(session, viewer, self.settings, since=row.since, until=row.created_at)
            if not links:
                return Prepared(skip_reason="nothing new")
            return Prepared(message=render.digest_mail(env, links), to=user.email)
        if prefs is not None and not prefs.immediate:
            return Prepared(skip_reason="the recipient turned immediate mail off")
        if row.notification_id is None:
            return Prepared(skip_reason="the notification is gone")
        try:
            note = await inbox.get_notification(session, viewer, row.notification_id)
        except NotFound:
            return Prepared(skip_reason="the recipient may no longer read it")
        if note.read_at is not None:
            return Prepared(skip_reason="seen on the site")
        post = await session.get(Post, note.post_id) if note.post_id else None
        link = render.Link(
            title=note.thread_title or "",
            url=f"{self.settings.public_url}/#/thread/{note.thread_id}",
            space=note.space or "",
            excerpt=render.excerpt(post.body) if post else "",
        )
        actor = note.actor.display_name if note.actor else "?"
        return Prepared(message=render.notification_mail(env, row.kind, actor, link), to=user.email)

    async def _finish(
        self, row_id: int, *, status: str, error: str | None, attempts: int | None = None
    ) -> None:
        values: dict[str, object] = {"status": status, "last_error": error, "claimed_until": None}
        if status == outbox.SENT:
            values["sent_at"] = utcnow()
        if attempts is not None:
            values["attempts"] = attempts
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(MailOutbox).where(outbox.still_mine(row_id, self.name)).values(**values)
            )
            if status == outbox.SENT and result.rowcount:
                await digest.mark_sent(session, row_id)

    async def _failed(self, row_id: int, attempts: int, failure: SendFailed) -> None:
        if not failure.temporary or attempts >= self.settings.mail_max_attempts:
            log.warning("mail %s failed after %s attempts: %s", row_id, attempts, failure.reason)
            await self._finish(row_id, status=outbox.FAILED, error=failure.reason, attempts=attempts)
            return
        delay = min(MAX_BACKOFF_SECONDS, self.retry_base_seconds * 2 ** (attempts - 1))
        delay *= random.uniform(0.5, 1.5)  # jitter: retries of many rows do not arrive together
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(MailOutbox)
                .where(outbox.still_mine(row_id, self.name))
                .values(
                    attempts=attempts,
                    last_error=failure.reason,
                    next_attempt_at=utcnow() + timedelta(seconds=delay),
                    claimed_by=None,
                    claimed_until=None,
                )
            )
