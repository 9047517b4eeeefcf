"""Request and response shapes of the moderation API: the queue, flags, restrictions, the log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from forum.accounts.schemas import AuthorOut
from forum.lib.raw_input import NOT_BLANK
from forum.threads.schemas import Body

# A reason is read by the author and by other moderators: a sentence or a paragraph.
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=NOT_BLANK)]
Note = Annotated[str, msgspec.Meta(max_length=1000)]
FlagReasonName = Literal["spam", "off_topic", "abusive", "safeguards", "other"]
# Silences and suspensions last at most about ten years; beyond that, delete the account.
MAX_RESTRICTION_SECONDS = 10 * 366 * 24 * 3600
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class OptionalReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None


class ApproveIn(msgspec.Struct, forbid_unknown_fields=True):
    """`body` corrects the text while approving; the author's original stays as a revision."""

    body: Body | None = None


class FlagIn(msgspec.Struct, forbid_unknown_fields=True):
    """`safeguards`: a concern about the rights, lands or knowledge of indigenous peoples and
    local communities. `other` needs a `note` saying what is wrong."""

    reason: FlagReasonName
    note: Note | None = None


class RestrictionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A silence or suspension: a reason and an end, as `until` or as `duration_seconds`."""

    reason: Reason
    until: AwareDateTime | None = None
    duration_seconds: Annotated[int, msgspec.Meta(ge=1, le=MAX_RESTRICTION_SECONDS)] | None = None


class TargetRef(msgspec.Struct, omit_defaults=True):
    """The target of an entry: `type` and `id` always; the rest when the reader may know it.

    `title`: the thread's (post, thread), café's, round table's question, poll's or space's
    title, or the user's display name; `thread_id` and `number` place a post; `handle` names
    a user's page; `cafe_id` and `roundtable_id` place a message or an intervention; `space`
    is the slug of the target's space (its page, a report's page)."""

    type: str
    id: int
    title: str | None = None
    thread_id: int | None = None
    number: int | None = None
    handle: str | None = None
    cafe_id: int | None = None
    roundtable_id: int | None = None
    space: str | None = None


class AuditEntryOut(msgspec.Struct):
    id: int
    actor: AuthorOut | None
    action: str
    target: TargetRef
    reason: str | None
    at: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    space: str | None
    # The entry's space's title (`space` is its slug), for the sentence the page writes.
    space_title: str | None = None
    # The actor's handle: their page is #/u/{handle}.
    actor_handle: str | None = None


class StandingOut(msgspec.Struct):
    """A user and the restrictions on them, as moderators see it."""

    id: int
    display_name: str
    role: str
    party: str | None
    silenced_until: str | None
    silence_reason: str | None
    suspended_until: str | None
    suspend_reason: str | None
