"""Closing a round table: the question and every intervention kept as a thread in its space.

The thread is what the report reads: each intervention in order, named as its speaker
chose ('the representative of Malaysia', 'a participant'), with its duration and summary.

Each post is kept in two forms, as a café's tables are (docs/cafes.md#the-archive): the
Markdown `body` in English, and `archive`, the same facts as data, which the web client
words in its reader's language."""

from __future__ import annotations

import re

from iso3166 import countries_by_alpha3
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.parties import EUROPEAN_UNION
from forum.accounts.viewer import Viewer
from forum.lib import markdown
from forum.lib.db import utcnow
from forum.roundtables import events, wording
from forum.roundtables.access import find_roundtable, lock_roundtable, require_chair
from forum.roundtables.floor import finish_turn
from forum.roundtables.models import (
    Attribution,
    CapacityKind,
    FloorRequest,
    Intervention,
    RequestState,
    RoundTableState,
)
from forum.threads import services as threads
from forum.threads.schemas import MAX_POST_CHARS, ThreadIn, archive_title

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


def _attribution(item: Intervention) -> dict:
    """Who spoke, as the speaker chose to be named, as data: the kind of capacity, its code, and for a Party its region code
    (ISO 3166-1 alpha-2, which clients name in their language) and English name."""
    if item.attribution == Attribution.anonymous.value:
        return {"anonymous": True}  # names no capacity either, as the Markdown does not
    out: dict = {"kind": item.capacity_kind, "code": item.capacity_code, "anonymous": False}
    if item.capacity_kind == CapacityKind.party.value:
        out["name"] = wording.party_name(item.capacity_code)
        country = countries_by_alpha3.get(item.capacity_code or "")
        out["region"] = (
            "EU" if item.capacity_code == EUROPEAN_UNION else (country.alpha2 if country else None)
        )
    return out


def archive_records(
    rt_id: int, question: str, turn_seconds: int, items: list[Intervention], parts: list[str]
) -> list[dict]:
    """The posts of `archive_posts` as data (Post.archive), one record per post, holding
    the interventions that post holds."""
    records = []
    cursor = 0
    for index, body in enumerate(parts):
        held = []
        while cursor < len(items) and f"### {items[cursor].number}. " in body:
            held.append(items[cursor])
            cursor += 1
        records.append(
            {
                "kind": "roundtable",
                "first": index == 0,
                "roundtable": {
                    "id": rt_id,
                    "question": question,
                    "turn_seconds": turn_seconds,
                    "interventions": len(items),
                },
                "interventions": [
                    {
                        "number": item.number,
                        "attribution": _attribution(item),
                        "duration_seconds": item.duration_seconds,
                        "summary_html": markdown.render(item.summary) if item.summary.strip() else "",
                    }
                    for item in held
                ],
            }
        )
    return records


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
    records = archive_records(rt.id, rt.question, rt.turn_seconds, items, bodies)
    thread, _, _ = await threads.open_thread(
        session,
        viewer,
        space.slug,
        ThreadIn(title=archive_title("Round table", rt.question), body=bodies[0]),
        archive=records[0],
    )
    for body, record in zip(bodies[1:], records[1:], strict=True):
        await threads.create_post(session, viewer, thread.id, body, archive=record)
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
