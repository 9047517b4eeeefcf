"""HTTP: polls of a workshop space, answering them, their results."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.feedback import answers, polls
from forum.feedback.results import poll_results
from forum.feedback.schemas import PollIn, PollOut, PollResultsOut, ResponseIn
from forum.lib.errors import Forbidden
from forum.lib.http import ListOut
from forum.lib.openapi import ANYONE, SIGNED_IN


class PollController(Controller):
    tags = ["feedback"]

    @post(
        "/api/spaces/{slug:str}/polls",
        status_code=HTTP_201_CREATED,
        summary="Attach a poll to a workshop space (its moderators)",
        security=SIGNED_IN,
    )
    async def create_poll(
        self, slug: str, data: PollIn, transaction: AsyncSession, viewer: Viewer
    ) -> PollOut:
        poll = await polls.create_poll(transaction, viewer, slug, data)
        return (await polls.poll_views(transaction, [poll], viewer))[0]

    @get("/api/spaces/{slug:str}/polls", summary="The polls of a space, newest first", security=ANYONE)
    async def list_polls(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> ListOut[PollOut]:
        found = await polls.list_polls(db_session, viewer, slug)
        return ListOut(items=await polls.poll_views(db_session, found, viewer))

    @get("/api/polls/{poll_id:int}", summary="One poll, with the caller's own answers", security=ANYONE)
    async def get_poll(self, poll_id: int, db_session: AsyncSession, viewer: Viewer) -> PollOut:
        poll, _ = await polls.find_poll(db_session, viewer, poll_id)
        return (await polls.poll_views(db_session, [poll], viewer))[0]

    @put(
        "/api/polls/{poll_id:int}/response",
        summary="Answer the poll, or change one's answer while it is open",
        operation_id="answer_poll",
        description="`answers` holds one entry per question: a choice's index (from 0), a rating 1-5, a text, or null.",
        security=SIGNED_IN,
    )
    async def respond(
        self, poll_id: int, data: ResponseIn, transaction: AsyncSession, viewer: Viewer
    ) -> PollOut:
        poll = await answers.respond(transaction, viewer, poll_id, data)
        return (await polls.poll_views(transaction, [poll], viewer))[0]

    @get(
        "/api/polls/{poll_id:int}/results",
        summary="The results: the space's moderators at any time, its readers once the poll has closed",
        security=ANYONE,
        operation_id="poll_results",
    )
    async def results(self, poll_id: int, db_session: AsyncSession, viewer: Viewer) -> PollResultsOut:
        poll, _ = await polls.find_poll(db_session, viewer, poll_id)
        if not polls.results_visible(viewer, poll):
            raise Forbidden("the results are shown once the poll has closed")
        return await poll_results(db_session, poll)
