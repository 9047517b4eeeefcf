"""Every read and write on spaces; a space the viewer may not see is a 404."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

import msgspec
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.errors import Conflict, Invalid, NotFound
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import Id
from forum.spaces.models import Space, SpaceModerator
from forum.spaces.policy import can_see_space
from forum.spaces.schemas import ModeratorsIn, SpaceIn
from forum.streams import signals


async def moderator_ids(session: AsyncSession, space_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if space_ids:
        rows = await session.execute(
            select(SpaceModerator.space_id, SpaceModerator.user_id).where(
                SpaceModerator.space_id.in_(space_ids)
            )
        )
        for space_id, user_id in rows:
            found[space_id].append(user_id)
    return found


async def create_space(session: AsyncSession, viewer: Viewer, data: SpaceIn) -> Space:
    actor = viewer.require_admin()
    if await session.scalar(select(Space.id).where(Space.slug == data.slug)) is not None:
        raise Conflict(f"slug: a space with slug {data.slug!r} already exists", field="slug")
    space = Space(
        slug=data.slug,
        title=data.title.strip(),
        description=data.description,
        kind=data.kind,
        moderation=data.moderation,
        visibility=data.visibility,
        allowed_roles=sorted(set(data.allowed_roles)),
    )
    session.add(space)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="space.create",
        target_type="space",
        target_id=space.id,
        space_id=space.id,
        after={"slug": space.slug, "visibility": space.visibility, "moderation": space.moderation},
    )
    return space


# A space-list cursor: the (kind, title, id) of the last space of the page.
SpacePosition = tuple[
    Annotated[str, msgspec.Meta(max_length=64)], Annotated[str, msgspec.Meta(max_length=200)], Id
]


async def list_spaces(
    session: AsyncSession, viewer: Viewer, *, limit: int | None = None, cursor: str | None = None
) -> Page[Space]:
    """The spaces the viewer may see, by kind, then title, then id."""
    limit = check_limit(limit)
    position = decode_cursor(cursor, SpacePosition)
    found: list[Space] = []
    # Who may see a space is decided in Python (`can_see_space`), so rows are read in
    # batches past the position until a page and one more are visible, or none are left.
    batch = limit + 1
    while len(found) <= limit:
        query = select(Space).order_by(Space.kind, Space.title, Space.id).limit(batch)
        if position is not None:
            kind, title, space_id = position
            query = query.where(
                or_(
                    Space.kind > kind,
                    and_(Space.kind == kind, Space.title > title),
                    and_(Space.kind == kind, Space.title == title, Space.id > space_id),
                )
            )
        rows = (await session.scalars(query)).all()
        found += [space for space in rows if can_see_space(viewer, space)]
        if len(rows) < batch:
            break
        last = rows[-1]
        position = (last.kind, last.title, last.id)
        batch = min(batch * 2, 1000)
    items = found[:limit]
    nxt = encode_cursor([items[-1].kind, items[-1].title, items[-1].id]) if len(found) > limit else None
    return Page(items=items, next=nxt)


async def get_space(session: AsyncSession, viewer: Viewer, slug: str) -> Space:
    space = await session.scalar(select(Space).where(Space.slug == slug))
    if space is None or not can_see_space(viewer, space):
        raise NotFound(f"no space {slug!r}")
    return space


async def set_moderators(session: AsyncSession, viewer: Viewer, slug: str, data: ModeratorsIn) -> Space:
    actor = viewer.require_admin()
    space = await get_space(session, viewer, slug)
    wanted = sorted(set(data.user_ids))
    if wanted:
        existing = set((await session.scalars(select(User.id).where(User.id.in_(wanted)))).all())
        missing = [uid for uid in wanted if uid not in existing]
        if missing:
            raise Invalid(f"user_ids: no user with id {missing[0]}", field="user_ids")
    before = sorted((await moderator_ids(session, [space.id]))[space.id])
    await session.execute(delete(SpaceModerator).where(SpaceModerator.space_id == space.id))
    session.add_all([SpaceModerator(space_id=space.id, user_id=uid) for uid in wanted])
    if before != wanted:
        await audit.record(
            session,
            actor_id=actor.id,
            action="space.moderators",
            target_type="space",
            target_id=space.id,
            space_id=space.id,
            before={"moderator_ids": before},
            after={"moderator_ids": wanted},
        )
    # Who moderates a space decides what their live sockets may read: they re-read it
    # as soon as this commits.
    for user_id in set(before) ^ set(wanted):
        signals.account_changed(session, user_id)
    return space
