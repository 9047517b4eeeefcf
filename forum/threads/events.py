"""The events of a thread's topic, `thread:{id}`: a post or the thread announced.

A post others may not see reaches them as a stub; the post's earlier events follow its
new state, since a client that resubscribes replays them. Every event names the thread's
space (`space_id`): the moderators who see restricted ones in full, and for a live socket
the space it was allowed in; a thread that moves takes its events along (`move_events`)."""

from __future__ import annotations

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum import streams
from forum.accounts.models import User
from forum.streams.models import Event
from forum.threads.lookup import VisibleThread, thread_view
from forum.threads.models import Post, PostStatus
from forum.threads.policy import (
    PUBLIC_STATUSES,
)
from forum.threads.schemas import (
    post_data,
    post_stub,
)


def thread_topic(thread_id: int) -> str:
    return f"thread:{thread_id}"


async def announce_post(
    session: AsyncSession, type_: str, post: Post, space_id: int, *, author: User | None = None
) -> Event:
    """Append a post event; a post others may not see reaches them only as a stub.

    The post's earlier events follow its new state, since a client that resubscribes
    replays them: once deleted they lose its text, once hidden or pending again they are
    restricted to its author and the space's moderators like the new event. A caller that
    holds the author already passes them (the socket's viewer was read in another session,
    so the session would read them again).
    """
    if author is None:
        author = await session.get(User, post.author_id)
    assert author is not None and author.id == post.author_id
    visible_to_all = post.status in PUBLIC_STATUSES
    if post.status == PostStatus.deleted.value:
        await _redact_post_events(session, post, author)
    elif not visible_to_all and type_ != "post.created":
        await _restrict_post_events(session, post, space_id)
    return await streams.append(
        session,
        thread_topic(post.thread_id),
        type_,
        post_data(post, author) if type_ != "post.deleted" else post_stub(post) | {"status": post.status},
        owner_id=post.author_id,
        space_id=space_id,
        public_type=None if visible_to_all else "post.hidden",
        public_data=None if visible_to_all else post_stub(post),
    )


async def _earlier_post_events(session: AsyncSession, post: Post) -> list[Event]:
    rows = await session.scalars(
        select(Event).where(
            Event.topic == thread_topic(post.thread_id),
            Event.type.like("post.%"),
            Event.data["id"].as_integer() == post.id,
        )
    )
    return list(rows.all())


async def _redact_post_events(session: AsyncSession, post: Post, author: User) -> None:
    """Earlier events of a now-deleted post keep their seq and type, but not its text."""
    gone = post_data(post, author)  # a deleted post's data has no body and no html
    for ev in await _earlier_post_events(session, post):
        if "body" in ev.data or "html" in ev.data:
            ev.data = gone
        if ev.public_data and ("body" in ev.public_data or "html" in ev.public_data):
            ev.public_data = gone


async def _restrict_post_events(session: AsyncSession, post: Post, space_id: int) -> None:
    """Earlier events of a now-hidden post reach others only as a stub."""
    for ev in await _earlier_post_events(session, post):
        if not ev.restricted:
            ev.restricted = True
            ev.owner_id = post.author_id
            ev.space_id = space_id
            ev.public_type = "post.hidden"
            ev.public_data = post_stub(post)


async def announce_thread(session: AsyncSession, found: VisibleThread) -> None:
    await streams.append(
        session,
        thread_topic(found.thread.id),
        "thread.updated",
        # What everyone may see: a moderator's own figures come with the HTTP read.
        msgspec.to_builtins(await thread_view(session, found, None)),
        space_id=found.space.id,
    )


async def move_events(session: AsyncSession, thread_id: int, space_id: int) -> None:
    """The thread moved to `space_id`: its stored events now belong to that space.

    A restricted one (a pending or hidden post) then goes in full to the new space's
    moderators, as the HTTP reads do, and no longer to the old one's; and a socket that
    replays the topic checks its access to the new space before reading on.
    """
    await session.execute(
        update(Event)
        .where(Event.topic == thread_topic(thread_id))
        .values(space_id=space_id)
        .execution_options(synchronize_session=False)
    )
