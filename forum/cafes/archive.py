"""Closing a café: its tables kept as a thread in its space."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit, streams
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.cafes import policy
from forum.cafes.access import (
    cafe_topic,
    find_cafe,
    lock_cafe,
    require_runner,
    tables_of,
)
from forum.cafes.models import CafeState, CafeTable, TableMessage
from forum.threads import services as threads
from forum.threads.schemas import ThreadIn

# ---------------------------------------------------------------------------------------
# Closing: the archive thread

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _escape(text: str) -> str:
    """Plain text inside Markdown (names, topics): shown as typed, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _quote(body: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.splitlines() or [""])


def table_archive(table: CafeTable, host: User, messages: list[tuple[TableMessage, User]]) -> str:
    """The Markdown post that keeps one table: topic, host, harvest, the whole transcript.

    Hidden messages keep their number and author but not their text, which stays in the
    table's record for moderators: the archive is public to the space.
    """
    parts = [
        f"## Table {table.position}: {_escape(table.topic)}",
        f"Host: {_escape(host.display_name)}",
        "### Harvest",
        table.harvest.strip() or "_No harvest was written at this table._",
        f"### Transcript ({len(messages)} messages)",
    ]
    if not messages:
        parts.append("_Nothing was written at this table._")
    for message, author in messages:
        when = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"**{_escape(author.display_name)}** · {when} · #{message.number}")
        if message.status in policy.VISIBLE_MESSAGE_STATUSES:
            parts.append(_quote(message.body))
        else:
            parts.append("> _(hidden by a moderator)_")
    return "\n\n".join(parts) + "\n"


async def close_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> int:
    """Close the café and keep it as a thread in its space, one post per table, published
    at once under the closing moderator's name. Returns the thread id; closing a closed
    café returns the same thread."""
    actor = viewer.require_user()
    _, space = await find_cafe(session, viewer, cafe_id)
    require_runner(viewer, space, "close the café")
    cafe = await lock_cafe(session, cafe_id)
    if cafe.state == CafeState.closed.value and cafe.archive_thread_id is not None:
        return cafe.archive_thread_id
    tables = await tables_of(session, cafe.id)
    table_ids = [t.id for t in tables]
    rows = (
        await session.execute(
            select(TableMessage, User)
            .join(User, User.id == TableMessage.author_id)
            .where(TableMessage.table_id.in_(table_ids))
            .order_by(TableMessage.table_id, TableMessage.number)
        )
    ).tuples()
    by_table: dict[int, list[tuple[TableMessage, User]]] = defaultdict(list)
    for message, author in rows:
        by_table[message.table_id].append((message, author))
    hosts = {
        u.id: u
        for u in (await session.scalars(select(User).where(User.id.in_({t.host_id for t in tables})))).all()
    }
    bodies = [table_archive(table, hosts[table.host_id], by_table[table.id]) for table in tables]
    # The archive is written as the closing moderator would write it by hand: a thread
    # whose first post keeps the first table, then a post per further table.
    thread, _, _ = await threads.open_thread(
        session, viewer, space.slug, ThreadIn(title=f"World café: {cafe.title}"[:200], body=bodies[0])
    )
    for body in bodies[1:]:
        await threads.create_post(session, viewer, thread.id, body)
    cafe.state = CafeState.closed.value
    cafe.round_ends_at = None
    cafe.archive_thread_id = thread.id
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.closed",
        {"cafe_id": cafe.id, "thread_id": thread.id},
        space_id=space.id,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="cafe.close",
        target_type="cafe",
        target_id=cafe.id,
        space_id=space.id,
        after={"thread_id": thread.id},
    )
    return thread.id
