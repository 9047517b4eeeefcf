"""`GET /api/search`: the hits of a query that the caller may read, a page at a time.

The visibility rule is applied in SQL, by joining each hit to what it belongs to, with the
clauses the lists use: the space (forum.spaces.policy, evaluated for every space the caller
could name), the thread (published, or the caller's own, or a space they moderate), the post
(forum.threads.policy: published, or their own pending or hidden post, or a space they
moderate; never a deleted one), the table (forum.cafes.policy.can_read_table: its host, who
sat there, the space's moderators) and the message (published, or their own, or a space
they moderate). So a hit the caller may not read is never returned, counted or quoted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import Role, User
from forum.accounts.parties import is_party_code
from forum.accounts.schemas import AuthorOut, iso
from forum.accounts.viewer import Viewer
from forum.cafes.models import Cafe, CafeTable, CafeVisit, TableMessage
from forum.cafes.policy import VISIBLE_MESSAGE_SQL
from forum.lib.db import sql_constant
from forum.lib.errors import BadRequest
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import MAX_ID, Id
from forum.search.models import FTS_TABLE, EntryKind, SearchEntry
from forum.search.query import MAX_QUERY_CHARS, Query, parse
from forum.searching.schemas import (
    SearchHit,
    SearchKind,
    SearchOrder,
    SearchSpaceRef,
    SearchTableRef,
    SearchThreadRef,
)
from forum.searching.snippets import snippet
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space_of
from forum.threads.models import Post, PostStatus, Thread
from forum.threads.policy import status_literal

_KINDS = {
    SearchKind.threads: EntryKind.thread,
    SearchKind.posts: EntryKind.post,
    SearchKind.messages: EntryKind.message,
    SearchKind.harvests: EntryKind.harvest,
}

# Cursors: (entry id) newest first; (score, entry id, the ranked window's newest entry id)
# by relevance.
NewestPosition = tuple[Id]
RelevancePosition = tuple[float, Id, Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)]]


class Filters(msgspec.Struct, frozen=True):
    """The query's filters, as sent (checked in `search`)."""

    space: str | None = None
    author: int | None = None
    party: str | None = None
    role: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    order: str | None = None


def _check_query(q: str | None) -> Query:
    if q is None or not q.strip():
        raise BadRequest("q: give the words to search for", field="q")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q: at most {MAX_QUERY_CHARS} characters", field="q")
    if "\x00" in q:
        raise BadRequest("q: must not contain the NUL character (U+0000)", field="q")
    query = parse(q)
    if not query:
        raise BadRequest("q: holds no word to search for (only punctuation or symbols)", field="q")
    return query


def _check_enum(value: str | None, name: str, allowed: type) -> Any:
    if value is None:
        return None
    try:
        return allowed(value)
    except ValueError:
        choices = ", ".join(member.value for member in allowed)
        raise BadRequest(f"{name}: one of {choices}, not {value[:40]!r}", field=name) from None


async def _spaces(session: AsyncSession, viewer: Viewer) -> dict[int, Space]:
    """Every space the caller may see, by id (the visibility rule of forum.spaces.policy)."""
    spaces = (await session.execute(select(Space))).scalars().all()
    return {s.id: s for s in spaces if can_see_space_of(viewer, s.id, s.visibility, s.allowed_roles)}


# Relevance ranks the newest this-many visible matches (see docs/search.md): ranking every
# match of a common word among a million texts would cost their whole posting lists.
RANKED = 1000


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _id_in(column: Any, ids: list[int], pg: bool) -> Any:
    """`column` is one of `ids`. On PostgreSQL one array parameter (`= ANY($1)`): the
    statement's text and plan stay the same whatever the number of ids, where an IN list
    of 2,000 binds is a new statement for the server to parse and plan each time."""
    if pg:
        return column == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return column.in_(bindparam("ids", ids, expanding=True))


