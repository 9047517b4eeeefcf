"""What an audit entry's target is called and where it lives, for the log's readers.

An entry stores only `(target_type, target_id)`. To write "Ana hid a post in 'Workshop
SBSTA 63'" and link it, the page needs the thread's title and the post's number, a café's
title, a user's name. They are read here for a whole page of entries at once, one query
per kind of target on the page, and given only where the reader moderates the target's
space *as it is now* (a thread moved to a space they do not moderate keeps its id and
loses its title for them). A user's name and handle are shown to every moderator, as on
their profile page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.audit.models import AuditEntry
from forum.cafes.models import Cafe, CafeTable, TableMessage
from forum.feedback.models import Poll
from forum.moderation.schemas import TargetRef
from forum.roundtables.models import Intervention, RoundTable
from forum.spaces.models import Space
from forum.threads.models import Post, Thread

# (title, space_id, extra fields) of one target
_Found = tuple[str | None, int | None, dict[str, object]]


async def describe(
    session: AsyncSession, viewer: Viewer, entries: Iterable[AuditEntry]
) -> dict[tuple[str, int], TargetRef]:
    """The TargetRef of every entry's target, keyed by (type, id)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        wanted[entry.target_type].add(entry.target_id)
    found: dict[tuple[str, int], _Found] = {}
    for kind, ids in wanted.items():
        reader = _READERS.get(kind)
        if reader is not None:
            for target_id, info in (await reader(session, sorted(ids))).items():
                found[(kind, target_id)] = info
    space_ids = {info[1] for info in found.values() if info[1] is not None}
    slugs: dict[int, str] = {}
    if space_ids:
        slugs = dict(
            (await session.execute(select(Space.id, Space.slug).where(Space.id.in_(space_ids)))).all()
        )
    refs: dict[tuple[str, int], TargetRef] = {}
    for kind, ids in wanted.items():
        for target_id in ids:
            info = found.get((kind, target_id))
            ref = TargetRef(type=kind, id=target_id)
            if info is not None:
                title, space_id, extra = info
                if kind == "user" or (space_id is not None and viewer.moderates(space_id)):
                    ref = TargetRef(
                        type=kind,
                        id=target_id,
                        title=title,
                        space=slugs.get(space_id) if space_id is not None else None,
                        **extra,  # type: ignore[arg-type]
                    )
            refs[(kind, target_id)] = ref
    return refs


async def _posts(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(
        select(Post.id, Post.thread_id, Post.number, Thread.title, Thread.space_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.id.in_(ids))
    )
    return {
        pid: (title, space_id, {"thread_id": tid, "number": number})
        for pid, tid, number, title, space_id in rows
    }


async def _threads(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(select(Thread.id, Thread.title, Thread.space_id).where(Thread.id.in_(ids)))
    return {tid: (title, space_id, {"thread_id": tid}) for tid, title, space_id in rows}


async def _spaces(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(select(Space.id, Space.title).where(Space.id.in_(ids)))
    return {sid: (title, sid, {}) for sid, title in rows}


async def _users(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(select(User.id, User.display_name, User.handle).where(User.id.in_(ids)))
    return {uid: (name, None, {"handle": handle or None}) for uid, name, handle in rows}


async def _cafes(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(select(Cafe.id, Cafe.title, Cafe.space_id).where(Cafe.id.in_(ids)))
    return {cid: (title, space_id, {"cafe_id": cid}) for cid, title, space_id in rows}


async def _messages(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(
        select(TableMessage.id, Cafe.id, Cafe.title, Cafe.space_id)
        .join(CafeTable, CafeTable.id == TableMessage.table_id)
        .join(Cafe, Cafe.id == CafeTable.cafe_id)
        .where(TableMessage.id.in_(ids))
    )
    return {mid: (title, space_id, {"cafe_id": cid}) for mid, cid, title, space_id in rows}


async def _roundtables(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(
        select(RoundTable.id, RoundTable.question, RoundTable.space_id).where(RoundTable.id.in_(ids))
    )
    return {rid: (question, space_id, {"roundtable_id": rid}) for rid, question, space_id in rows}


async def _interventions(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(
        select(Intervention.id, RoundTable.id, RoundTable.question, RoundTable.space_id)
        .join(RoundTable, RoundTable.id == Intervention.roundtable_id)
        .where(Intervention.id.in_(ids))
    )
    return {iid: (question, space_id, {"roundtable_id": rid}) for iid, rid, question, space_id in rows}


async def _polls(session: AsyncSession, ids: list[int]) -> dict[int, _Found]:
    rows = await session.execute(select(Poll.id, Poll.title, Poll.space_id).where(Poll.id.in_(ids)))
    return {pid: (title, space_id, {}) for pid, title, space_id in rows}


# A report's target is its row; the entry's own space names its page (reports sit above
# moderation in the layers, so their table is not read here).
_READERS = {
    "post": _posts,
    "thread": _threads,
    "space": _spaces,
    "user": _users,
    "cafe": _cafes,
    "message": _messages,
    "roundtable": _roundtables,
    "intervention": _interventions,
    "poll": _polls,
}
