"""Live topics: who may subscribe to each, and what `send` does on it.

`TOPICS` is the one table: a domain that emits events on a new kind of topic adds one
entry here. A topic is `kind:{id}` (`thread:42`) or a bare `kind` (`moderation`).
Authorizers use the same service reads as HTTP, so a subscription is allowed exactly
where the HTTP read would be, and raise NotFound otherwise (a restricted space is not
revealed); they return the id of the space the topic belongs to (None for `moderation`),
which the socket compares with the space each event names. Senders write by the rules of
the HTTP write and return what they stored (`Sent`): the object's id, whether it is new,
and the seq of the `created_type` event the `ack` points at. Thread posts go through the
process's `PostWriter` and table messages through its `TableWriter`: each writes what
many sockets send meanwhile in one transaction (group commit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.viewer import Viewer
from forum.cafes import access
from forum.cafes.writer import TableWriter
from forum.feedback.polls import find_poll
from forum.lib.errors import BadRequest, Forbidden, NotFound
from forum.lib.raw_input import MAX_ID
from forum.roundtables.access import find_roundtable
from forum.threads import lookup
from forum.threads.writer import PostWriter


class Writers(Protocol):
    """What a sender writes with (the hub of the process offers them)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    post_writer: PostWriter
    table_writer: TableWriter


@dataclass(frozen=True)
class Sent:
    object_id: int
    created: bool
    # The seq of the event that announced the object, when the sender knows it.
    seq: int | None


# (session, viewer, topic id) -> the topic's space id, or NotFound
Authorizer = Callable[[AsyncSession, Viewer, int | None], Awaitable[int | None]]
# (session, viewer, topic id) -> whether the subscriber counts as present there
Presenter = Callable[[AsyncSession, Viewer, int | None], Awaitable[bool]]
# (writers, viewer, topic id, body, client_id, reply_to) -> what was stored
Sender = Callable[[Writers, Viewer, int | None, str, str, int | None], Awaitable[Sent]]


@dataclass(frozen=True)
class TopicRule:
    authorize: Authorizer
    send: Sender | None = None
    # The event type a successful send appends; an idempotent repeat's ack finds it.
    created_type: str | None = None
    has_id: bool = True
    # Subscribed signed-in sockets count as present; changes go out as `presence`.
    presence: bool = False
    # Which subscribers count as present (with `presence`); None: every signed-in one.
    present: Presenter | None = None
    # Sends keep their order without the socket waiting for each (the post and table
    # writers store them in the order given), so a socket may have several under way.
    pipelined: bool = False


# --- threads ------------------------------------------------------------------------


async def _thread(session: AsyncSession, viewer: Viewer, thread_id: int | None) -> int | None:
    return (await lookup.get_thread(session, viewer, thread_id or 0)).space.id


async def _post_to_thread(
    writers: Writers,
    viewer: Viewer,
    thread_id: int | None,
    body: str,
    client_id: str,
    reply_to: int | None,
) -> Sent:
    written = await writers.post_writer.post(viewer, thread_id or 0, body, client_id, reply_to)
    return Sent(written.post.id, written.created, written.seq)


# --- world cafés -------------------------------------------------------------------


async def _table(session: AsyncSession, viewer: Viewer, table_id: int | None) -> int | None:
    return (await access.find_table(session, viewer, table_id or 0)).space.id


async def _post_to_table(
    writers: Writers,
    viewer: Viewer,
    table_id: int | None,
    body: str,
    client_id: str,
    reply_to: int | None,
) -> Sent:
    if reply_to is not None:
        raise BadRequest("reply_to: table messages do not answer one another", field="reply_to")
    posted = await writers.table_writer.post(viewer, table_id or 0, body, client_id)
    return Sent(posted.message.id, posted.created, posted.seq)


async def _at_table(session: AsyncSession, viewer: Viewer, table_id: int | None) -> bool:
    # Its host and who sits there now; a moderator looking at the table is observing.
    return await access.sits_at(session, viewer, table_id or 0)


async def _cafe(session: AsyncSession, viewer: Viewer, cafe_id: int | None) -> int | None:
    _cafe, space = await access.find_cafe(session, viewer, cafe_id or 0)
    return space.id


# --- round tables ---------------------------------------------------------------------