def _matches(session: AsyncSession, query: Query) -> tuple[Any, Any]:
    """(what to join the entries to, the condition) for every indexed text the query matches.

    On SQLite the FTS5 table is walked newest first (its rowid is the entry's id), so a page
    stops reading as soon as it is full; bm25 is computed for the rows read only."""
    if _is_pg(session):
        # The tsquery is written into the statement (escaped as a literal), not bound: a
        # bound one lets PostgreSQL settle on a generic plan after five runs, which walks
        # the entries newest first whatever the words, and so reads all of them for a word
        # no text holds (1.25 s at 1 M posts). With the words in view the planner can weigh
        # them; what bounds a common word's walk and a rare word's index scan alike is the
        # reading in slices of ids below (`_newest_matches`): 11-24 ms for a word no text holds.
        tsquery = bindparam("tsquery", query.tsquery(), type_=String, literal_execute=True)
        return None, SearchEntry.document.op("@@")(cast(tsquery, TSQUERY))
    hits = (
        text(
            f"SELECT rowid AS id, -bm25({FTS_TABLE}) AS score FROM {FTS_TABLE}"
            f" WHERE {FTS_TABLE} MATCH :match ORDER BY rowid DESC"
        )
        .bindparams(match=query.fts5())
        .columns(id=Integer, score=Float)
        .subquery("hits")
    )
    return hits, None


# On PostgreSQL the matches are read newest first in slices of entry ids, the first this
# wide, each next one twice as wide, until the window is full or the ids run out: the
# planner sees a slice's bounds and the words (written into the statement) and picks per
# slice between walking it newest first (common words: the window fills within the first
# slice) and the GIN index within it (rare words). Without slices a word it wrongly took
# for common (a prefix, several stems) made it walk every entry: 0.7-1.3 s at 1 M posts
# for a word no text holds. The number of slices grows with the log of the entries.
FIRST_SLICE = 50_000


def _inline(value: int | str) -> Any:
    # Written into the statement, so the planner sees it (a bound value lets PostgreSQL
    # settle on one generic plan for all values after five runs). The filters are written
    # in too (an author, a space, a party code checked against the list; a kind and a role
    # as `sql_constant`): the same filtered search, repeated while no entry is added, is
    # the same statement each time. Only the dates stay bound.
    return bindparam(
        None, value, type_=BigInteger if isinstance(value, int) else String, literal_execute=True
    )


async def _newest_matches(session: AsyncSession, base: Any, top: int, window: int | None) -> list[Any]:
    """`base`'s rows with ids up to `top`, newest first, at most `window` (None: all)."""
    found: list[Any] = []
    high, width = top, FIRST_SLICE
    while high > 0 and (window is None or len(found) < window):
        low = max(high - width, 0)
        sliced = base.where(SearchEntry.id > _inline(low), SearchEntry.id <= _inline(high))
        if window is not None:
            sliced = sliced.limit(_inline(window - len(found)))
        found += (await session.execute(sliced)).all()
        high, width = low, width * 2
    return found


# Matches are read newest first in windows: the first holds twice what a page needs, each
# next one four times more, up to this (a bound on the ids sent back in one statement);
# past it, every match is read.
MAX_WINDOW = 16_000


