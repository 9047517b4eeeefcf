"""Every write on accounts: register, log in and out, authenticate, change a user."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar.stores.base import Store
from msgspec import UNSET
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.models import AuthToken, Role, User
from forum.accounts.parties import is_party_code
from forum.accounts.passwords import hash_password, verify_password
from forum.accounts.schemas import UserPatchIn
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.lib.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from forum.settings import Settings
from forum.streams import signals


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    role: str = Role.observer.value,
    party: str | None = None,
    organisation: str | None = None,
) -> User:
    if role not in Role.__members__:
        raise Invalid(f"role: must be one of {', '.join(Role)}", field="role")
    if role == Role.focal_point.value and not party:
        raise Invalid(
            "party: a focal point needs the ISO alpha-3 code of their Party (or EUU)", field="party"
        )
    # The HTTP schema checks these too; the command line (`forum users create`) comes here directly.
    if party is not None and not is_party_code(party):
        raise Invalid(
            f"party: {party!r} is not an ISO 3166-1 alpha-3 code (such as JPN), nor EUU", field="party"
        )
    if not display_name.strip():
        raise Invalid("display_name: must not be blank", field="display_name")
    email = normalise_email(email)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("email: an account with this email already exists", field="email")
    user = User(
        email=email,
        password_hash=await hash_password(password),
        display_name=display_name.strip(),
        role=role,
        party=party,
        organisation=organisation,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same email
        raise Conflict("email: an account with this email already exists", field="email") from exc
    return user


@dataclass
class LoginLimiter:
    """Counts failed logins per account and per address in a Litestar store."""

    store: Store
    max_failures: int
    window_seconds: int

    def _keys(self, email: str, address: str) -> list[str]:
        return [f"login-fail:account:{email}", f"login-fail:address:{address}"]

    async def check(self, email: str, address: str) -> None:
        for key in self._keys(email, address):
            count = int(await self.store.get(key) or 0)
            if count >= self.max_failures:
                expires_in = await self.store.expires_in(key) or self.window_seconds
                raise RateLimited(
                    "too many failed sign-ins; wait before trying again", retry_after=int(expires_in)
                )

    async def failed(self, email: str, address: str) -> None:
        for key in self._keys(email, address):
            count = int(await self.store.get(key) or 0) + 1
            # The window starts at the first failure and is not extended by later ones.
            remaining = await self.store.expires_in(key) if count > 1 else None
            await self.store.set(key, str(count), expires_in=remaining or self.window_seconds)

    async def succeeded(self, email: str) -> None:
        await self.store.delete(f"login-fail:account:{email}")


async def login(
    session: AsyncSession,
    limiter: LoginLimiter,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str,
) -> tuple[str, User]:
    email = normalise_email(email)
    await limiter.check(email, address)
    user = await session.scalar(select(User).where(User.email == email))
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        await limiter.failed(email, address)
        raise Unauthorized("email or password is wrong")
    if user.suspended_until is not None and user.suspended_until > utcnow():
        raise Forbidden(f"this account is suspended until {user.suspended_until.isoformat()}")
    await limiter.succeeded(email)
    return await issue_token(session, user, settings.token_ttl_seconds), user


async def issue_token(session: AsyncSession, user: User, ttl_seconds: int) -> str:
    """A new bearer token (also the session cookie's value); only its digest is stored."""
    raw = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            token_hash=token_digest(raw),
            user_id=user.id,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    return raw


async def logout(session: AsyncSession, viewer: Viewer) -> None:
    viewer.require_user()
    await session.execute(
        update(AuthToken).where(AuthToken.token_hash == viewer.token_hash).values(revoked_at=utcnow())
    )
    # A live socket signed in with this token ends at once, not at its next periodic check.
    signals.account_changed(session, viewer.require_user().id)


async def authenticate(session: AsyncSession, raw_token: str) -> User | None:
    """The user a token belongs to, if the token is live and the user not suspended."""
    found = await authenticate_until(session, raw_token)
    return found[0] if found is not None else None


async def authenticate_until(session: AsyncSession, raw_token: str) -> tuple[User, datetime] | None:
    """As `authenticate`, with the moment the token expires (a live socket ends then)."""
    now = utcnow()
    row = (
        await session.execute(
            select(User, AuthToken.expires_at)
            .join(AuthToken, AuthToken.user_id == User.id)
            .where(
                AuthToken.token_hash == token_digest(raw_token),
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    user, expires_at = row
    if user.suspended_until is not None and user.suspended_until > now:
        return None
    return user, expires_at


async def revoke_all_tokens(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def _profile(user: User) -> dict[str, str | None]:
    return {
        "role": user.role,
        "party": user.party,
        "organisation": user.organisation,
        "display_name": user.display_name,
    }


async def update_user(session: AsyncSession, viewer: Viewer, user_id: int, patch: UserPatchIn) -> User:
    """Admins change anyone's role, Party and organisation; users may rename themselves."""
    actor = viewer.require_user()
    user = await get_user(session, user_id)
    touches_standing = any(value is not UNSET for value in (patch.role, patch.party, patch.organisation))
    if touches_standing or actor.id != user.id:
        viewer.require_admin()
    before = _profile(user)
    if patch.role is not UNSET:
        user.role = patch.role
    if patch.party is not UNSET:
        user.party = patch.party
    if patch.organisation is not UNSET:
        user.organisation = patch.organisation
    if patch.display_name is not UNSET:
        user.display_name = patch.display_name.strip()
    if user.role == Role.focal_point.value and not user.party:
        raise Invalid(
            "party: a focal point needs the ISO alpha-3 code of their Party (or EUU)", field="party"
        )
    after = _profile(user)
    if before != after:
        await audit.record(
            session,
            actor_id=actor.id,
            action="user.update",
            target_type="user",
            target_id=user.id,
            before=before,
            after=after,
        )
    if before["role"] != after["role"]:
        # The role decides what a live socket may read and moderate: it re-reads it
        # as soon as this commits.
        signals.account_changed(session, user.id)
    return user
