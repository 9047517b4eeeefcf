"""Opening round tables and reading them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib import hooks
from forum.lib.errors import Invalid
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import Id
from forum.roundtables import events
from forum.roundtables.access import find_roundtable, require_chair
from forum.roundtables.models import RoundTable, RoundTableState
from forum.roundtables.schemas import RoundTableIn, RoundTableOut
from forum.roundtables.views import roundtable_views
from forum.spaces import services as spaces
from forum.spaces.models import Space, SpaceKind
from forum.spaces.policy import can_see_space
from forum.spaces.viewers import load_viewer


async def open_roundtable(session: AsyncSession, viewer: Viewer, slug: str, data: RoundTableIn) -> RoundTable:
    """A new round table in a workshop space, chaired by its moderators."""
    actor = viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    require_chair(viewer, space, "open a round table")
    if space.kind != SpaceKind.workshop.value:
        raise Invalid(
            f"round tables are held in workshop spaces; {slug!r} is a space of kind {space.kind!r}",
            field="slug",
        )
    rapporteurs = sorted(set(data.rapporteur_ids))
    users = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(rapporteurs)))).all()}
    for i, user_id in enumerate(rapporteurs):
        user = users.get(user_id)
        if user is None:
            raise Invalid(f"rapporteur_ids[{i}]: no user with id {user_id}", field="rapporteur_ids")
        if not can_see_space(await load_viewer(session, user), space):
            raise Invalid(
                f"rapporteur_ids[{i}]: user {user_id} may not see this space", field="rapporteur_ids"
            )
    rt = RoundTable(
        space_id=space.id,
        question=data.question.strip(),
        turn_seconds=data.turn_seconds,
        policy=data.policy,
        state=RoundTableState.open.value,
        chair_id=actor.id,
        rapporteur_ids=rapporteurs,
        turn_reminded=False,
        request_count=0,
        intervention_count=0,
    )
    session.add(rt)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="roundtable.open",
        target_type="roundtable",
        target_id=rt.id,
        space_id=space.id,
        after={"question": rt.question, "turn_seconds": rt.turn_seconds, "policy": rt.policy},
    )
    await opened(session, rt, space)
    return rt


async def opened(session: AsyncSession, rt: RoundTable, space: Space) -> None:
    """Everything that announces a new round table, in the opening's transaction: the first
    event of its topic, and the `roundtable.opened` hook (the space's watchers are notified
    by forum.attention, which registers it)."""
    await events.announce(session, rt, events.OPENED)
    await hooks.run(hooks.ROUNDTABLE_OPENED, session, roundtable=rt, space=space, actor_id=rt.chair_id)


async def list_roundtables(
    session: AsyncSession, viewer: Viewer, slug: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[RoundTableOut]:
    """The round tables of a space, newest first."""
    limit = check_limit(limit)
    space = await spaces.get_space(session, viewer, slug)
    query = select(RoundTable).where(RoundTable.space_id == space.id)
    position = decode_cursor(cursor, tuple[Id])
    if position is not None:
        query = query.where(RoundTable.id < position[0])
    rts = list((await session.scalars(query.order_by(RoundTable.id.desc()).limit(limit + 1))).all())
    nxt = encode_cursor([rts[limit - 1].id]) if len(rts) > limit else None
    return Page(items=await roundtable_views(session, rts[:limit], viewer), next=nxt)


async def get_roundtable(session: AsyncSession, viewer: Viewer, roundtable_id: int) -> RoundTable:
    """The round table, if the viewer may see its space; else NotFound."""
    rt, _ = await find_roundtable(session, viewer, roundtable_id)
    return rt
