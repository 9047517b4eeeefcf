"""Request and response shapes of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from forum.accounts.schemas import AuthorOut
from forum.lib.raw_input import NOT_BLANK

MAX_QUESTIONS = 30
MAX_CHOICES = 20
MAX_TEXT_ANSWER = 5_000
RATING_MIN = 1
RATING_MAX = 5

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)]
Prompt = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=NOT_BLANK)]
Choice = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)]
KindName = Literal["single_choice", "rating", "text"]
# One answer: a choice's index, a rating, a text, or null (the question left out).
Answer = int | str | None


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: KindName
    prompt: Prompt
    # single_choice only: two choices at least.
    choices: Annotated[list[Choice], msgspec.Meta(max_length=MAX_CHOICES)] = []


class PollIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    questions: Annotated[list[QuestionIn], msgspec.Meta(min_length=1, max_length=MAX_QUESTIONS)]
    closes_at: datetime
    # Left out: open now.
    opens_at: datetime | None = None
    anonymous: bool = True


class ResponseIn(msgspec.Struct, forbid_unknown_fields=True):
    # One entry per question, in order.
    answers: Annotated[list[Answer], msgspec.Meta(max_length=MAX_QUESTIONS)]


class QuestionOut(msgspec.Struct):
    kind: str
    prompt: str
    choices: list[str]


class PollOut(msgspec.Struct):
    id: int
    space_id: int
    title: str
    anonymous: bool
    questions: list[QuestionOut]
    opens_at: datetime
    closes_at: datetime
    # "scheduled" (before opens_at), "open", "closed" (from closes_at on).
    state: str
    responses: int
    # The caller's own answers, null when they have not answered (or are not signed in).
    my_answers: list[Answer] | None
    # Whether the caller may read the results now (moderators always, others once closed).
    results_visible: bool


class TextAnswerOut(msgspec.Struct):
    text: str
    # Null in an anonymous poll.
    author: AuthorOut | None


class QuestionResult(msgspec.Struct):
    kind: str
    prompt: str
    answered: int
    # single_choice: one count per choice; rating: one count per value 1..5.
    counts: list[int] = []
    # rating: the mean of the ratings given, null when none was.
    mean: float | None = None
    # text: the answers, oldest first.
    texts: list[TextAnswerOut] = []


class PollResultsOut(msgspec.Struct):
    poll_id: int
    state: str
    responses: int
    questions: list[QuestionResult]
