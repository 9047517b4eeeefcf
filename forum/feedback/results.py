"""The results of a poll, aggregated from its answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.schemas import author_out
from forum.feedback.models import Poll, PollResponse, QuestionKind
from forum.feedback.polls import poll_state
from forum.feedback.schemas import RATING_MAX, RATING_MIN, PollResultsOut, QuestionResult, TextAnswerOut


async def poll_results(session: AsyncSession, poll: Poll) -> PollResultsOut:
    """Counts per choice and per rating, the mean rating, and the texts (named only when the
    poll is not anonymous). The caller has checked that the reader may see them."""
    rows = (
        await session.execute(
            select(PollResponse, User)
            .join(User, User.id == PollResponse.user_id)
            .where(PollResponse.poll_id == poll.id)
            .order_by(PollResponse.id)
        )
    ).all()
    questions: list[QuestionResult] = []
    for i, q in enumerate(poll.questions):
        given = [(r.answers[i] if i < len(r.answers) else None, u) for r, u in rows]
        given = [(a, u) for a, u in given if a is not None]
        result = QuestionResult(kind=q["kind"], prompt=q["prompt"], answered=len(given))
        if q["kind"] == QuestionKind.single_choice.value:
            result.counts = [sum(1 for a, _ in given if a == c) for c in range(len(q["choices"]))]
        elif q["kind"] == QuestionKind.rating.value:
            result.counts = [sum(1 for a, _ in given if a == v) for v in range(RATING_MIN, RATING_MAX + 1)]
            result.mean = round(sum(a for a, _ in given) / len(given), 2) if given else None
        else:
            result.texts = [
                TextAnswerOut(text=a, author=None if poll.anonymous else author_out(u)) for a, u in given
            ]
        questions.append(result)
    return PollResultsOut(poll_id=poll.id, state=poll_state(poll), responses=len(rows), questions=questions)
