"""Building, editing, reading and publishing the report of a workshop space: moderators of
the space only (for anyone else who may see the space it is 403, for the rest 404)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.lib.errors import Forbidden, Invalid, NotFound
from forum.reports.draft import Settings, write_draft
from forum.reports.models import Report, ReportRevision
from forum.reports.record import read_record
from forum.reports.schemas import ReportEditIn, ReportIn, ReportOut, ReportRevisionOut
from forum.spaces import services as spaces
from forum.spaces.models import Space, SpaceKind
from forum.threads import services as threads
from forum.threads.models import Post
from forum.threads.schemas import MAX_POST_CHARS, ThreadIn, ThreadPatchIn


async def _space_for_moderator(session: AsyncSession, viewer: Viewer, slug: str) -> Space:
    viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    if not viewer.moderates(space.id):
        raise Forbidden("only a moderator of this space may read or write its report")
    if space.kind != SpaceKind.workshop.value:
        raise Invalid(
            f"reports are written for workshop spaces; {slug!r} is of kind {space.kind!r}", field="slug"
        )
    return space


async def _report_of(session: AsyncSession, space: Space) -> Report | None:
    return await session.scalar(select(Report).where(Report.space_id == space.id).with_for_update())


def report_out(report: Report) -> ReportOut:
    return ReportOut(
        id=report.id,
        space_id=report.space_id,
        language=report.language,
        introduction=report.introduction,
        presentation_thread_ids=list(report.presentation_thread_ids),
        held_from=report.held_from,
        held_to=report.held_to,
        venue=report.venue or "",
        opener=report.opener or "",
        chair=report.chair or "",
        body=report.body,
        revision=report.revision,
        published_thread_id=report.published_thread_id,
        updated_at=report.updated_at,
    )


def _add_revision(session: AsyncSession, report: Report, editor_id: int, source: str) -> None:
    session.add(
        ReportRevision(
            report_id=report.id, number=report.revision, body=report.body, editor_id=editor_id, source=source
        )
    )


def _apply_settings(report: Report, data: ReportIn) -> None:
    """Chapter II's settings: what is sent replaces what was kept; an empty text clears one."""
    if data.clear_dates:
        report.held_from = report.held_to = None
    if data.held_from is not None:
        report.held_from = data.held_from
        report.held_to = data.held_to
    elif data.held_to is not None:
        raise Invalid("held_to: give held_from, the first day, with it", field="held_to")
    if report.held_from is not None and report.held_to is not None:
        if report.held_to < report.held_from:
            raise Invalid("held_to: the last day comes on or after held_from", field="held_to")
        if report.held_to == report.held_from:
            report.held_to = None
    for name in ("venue", "opener", "chair"):
        value = getattr(data, name)
        if value is not None:
            text = " ".join(value.split())
            if "\x00" in text:
                raise Invalid(f"{name}: must not contain the NUL character", field=name)
            setattr(report, name, text)


def _settings(report: Report) -> Settings:
    return Settings(
        held_from=report.held_from,
        held_to=report.held_to,
        venue=report.venue or "",
        opener=report.opener or "",
        chair=report.chair or "",
    )


async def build_report(session: AsyncSession, viewer: Viewer, slug: str, data: ReportIn) -> Report:
    """Build the draft from the record, as a new revision of the space's report."""
    actor = viewer.require_user()
    space = await _space_for_moderator(session, viewer, slug)
    report = await _report_of(session, space)
    if report is None:
        report = Report(space_id=space.id, language=data.language, created_by=actor.id, revision=0)
        report.introduction = ""
        report.presentation_thread_ids = []
        report.venue = report.opener = report.chair = ""
        session.add(report)
    report.language = data.language
    if data.introduction is not None:
        report.introduction = data.introduction
    if data.presentation_thread_ids is not None:
        report.presentation_thread_ids = list(dict.fromkeys(data.presentation_thread_ids))
    _apply_settings(report, data)
    record = await read_record(session, viewer, space, list(report.presentation_thread_ids), report.language)
    report.body = write_draft(record, report.language, report.introduction, _settings(report))
    report.revision = (report.revision or 0) + 1
    report.updated_at = utcnow()
    await session.flush()
    _add_revision(session, report, actor.id, "generated")
    await audit.record(
        session,
        actor_id=actor.id,
        action="report.build",
        target_type="report",
        target_id=report.id,
        space_id=space.id,
        after={"revision": report.revision, "language": report.language},
    )
    return report


async def get_report(session: AsyncSession, viewer: Viewer, slug: str) -> Report:
    space = await _space_for_moderator(session, viewer, slug)
    report = await session.scalar(select(Report).where(Report.space_id == space.id))
    if report is None:
        raise NotFound(f"no report for {slug!r} yet: build one with POST /api/spaces/{slug}/report")
    return report


async def edit_report(session: AsyncSession, viewer: Viewer, slug: str, data: ReportEditIn) -> Report:
    actor = viewer.require_user()
    space = await _space_for_moderator(session, viewer, slug)
    report = await _report_of(session, space)
    if report is None:
        raise NotFound(f"no report for {slug!r} yet: build one with POST /api/spaces/{slug}/report")
    if "\x00" in data.body:
        raise Invalid("body: must not contain the NUL character", field="body")
    if data.body != report.body:
        report.body = data.body
        report.revision += 1
        report.updated_at = utcnow()
        _add_revision(session, report, actor.id, "edited")
        await audit.record(
            session,
            actor_id=actor.id,
            action="report.edit",
            target_type="report",
            target_id=report.id,
            space_id=space.id,
            after={"revision": report.revision},
        )
    return report


async def list_revisions(session: AsyncSession, viewer: Viewer, slug: str) -> list[ReportRevisionOut]:
    report = await get_report(session, viewer, slug)
    rows = await session.scalars(
        select(ReportRevision).where(ReportRevision.report_id == report.id).order_by(ReportRevision.number)
    )
    return [ReportRevisionOut(r.number, r.body, r.editor_id, r.source, r.created_at) for r in rows]


async def publish_report(session: AsyncSession, viewer: Viewer, slug: str) -> int:
    """The report as a pinned thread of the space: opened the first time, its first post
    edited (a new revision of the post) on every later publication."""
    actor = viewer.require_can_write()
    space = await _space_for_moderator(session, viewer, slug)
    report = await _report_of(session, space)
    if report is None:
        raise NotFound(f"no report for {slug!r} yet: build one with POST /api/spaces/{slug}/report")
    if len(report.body) > MAX_POST_CHARS:
        raise Invalid(
            f"body: the report has {len(report.body)} characters, a thread's post holds {MAX_POST_CHARS}",
            field="body",
        )
    title = report.body.splitlines()[0].lstrip("# ").strip()[:200] or space.title
    if report.published_thread_id is None:
        thread, _post, _ = await threads.open_thread(
            session, viewer, slug, ThreadIn(title=title, body=report.body)
        )
        await threads.update_thread(session, viewer, thread.id, ThreadPatchIn(pinned=True))
        report.published_thread_id = thread.id
    else:
        first = await session.scalar(
            select(Post).where(Post.thread_id == report.published_thread_id, Post.number == 1)
        )
        if first is None:
            raise NotFound(f"the report's thread {report.published_thread_id} is gone")
        if first.body != report.body:
            await threads.edit_post(session, viewer, first.id, report.body)
    await audit.record(
        session,
        actor_id=actor.id,
        action="report.publish",
        target_type="report",
        target_id=report.id,
        space_id=space.id,
        after={"revision": report.revision, "thread_id": report.published_thread_id},
    )
    return report.published_thread_id
