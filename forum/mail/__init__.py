"""Mail: notifications by SMTP, queued in the notification's transaction, sent by a worker.

`install(settings)` registers the outbox hooks after forum.attention's (so the post's
notifications exist when the outbox reads them); with no `FORUM_SMTP_URL` mail is off and
the hooks queue nothing. `start_worker` runs forum.mail.worker in the app's lifespan.
See docs/email.md.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.lib import hooks
from forum.mail import outbox
from forum.mail.worker import MailWorker
from forum.settings import Settings


def install(settings: Settings) -> None:
    """Register the hooks (idempotent) and take the settings they need."""
    outbox.STATE.enabled = bool(settings.smtp_url)
    outbox.STATE.delay_seconds = settings.mail_delay_seconds
    outbox.STATE.domain = outbox.message_id_domain(settings.mail_from)
    hooks.register(hooks.POSTS_WRITTEN, outbox.on_posts_written)
    hooks.register(hooks.POST_APPROVED, outbox.on_post_approved)


def start_worker(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> asyncio.Task | None:
    """The background sender, when mail is on; None when it is off."""
    if not settings.smtp_url or not settings.mail_worker:
        return None
    return asyncio.create_task(MailWorker(sessionmaker, settings).run_forever(), name="forum-mail")
