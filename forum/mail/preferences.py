"""Reading and changing a user's mail settings, and unsubscribing by a signed token."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.errors import BadRequest
from forum.mail import tokens
from forum.mail.models import MailPreference
from forum.mail.schemas import MailPreferencesIn, MailPreferencesOut
from forum.settings import Settings


async def _row(session: AsyncSession, user_id: int) -> MailPreference | None:
    return await session.scalar(select(MailPreference).where(MailPreference.user_id == user_id))


def _out(row: MailPreference | None, settings: Settings) -> MailPreferencesOut:
    if row is None:
        return MailPreferencesOut(
            language="en", immediate=True, digest="off", mail_enabled=bool(settings.smtp_url)
        )
    return MailPreferencesOut(
        language=row.language,  # type: ignore[arg-type]
        immediate=row.immediate,
        digest=row.digest,  # type: ignore[arg-type]
        mail_enabled=bool(settings.smtp_url),
    )


async def read(session: AsyncSession, viewer: Viewer, settings: Settings) -> MailPreferencesOut:
    return _out(await _row(session, viewer.require_user().id), settings)


async def change(
    session: AsyncSession, viewer: Viewer, settings: Settings, data: MailPreferencesIn
) -> MailPreferencesOut:
    user = viewer.require_user()
    row = await _row(session, user.id)
    if row is None:
        row = MailPreference(user_id=user.id, language="en", immediate=True, digest="off")
        session.add(row)
    for name in ("language", "immediate", "digest"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            setattr(row, name, value)
    await session.flush()
    return _out(row, settings)


def user_of_token(settings: Settings, token: str | None) -> int:
    user_id = tokens.verify(settings.secret_key, token or "")
    if user_id is None:
        raise BadRequest("this unsubscribe link is not valid", field="token")
    return user_id


async def unsubscribe(session: AsyncSession, user_id: int) -> None:
    """No more mail of any kind for this user (immediate and digest off)."""
    if await session.get(User, user_id) is None:
        raise BadRequest("this unsubscribe link is for an account that no longer exists", field="token")
    row = await _row(session, user_id)
    if row is None:
        session.add(MailPreference(user_id=user_id, language="en", immediate=False, digest="off"))
    else:
        row.immediate = False
        row.digest = "off"
    await session.flush()
