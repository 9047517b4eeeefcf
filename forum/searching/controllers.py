"""HTTP: `GET /api/search`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.http import ListOut
from forum.lib.openapi import ANYONE
from forum.lib.pagination import Cursor, Limit
from forum.lib.raw_input import MAX_ID
from forum.search.query import MAX_QUERY_CHARS
from forum.searching import reads
from forum.searching.schemas import SearchHit, SearchKind, SearchOrder

DESCRIPTION = (
    "Thread titles, posts, world-café table messages and harvests the caller may read, in the"
    " six UN languages: case, accents, Arabic harakat and letter variants do not matter;"
    " English, Spanish, French and Russian words match their inflected forms; Chinese and"
    ' Japanese match any two characters inside longer runs. `"quoted phrases"` match words side'
    " by side; the last word also matches as a prefix. Hits come by relevance (`score`, higher"
    " first), or newest first with `order=newest`; `next` pages on as on every list. Each hit's"
    " `snippet` is HTML whose only markup is `<mark>`. Nothing the caller may not read is"
    " returned, counted or quoted: restricted spaces, others' pending and hidden posts,"
    " deleted text, earlier revisions, messages of tables the caller never sat at."
)


class SearchController(Controller):
    tags = ["search"]

    @get("/api/search", summary="Search", description=DESCRIPTION, security=ANYONE)
    async def search(
        self,
        db_session: AsyncSession,
        viewer: Viewer,
        q: Annotated[
            str,
            Parameter(
                query="q",
                min_length=1,
                max_length=MAX_QUERY_CHARS,
                description='words and "quoted phrases"',
            ),
        ],
        space: Annotated[
            str | None, Parameter(query="space", required=False, min_length=1, max_length=64)
        ] = None,
        author: Annotated[
            int | None,
            Parameter(query="author", required=False, ge=1, le=MAX_ID, description="a user's id"),
        ] = None,
        party: Annotated[
            str | None,
            Parameter(
                query="party",
                required=False,
                min_length=3,
                max_length=3,
                description="the author's Party: ISO 3166-1 alpha-3, or EUU",
            ),
        ] = None,
        role: Annotated[
            str | None,
            Parameter(
                query="role",
                required=False,
                description="the author's role: admin, moderator, focal_point, lcipp, observer",
            ),
        ] = None,
        kind: Annotated[SearchKind | None, Parameter(query="kind", required=False)] = None,
        since: Annotated[
            datetime | None,
            Parameter(query="since", required=False, description="written at or after (ISO 8601)"),
        ] = None,
        until: Annotated[
            datetime | None,
            Parameter(query="until", required=False, description="written at or before (ISO 8601)"),
        ] = None,
        order: Annotated[SearchOrder | None, Parameter(query="order", required=False)] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[SearchHit]:
        filters = reads.Filters(
            space=space,
            author=author,
            party=party,
            role=role,
            kind=kind.value if kind else None,
            since=since,
            until=until,
            order=order.value if order else None,
        )
        page = await reads.search(db_session, viewer, q, filters, limit=limit, cursor=cursor)
        return ListOut(items=page.items, next=page.next)
