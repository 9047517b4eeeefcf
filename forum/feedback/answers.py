"""Answering a poll: once per participant, changeable until it closes; each answer sends
the moderators the new results on `poll:{id}` (everyone else learns only the count)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import streams
from forum.accounts.viewer import Viewer
from forum.feedback.models import Poll, PollResponse, QuestionKind
from forum.feedback.polls import find_poll, poll_state, poll_topic
from forum.feedback.results import poll_results
from forum.feedback.schemas import MAX_TEXT_ANSWER, RATING_MAX, RATING_MIN, Answer, ResponseIn
from forum.lib.db import utcnow
from forum.lib.errors import Conflict, Invalid

ANSWERED = "poll.answered"
TYPES = (ANSWERED,)


def check_answers(poll: Poll, answers: list[Answer]) -> list[Any]:
    """The answers as stored, or Invalid naming the first one that does not fit."""
    if len(answers) != len(poll.questions):
        raise Invalid(
            f"answers: the poll has {len(poll.questions)} questions, {len(answers)} answers were given",
            field="answers",
        )
    if all(a is None for a in answers):
        raise Invalid("answers: answer one question at least", field="answers")
    out: list[Any] = []
    for i, (q, a) in enumerate(zip(poll.questions, answers, strict=True)):
        where = f"answers[{i}]"
        if a is None:
            out.append(None)
        elif q["kind"] == QuestionKind.single_choice.value:
            if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(q["choices"]):
                raise Invalid(
                    f"{where}: the index of a choice, 0 to {len(q['choices']) - 1}", field="answers"
                )
            out.append(a)
        elif q["kind"] == QuestionKind.rating.value:
            if isinstance(a, bool) or not isinstance(a, int) or not RATING_MIN <= a <= RATING_MAX:
                raise Invalid(f"{where}: a rating from {RATING_MIN} to {RATING_MAX}", field="answers")
            out.append(a)
        else:
            if not isinstance(a, str) or not a.strip() or len(a) > MAX_TEXT_ANSWER:
                raise Invalid(f"{where}: a text of 1 to {MAX_TEXT_ANSWER} characters", field="answers")
            out.append(a.strip())
    return out


async def respond(session: AsyncSession, viewer: Viewer, poll_id: int, data: ResponseIn) -> Poll:
    user = viewer.require_can_write()
    poll, _space = await find_poll(session, viewer, poll_id)
    state = poll_state(poll)
    if state != "open":
        raise Conflict(f"poll {poll_id} is {state}: answers are taken while it is open")
    answers = check_answers(poll, data.answers)
    existing = await session.scalar(
        select(PollResponse)
        .where(PollResponse.poll_id == poll.id, PollResponse.user_id == user.id)
        .with_for_update()
    )
    if existing is None:
        session.add(PollResponse(poll_id=poll.id, user_id=user.id, answers=answers))
    else:
        existing.answers = answers
        existing.updated_at = utcnow()
    await session.flush()
    results = await poll_results(session, poll)
    await streams.append(
        session,
        poll_topic(poll.id),
        ANSWERED,
        {"poll_id": poll.id, "results": msgspec.to_builtins(results)},
        space_id=poll.space_id,
        public_type=ANSWERED,
        public_data={"poll_id": poll.id, "responses": results.responses},
    )
    return poll
