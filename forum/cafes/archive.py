"""Closing a café: its tables kept as a thread in its space.

Each table becomes a post in two forms: `body`, Markdown with English headings and UTC
times, which search indexes and every client can read; and `archive`, the same facts as
data (topic, host, harvest, each message with its author, time and HTML), from which the
web client words the headings in its reader's language and the times in the reader's
time zone (docs/cafes.md#the-archive)."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit, streams
from forum.accounts.models import User
from forum.accounts.schemas import iso
from forum.accounts.viewer import Viewer
from forum.cafes import policy
from forum.cafes.access import (
    cafe_topic,
    find_cafe,
    lock_cafe,
    require_runner,
    tables_of,
)
from forum.cafes.models import Cafe, CafeState, CafeTable, TableMessage
from forum.lib import markdown
from forum.threads import services as threads
from forum.threads.schemas import ThreadIn, archive_title

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


def table_record(cafe: Cafe, table: CafeTable, host: User, messages: list[tuple[TableMessage, User]]) -> dict:
    """The table's post as data (Post.archive): what `table_archive` writes, without its
    words. Hidden messages keep their number, author and time, not their text."""
    return {
        "kind": "cafe_table",
        "cafe": {"id": cafe.id, "title": cafe.title},
        "table": {"id": table.id, "position": table.position, "topic": table.topic},
        "host": {"id": host.id, "display_name": host.display_name},
        "harvest_html": markdown.render(table.harvest) if table.harvest.strip() else "",
        "messages": [
            {
                "number": message.number,
                "author": {"id": author.id, "display_name": author.display_name},
                "created_at": iso(message.created_at),
                "hidden": message.status not in policy.VISIBLE_MESSAGE_STATUSES,
                "html": markdown.render(message.body)
                if message.status in policy.VISIBLE_MESSAGE_STATUSES
                else "",
            }
            for message, author in messages
        ],
    }


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
    records = [table_record(cafe, table, hosts[table.host_id], by_table[table.id]) for table in tables]
    # The archive is written as the closing moderator would write it by hand: a thread
    # whose first post keeps the first table, then a post per further table.
    thread, _, _ = await threads.open_thread(
        session,
        viewer,
        space.slug,
        ThreadIn(title=archive_title("World café", cafe.title), body=bodies[0]),
        archive=records[0],
    )
    for body, record in zip(bodies[1:], records[1:], strict=True):
        await threads.create_post(session, viewer, thread.id, body, archive=record)
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
