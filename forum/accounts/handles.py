"""Handles (`@ana`): their shape, one suggested from a display name, and finding users by
handle or by its beginning (the composer's autocomplete).

A handle is 3 to 30 of a-z, 0-9, `_`, `.` and `-`, beginning and ending with a letter or
a digit; it is stored in lower case, so two handles that differ only in case are the same
handle (the unique index on `users.handle` holds that). Every user has one: registration
suggests one from the display name when none is given (`ana`, then `ana2`, `ana3`...), and
a user made any other way (the command line, a test, a data generator) gets one at its
first flush (`_fill_missing_handles`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.lib.errors import Invalid

HANDLE_MIN = 3
HANDLE_MAX = 30
HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9_.-]{1,28})[a-z0-9]$"
_SHAPE = re.compile(HANDLE_PATTERN)
# What a suggestion falls back to when a name has too few Latin letters (王芳, Фатима).
FALLBACK = "user"
# Users the autocomplete returns at most.
AUTOCOMPLETE_MAX = 10


def normalise(raw: str) -> str:
    """A handle as stored: without a leading @, in lower case; Invalid if its shape is wrong."""
    handle = raw.strip().removeprefix("@").lower()
    if not _SHAPE.match(handle):
        raise Invalid(
            "handle: 3 to 30 of a-z, 0-9, _ . -, beginning and ending with a letter or a digit",
            field="handle",
        )
    return handle


def base_from_name(display_name: str) -> str:
    """The handle a display name suggests before any number is added: `Ana María` -> `ana.maria`."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", ".", ascii_name).strip(".")[: HANDLE_MAX - 4].strip("._-")
    return base if len(base) >= HANDLE_MIN else FALLBACK


def _first_free(base: str, taken: Iterable[str]) -> str:
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def _taken_like(base: str):  # type: ignore[no-untyped-def]
    # `base` holds only [a-z0-9.], so neither % nor _ needs escaping; numbered ones follow it.
    return select(User.handle).where(User.handle.like(f"{base}%"))


async def suggest(session: AsyncSession, display_name: str) -> str:
    """A free handle for a new user called `display_name`."""
    base = base_from_name(display_name)
    return _first_free(base, (await session.scalars(_taken_like(base))).all())


async def is_taken(session: AsyncSession, handle: str, *, by_other_than: int | None = None) -> bool:
    query = select(User.id).where(User.handle == handle)
    if by_other_than is not None:
        query = query.where(User.id != by_other_than)
    return await session.scalar(query) is not None


async def ids_of(session: AsyncSession, handles: Iterable[str]) -> dict[str, int]:
    """The users of these handles (lower case), for those that exist: handle -> id."""
    wanted = sorted({h.lower() for h in handles})
    if not wanted:
        return {}
    rows = await session.execute(select(User.handle, User.id).where(User.handle.in_(wanted)))
    return {handle: user_id for handle, user_id in rows}


async def starting_with(session: AsyncSession, prefix: str, limit: int = AUTOCOMPLETE_MAX) -> list[User]:
    """Users whose handle, or display name, begins with `prefix` (any case): handles first."""
    needle = prefix.strip().removeprefix("@").lower()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await session.scalars(
        select(User)
        .where(
            (User.handle.like(f"{escaped}%", escape="\\"))
            | (func.lower(User.display_name).like(f"{escaped}%", escape="\\"))
        )
        .order_by(User.handle.like(f"{escaped}%", escape="\\").desc(), User.handle)
        .limit(limit)
    )
    return list(rows)


@event.listens_for(Session, "before_flush")
def _fill_missing_handles(session: Session, _context: object, _instances: object) -> None:
    """A user made without a handle gets the first free one its name suggests."""
    new = [obj for obj in session.new if isinstance(obj, User) and not obj.handle]
    if not new:
        return
    chosen: set[str] = {obj.handle for obj in session.new if isinstance(obj, User) and obj.handle}
    for user in new:
        base = base_from_name(user.display_name or "")
        # Inside an AsyncSession's flush this runs in its greenlet: a plain execute works.
        taken = set(session.scalars(_taken_like(base)).all()) | chosen
        user.handle = _first_free(base, taken)
        chosen.add(user.handle)
