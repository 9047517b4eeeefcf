"""Request and response shapes of the round-table API; the event payloads are built from them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from forum.accounts.parties import PartyCode
from forum.accounts.schemas import AuthorOut
from forum.lib.raw_input import NOT_BLANK, Id

# A turn is at least half a minute and at most half an hour.
MIN_TURN_SECONDS = 30
MAX_TURN_SECONDS = 1800
MAX_QUESTION_CHARS = 1000
# A summary is a paragraph or two of the report, not a transcript.
MAX_SUMMARY_CHARS = 5_000
MAX_RAPPORTEURS = 20
# No queue is longer than a plenary hall; positions are bounded so the schema says so.
MAX_POSITION = 10_000

Question = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NOT_BLANK)]
Policy = Literal["request_order", "parties_first"]
CapacityName = Literal["party", "lcipp", "fwg", "observer", "secretariat"]
AttributionName = Literal["capacity", "anonymous"]
Organisation = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]


class RoundTableIn(msgspec.Struct, forbid_unknown_fields=True):
    question: Question
    turn_seconds: Annotated[int, msgspec.Meta(ge=MIN_TURN_SECONDS, le=MAX_TURN_SECONDS)]
    policy: Policy = "request_order"
    rapporteur_ids: Annotated[list[Id], msgspec.Meta(max_length=MAX_RAPPORTEURS)] = []


class FloorRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    capacity: CapacityName
    # The Party (capacity party) or organisation (capacity observer); the user's own when left out.
    party: PartyCode | None = None
    organisation: Organisation | None = None
    attribution: AttributionName = "capacity"


class GiveFloorIn(msgspec.Struct, forbid_unknown_fields=True):
    # Left out: the first request in the queue.
    request_id: Id | None = None


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    request_id: Id
    # 1 is the head of the queue; a position past the end moves the request to the end.
    position: Annotated[int, msgspec.Meta(ge=1, le=MAX_POSITION)]


class SkipIn(msgspec.Struct, forbid_unknown_fields=True):
    request_id: Id


class SummaryIn(msgspec.Struct, forbid_unknown_fields=True):
    summary: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SUMMARY_CHARS, pattern=NOT_BLANK)]


class AttributionIn(msgspec.Struct, forbid_unknown_fields=True):
    attribution: AttributionName


class CapacityOut(msgspec.Struct):
    kind: str
    # The Party's code or the organisation's name.
    code: str | None
    # How the room reads it: 'Malaysia', 'LCIPP', 'CGIAR'.
    label: str


class RequestOut(msgspec.Struct):
    id: int
    user: AuthorOut
    capacity: CapacityOut
    attribution: str
    # 1 is next.
    position: int
    requested_at: str


class InterventionOut(msgspec.Struct):
    id: int
    # 1, 2, 3... in the order the floor was given.
    number: int
    # None once a finished turn was attributed anonymously, for all but its speaker and the chairs.
    speaker: AuthorOut | None
    capacity: CapacityOut | None
    attribution: str
    # As the report names the speaker: 'the representative of Malaysia', 'a participant'.
    attributed_as: str
    started_at: str
    # The server's end of the countdown.
    ends_at: str
    ended_at: str | None
    duration_seconds: int | None
    summary: str
    summary_by: int | None


class RoundTableOut(msgspec.Struct):
    id: int
    space: str
    question: str
    turn_seconds: int
    policy: str
    state: str
    chair: AuthorOut
    rapporteur_ids: list[int]
    # Waiting requests, next first.
    queue: list[RequestOut]
    # The turn under way, if any; its `ends_at` is the countdown's end.
    floor: InterventionOut | None
    # True once the server has announced that the turn's time is up.
    turn_reminded: bool
    # Every intervention so far, in order (the one under way included).
    interventions: list[InterventionOut]
    # The server's clock when this was read: clients count down against it.
    server_time: str
    created_at: str
    closed_at: str | None
    # The archive thread, once closed.
    thread_id: int | None


class RoundTableCloseOut(msgspec.Struct):
    thread_id: int
