"""The demo's report of the SBSTA 63 workshop: chapter I and chapter II's settings as the
secretariat would enter them once (from the seed report: the mandate, the scope, the
possible action; held on 11 November 2025 in Belém, opened by the Vice-Chair of the SBSTA,
chaired by the Glasgow Committee's Co-Chairs), and a first draft built from the demo's
record through the report's own service, so the report editor opens on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.demo.content import WORKSHOP
from forum.reports import services as reports
from forum.reports.models import Report
from forum.reports.schemas import ReportIn
from forum.spaces.models import Space
from forum.threads.models import Thread

INTRODUCTION = (
    "The CMA, at its fourth session, requested the secretariat, subject to the availability of "
    "resources, to organize an in-session workshop in conjunction with each meeting of the "
    "Glasgow Committee on Non-market Approaches, including plenary presentations and round-table "
    "discussions, and to prepare a report on each workshop for consideration by the Glasgow "
    "Committee at its subsequent meeting.\n\n"
    "This report covers the proceedings of the in-session workshop held in conjunction with the "
    "eighth meeting of the Glasgow Committee. It summarizes the presentations, the world café "
    "and the round-table discussion, and some reflections of Parties on the workshop. As not "
    "all Parties were represented, it does not reflect the views of all Parties.\n\n"
    "The SBSTA may wish to take note of the information in this report when considering the "
    "implementation of the activities under the work programme under the framework for "
    "non-market approaches referred to in Article 6, paragraph 8, of the Paris Agreement."
)
HELD_ON = date(2025, 11, 11)
VENUE = "Belém, Brazil"
OPENER = "the Vice-Chair of the SBSTA, Carol Franco (Dominican Republic)"
CHAIR = (
    "the Co-Chairs of the Glasgow Committee, El Hadji Mbaye Diagne (Senegal) and Jacqui Ruesga (New Zealand)"
)
PRESENTATION_TITLE = "Presentations of support providers"


async def load_report(session: AsyncSession, viewer: Callable[[str], Awaitable[Viewer]]) -> str:
    """Build the demo's first draft once; what was done, for the summary."""
    space_id = await session.scalar(select(Space.id).where(Space.slug == WORKSHOP))
    existing = await session.scalar(select(Report.id).where(Report.space_id == space_id))
    if space_id is None or existing is not None:
        return f"already there (id {existing})"
    presentations = list(
        (
            await session.scalars(
                select(Thread.id).where(
                    Thread.space_id == space_id, Thread.title.startswith(PRESENTATION_TITLE)
                )
            )
        ).all()
    )
    report = await reports.build_report(
        session,
        await viewer("moderator"),
        WORKSHOP,
        ReportIn(
            language="en",
            introduction=INTRODUCTION,
            presentation_thread_ids=presentations,
            held_from=HELD_ON,
            venue=VENUE,
            opener=OPENER,
            chair=CHAIR,
        ),
    )
    return f"draft built (revision {report.revision})"
