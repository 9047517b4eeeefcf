"""HTTP: the report of a workshop space (moderators of the space only)."""

from __future__ import annotations

from litestar import Controller, Response, get, post, put
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.openapi import SIGNED_IN
from forum.reports import services
from forum.reports.export import DOCX_MEDIA_TYPE, to_docx
from forum.reports.schemas import PublishOut, ReportEditIn, ReportIn, ReportOut, ReportRevisionOut


class ReportController(Controller):
    tags = ["reports"]

    @post(
        "/api/spaces/{slug:str}/report",
        status_code=HTTP_200_OK,
        summary="Build the report's draft from the workshop's record (moderators of the space)",
        description=(
            "Chapters I-VI as the secretariat's workshop reports have them, paragraphs numbered"
            " through the document, footnotes linking the threads. Each build is a new revision."
        ),
        security=SIGNED_IN,
        operation_id="build_report",
    )
    async def build(self, slug: str, data: ReportIn, transaction: AsyncSession, viewer: Viewer) -> ReportOut:
        return services.report_out(await services.build_report(transaction, viewer, slug, data))

    @get("/api/spaces/{slug:str}/report", summary="The report as last built or edited", security=SIGNED_IN)
    async def get_report(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> ReportOut:
        return services.report_out(await services.get_report(db_session, viewer, slug))

    @put(
        "/api/spaces/{slug:str}/report",
        summary="Replace the report's Markdown (a new revision)",
        security=SIGNED_IN,
    )
    async def edit_report(
        self, slug: str, data: ReportEditIn, transaction: AsyncSession, viewer: Viewer
    ) -> ReportOut:
        return services.report_out(await services.edit_report(transaction, viewer, slug, data))

    @get(
        "/api/spaces/{slug:str}/report/revisions",
        summary="Every revision of the report, oldest first",
        security=SIGNED_IN,
        operation_id="list_report_revisions",
    )
    async def revisions(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> list[ReportRevisionOut]:
        return await services.list_revisions(db_session, viewer, slug)

    @get(
        "/api/spaces/{slug:str}/report.md",
        summary="The report as Markdown",
        security=SIGNED_IN,
        operation_id="report_markdown",
        media_type="text/markdown; charset=utf-8",
    )
    async def markdown(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> Response[bytes]:
        report = await services.get_report(db_session, viewer, slug)
        return Response(
            report.body.encode(),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{slug}-report.md"'},
        )

    @get(
        "/api/spaces/{slug:str}/report.docx",
        summary="The report as a Word document",
        security=SIGNED_IN,
        operation_id="report_docx",
        media_type=DOCX_MEDIA_TYPE,
    )
    async def docx(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> Response[bytes]:
        report = await services.get_report(db_session, viewer, slug)
        return Response(
            to_docx(report.body, report.language),
            media_type=DOCX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{slug}-report.docx"'},
        )

    @post(
        "/api/spaces/{slug:str}/report/publish",
        status_code=HTTP_200_OK,
        summary="Publish the report as a pinned thread of the space (or update that thread)",
        security=SIGNED_IN,
        operation_id="publish_report",
    )
    async def publish(self, slug: str, transaction: AsyncSession, viewer: Viewer) -> PublishOut:
        return PublishOut(thread_id=await services.publish_report(transaction, viewer, slug))
