"""Reading the audit log: what moderators did, filtered and paged, for moderators."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.audit.models import AuditEntry
from forum.lib.errors import BadRequest, NotFound
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import Id
from forum.moderation import access, targets
from forum.moderation.schemas import AuditEntryOut, TargetRef
from forum.spaces.models import Space

# --- the audit log ----------------------------------------------------------------------------

# The dates a filter may name: the log begins after the first, and nothing is written after
# the second (a year beyond it is a typing mistake, not a question).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_period(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """`since` and `until` as aware datetimes (a date without a zone is read as UTC), within
    the bounds and in order; else `BadRequest` naming the field."""
    out: list[datetime | None] = []
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
            if not EARLIEST <= value <= LATEST:
                raise BadRequest(f"{name}: a date between 2000 and 2200", field=name)
        out.append(value)
    if out[0] is not None and out[1] is not None and out[0] > out[1]:
        raise BadRequest("until: must not be before since", field="until")
    return out[0], out[1]


async def list_log(
    session: AsyncSession,
    viewer: Viewer,
    *,
    space: str | None = None,
    actor: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[AuditEntryOut]:
    """The audit log, newest first: all of it for global moderators, the rest see their spaces'
    entries and their own actions. `since` and `until` bound the time of the act (both
    included)."""
    access.require_moderator(viewer)
    limit = check_limit(limit)
    since, until = check_period(since, until)
    filters: list[ColumnElement[bool]] = []
    if space:
        filters.append(AuditEntry.space_id == (await access.moderated_space(session, viewer, space)).id)
    if actor is not None:
        filters.append(AuditEntry.actor_id == actor)
    if action:
        filters.append(AuditEntry.action == action)
    if since is not None:
        filters.append(AuditEntry.at >= since)
    if until is not None:
        filters.append(AuditEntry.at <= until)
    position = decode_cursor(cursor, tuple[Id])
    if position is not None:
        filters.append(AuditEntry.id < position[0])
    query = _log_query(viewer, restrict=False).where(*filters)
    if not viewer.is_global_moderator:
        # "Their spaces' entries or their own actions", newest first, as a keyset walk of
        # each part (one index range per space, one for the actor) merged under the
        # limit: the same condition as one OR made the database sort every entry of
        # those spaces for each page.
        parts = [
            select(AuditEntry.id).where(part, *filters).order_by(AuditEntry.id.desc()).limit(limit + 1)
            for part in [
                *(AuditEntry.space_id == space_id for space_id in sorted(viewer.moderated_space_ids)),
                AuditEntry.actor_id == viewer.id,
            ]
        ]
        # A compound SELECT may not order its members itself: each is wrapped.
        newest = union(*(part.subquery().select() for part in parts)).subquery()
        query = query.where(AuditEntry.id.in_(select(newest.c.id)))
    rows = (await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    refs = await targets.describe(session, viewer, [row[0] for row in rows])
    items = [_entry_out(*row, refs=refs) for row in rows]
    nxt = encode_cursor([items[-1].id]) if more and items else None
    return Page(items=items, next=nxt)


async def get_log_entry(session: AsyncSession, viewer: Viewer, entry_id: int) -> AuditEntryOut:
    access.require_moderator(viewer)
    row = (await session.execute(_log_query(viewer).where(AuditEntry.id == entry_id))).first()
    if row is None:
        raise NotFound(f"no log entry {entry_id} that you may read")
    return _entry_out(*row, refs=await targets.describe(session, viewer, [row[0]]))


def _log_query(viewer: Viewer, *, restrict: bool = True):
    """The entries with their actor and space; with `restrict`, only those the viewer may read
    (`list_log` restricts by its own keyset walk instead)."""
    actor_user = aliased(User)
    query = (
        select(AuditEntry, actor_user, Space.slug, Space.title)
        .outerjoin(actor_user, actor_user.id == AuditEntry.actor_id)
        .outerjoin(Space, Space.id == AuditEntry.space_id)
    )
    if restrict and not viewer.is_global_moderator:
        query = query.where(
            or_(AuditEntry.space_id.in_(viewer.moderated_space_ids), AuditEntry.actor_id == viewer.id)
        )
    return query


def _entry_out(
    entry: AuditEntry,
    actor: User | None,
    space_slug: str | None,
    space_title: str | None,
    *,
    refs: dict[tuple[str, int], TargetRef],
) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        actor=author_out(actor) if actor is not None else None,
        action=entry.action,
        target=refs.get((entry.target_type, entry.target_id))
        or TargetRef(type=entry.target_type, id=entry.target_id),
        reason=entry.reason,
        at=iso(entry.at) or "",
        before=entry.before,
        after=entry.after,
        space=space_slug,
        space_title=space_title,
        actor_handle=(actor.handle or None) if actor is not None else None,
    )
