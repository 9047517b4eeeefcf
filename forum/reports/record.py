"""What the report reads from the forum's record of one workshop space.

Everything is read for the requesting moderator (the space through `spaces.get_space`, each
presentation thread through `threads.lookup.get_thread`, so what they may not read is not
found) and then narrowed to what is published: pending, hidden and deleted threads and posts
never reach a report, whoever asks. Table messages are not read at all: the café chapter
is the tables' harvests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import Role, User
from forum.accounts.viewer import Viewer
from forum.cafes.models import Cafe, CafeSeat, CafeTable, CafeVisit
from forum.feedback.models import Poll, PollResponse
from forum.feedback.results import poll_results
from forum.feedback.schemas import PollResultsOut
from forum.lib.errors import NotFound
from forum.roundtables import wording
from forum.roundtables.models import Intervention, RoundTable
from forum.spaces.models import Space
from forum.threads.lookup import get_thread
from forum.threads.models import Post, PostStatus, Thread

PUBLISHED = PostStatus.published.value


@dataclass
class Presentation:
    thread_id: int
    title: str
    presenter: str  # as the report names them: 'the representative of Japan'
    body: str  # the thread's first post


@dataclass
class TableRecord:
    position: int
    topic: str
    host: str
    harvest: str


@dataclass
class InterventionRecord:
    number: int
    attributed_as: str
    summary: str


@dataclass
class Figures:
    parties: int = 0
    party_people: int = 0
    lcipp: int = 0
    organisations: int = 0
    observers: int = 0
    posts: int = 0
    tables: int = 0
    rounds: int = 0
    interventions: int = 0


@dataclass
class Record:
    space_title: str
    held_on: datetime | None = None
    opener: str | None = None
    # ('presentations' | 'cafe' | 'roundtable', when), in the order they were held.
    segments: list[str] = field(default_factory=list)
    presentations: list[Presentation] = field(default_factory=list)
    tables: list[TableRecord] = field(default_factory=list)
    interventions: list[InterventionRecord] = field(default_factory=list)
    polls: list[tuple[Poll, PollResultsOut]] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)


def presenter_name(user: User, language: str = "en") -> str:
    """How chapter III names a presenter, in the capacity their profile gives them, in the
    report's language."""
    if user.role == Role.focal_point.value and user.party:
        return wording.attributed_as("party", user.party, "capacity", language)
    if user.role == Role.lcipp.value:
        return wording.attributed_as("lcipp", None, "capacity", language)
    if user.role == Role.observer.value:
        return wording.attributed_as("observer", user.organisation, "capacity", language)
    return wording.attributed_as("secretariat", None, "capacity", language)


async def read_record(
    session: AsyncSession, viewer: Viewer, space: Space, presentation_ids: list[int], language: str = "en"
) -> Record:
    record = Record(space_title=space.title)
    starts: list[tuple[datetime, str, int | None]] = []

    for thread_id in presentation_ids:
        try:
            found = await get_thread(session, viewer, thread_id)
        except NotFound:
            continue
        thread = found.thread
        if thread.space_id != space.id or thread.status != PUBLISHED:
            continue
        first = await session.scalar(
            select(Post).where(Post.thread_id == thread.id, Post.number == 1, Post.status == PUBLISHED)
        )
        author = await session.get(User, thread.author_id)
        if first is None or author is None:
            continue
        record.presentations.append(
            Presentation(thread.id, thread.title, presenter_name(author, language), first.body)
        )
        starts.append((thread.created_at, "presentations", thread.author_id))

    cafes = list(
        (await session.scalars(select(Cafe).where(Cafe.space_id == space.id).order_by(Cafe.id))).all()
    )
    for cafe in cafes:
        starts.append((cafe.created_at, "cafe", cafe.created_by))
        record.figures.rounds += cafe.round
        tables = (
            await session.execute(
                select(CafeTable, User)
                .join(User, User.id == CafeTable.host_id)
                .where(CafeTable.cafe_id == cafe.id)
                .order_by(CafeTable.position)
            )
        ).all()
        for table, host in tables:
            record.tables.append(
                TableRecord(
                    table.position, table.topic, presenter_name(host, language), table.harvest.strip()
                )
            )
    record.figures.tables = len(record.tables)

    rts = list(
        (
            await session.scalars(
                select(RoundTable).where(RoundTable.space_id == space.id).order_by(RoundTable.id)
            )
        ).all()
    )
    for rt in rts:
        starts.append((rt.created_at, "roundtable", rt.chair_id))
        items = (
            await session.scalars(
                select(Intervention).where(Intervention.roundtable_id == rt.id).order_by(Intervention.number)
            )
        ).all()
        for item in items:
            who = wording.attributed_as(item.capacity_kind, item.capacity_code, item.attribution, language)
            record.interventions.append(InterventionRecord(item.number, who, item.summary.strip()))
    record.figures.interventions = len(record.interventions)

    polls = list(
        (await session.scalars(select(Poll).where(Poll.space_id == space.id).order_by(Poll.id))).all()
    )
    for poll in polls:
        record.polls.append((poll, await poll_results(session, poll)))

    starts.sort(key=lambda s: s[0])
    for _, kind, _ in starts:
        if kind not in record.segments:
            record.segments.append(kind)
    if starts:
        record.held_on = starts[0][0]
        opener = await session.get(User, starts[0][2]) if starts[0][2] else None
        record.opener = opener.display_name if opener else None

    await _figures(session, space, record, cafes, rts, polls)
    return record


async def _figures(
    session: AsyncSession,
    space: Space,
    record: Record,
    cafes: list[Cafe],
    rts: list[RoundTable],
    polls: list[Poll],
) -> None:
    """Who took part (posted, sat at a café table, spoke, answered a poll), by constituency,
    and the published posts of the space."""
    published_threads = select(Thread.id).where(Thread.space_id == space.id, Thread.status == PUBLISHED)
    record.figures.posts = (
        await session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.thread_id.in_(published_threads), Post.status == PUBLISHED)
        )
        or 0
    )
    cafe_ids = [c.id for c in cafes]
    user_ids: set[int] = set(
        (
            await session.scalars(
                select(Post.author_id)
                .where(Post.thread_id.in_(published_threads), Post.status == PUBLISHED)
                .distinct()
            )
        ).all()
    )
    if cafe_ids:
        user_ids |= set(
            (await session.scalars(select(CafeSeat.user_id).where(CafeSeat.cafe_id.in_(cafe_ids)))).all()
        )
        user_ids |= set(
            (await session.scalars(select(CafeVisit.user_id).where(CafeVisit.cafe_id.in_(cafe_ids)))).all()
        )
    if rts:
        user_ids |= set(
            (
                await session.scalars(
                    select(Intervention.speaker_id).where(Intervention.roundtable_id.in_([r.id for r in rts]))
                )
            ).all()
        )
    if polls:
        user_ids |= set(
            (
                await session.scalars(
                    select(PollResponse.user_id).where(PollResponse.poll_id.in_([p.id for p in polls]))
                )
            ).all()
        )
    users = list((await session.scalars(select(User).where(User.id.in_(user_ids)))).all()) if user_ids else []
    focal = [u for u in users if u.role == Role.focal_point.value and u.party]
    observers = [u for u in users if u.role == Role.observer.value]
    record.figures.parties = len({u.party for u in focal})
    record.figures.party_people = len(focal)
    record.figures.lcipp = sum(1 for u in users if u.role == Role.lcipp.value)
    record.figures.organisations = len({u.organisation for u in observers if u.organisation})
    record.figures.observers = len(observers)
