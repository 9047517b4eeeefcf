"""Creating polls, finding them for a viewer, and showing them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.viewer import Viewer
from forum.feedback.models import Poll, PollResponse, QuestionKind
from forum.feedback.schemas import PollIn, PollOut, QuestionOut
from forum.lib.db import utcnow
from forum.lib.errors import Forbidden, Invalid, NotFound
from forum.spaces import services as spaces
from forum.spaces.models import Space, SpaceKind
from forum.spaces.policy import can_see_space


def poll_topic(poll_id: int) -> str:
    return f"poll:{poll_id}"


def poll_state(poll: Poll, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < poll.opens_at:
        return "scheduled"
    return "open" if now < poll.closes_at else "closed"


def results_visible(viewer: Viewer, poll: Poll) -> bool:
    """Moderators of the space read the results live; everyone who may read the space,
    once the poll has closed."""
    return viewer.moderates(poll.space_id) or poll_state(poll) == "closed"


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise Invalid(f"{field}: give the time with its offset (e.g. 2026-11-30T12:00:00Z)", field=field)
    return value


async def create_poll(session: AsyncSession, viewer: Viewer, slug: str, data: PollIn) -> Poll:
    actor = viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    if not viewer.moderates(space.id):
        raise Forbidden("only a moderator of this space may attach a poll")
    if space.kind != SpaceKind.workshop.value:
        raise Invalid(
            f"polls are attached to workshop spaces; {slug!r} is of kind {space.kind!r}", field="slug"
        )
    opens_at = _aware(data.opens_at, "opens_at") if data.opens_at is not None else utcnow()
    closes_at = _aware(data.closes_at, "closes_at")
    if closes_at <= opens_at:
        raise Invalid("closes_at: the poll must close after it opens", field="closes_at")
    questions = []
    for i, q in enumerate(data.questions):
        if q.kind == QuestionKind.single_choice.value:
            if len(q.choices) < 2:
                raise Invalid(
                    f"questions[{i}].choices: a single-choice question has two choices at least",
                    field="questions",
                )
        elif q.choices:
            raise Invalid(
                f"questions[{i}].choices: only a single-choice question has choices", field="questions"
            )
        questions.append(
            {"kind": q.kind, "prompt": q.prompt.strip(), "choices": [c.strip() for c in q.choices]}
        )
    poll = Poll(
        space_id=space.id,
        title=data.title.strip(),
        anonymous=data.anonymous,
        questions=questions,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor.id,
    )
    session.add(poll)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="poll.create",
        target_type="poll",
        target_id=poll.id,
        space_id=space.id,
        after={"title": poll.title, "questions": len(questions), "anonymous": poll.anonymous},
    )
    return poll


async def find_poll(session: AsyncSession, viewer: Viewer, poll_id: int) -> tuple[Poll, Space]:
    """The poll, if the viewer may read its space; else NotFound (a hidden poll is not revealed)."""
    poll = await session.get(Poll, poll_id)
    space = await session.get(Space, poll.space_id) if poll is not None else None
    if poll is None or space is None or not can_see_space(viewer, space):
        raise NotFound(f"no poll with id {poll_id}")
    return poll, space


async def list_polls(session: AsyncSession, viewer: Viewer, slug: str) -> list[Poll]:
    """The polls of a space, newest first (a workshop holds a handful)."""
    space = await spaces.get_space(session, viewer, slug)
    query = select(Poll).where(Poll.space_id == space.id).order_by(Poll.id.desc())
    return list((await session.scalars(query)).all())


async def poll_views(session: AsyncSession, polls: list[Poll], viewer: Viewer) -> list[PollOut]:
    """The polls as the viewer sees them, in two statements whatever their number."""
    ids = [p.id for p in polls]
    counts: dict[int, int] = {}
    mine: dict[int, list] = {}
    if ids:
        rows = await session.execute(
            select(PollResponse.poll_id, func.count())
            .where(PollResponse.poll_id.in_(ids))
            .group_by(PollResponse.poll_id)
        )
        counts = {pid: n for pid, n in rows.all()}
        if viewer.id is not None:
            own = await session.execute(
                select(PollResponse.poll_id, PollResponse.answers).where(
                    PollResponse.poll_id.in_(ids), PollResponse.user_id == viewer.id
                )
            )
            mine = {pid: answers for pid, answers in own.all()}
    now = utcnow()
    return [
        PollOut(
            id=p.id,
            space_id=p.space_id,
            title=p.title,
            anonymous=p.anonymous,
            questions=[
                QuestionOut(kind=q["kind"], prompt=q["prompt"], choices=list(q["choices"]))
                for q in p.questions
            ],
            opens_at=p.opens_at,
            closes_at=p.closes_at,
            state=poll_state(p, now),
            responses=counts.get(p.id, 0),
            my_answers=mine.get(p.id),
            results_visible=results_visible(viewer, p),
        )
        for p in polls
    ]