async def _roundtable(session: AsyncSession, viewer: Viewer, roundtable_id: int | None) -> int | None:
    _rt, space = await find_roundtable(session, viewer, roundtable_id or 0)
    return space.id


# --- polls --------------------------------------------------------------------------


async def _poll(session: AsyncSession, viewer: Viewer, poll_id: int | None) -> int | None:
    # Moderators of the space get the results with each answer; others, only the count.
    _poll, space = await find_poll(session, viewer, poll_id or 0)
    return space.id


# --- moderation -----------------------------------------------------------------------


async def _moderation(_session: AsyncSession, viewer: Viewer, _id: int | None) -> int | None:
    # Each event names its space; those who do not moderate it get the placeholder.
    if not viewer.moderates_anything:
        raise NotFound("no topic named moderation")
    return None


# --- a user's notifications ----------------------------------------------------------


async def _inbox(_session: AsyncSession, viewer: Viewer, user_id: int | None) -> int | None:
    # Only its owner may read an inbox; for anyone else it does not exist. Its events carry
    # a notification's id and kind only: the page reads the notification itself over HTTP,
    # which checks again that its subject is still readable (forum.attention.inbox).
    if viewer.id is None or viewer.id != user_id:
        raise NotFound(f"no topic named inbox:{user_id}")
    return None


TOPICS: dict[str, TopicRule] = {
    "thread": TopicRule(_thread, send=_post_to_thread, created_type="post.created", pipelined=True),
    "table": TopicRule(
        _table,
        send=_post_to_table,
        created_type="message.created",
        presence=True,
        present=_at_table,
        pipelined=True,
    ),
    "cafe": TopicRule(_cafe),
    # Round tables: actions over HTTP, events here (forum.roundtables.events).
    "roundtable": TopicRule(_roundtable),
    # Polls: answers over HTTP, results here (forum.feedback.answers).
    "poll": TopicRule(_poll),
    "moderation": TopicRule(_moderation, has_id=False),
    "inbox": TopicRule(_inbox),
}


def presence_payload(topic: str, user_ids: list[int]) -> dict:
    """The data of a `presence` signal: who is subscribed to the table now."""
    _kind, _, raw_id = topic.partition(":")
    return access.presence_data(int(raw_id), user_ids)


@dataclass(frozen=True)
class Topic:
    name: str
    kind: str
    id: int | None
    rule: TopicRule


def parse(name: str) -> Topic:
    """The topic a name denotes, in its one canonical spelling, or BadRequest."""
    kind, sep, raw_id = name.partition(":")
    rule = TOPICS.get(kind)
    if rule is None:
        raise BadRequest(f"unknown topic {name!r}: use {', '.join(k + ':{id}' for k in TOPICS)}")
    if not rule.has_id:
        if sep:
            raise BadRequest(f"topic {kind!r} takes no id")
        return Topic(name, kind, None, rule)
    # Only the canonical decimal form: events are published on `thread:42`, never `thread:042`.
    if not raw_id.isdecimal() or not raw_id.isascii() or str(int(raw_id)) != raw_id:
        raise BadRequest(f"topic {name!r}: write it as {kind}:<id>, the id a whole number")
    # No row has an id beyond what its column holds: such a topic does not exist, as over HTTP.
    if not 0 < int(raw_id) <= MAX_ID:
        raise NotFound(f"no {kind} with id {raw_id}")
    return Topic(name, kind, int(raw_id), rule)


async def authorize(session: AsyncSession, viewer: Viewer, topic: Topic) -> int | None:
    """Raise NotFound unless the viewer may read this topic; the id of its space (None for
    `moderation`, which spans every space the viewer moderates)."""
    return await topic.rule.authorize(session, viewer, topic.id)


async def counts_present(session: AsyncSession, viewer: Viewer, topic: Topic) -> bool:
    """Whether this (authorized) subscriber counts in the topic's presence."""
    if not topic.rule.presence or viewer.id is None:
        return False
    if topic.rule.present is None:
        return True
    return await topic.rule.present(session, viewer, topic.id)


async def send(
    writers: Writers, viewer: Viewer, topic: Topic, body: str, client_id: str, reply_to: int | None
) -> Sent:
    if topic.rule.send is None:
        raise Forbidden(f"nothing can be sent to {topic.name}")
    return await topic.rule.send(writers, viewer, topic.id, body, client_id, reply_to)
