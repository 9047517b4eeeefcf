"""Every write on accounts: register, log in and out, authenticate, change a user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from msgspec import UNSET
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts import handles
from forum.accounts.limits import LoginLimiter
from forum.accounts.models import AuthToken, Role, User
from forum.accounts.parties import is_party_code
from forum.accounts.passwords import PASSWORD_MIN_LENGTH, hash_password, verify_password
from forum.accounts.schemas import MePatchIn, UserPatchIn
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.lib.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
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
    handle: str | None = None,
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
        raise Invalid("display_name: must not be blank", field="display_name", reason="blank")
    # The HTTP schema checks it too; the command line comes here directly.
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Invalid(
            f"password: must be at least {PASSWORD_MIN_LENGTH} characters long",
            field="password",
            reason="too_short",
            limit=PASSWORD_MIN_LENGTH,
        )
    email = normalise_email(email)
    wanted = handles.normalise(handle) if handle is not None else None
    # Hashed before the first statement: the transaction (SQLite's write lock, a pooled
    # connection) is not held while argon2 runs or waits for a turn.
    password_hash = await hash_password(password)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            "email: an account with this email already exists", field="email", reason="email_taken"
        )
    if wanted is not None and await handles.is_taken(session, wanted):
        raise Conflict(f"handle: @{wanted} is taken", field="handle", reason="handle_taken")
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name.strip(),
        handle=wanted or await handles.suggest(session, display_name.strip()),
        role=role,
        party=party,
        organisation=organisation,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same email or handle
        if await session.scalar(select(User.id).where(User.email == email)) is None:
            raise Conflict(
                "handle: just taken by another registration; try again", field="handle", reason="handle_taken"
            ) from exc
        raise Conflict(
            "email: an account with this email already exists", field="email", reason="email_taken"
        ) from exc
    return user


async def login(
    session: AsyncSession,
    limiter: LoginLimiter,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str,
    device_cookie: str | None = None,
) -> tuple[str, User]:
    """A new token for the account, if the password is right and the limits allow it.

    The attempt takes its place in the limits before the password is checked (see
    `forum.accounts.limits`); `device_cookie` is the request's device cookie, if any.

    The account is read, then the caller's transaction is ended (it has only read) before
    the password check, which takes a while and may wait for a turn: no database lock
    (SQLite's writer lock) and no pooled connection is held meanwhile. The token is then
    written in a new transaction, which the caller commits. Call it before any write.
    """
    email = normalise_email(email)
    attempt = await limiter.reserve(email, address, device_cookie)
    try:
        user = await session.scalar(select(User).where(User.email == email))
        if user is not None:
            session.expunge(user)  # keeps its loaded attributes through the rollback
        await session.rollback()
        right = await verify_password(user.password_hash if user else None, password)
    except Exception:
        # Never checked (the hashing queue was full, the database failed): not a guess.
        await attempt.cancel()
        raise
    if not right or user is None:
        await attempt.failed()
        raise Unauthorized("email or password is wrong", reason="wrong_credentials")
    await attempt.succeeded()
    if user.suspended_until is not None and user.suspended_until > utcnow():
        until = user.suspended_until.isoformat()
        raise Forbidden(
            f"this account is suspended until {until}", reason="account_suspended", extra={"until": until}
        )
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


def select_token_holder(*columns: Any) -> Select:
    """The user holding a live token and when it expires (then `columns`): the one rule of
    a live token. Bind `token_hash` (`token_digest`) and `now`; check `is_suspended` on
    the user found."""
    return (
        select(User, AuthToken.expires_at, *columns)
        .join(AuthToken, AuthToken.user_id == User.id)
        .where(
            AuthToken.token_hash == bindparam("token_hash"),
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > bindparam("now"),
        )
    )


def is_suspended(user: User, now: datetime) -> bool:
    return user.suspended_until is not None and user.suspended_until > now


_TOKEN_HOLDER = select_token_holder()


async def authenticate_until(session: AsyncSession, raw_token: str) -> tuple[User, datetime] | None:
    """As `authenticate`, with the moment the token expires (a live socket ends then)."""
    now = utcnow()
    row = (
        await session.execute(_TOKEN_HOLDER, {"token_hash": token_digest(raw_token), "now": now})
    ).one_or_none()
    if row is None:
        return None
    user, expires_at = row
    if is_suspended(user, now):
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
    if before != after:
        # The role decides what a live socket may read and moderate: it re-reads it as
        # soon as this commits. Every process forgets the viewer it remembers of this user
        # (forum.spaces.viewer_cache), whose name and Party its answers show.
        signals.account_changed(session, user.id)
    return user


async def update_me(session: AsyncSession, viewer: Viewer, patch: MePatchIn) -> User:
    """A user changes their own handle or display name."""
    user = viewer.require_user()
    user = await get_user(session, user.id)
    if patch.handle is not UNSET:
        handle = handles.normalise(patch.handle)
        if handle != user.handle:
            if await handles.is_taken(session, handle, by_other_than=user.id):
                raise Conflict(f"handle: @{handle} is taken", field="handle", reason="handle_taken")
            user.handle = handle
    if patch.display_name is not UNSET:
        user.display_name = patch.display_name.strip()
    try:
        await session.flush()
    except IntegrityError as exc:  # taken meanwhile by another transaction
        raise Conflict("handle: just taken by someone else", field="handle", reason="handle_taken") from exc
    # Every process forgets the viewer it remembers of this user (forum.spaces.viewer_cache):
    # the answers it makes show their name and handle.
    signals.account_changed(session, user.id)
    return user
