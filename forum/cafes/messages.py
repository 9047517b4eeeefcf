"""Saying things at tables: the write path of table messages, reading them, harvests, and
hiding or unhiding a message.

Long because the batched write path (checks, numbering, one INSERT each for the batch's
messages, events, search terms and mentions) is kept beside the reads and harvests it
shares its rules with; splitting the reads out is the next step when it grows again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Row, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from forum import audit, streams
from forum.accounts import handles
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.cafes import policy
from forum.cafes.access import (
    find_table,
    has_sat_at,
    lock_cafe,
    require_open,
    require_open_state,
    table_topic,
)
from forum.cafes.models import Cafe, CafeSeat, CafeTable, TableMessage
from forum.cafes.schemas import (
    MAX_CLIENT_ID_CHARS,
    MAX_HARVEST_CHARS,
    MAX_MESSAGE_CHARS,
    MessageOut,
    message_out,
    message_stub,
)
from forum.cafes.views import table_view
from forum.lib import counters, markdown
from forum.lib.db import race_savepoint, utcnow
from forum.lib.errors import Conflict, Forbidden, ForumError, Invalid, NotFound
from forum.lib.pagination import Page, check_limit
from forum.lib.raw_input import MAX_INT32
from forum.search import index as search_index
from forum.search.index import Entry
from forum.search.models import EntryKind
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space_of
from forum.streams.models import Event

# ---------------------------------------------------------------------------------------
# Table messages and harvests


async def _existing_message(session: AsyncSession, author_id: int, client_id: str) -> TableMessage | None:
    return await session.scalar(
        select(TableMessage).where(TableMessage.author_id == author_id, TableMessage.client_id == client_id)
    )


@dataclass(frozen=True)
class MessageDraft:
    """One message someone asks to say at a table (see `post_messages`)."""

    viewer: Viewer
    table_id: int
    body: str
    client_id: str | None = None


@dataclass(frozen=True)
class Posted:
    """What became of a draft: the stored message, whether it is new, and for a new one the
    seq of its `message.created` event (None for a repeat: the first send's event has it)."""

    message: TableMessage
    created: bool
    seq: int | None = None


def _check_draft(draft: MessageDraft) -> User:
    """What needs no database: the writer may write, the body and client_id are well formed."""
    user = draft.viewer.require_can_write()
    if not isinstance(draft.body, str) or not draft.body.strip():
        raise Invalid("body: a message needs some text", field="body")
    if len(draft.body) > MAX_MESSAGE_CHARS:
        raise Invalid(f"body: at most {MAX_MESSAGE_CHARS} characters", field="body")
    client_id = draft.client_id
    if client_id is not None and not (
        isinstance(client_id, str) and 1 <= len(client_id) <= MAX_CLIENT_ID_CHARS
    ):
        raise Invalid(f"client_id: 1 to {MAX_CLIENT_ID_CHARS} characters", field="client_id")
    if not isinstance(draft.table_id, int):
        raise NotFound(f"no table with id {draft.table_id}")
    return user


def _repeat(existing: TableMessage, table_id: int) -> Posted:
    """A client_id sent again: the stored message if it was said at this table."""
    if existing.table_id != table_id:
        raise Conflict("this client_id was already used for a message at another table", field="client_id")
    return Posted(existing, False)


# The write path's reads, built once: SQLAlchemy finds a statement's compiled form by its
# cache key, and a statement object built per call computes that key again each time. They
# are Core statements on the tables, run on the session's connection: plain rows, no
# entities to build, no identity map to consult (the ORM's share of a read is most of it).
_cafe_tables = CafeTable.__table__


_cafes = Cafe.__table__


_spaces = Space.__table__


_seats = CafeSeat.__table__


_table_messages = TableMessage.__table__


# What the rules need of the tables written to, their cafés and spaces (FOR SHARE of the
# cafés on PostgreSQL, so a closing café waits for these messages or refuses them; SQLite
# serializes writers with BEGIN IMMEDIATE and ignores it).
_WRITE_CONTEXT = (
    select(
        _cafe_tables.c.id,
        _cafe_tables.c.host_id,
        _cafes.c.id.label("cafe_id"),
        _cafes.c.state.label("cafe_state"),
        _spaces.c.id.label("space_id"),
        _spaces.c.visibility,
        _spaces.c.allowed_roles,
    )
    .select_from(
        _cafe_tables.join(_cafes, _cafes.c.id == _cafe_tables.c.cafe_id).join(
            _spaces, _spaces.c.id == _cafes.c.space_id
        )
    )
    .where(_cafe_tables.c.id.in_(bindparam("table_ids", expanding=True)))
    .with_for_update(read=True, of=_cafes)
)


# Where the writers sit now in those cafés.
_WRITER_SEATS = select(_seats.c.cafe_id, _seats.c.user_id, _seats.c.table_id).where(
    _seats.c.cafe_id.in_(bindparam("cafe_ids", expanding=True)),
    _seats.c.user_id.in_(bindparam("user_ids", expanding=True)),
)


# Messages stored before under the drafts' client_ids (pairs are matched in Python); a
# repeat is rare, so only its id is read here and the message is loaded when one is found.
_EARLIER_SENDS = select(_table_messages.c.id, _table_messages.c.author_id, _table_messages.c.client_id).where(
    _table_messages.c.author_id.in_(bindparam("author_ids", expanding=True)),
    _table_messages.c.client_id.in_(bindparam("client_ids", expanding=True)),
)


# All the messages in one statement; each id is matched to its row by (table, number), which
# is unique (ordered RETURNING would cost SQLite one INSERT per row: see forum.streams.log).
_INSERT_MESSAGES = insert(_table_messages).returning(
    _table_messages.c.id, _table_messages.c.table_id, _table_messages.c.number
)


async def post_message(
    session: AsyncSession, viewer: Viewer, table_id: int, body: str, client_id: str | None = None
) -> tuple[TableMessage, bool]:
    """Say something at a table; returns (message, created). See `post_messages`."""
    (result,) = await post_messages(session, [MessageDraft(viewer, table_id, body, client_id)])
    if isinstance(result, ForumError):
        raise result
    return result.message, result.created


async def post_messages(
    session: AsyncSession, drafts: list[MessageDraft], *, own_transaction: bool = False
) -> list[Posted | ForumError]:
    """Say several things at tables in one transaction; one result or error per draft, in order.

    Each draft follows the rules of one message: allowed to who sits at the table now, its
    host and the space's moderators, if not silenced, while the café is not closed. A
    repeated client_id (stored before, or earlier in the same call) returns the first
    message, whatever has changed since, or a Conflict if it was said at another table.

    Three reads for the whole call (the tables with their cafés and spaces, the writers'
    seats, earlier sends of the client_ids), then one counter update for all the tables, one
    insert for all messages, and the same two for their events (`streams.append_many`): the
    cost of a transaction is shared by everything written in it (`forum.cafes.writer`).
    New messages are returned detached (not in the session), as if loaded and the session
    closed.
    """
    results: list[Posted | ForumError | None] = [None] * len(drafts)
    writers: dict[int, User] = {}
    for i, draft in enumerate(drafts):
        try:
            writers[i] = _check_draft(draft)
        except ForumError as exc:
            results[i] = exc
    if not writers:
        return _all_answered(results)

    table_ids = sorted({drafts[i].table_id for i in writers})
    connection = await session.connection()
    tables = {row.id: row for row in await connection.execute(_WRITE_CONTEXT, {"table_ids": table_ids})}
    cafe_ids = sorted({row.cafe_id for row in tables.values()})
    user_ids = sorted({user.id for user in writers.values()})
    seats = (
        {
            (cafe_id, user_id): table_id
            for cafe_id, user_id, table_id in await connection.execute(
                _WRITER_SEATS, {"cafe_ids": cafe_ids, "user_ids": user_ids}
            )
        }
        if cafe_ids
        else {}
    )
    client_ids = sorted({drafts[i].client_id for i in writers if drafts[i].client_id is not None})
    earlier: dict[tuple[int, str], TableMessage] = {}
    if client_ids:
        found_ids = {
            message_id: (author_id, client_id)
            for message_id, author_id, client_id in await connection.execute(
                _EARLIER_SENDS, {"author_ids": user_ids, "client_ids": client_ids}
            )
        }
        if found_ids:
            for message in await session.scalars(select(TableMessage).where(TableMessage.id.in_(found_ids))):
                earlier[found_ids[message.id]] = message

    accepted: list[int] = []
    first_of: dict[tuple[int, str], int] = {}  # a client_id's first draft in this call
    repeats: dict[int, int] = {}  # a later draft -> that first draft
    for i, user in writers.items():
        draft = drafts[i]
        key = (user.id, draft.client_id) if draft.client_id is not None else None
        try:
            if key is not None and key in earlier:
                results[i] = _repeat(earlier[key], draft.table_id)
                continue
            if key is not None and key in first_of:
                repeats[i] = first_of[key]
                continue
            table = tables.get(draft.table_id)
            if table is None or not can_see_space_of(
                draft.viewer, table.space_id, table.visibility, table.allowed_roles
            ):
                raise NotFound(f"no table with id {draft.table_id}")
            seated_now = seats.get((table.cafe_id, user.id)) == table.id
            if not policy.can_write_table(draft.viewer, table.host_id, table.space_id, seated_now=seated_now):
                # Refused either way; whether the table exists for the writer decides how.
                # Writing needs a seat there now, which implies having sat there, so only a
                # refusal asks.
                sat = await has_sat_at(session, user.id, table.id)
                if policy.can_read_table(draft.viewer, table.host_id, table.space_id, has_sat_there=sat):
                    raise Forbidden("you no longer sit at this table: write at the table where you sit now")
                raise NotFound(f"no table with id {draft.table_id}")
            require_open_state(table.cafe_id, table.cafe_state)
        except ForumError as exc:
            results[i] = exc
            continue
        accepted.append(i)
        if key is not None:
            first_of[key] = i

    if accepted:
        to_store = [(drafts[i], writers[i], tables[drafts[i].table_id]) for i in accepted]
        if own_transaction:
            # The table writer's: a raced client_id's IntegrityError reaches it, and it
            # writes the batch again (forum.lib.db.write_in_own_transaction).
            created = await _store(session, to_store)
        else:
            try:
                async with race_savepoint(session):
                    created = await _store(session, to_store)
            except IntegrityError as race:
                return await _after_a_race(session, drafts, writers, accepted, race)
        for i, posted in zip(accepted, created, strict=True):
            results[i] = posted
    for i, first in repeats.items():
        first_result = results[first]
        results[i] = Posted(first_result.message, False) if isinstance(first_result, Posted) else first_result
    return _all_answered(results)


async def _after_a_race(
    session: AsyncSession,
    drafts: list[MessageDraft],
    writers: dict[int, User],
    accepted: list[int],
    race: IntegrityError,
) -> list[Posted | ForumError]:
    """The answers when a client_id raced in from another transaction after the read of
    earlier sends: the savepoint has undone this batch's writes."""
    if len(drafts) > 1:
        # Alone, each draft finds what is stored now.
        return [(await post_messages(session, [draft]))[0] for draft in drafts]
    (i,) = accepted
    draft = drafts[i]
    existing = await _existing_message(session, writers[i].id, draft.client_id) if draft.client_id else None
    if existing is None:
        raise race
    try:
        return [_repeat(existing, draft.table_id)]
    except ForumError as exc:
        return [exc]


def _all_answered(results: list[Posted | ForumError | None]) -> list[Posted | ForumError]:
    answered = [r for r in results if r is not None]
    assert len(answered) == len(results), "every draft gets a result or an error"
    return answered


async def _store(session: AsyncSession, accepted: list[tuple[MessageDraft, User, Row[Any]]]) -> list[Posted]:
    """Number, insert and announce the accepted drafts, in order, in the open transaction."""
    table_ids = [table.id for _, _, table in accepted]
    last = await counters.bump(session, _cafe_tables.c.id, _cafe_tables.c.message_count, Counter(table_ids))
    numbers = counters.numbers_in_order(table_ids, last)
    now = utcnow()
    # attention: `@handle`s of existing users become mention links; one lookup per batch,
    # and only when some message holds an @.
    candidates = set().union(*(markdown.mention_candidates(draft.body) for draft, _, _ in accepted))
    known = (await handles.ids_of(session, candidates)).keys() if candidates else ()
    rows = []
    for (draft, user, table), number in zip(accepted, numbers, strict=True):
        rows.append(
            {
                "table_id": table.id,
                "number": number,
                "author_id": user.id,
                "body": draft.body,
                "html": markdown.render(draft.body, known),
                "client_id": draft.client_id,
                "status": "published",
                "moderation_reason": None,
                "created_at": now,
            }
        )
    ids = {
        (table_id, number): message_id
        for message_id, table_id, number in await session.execute(_INSERT_MESSAGES, rows)
    }
    # A table this session already holds keeps its count as stored, without a write of its own.
    for table_id, count in last.items():
        held = session.identity_map.get(identity_key(CafeTable, table_id))
        if held is not None:
            set_committed_value(held, "message_count", count)
    messages = []
    for values in rows:
        message = TableMessage(id=ids[values["table_id"], values["number"]], **values)
        make_transient_to_detached(message)
        messages.append(message)
    found = [
        Entry(EntryKind.message, m.id, m.body, m.author_id, m.created_at, table_id=m.table_id)
        for m in messages
    ]
    await search_index.put_many(session, found)  # search: the new texts, in this transaction
    events = await streams.append_many(
        session,
        [
            streams.EventDraft(
                table_topic(message.table_id),
                "message.created",
                msgspec.to_builtins(message_out(message, user)),
                owner_id=user.id,
                space_id=table.space_id,
            )
            for message, (_, user, table) in zip(messages, accepted, strict=True)
        ],
    )
    return [Posted(message, True, ev.seq) for message, ev in zip(messages, events, strict=True)]


async def list_messages(
    session: AsyncSession, viewer: Viewer, table_id: int, *, after: int = 0, limit: int | None = None
) -> Page[MessageOut]:
    """Messages with number > after, ascending; hidden ones only to their author and moderators."""
    if after < 0:
        raise Invalid("after must be 0 or more", field="after")
    # Past the largest number a message can have there is nothing (and the column would overflow).
    after = min(after, MAX_INT32)
    limit = check_limit(limit)
    found = await find_table(session, viewer, table_id)
    query = (
        select(TableMessage, User)
        .join(User, User.id == TableMessage.author_id)
        .where(TableMessage.table_id == table_id, TableMessage.number > after)
    )
    if not viewer.moderates(found.space.id):
        visible = policy.VISIBLE_MESSAGE_SQL
        query = query.where(or_(visible, TableMessage.author_id == viewer.id) if viewer.id else visible)
    rows = (await session.execute(query.order_by(TableMessage.number).limit(limit + 1))).tuples().all()
    items = [message_out(m, author) for m, author in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next=str(items[-1].number) if more and items else None)


async def set_harvest(session: AsyncSession, viewer: Viewer, table_id: int, body: str) -> CafeTable:
    """The host writes what their table harvested (replacing the previous text)."""
    user = viewer.require_can_write()
    if len(body) > MAX_HARVEST_CHARS:
        raise Invalid(f"body: at most {MAX_HARVEST_CHARS} characters", field="body")
    found = await find_table(session, viewer, table_id)
    table, space = found.table, found.space
    if table.host_id != user.id:
        raise Forbidden("only the table's host writes its harvest")
    cafe = await lock_cafe(session, table.cafe_id, shared=True)
    require_open(cafe)
    if body == table.harvest:
        return table
    table.harvest = body
    await session.flush()
    # Search: the harvest replaces the previous one (an empty one is nothing to find).
    await search_index.put(
        session, Entry(EntryKind.harvest, table.id, body, user.id, utcnow(), table_id=table.id)
    )
    await streams.append(
        session,
        table_topic(table.id),
        "table.harvest",
        msgspec.to_builtins(await table_view(session, table, None)),  # to everyone: the public figures
        space_id=space.id,
    )
    return table


async def set_message_status(
    session: AsyncSession, viewer: Viewer, message_id: int, status: str, reason: str | None
) -> TableMessage:
    """Hide (`hidden`) or unhide (`published`) a table message: moderators of the space.

    Appends `message.hidden` (the full message to its author and moderators, a stub to
    everyone else) or `message.updated`, and writes the audit log.
    """
    actor = viewer.require_user()
    if status not in policy.MESSAGE_STATUSES:
        raise Invalid(f"status must be one of {sorted(policy.MESSAGE_STATUSES)}", field="status")
    message = await session.get(TableMessage, message_id)
    if message is None:
        raise NotFound(f"no message with id {message_id}")
    try:
        found = await find_table(session, viewer, message.table_id)
    except NotFound:
        raise NotFound(f"no message with id {message_id}") from None
    space = found.space
    if not policy.can_see_message(viewer, message, space.id):
        raise NotFound(f"no message with id {message_id}")
    if not viewer.moderates(space.id):
        raise Forbidden("only a moderator of this space may hide or unhide table messages")
    if message.status == status:
        return message
    before = {"status": message.status}
    message.status = status
    message.moderation_reason = reason if status == "hidden" else None
    hidden = status == "hidden"
    # A relative update: two moderators hiding two messages of one table at once both count.
    hidden_count = (
        await session.execute(
            update(CafeTable)
            .where(CafeTable.id == message.table_id)
            .values(hidden_count=CafeTable.hidden_count + (1 if hidden else -1))
            .returning(CafeTable.hidden_count)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one()
    set_committed_value(found.table, "hidden_count", hidden_count)
    await session.flush()
    author = await session.get(User, message.author_id)
    assert author is not None
    data = msgspec.to_builtins(message_out(message, author))
    if hidden:
        await _restrict_message_events(session, message, space.id)
    await streams.append(
        session,
        table_topic(message.table_id),
        "message.hidden" if hidden else "message.updated",
        data,
        owner_id=message.author_id,
        space_id=space.id,
        public_type="message.hidden" if hidden else None,
        public_data=message_stub(message) if hidden else None,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="message.hide" if hidden else "message.unhide",
        target_type="message",
        target_id=message.id,
        space_id=space.id,
        reason=reason,
        before=before,
        after={"status": status},
    )
    return message


async def _restrict_message_events(session: AsyncSession, message: TableMessage, space_id: int) -> None:
    """The earlier events of a now-hidden message reach others only as a stub, as the new
    one does: a participant who replays the table later must not read it there."""
    rows = await session.scalars(
        select(Event).where(
            Event.topic == table_topic(message.table_id),
            Event.type.like("message.%"),
            Event.data["id"].as_integer() == message.id,
            Event.restricted.is_(False),
        )
    )
    for ev in rows.all():
        ev.restricted = True
        ev.owner_id = message.author_id
        ev.space_id = space_id
        ev.public_type = "message.hidden"
        ev.public_data = message_stub(message)
