"""Loads the demo content of `content.py` through the services; running it twice changes nothing.

Every write goes through the same service functions as the HTTP API (with the Viewer of
the demo user who makes it), so every rule applies: pre-moderation leaves the observer's
post pending, moderators are set by an admin, and events are stored as for any post.
Idempotence: users are found by email, spaces by slug, threads by space and title, and
replies by their `client_id` (a repeated client_id returns the stored post).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.services import create_user
from forum.accounts.viewer import Viewer
from forum.cafes import lifecycle
from forum.cafes.models import Cafe
from forum.cafes.schemas import CafeIn, TableIn
from forum.demo.content import (
    DEMO_CAFE,
    DEMO_PASSWORD,
    DEMO_ROUNDTABLE,
    DEMO_SPACES,
    DEMO_THREADS,
    DEMO_USERS,
    PENDING_POST,
    DemoThread,
)
from forum.demo.feedback import load_feedback
from forum.demo.report import load_report
from forum.roundtables import archive as roundtable_archive
from forum.roundtables import floor as roundtable_floor
from forum.roundtables import lifecycle as roundtable_lifecycle
from forum.roundtables import queue as roundtable_queue
from forum.roundtables.models import Intervention, RoundTable
from forum.roundtables.schemas import FloorRequestIn, RoundTableIn
from forum.spaces import services as spaces
from forum.spaces.models import Space
from forum.spaces.schemas import ModeratorsIn, SpaceIn
from forum.spaces.viewers import load_viewer
from forum.threads import services as threads
from forum.threads.models import Thread
from forum.threads.schemas import ThreadIn, ThreadPatchIn


@dataclass
class DemoSummary:
    users: int = 0
    spaces: int = 0
    threads: int = 0
    posts: int = 0
    cafe: str = "not loaded"
    roundtable: str = "not loaded"
    feedback: str = "not loaded"
    report: str = "not loaded"
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"demo loaded: {self.users} new users, {self.spaces} new spaces, "
            f"{self.threads} new threads, {self.posts} new posts; café: {self.cafe}; "
            f"round table: {self.roundtable}; feedback: {self.feedback}; report: {self.report}",
            f"demo users sign in with the password {DEMO_PASSWORD!r}:",
            *(f"  {u.email:28} {u.role}{f' ({u.party})' if u.party else ''}" for u in DEMO_USERS),
            *self.notes,
        ]
        return "\n".join(lines)


class DemoLoader:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.summary = DemoSummary()
        self.user_ids: dict[str, int] = {}

    async def viewer(self, key: str) -> Viewer:
        # Loaded afresh each time: the spaces a user moderates change while loading.
        user = await self.session.get(User, self.user_ids[key])
        return await load_viewer(self.session, user)

    async def users(self) -> None:
        for demo in DEMO_USERS:
            user_id = await self.session.scalar(select(User.id).where(User.email == demo.email))
            if user_id is None:
                user = await create_user(
                    self.session,
                    email=demo.email,
                    password=DEMO_PASSWORD,
                    display_name=demo.name,
                    role=demo.role,
                    party=demo.party,
                    organisation=demo.organisation,
                    # `@focal.jpn`: the demo's people are mentioned by their email's name.
                    handle=demo.email.partition("@")[0],
                )
                user_id = user.id
                self.summary.users += 1
            self.user_ids[demo.key] = user_id

    async def spaces(self) -> None:
        admin = await self.viewer("admin")
        for demo in DEMO_SPACES:
            if await self.session.scalar(select(Space.id).where(Space.slug == demo.slug)) is None:
                await spaces.create_space(
                    self.session,
                    admin,
                    SpaceIn(
                        slug=demo.slug,
                        title=demo.title,
                        kind=demo.kind,
                        moderation=demo.moderation,
                        visibility=demo.visibility,
                        allowed_roles=list(demo.allowed_roles),
                        description=demo.description,
                    ),
                )
                self.summary.spaces += 1
            # set_moderators writes an audit entry only when the list changes.
            await spaces.set_moderators(
                self.session,
                admin,
                demo.slug,
                ModeratorsIn(user_ids=[self.user_ids[key] for key in demo.moderators]),
            )

    async def find_thread(self, demo: DemoThread) -> Thread | None:
        return await self.session.scalar(
            select(Thread)
            .join(Space, Space.id == Thread.space_id)
            .where(Space.slug == demo.space, Thread.title == demo.title)
        )

    async def threads(self) -> dict[str, int]:
        thread_ids: dict[str, int] = {}
        for demo in DEMO_THREADS:
            thread = await self.find_thread(demo)
            if thread is None:
                thread, _, _ = await threads.open_thread(
                    self.session,
                    await self.viewer(demo.author),
                    demo.space,
                    ThreadIn(title=demo.title, body=demo.body, client_id=f"demo:{demo.key}:1"),
                )
                self.summary.threads += 1
                self.summary.posts += 1
            thread_ids[demo.key] = thread.id
            for number, reply in enumerate(demo.replies, start=2):
                written = await threads.create_post(
                    self.session,
                    await self.viewer(reply.author),
                    thread.id,
                    reply.body,
                    client_id=f"demo:{demo.key}:{number}",
                )
                self.summary.posts += int(written.created)
            if demo.pinned and not thread.pinned:
                await threads.update_thread(
                    self.session, await self.viewer("moderator"), thread.id, ThreadPatchIn(pinned=True)
                )
        key, reply = PENDING_POST
        written = await threads.create_post(
            self.session,
            await self.viewer(reply.author),
            thread_ids[key],
            reply.body,
            client_id=f"demo:{key}:pending",
        )
        self.summary.posts += int(written.created)
        if written.created:
            self.summary.notes.append(
                f"one post by {reply.author} waits in the moderation queue ({written.post.status})"
            )
        return thread_ids

    async def cafe(self) -> None:
        """An open café in the workshop space, a table per NMA hosted by its focal point."""
        space_id = await self.session.scalar(select(Space.id).where(Space.slug == DEMO_CAFE.space))
        existing = await self.session.scalar(
            select(Cafe.id).where(Cafe.space_id == space_id, Cafe.title == DEMO_CAFE.title)
        )
        if existing is not None:
            self.summary.cafe = f"already there (id {existing})"
            return
        cafe = await lifecycle.create_cafe(
            self.session,
            await self.viewer("moderator"),
            DEMO_CAFE.space,
            CafeIn(
                title=DEMO_CAFE.title,
                round_seconds=DEMO_CAFE.round_seconds,
                tables=[TableIn(topic=t.topic, host_id=self.user_ids[t.host]) for t in DEMO_CAFE.tables],
            ),
        )
        self.summary.cafe = f"created (id {cafe.id}, open: join it in the workshop space)"

    async def roundtable(self) -> None:
        """The round table of chapter V, held and closed: each intervention requested, given
        the floor, summarized by the chair and ended through the services, then closed into
        its thread. Only the clock is the workshop's: the turns are dated 11 November 2025."""
        space_id = await self.session.scalar(select(Space.id).where(Space.slug == DEMO_ROUNDTABLE.space))
        existing = await self.session.scalar(
            select(RoundTable.id).where(
                RoundTable.space_id == space_id, RoundTable.question == DEMO_ROUNDTABLE.question
            )
        )
        if existing is not None:
            self.summary.roundtable = f"already there (id {existing})"
            return
        chair = await self.viewer("moderator")
        rt = await roundtable_lifecycle.open_roundtable(
            self.session,
            chair,
            DEMO_ROUNDTABLE.space,
            RoundTableIn(
                question=DEMO_ROUNDTABLE.question,
                turn_seconds=DEMO_ROUNDTABLE.turn_seconds,
                policy=DEMO_ROUNDTABLE.policy,  # type: ignore[arg-type]
            ),
        )
        # The workshop's date; the hour is illustrative (the report gives none).
        start = datetime(2025, 11, 11, 19, 10, tzinfo=UTC)
        for demo in DEMO_ROUNDTABLE.interventions:
            await roundtable_queue.request_floor(
                self.session,
                await self.viewer(demo.speaker),
                rt.id,
                FloorRequestIn(capacity=demo.capacity, attribution=demo.attribution),  # type: ignore[arg-type]
            )
            item = await roundtable_floor.give_floor(self.session, chair, rt.id, None)
            await roundtable_floor.record_summary(self.session, chair, item.id, demo.summary)
            await roundtable_floor.end_turn(self.session, chair, rt.id)
            self._date(item, start, demo.minutes)
            start += timedelta(minutes=demo.minutes)
        await roundtable_archive.close_roundtable(self.session, chair, rt.id)
        self.summary.roundtable = (
            f"held and closed (id {rt.id}, {len(DEMO_ROUNDTABLE.interventions)} interventions)"
        )

    def _date(self, item: Intervention, start: datetime, minutes: int) -> None:
        """Put a demo turn at its place in the workshop's afternoon (the services record now)."""
        item.started_at = start
        item.ends_at = start + timedelta(seconds=DEMO_ROUNDTABLE.turn_seconds)
        item.ended_at = start + timedelta(minutes=minutes)
        item.duration_seconds = minutes * 60

    async def run(self) -> DemoSummary:
        await self.users()
        await self.spaces()
        await self.threads()
        await self.cafe()
        await self.roundtable()
        self.summary.feedback = await load_feedback(self.session, self.viewer)
        self.summary.report = await load_report(self.session, self.viewer)
        return self.summary


async def load_demo(session: AsyncSession) -> DemoSummary:
    """Load (or complete) the demo content in the caller's transaction; returns what was
    added."""
    return await DemoLoader(session).run()
