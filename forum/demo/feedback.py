"""The demo's feedback on the SBSTA 63 workshop, from chapter VI of the secretariat's report
('reflections of Parties on the workshop'): a closed poll the three demo Parties answered,
so that the demo's report draft has its chapter VI. The answers render the report's two
paragraphs (27 and 28); the poll is created and answered through the services, then its
clock is put back to the workshop's day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.demo.content import WORKSHOP
from forum.feedback import answers, polls
from forum.feedback.models import Poll
from forum.feedback.schemas import PollIn, QuestionIn, ResponseIn

TITLE = "Reflections on the in-session workshop"
QUESTIONS = (
    QuestionIn(kind="rating", prompt="How informative was the workshop?"),
    QuestionIn(
        kind="single_choice",
        prompt="Should future workshops keep the world café format?",
        choices=["Yes", "No"],
    ),
    QuestionIn(kind="text", prompt="Your reflections on the workshop"),
)


@dataclass(frozen=True)
class DemoAnswer:
    who: str
    answers: tuple[int | str | None, ...]


DEMO_ANSWERS = (
    DemoAnswer(
        "focal_jpn",
        (
            5,
            0,
            "We welcomed the opportunity to engage with the presenters and the Facilitative Working "
            "Group and to take part in the discussions; the workshop was informative.",
        ),
    ),
    DemoAnswer(
        "focal_mys",
        (
            5,
            0,
            "A valuable opportunity to learn about work related to non-market approaches.",
        ),
    ),
    DemoAnswer(
        "focal_bol",
        (
            4,
            0,
            "We appreciate the continued use of the world café: an informal space for interaction "
            "and for exchanging experiences.",
        ),
    ),
)


async def load_feedback(session: AsyncSession, viewer: Callable[[str], Awaitable[Viewer]]) -> str:
    """Create, answer and close the demo's poll; what was done, for the summary."""
    existing = await session.scalar(select(Poll.id).where(Poll.title == TITLE))
    if existing is not None:
        return f"already there (id {existing})"
    # Open now and until tomorrow so the services take the answers; closed afterwards.
    now = datetime.now(UTC)
    poll = await polls.create_poll(
        session,
        await viewer("moderator"),
        WORKSHOP,
        PollIn(title=TITLE, questions=list(QUESTIONS), closes_at=now + timedelta(days=1), anonymous=True),
    )
    for demo in DEMO_ANSWERS:
        await answers.respond(
            session, await viewer(demo.who), poll.id, ResponseIn(answers=list(demo.answers))
        )
    # The workshop's afternoon, 11 November 2025 (the hour is illustrative).
    poll.opens_at = datetime(2025, 11, 11, 20, 0, tzinfo=UTC)
    poll.closes_at = datetime(2025, 11, 11, 22, 0, tzinfo=UTC)
    await session.flush()
    return f"answered and closed (id {poll.id}, {len(DEMO_ANSWERS)} answers)"
