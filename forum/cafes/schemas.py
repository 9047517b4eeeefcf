"""Request and response shapes of the world café API, and the event payloads built from them."""

from __future__ import annotations

from typing import Annotated

import msgspec

from forum.accounts.models import User
from forum.accounts.schemas import AuthorOut, author_out, iso
from forum.cafes.models import TableMessage
from forum.lib.raw_input import NOT_BLANK, Id

# A café with more than 50 tables is a conference, not a café; the seating plan also
# stays fast (well under a second) up to that size.
MAX_TABLES = 50
# A round is at least a minute and at most two hours.
MIN_ROUND_SECONDS = 60
MAX_ROUND_SECONDS = 7200
# A table message is a chat turn: 5,000 characters is two pages.
MAX_MESSAGE_CHARS = 5_000
# A harvest sums up a table's conversation over the whole café.
MAX_HARVEST_CHARS = 20_000
MAX_ANNOUNCEMENT_CHARS = 2_000
MAX_CLIENT_ID_CHARS = 100
# Every table hears that its round ends this many seconds before the end (as Zoom's
# breakout rooms warn a minute before they close).
WARNING_SECONDS = 60
# A facilitator extends a round by 1 to 60 minutes at a time.
MAX_EXTEND_MINUTES = 60

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
Topic = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CLIENT_ID_CHARS)]
MessageBody = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK)]


class TableIn(msgspec.Struct, forbid_unknown_fields=True):
    topic: Topic
    host_id: Id


class CafeIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    round_seconds: Annotated[int, msgspec.Meta(ge=MIN_ROUND_SECONDS, le=MAX_ROUND_SECONDS)]
    tables: Annotated[list[TableIn], msgspec.Meta(min_length=1, max_length=MAX_TABLES)]
    # At the end of a round the next starts by itself (the round clock rotates).
    auto_rotate: bool = False


class ExtendIn(msgspec.Struct, forbid_unknown_fields=True):
    minutes: Annotated[int, msgspec.Meta(ge=1, le=MAX_EXTEND_MINUTES)]


class AnnounceIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ANNOUNCEMENT_CHARS, pattern=NOT_BLANK)]


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    body: MessageBody
    client_id: ClientId | None = None


class HarvestIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(max_length=MAX_HARVEST_CHARS)]


class JoinOut(msgspec.Struct):
    table_id: int
    cafe_id: int


class CloseOut(msgspec.Struct):
    thread_id: int


class TableOut(msgspec.Struct):
    id: int
    cafe_id: int
    position: int
    topic: str
    host: AuthorOut
    # Participants seated at the table now, the host not included.
    participant_ids: list[int]
    harvest: str
    message_count: int
    # Who sits at the table now, the host included (participant_ids plus one).
    seated_count: int = 0


class CafeOut(msgspec.Struct):
    id: int
    space: str
    title: str
    state: str
    round: int
    round_seconds: int
    round_ends_at: str | None
    tables: list[TableOut]
    created_by: int
    created_at: str
    # The archive thread, once the café is closed.
    thread_id: int | None
    auto_rotate: bool = False
    # The round's time is up (`cafe.round_ended` went out) and no new round started yet.
    round_over: bool = False


class MessageOut(msgspec.Struct):
    id: int
    table_id: int
    number: int
    author: AuthorOut
    body: str
    html: str
    client_id: str | None
    created_at: str
    status: str
    moderation_reason: str | None = None


def message_out(message: TableMessage, author: User) -> MessageOut:
    return MessageOut(
        id=message.id,
        table_id=message.table_id,
        number=message.number,
        author=author_out(author),
        body=message.body,
        html=message.html,
        client_id=message.client_id,
        created_at=iso(message.created_at) or "",
        status=message.status,
        moderation_reason=message.moderation_reason,
    )


def message_stub(message: TableMessage) -> dict:
    """What someone who may not see a hidden message learns of it: that a number is taken."""
    return {"id": message.id, "table_id": message.table_id, "number": message.number, "status": "hidden"}
