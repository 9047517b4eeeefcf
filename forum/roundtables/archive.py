"""Closing a round table: the question and every intervention kept as a thread in its space.

The thread is what the report reads: each intervention in order, named as its speaker
chose ('the representative of Malaysia', 'a participant'), with its duration and summary."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.roundtables import events, wording
from forum.roundtables.access import find_roundtable, lock_roundtable, require_chair
from forum.roundtables.floor import finish_turn
from forum.roundtables.models import FloorRequest, Intervention, RequestState, RoundTableState
from forum.threads import services as threads
from forum.threads.schemas import MAX_POST_CHARS, ThreadIn

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
# Room left in a post for the line that says it continues.
_POST_BUDGET = MAX_POST_CHARS - 200


def _escape(text: str) -> str:
    """Plain text inside Markdown (names, questions): shown as typed, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "time not recorded"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def intervention_archive(item: Intervention) -> str:
    """One intervention as the report reads it: number, attribution, duration, summary."""
    who = wording.attributed_as(item.capacity_kind, item.capacity_code, item.attribution)
    head = f"### {item.number}. {_escape(who[0].upper() + who[1:])} ({_duration(item.duration_seconds)})"
    summary = item.summary.strip() or "_No summary was written._"
    return f"{head}\n\n{summary}"


def archive_posts(question: str, turn_seconds: int, items: list[Intervention]) -> list[str]:
    """The thread's posts: the question and the interventions in order, as few posts as fit."""
    intro = (
        f"**Question:** {_escape(question)}\n\n"
        f"Speaking time per turn: {_duration(turn_seconds)}. Interventions: {len(items)}."
    )
    if not items:
        return [intro + "\n\n_Nobody took the floor._\n"]
    posts: list[str] = []
    current = intro
    for item in items:
        part = intervention_archive(item)[:_POST_BUDGET]
        if len(current) + len(part) + 2 > _POST_BUDGET:
            posts.append(current + "\n")
            current = part
        else:
            current = f"{current}\n\n{part}"
    posts.append(current + "\n")
    return posts


async def close_roundtable(session: AsyncSession, viewer: Viewer, roundtable_id: int) -> int:
    """Close the round table (ending a turn under way, dropping the queue) and keep it as a
    thread in its space, published at once under the chair's name. Returns the thread id;
    closing a closed round table returns the same thread."""
    actor = viewer.require_user()
    _, space = await find_roundtable(session, viewer, roundtable_id)
    require_chair(viewer, space, "close the round table")
    rt = await lock_roundtable(session, roundtable_id)
    if rt.state == RoundTableState.closed.value and rt.archive_thread_id is not None:
        return rt.archive_thread_id
    await finish_turn(session, rt)
    for request in (
        await session.scalars(
            select(FloorRequest).where(
                FloorRequest.roundtable_id == rt.id, FloorRequest.state == RequestState.waiting.value
            )
        )
    ).all():
        request.state = RequestState.skipped.value
    await session.flush()
    items = list(
        (
            await session.scalars(
                select(Intervention).where(Intervention.roundtable_id == rt.id).order_by(Intervention.number)
            )
        ).all()
    )
    bodies = archive_posts(rt.question, rt.turn_seconds, items)
    thread, _, _ = await threads.open_thread(
        session,
        viewer,
        space.slug,
        ThreadIn(title=f"Round table: {' '.join(rt.question.split())}"[:200], body=bodies[0]),
    )
    for body in bodies[1:]:
        await threads.create_post(session, viewer, thread.id, body)
    rt.state = RoundTableState.closed.value
    rt.closed_at = utcnow()
    rt.archive_thread_id = thread.id
    await audit.record(
        session,
        actor_id=actor.id,
        action="roundtable.close",
        target_type="roundtable",
        target_id=rt.id,
        space_id=space.id,
        after={"thread_id": thread.id, "interventions": len(items)},
    )
    await events.announce(session, rt, events.CLOSED, thread_id=thread.id)
    return thread.id