async def search(
    session: AsyncSession,
    viewer: Viewer,
    q: str | None,
    filters: Filters,
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[SearchHit]:
    query = _check_query(q)
    limit = check_limit(limit, default=20)
    kind = _check_enum(filters.kind, "kind", SearchKind)
    order = _check_enum(filters.order, "order", SearchOrder) or SearchOrder.relevance
    role = _check_enum(filters.role, "role", Role)
    if filters.party is not None and not is_party_code(filters.party):
        raise BadRequest("party: an ISO 3166-1 alpha-3 code such as JPN, or EUU", field="party")
    # A date-time without an offset is UTC (the database compares only aware ones).
    since = filters.since.replace(tzinfo=UTC) if filters.since and not filters.since.tzinfo else filters.since
    until = filters.until.replace(tzinfo=UTC) if filters.until and not filters.until.tzinfo else filters.until
    if since and until and since > until:
        raise BadRequest("until: must not be before since", field="until")
    newest = order is SearchOrder.newest
    position: Any = decode_cursor(cursor, NewestPosition if newest else RelevancePosition)
    spaces = await _spaces(session, viewer)
    if filters.space is not None:
        chosen = [s for s in spaces.values() if s.slug == filters.space]
        if not chosen:
            # A space the caller may not see is answered as one that does not exist.
            raise BadRequest(f"space: no space {filters.space[:64]!r}", field="space")
        visible_ids = [chosen[0].id]
    else:
        visible_ids = sorted(spaces)
    rule = _Rule(viewer, visible_ids, pg=_is_pg(session))

    # 1. The matches, newest first, narrowed by what the entry itself says.
    e = SearchEntry
    hits, matched = _matches(session, query)
    if hits is not None:
        base = select(e.id, hits.c.score).select_from(hits).join(e, e.id == hits.c.id)
        newest_first = hits.c.id.desc()
    else:
        # Nothing bound in this statement (see `_inline`): the score is a constant here.
        base = select(e.id, literal_column("0.0", Float).label("score")).where(matched)
        newest_first = e.id.desc()
    if kind is not None:
        base = base.where(e.kind == sql_constant(_KINDS[kind].value))
    if filters.author is not None:
        base = base.where(e.author_id == _inline(filters.author))
    if filters.party is not None or role is not None:
        authors = select(User.id)
        if filters.party is not None:
            authors = authors.where(User.party == _inline(filters.party))
        if role is not None:
            authors = authors.where(User.role == sql_constant(role.value))
        base = base.where(e.author_id.in_(authors))
    if filters.space is not None:
        base = base.where(
            or_(
                e.thread_id.in_(select(Thread.id).where(Thread.space_id == _inline(visible_ids[0]))),
                e.table_id.in_(
                    select(CafeTable.id)
                    .join(Cafe, Cafe.id == CafeTable.cafe_id)
                    .where(Cafe.space_id == _inline(visible_ids[0]))
                ),
            )
        )
    if since is not None:
        base = base.where(e.created_at >= since)
    if until is not None:
        base = base.where(e.created_at <= until)
    ceiling = None
    if newest:
        if position is not None:
            base = base.where(e.id < _inline(position[0]))
    else:
        # The ranked window stays the same from page to page: the first page's newest entry
        # bounds it, so texts written meanwhile do not shift it.
        ceiling = position[2] if position is not None else await session.scalar(select(func.max(e.id)))
        base = base.where(e.id <= _inline(ceiling or 0))
    base = base.order_by(newest_first)

    # 2. Of those, the ones the caller may read, until there are enough.
    need = limit + 1 if newest else RANKED
    window: int | None = max(2 * need, 100)
    top: int | None = None
    if hits is None:  # PostgreSQL: the matches are read in slices of ids below the newest
        if newest:
            top = position[0] - 1 if position is not None else await session.scalar(select(func.max(e.id)))
        else:
            top = ceiling
    while True:
        if hits is None:
            found = await _newest_matches(session, base, top or 0, window)
        else:
            found = (await session.execute(base.limit(window) if window else base)).all()
        scores = {row.id: row.score for row in found}
        readable = await rule.filter(session, list(scores)) if scores else []
        if len(readable) >= need or window is None or len(found) < window:
            break
        window = window * 4 if window * 4 <= MAX_WINDOW else None
    readable = readable[:need]

    # 3. Scores (PostgreSQL ranks only these), the order, the page.
    if hits is None and readable:
        tsquery = cast(literal(query.tsquery()), TSQUERY)
        ranked = select(e.id, cast(func.ts_rank(e.document, tsquery), Float(53))).where(
            _id_in(e.id, readable, pg=True)
        )
        scores = dict((await session.execute(ranked)).tuples().all())
    if newest:
        page = [(scores[i], i) for i in readable]
    else:
        page = sorted(((scores[i], i) for i in readable), reverse=True)
        if position is not None:
            last_score, last_id, _ = position
            page = [(s, i) for s, i in page if (s, i) < (last_score, last_id)]
    page = page[: limit + 1]
    rows = {row.id: row for row in await rule.rows(session, [i for _, i in page])}
    # A text hidden between these statements is left out of the page, never shown.
    items = [_hit(rows[i], score, spaces, query) for score, i in page[:limit] if i in rows]
    nxt = None
    if len(page) > limit:
        last_score, last_id = page[limit - 1]
        nxt = encode_cursor([last_id] if newest else [last_score, last_id, ceiling])
    return Page(items=items, next=nxt)


class _Rule:
    """The visibility rule of every domain, as SQL joined to the entries (see the module)."""

    def __init__(self, viewer: Viewer, space_ids: list[int], *, pg: bool = False) -> None:
        e = SearchEntry
        self.pg = pg
        moderated = [space_id for space_id in space_ids if viewer.moderates(space_id)]
        me = viewer.id
        mine_thread = Thread.author_id == me if me is not None else false()
        mine_post = Post.author_id == me if me is not None else false()
        mine_message = TableMessage.author_id == me if me is not None else false()
        thread_ok = or_(
            Thread.status == sql_constant("published"), mine_thread, Thread.space_id.in_(moderated)
        )
        post_ok = and_(
            Post.status != status_literal(PostStatus.deleted.value),
            or_(
                Post.status == status_literal(PostStatus.published.value),
                mine_post,
                Thread.space_id.in_(moderated),
            ),
        )
        if me is None:
            table_ok: Any = false()
        else:
            sat_there = exists().where(CafeVisit.table_id == CafeTable.id, CafeVisit.user_id == me)
            table_ok = or_(CafeTable.host_id == me, Cafe.space_id.in_(moderated), sat_there)
        message_ok = or_(
            VISIBLE_MESSAGE_SQL,
            mine_message,
            Cafe.space_id.in_(moderated),
        )
        self.space_id = func.coalesce(Thread.space_id, Cafe.space_id)
        # `kind || ''`: the entries come by their ids; without statistics SQLite would
        # otherwise walk the (kind, ref_id) index through every entry of each kind.
        kind = e.kind.concat("")
        self.where = and_(
            self.space_id.in_(bindparam("spaces", space_ids, expanding=True)),
            or_(
                and_(kind == sql_constant(EntryKind.thread.value), Thread.id.is_not(None), thread_ok),
                and_(kind == sql_constant(EntryKind.post.value), Post.id.is_not(None), thread_ok, post_ok),
                and_(
                    kind == sql_constant(EntryKind.message.value),
                    TableMessage.id.is_not(None),
                    table_ok,
                    message_ok,
                ),
                and_(kind == sql_constant(EntryKind.harvest.value), CafeTable.id.is_not(None)),
            ),
        )

    def _joined(self, *columns: Any, ids: list[int]) -> Any:
        e = SearchEntry
        return (
            select(*columns)
            .select_from(e)
            .join(User, User.id == e.author_id)
            .outerjoin(Thread, Thread.id == e.thread_id)
            .outerjoin(Post, and_(e.kind == sql_constant(EntryKind.post.value), Post.id == e.ref_id))
            .outerjoin(CafeTable, CafeTable.id == e.table_id)
            .outerjoin(Cafe, Cafe.id == CafeTable.cafe_id)
            .outerjoin(
                TableMessage,
                and_(e.kind == sql_constant(EntryKind.message.value), TableMessage.id == e.ref_id),
            )
            .where(_id_in(e.id, ids, self.pg), self.where)
        )

    async def filter(self, session: AsyncSession, ids: list[int]) -> list[int]:
        """Which of these entries the caller may read, newest first."""
        statement = self._joined(SearchEntry.id, ids=ids).order_by(SearchEntry.id.desc())
        return list((await session.execute(statement)).scalars())

    async def rows(self, session: AsyncSession, ids: list[int]) -> list[Any]:
        """What a page shows of these entries (those the caller may still read)."""
        if not ids:
            return []
        e = SearchEntry
        statement = self._joined(
            e.id,
            e.kind,
            e.ref_id,
            e.created_at,
            e.table_id,
            self.space_id.label("space_id"),
            Thread.id.label("thread_id"),
            Thread.title,
            Post.number,
            Post.body,
            TableMessage.body.label("message_body"),
            CafeTable.topic,
            CafeTable.harvest,
            CafeTable.cafe_id,
            Cafe.title.label("cafe_title"),
            User.id.label("author_id"),
            User.display_name,
            User.role,
            User.party,
            ids=ids,
        )
        return list((await session.execute(statement)).all())


def _hit(row: Any, score: float, spaces: dict[int, Space], query: Query) -> SearchHit:
    space = spaces[row.space_id]
    kind = row.kind
    source = {
        EntryKind.thread.value: row.title,
        EntryKind.post.value: row.body,
        EntryKind.message.value: row.message_body,
        EntryKind.harvest.value: row.harvest,
    }[kind]
    return SearchHit(
        kind=kind,
        id=row.ref_id,
        score=float(score),
        snippet=snippet(source or "", query),
        created_at=iso(row.created_at) or "",
        author=AuthorOut(id=row.author_id, display_name=row.display_name, role=row.role, party=row.party),
        space=SearchSpaceRef(slug=space.slug, title=space.title),
        thread=SearchThreadRef(id=row.thread_id, title=row.title) if row.thread_id is not None else None,
        post_number=row.number if kind == EntryKind.post.value else None,
        table=(
            SearchTableRef(id=row.table_id, topic=row.topic, cafe_id=row.cafe_id, cafe_title=row.cafe_title)
            if row.cafe_id is not None
            else None
        ),
    )
