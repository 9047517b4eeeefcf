"""HTTP: threads, posts, revisions."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.batching import WriterStopped
from forum.lib.db import WRITES_ELSEWHERE
from forum.lib.errors import Unavailable
from forum.lib.http import ListOut
from forum.lib.openapi import ANYONE, SIGNED_IN
from forum.lib.pagination import Cursor, Limit
from forum.threads import lookup, reading, reads, services
from forum.threads.schemas import (
    PostEditIn,
    PostIn,
    PostOut,
    RevisionOut,
    ThreadIn,
    ThreadOut,
    ThreadPatchIn,
    post_out,
)
from forum.threads.writer import PostWriter

# A repeated client_id stores nothing new: the answer is the first one, with 200.
REPEATED_THREAD = ResponseSpec(
    ThreadOut, description="A thread opened earlier with this client_id: nothing new was stored"
)
REPEATED_POST = ResponseSpec(
    PostOut, description="A post made earlier with this client_id: nothing new was stored"
)

# What a Thread's figures mean (the OpenAPI descriptions of the calls that return one).
FIGURES = (
    "`post_count` is how many posts the caller may see (as many as the post list gives them):"
    " every post for a moderator of the space; for anyone else the published posts and deleted"
    " posts' stubs, plus their own pending or hidden posts. `last_post_at` is the latest"
    " activity everyone may see."
)


class ThreadController(Controller):
    tags = ["threads"]

    @post(
        "/api/spaces/{slug:str}/threads",
        status_code=HTTP_201_CREATED,
        summary="Open a thread",
        security=SIGNED_IN,
        responses={200: REPEATED_THREAD},
    )
    async def open_thread(
        self, slug: str, data: ThreadIn, transaction: AsyncSession, viewer: Viewer
    ) -> Response[ThreadOut]:
        thread, _, created = await services.open_thread(transaction, viewer, slug, data)
        view = await lookup.thread_view(
            transaction, await lookup.get_thread(transaction, viewer, thread.id), viewer
        )
        # A repeated client_id returns the thread it opened first, as for posts.
        return Response(view, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/api/spaces/{slug:str}/threads",
        summary="Threads of a space: pinned first, then latest activity",
        description=FIGURES,
        security=ANYONE,
    )
    async def list_threads(
        self,
        slug: str,
        db_session: AsyncSession,
        viewer: Viewer,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[ThreadOut]:
        page = await reads.list_threads(db_session, viewer, slug, limit=limit, cursor=cursor)
        return ListOut(items=page.items, next=page.next)

    @get("/api/threads/{thread_id:int}", summary="One thread", description=FIGURES, security=ANYONE)
    async def get_thread(self, thread_id: int, db_session: AsyncSession, viewer: Viewer) -> ThreadOut:
        return await lookup.thread_view(
            db_session, await lookup.get_thread(db_session, viewer, thread_id), viewer
        )

    @patch(
        "/api/threads/{thread_id:int}",
        summary="Rename, pin, lock, slow mode, move (moderators)",
        security=SIGNED_IN,
    )
    async def update_thread(
        self, thread_id: int, data: ThreadPatchIn, transaction: AsyncSession, viewer: Viewer
    ) -> ThreadOut:
        found = await services.update_thread(transaction, viewer, thread_id, data)
        return await lookup.thread_view(transaction, found, viewer)

    @post(
        "/api/threads/{thread_id:int}/posts",
        status_code=HTTP_201_CREATED,
        summary="Post in a thread",
        security=SIGNED_IN,
        responses={200: REPEATED_POST},
        # The post is written by the process's post writer, not in this request's session.
        opt={WRITES_ELSEWHERE: True},
    )
    async def create_post(
        self, thread_id: int, data: PostIn, viewer: Viewer, post_writer: PostWriter
    ) -> Response[PostOut]:
        # The process's post writer (forum.threads.writer), as for the socket's posts: the
        # posts sent meanwhile share one transaction, and this answer waits for its commit.
        try:
            written = await post_writer.post(viewer, thread_id, data.body, data.client_id, data.reply_to)
        except WriterStopped:
            raise Unavailable("the server is restarting: send the post again") from None
        # The author is the viewer (a repeat is found by author and client_id): no read.
        view = post_out(written.post, viewer.require_user())
        return Response(view, status_code=HTTP_201_CREATED if written.created else HTTP_200_OK)

    @get(
        "/api/threads/{thread_id:int}/posts",
        summary="Posts with number > after, ascending",
        description=(
            "Post numbers are never reused: a number gap means a post the caller cannot see (pending"
            " or hidden). A deleted post keeps its number and is listed with status `deleted`, without"
            " its text."
        ),
        security=ANYONE,
    )
    async def list_posts(
        self,
        thread_id: int,
        viewer: Viewer,
        state: State,
        after: Annotated[int, Parameter(ge=0)] = 0,
        limit: Limit = None,
    ) -> ListOut[PostOut]:
        # One statement on the autocommit engine: the thread's rules, the page, the read
        # position; no session (forum.threads.reads.list_posts).
        page, read_up_to = await reads.list_posts(
            state.read_engine, viewer, thread_id, after=after, limit=limit
        )
        if viewer.id is not None and page.items and page.items[-1].number > (read_up_to or 0):
            # attention: reading a page marks it read, one upsert (forum.threads.reading),
            # only when it moves the position: a page read again writes nothing.
            await reading.mark_page_read(state.sessions, viewer.id, thread_id, page.items[-1].number)
        return ListOut(items=page.items, next=page.next)

    @patch(
        "/api/posts/{post_id:int}", summary="Edit a post; the old text becomes a revision", security=SIGNED_IN
    )
    async def edit_post(
        self, post_id: int, data: PostEditIn, transaction: AsyncSession, viewer: Viewer
    ) -> PostOut:
        post_row = await services.edit_post(transaction, viewer, post_id, data.body)
        return await lookup.post_view(transaction, post_row)

    @get("/api/posts/{post_id:int}", summary="One post", security=ANYONE)
    async def get_post(self, post_id: int, db_session: AsyncSession, viewer: Viewer) -> PostOut:
        post_row, _ = await lookup.get_visible_post(db_session, viewer, post_id)
        return await lookup.post_view(db_session, post_row)

    @get(
        "/api/posts/{post_id:int}/revisions",
        summary="Earlier texts of a post, oldest first",
        description=(
            "A text replaced while the post was pending or hidden is listed only to the post's author"
            " and the space's moderators, even once the post is published."
        ),
        security=ANYONE,
        operation_id="list_revisions",
    )
    async def revisions(self, post_id: int, db_session: AsyncSession, viewer: Viewer) -> ListOut[RevisionOut]:
        return ListOut(items=await reads.list_revisions(db_session, viewer, post_id))

    @delete(
        "/api/posts/{post_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete a post: its text is gone",
        security=SIGNED_IN,
    )
    async def delete_post(self, post_id: int, transaction: AsyncSession, viewer: Viewer) -> None:
        await services.delete_post(transaction, viewer, post_id)
