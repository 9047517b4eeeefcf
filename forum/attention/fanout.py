"""Who is notified of what, written in the transaction of the cause.

Each kind of recipient is one `INSERT INTO notifications ... SELECT ... FROM users WHERE
...` statement (`_notify`), whatever the number of recipients: the SELECT keeps only the
users who may read the space (its visibility as SQL, the same rule as
forum.spaces.policy), who did not mute the thread, who are not the actor, and who got no
other notification of the same post already (a mention wins over a reply, a reply over a
watched post). The watchers are found by a join (`watchers_of`), not by looking up each
user's levels. The rows come back by RETURNING and each gets an event on its recipient's
`inbox:{id}` topic (`streams.append_to_each`: one upsert of the counters, their topics in
one parameter, and one executemany of plain event rows). Cost of a post in a thread with
W watchers: one INSERT...SELECT of W rows, one counter upsert of W rows and one insert of
W events, all in the post's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Select,
    Subquery,
    bindparam,
    cast,
    exists,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from forum import streams
from forum.accounts import handles
from forum.accounts.models import User
from forum.accounts.viewer import GLOBAL_MODERATOR_ROLES
from forum.attention.kinds import KINDS
from forum.attention.models import Notification
from forum.cafes.models import Cafe
from forum.lib import markdown
from forum.lib.db import utcnow
from forum.lib.shapes import padded
from forum.roundtables.models import RoundTable
from forum.spaces.models import Space, SpaceModerator, Visibility
from forum.threads import reading
from forum.threads.models import Post, PostStatus, SpaceWatch, Thread, ThreadUser, WatchLevel
from forum.threads.posting import StoredPost

INBOX_PREFIX = "inbox:"
CREATED = "notification.created"
READ = "notification.read"


def inbox_topic(user_id: int) -> str:
    return f"{INBOX_PREFIX}{user_id}"


def _moderates(space: Space) -> ColumnElement[bool]:
    """`User` moderates `space` (forum.accounts.viewer's rule, as SQL)."""
    return _moderates_space(space.id)


def _moderates_space(space_id: Any) -> ColumnElement[bool]:
    """`_moderates` of a space id given as a value or a bound parameter."""
    named = exists().where(SpaceModerator.space_id == space_id, SpaceModerator.user_id == User.id)
    return or_(User.role.in_(sorted(GLOBAL_MODERATOR_ROLES)), named)


def _may_read_space(space: Space) -> ColumnElement[bool]:
    """`User` may read `space` (forum.spaces.policy's rule, as SQL)."""
    return _may_read(
        space.visibility == Visibility.public.value, sorted(set(space.allowed_roles or [])), space.id
    )


def _may_read(public: bool, roles: Any, space_id: Any) -> ColumnElement[bool]:
    """`_may_read_space` of a space given by what the rule reads: whether it is public, its
    allowed roles and its id (values, or bound parameters)."""
    if public:
        return true()
    return or_(User.role.in_(roles), _moderates_space(space_id))


def _may_read_thread(thread: Thread, space: Space) -> ColumnElement[bool]:
    readable = _may_read_space(space)
    if thread.status != "published":  # forum.threads.policy.can_see_thread
        return readable & or_(User.id == thread.author_id, _moderates(space))
    return readable


def _not_muted(thread: Thread) -> ColumnElement[bool]:
    return reading.effective_level(User.id, literal(thread.id), literal(thread.space_id)) != (
        WatchLevel.muted.value
    )


def _not_yet_told(post: Post, kind: str | None = None) -> ColumnElement[bool]:
    """`User` has no notification of this post yet (of this kind, if given). Not correlated:
    the post's few notifications are read once through their index, where an EXISTS per
    user made SQLite walk each candidate's whole inbox (ix_notifications_user_id)."""
    told = select(Notification.user_id).where(Notification.post_id == post.id)
    return User.id.not_in(told.where(Notification.kind == kind) if kind else told)


def _ref(value: int | None) -> Any:
    # A typed NULL too: in a UNION ALL of notices PostgreSQL would take a bare NULL for text.
    return literal(value, BigInteger) if value is not None else cast(null(), BigInteger)


@dataclass(frozen=True)
class _Notice:
    """One kind of notification for every user matching `recipients` but the actor."""

    kind: str
    recipients: ColumnElement[bool]
    actor_id: int | None
    space_id: int | None
    thread_id: int | None = None
    post_id: int | None = None
    cafe_id: int | None = None
    roundtable_id: int | None = None
    # A subquery of distinct user_ids joined to the users: only those are considered.
    among: Subquery | None = None

    def rows(self, now: datetime) -> Select:
        assert self.kind in KINDS, self.kind
        where = self.recipients if self.actor_id is None else self.recipients & (User.id != self.actor_id)
        refs = (self.actor_id, self.space_id, self.thread_id, self.post_id, self.cafe_id, self.roundtable_id)
        return _rows(
            self.kind,
            [_ref(ref) for ref in refs],
            literal(now, Notification.created_at.type),
            where,
            self.among,
        )


def _rows(kind: str, refs: list[Any], now: Any, where: ColumnElement[bool], among: Subquery | None) -> Select:
    """A notice's rows in `_COLUMNS`' order: each user matching `where` (among `among`'s
    user_ids, if given), with the notice's kind, references and time."""
    rows: Select = select(User.id, literal(kind), *refs, now)
    if among is not None:
        rows = rows.select_from(User).join(among, among.c.user_id == User.id)
    return rows.where(where)


_COLUMNS = [
    "user_id",
    "kind",
    "actor_id",
    "space_id",
    "thread_id",
    "post_id",
    "cafe_id",
    "roundtable_id",
    "created_at",
]
# SQLite allows 500 terms in a compound SELECT: a batch's notices go in chunks well below.
_COMPOUND_TERMS = 200


async def _notify(
    session: AsyncSession,
    kind: str,
    recipients: ColumnElement[bool],
    *,
    actor_id: int | None,
    space_id: int | None,
    thread_id: int | None = None,
    post_id: int | None = None,
    cafe_id: int | None = None,
    roundtable_id: int | None = None,
    among: Subquery | None = None,
) -> list[tuple[int, int]]:
    """One notification of `kind` for every user matching `recipients` but the actor: one
    INSERT ... SELECT, and one event per row on its recipient's inbox. `among`, a subquery
    of distinct `user_id`s, is joined to the users so that only those are considered.
    (id, user_id) pairs."""
    notice = _Notice(kind, recipients, actor_id, space_id, thread_id, post_id, cafe_id, roundtable_id, among)
    return [(nid, uid) for nid, uid, _ in await _notify_all(session, [notice])]


async def _notify_all(session: AsyncSession, notices: list[_Notice]) -> list[tuple[int, int, str]]:
    """Several notices (a batch of posts' watchers) in one INSERT ... SELECT ... UNION ALL
    (per _COMPOUND_TERMS), and one append of their events; (id, user_id, kind) triples."""
    now = utcnow()
    made: list[tuple[int, int, str]] = []
    for at in range(0, len(notices), _COMPOUND_TERMS):
        parts = [notice.rows(now) for notice in notices[at : at + _COMPOUND_TERMS]]
        stmt = (
            insert(Notification)
            .from_select(_COLUMNS, parts[0] if len(parts) == 1 else union_all(*parts))
            .returning(Notification.id, Notification.user_id, Notification.kind)
        )
        made += [(int(nid), int(uid), str(kind)) for nid, uid, kind in (await session.execute(stmt)).all()]
    return await _announce(session, made)


async def _announce(session: AsyncSession, made: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """One event per notification made, (id, user_id, kind), on its recipient's inbox: two
    statements whatever their number (a batch may tell one inbox of several posts)."""
    # Each inbox hears of its notifications in the order they were made.
    made.sort(key=lambda row: (row[1], row[0]))
    await streams.append_to_each(
        session, CREATED, [(inbox_topic(uid), {"id": nid, "kind": kind}) for nid, uid, kind in made]
    )
    return made


# --- a post's watchers: the statement built once per shape -------------------------------
#
# Every published post tells its thread's watchers, so this notice is built the most: as one
# statement per post shape (the post's kind, whether its space is public, whether its
# thread is published) and padded size, its values bound as parameters, it is built and
# compiled once and then only executed. Built per post from the values, as the other
# notices are, it cost about as much Python as the rest of the post's write.


@dataclass(frozen=True)
class _Watchers:
    """A post's notice to its thread's watchers: its shape, and its values."""

    kind: str
    public: bool
    published: bool
    values: dict[str, Any]


def _watchers(post: Post, thread: Thread, space: Space, actor_id: int) -> _Watchers:
    return _Watchers(
        "watched_thread" if post.number == 1 else "watched_post",
        space.visibility == Visibility.public.value,
        thread.status == "published",
        {
            "actor": actor_id,
            "space": space.id,
            "thread": thread.id,
            "post": post.id,
            "author": thread.author_id,
            "roles": sorted(set(space.allowed_roles or [])),
        },
    )


def _watchers_rows(i: int, kind: str, public: bool, published: bool) -> Select:
    """The rows of the i-th post's watchers notice (`_may_read_thread`, `_not_yet_told`,
    `watchers_of`, the actor left out), its values bound as `<name>_<i>`."""

    def bound(name: str) -> Any:
        return bindparam(f"{name}_{i}", type_=BigInteger)

    space_id, thread_id, post_id, actor_id = bound("space"), bound("thread"), bound("post"), bound("actor")
    readable = _may_read(public, bindparam(f"roles_{i}", expanding=True), space_id)
    if not published:  # forum.threads.policy.can_see_thread
        readable = readable & or_(User.id == bound("author"), _moderates_space(space_id))
    told = select(Notification.user_id).where(Notification.post_id == post_id)
    return _rows(
        kind,
        [actor_id, space_id, thread_id, post_id, _ref(None), _ref(None)],  # no café, no round table
        bindparam("now", type_=Notification.created_at.type),
        readable & User.id.not_in(told) & (User.id != actor_id),
        watchers_of(thread_id, space_id),
    )


@lru_cache(maxsize=256)
def _watchers_insert(shape: tuple[str, bool, bool], terms: int) -> Insert:
    parts = [_watchers_rows(i, *shape) for i in range(terms)]
    # On the table, not the entity: given parameters, an ORM insert would take them for rows.
    table = Notification.__table__
    return (
        insert(table)
        .from_select(_COLUMNS, parts[0] if len(parts) == 1 else union_all(*parts))
        .returning(table.c.id, table.c.user_id, table.c.kind)
    )


# A padding term's values: a thread, space and post that do not exist have no watchers.
_NOBODY = {"actor": 0, "space": 0, "thread": 0, "post": 0, "author": 0, "roles": []}
# The most posts' watchers in one statement (a power of two: forum.lib.shapes). A statement
# is compiled on the event loop's thread the first time its size comes, typically in a burst
# of posts, and each term costs about 1.4 ms to compile on a slow machine: 128 terms stalled
# live delivery for 180 ms and more. Sixteen bound that to about 25 ms, once; a batch of
# 256 posts then runs sixteen statements.
_WATCHERS_TERMS = 16


async def _notify_watchers(session: AsyncSession, notices: list[_Watchers]) -> list[tuple[int, int, str]]:
    """Several posts' watchers notices: one cached INSERT ... SELECT per shape (nearly
    always one per batch) and _WATCHERS_TERMS posts, its terms padded (forum.lib.shapes)
    so that a batch of any size and mix runs statements compiled before."""
    by_shape: dict[tuple[str, bool, bool], list[_Watchers]] = {}
    for notice in notices:
        assert notice.kind in KINDS, notice.kind
        by_shape.setdefault((notice.kind, notice.public, notice.published), []).append(notice)
    made: list[tuple[int, int, str]] = []
    now = utcnow()
    for shape, group in by_shape.items():
        for at in range(0, len(group), _WATCHERS_TERMS):
            terms = padded([notice.values for notice in group[at : at + _WATCHERS_TERMS]], _NOBODY)
            params: dict[str, Any] = {"now": now}
            for i, values in enumerate(terms):
                params.update({f"{name}_{i}": value for name, value in values.items()})
            stmt = _watchers_insert(shape, len(terms))
            made += [
                (int(nid), int(uid), str(kind))
                for nid, uid, kind in (await session.execute(stmt, params)).all()
            ]
    return await _announce(session, made)


async def notify_space_watchers(
    session: AsyncSession,
    kind: str,
    space: Space,
    *,
    actor_id: int | None,
    cafe_id: int | None = None,
    roundtable_id: int | None = None,
) -> list[tuple[int, int]]:
    """`kind` for everyone watching `space` who may read it: a café's or a round table's
    opening (one line in forum.attention.kinds, one call where it opens)."""
    watching = exists().where(
        SpaceWatch.space_id == space.id,
        SpaceWatch.user_id == User.id,
        SpaceWatch.level == WatchLevel.watching.value,
    )
    return await _notify(
        session,
        kind,
        watching & _may_read_space(space),
        actor_id=actor_id,
        space_id=space.id,
        cafe_id=cafe_id,
        roundtable_id=roundtable_id,
    )


# A second look at thread_users beside SpaceWatch. Made once: an alias copies the table, every
# column, and those copies are reference cycles left for the garbage collector.
_OWN_LEVEL = aliased(ThreadUser, name="own")


def watchers_of(thread_id: Any, space_id: Any) -> Subquery:
    """The users whose level for the thread is `watching` (forum.threads.reading's
    `effective_level`, as a join rather than two lookups per user): those who chose it for
    the thread, and those who chose it for the space and chose no level for the thread.
    Each user once: a thread level excludes the second branch."""
    watching = WatchLevel.watching.value
    own = _OWN_LEVEL
    chose_thread = select(ThreadUser.user_id).where(
        ThreadUser.thread_id == thread_id, ThreadUser.level == watching
    )
    chose_space = (
        select(SpaceWatch.user_id)
        .outerjoin(own, (own.user_id == SpaceWatch.user_id) & (own.thread_id == thread_id))
        .where(SpaceWatch.space_id == space_id, SpaceWatch.level == watching, own.level.is_(None))
    )
    return union_all(chose_thread, chose_space).subquery("watchers")


async def mentioned_ids(session: AsyncSession, html: str) -> list[int]:
    """The users a post's rendered HTML links as mentions."""
    return sorted((await handles.ids_of(session, _mention_links(html))).values())


def _mention_links(html: str) -> Iterable[str]:
    return markdown.MENTION_LINK.findall(html)


async def notify_about_post(
    session: AsyncSession, post: Post, thread: Thread, space: Space, author_id: int
) -> None:
    """Everything a post stored (or just approved) causes: the queue's moderators hear of a
    pending one; for a published one, the mentioned, the author of the post it answers
    and the watchers hear of it, and the author and the mentioned track the thread."""
    watchers, tracks = await _before_watchers(session, post, thread, space, author_id)
    if watchers is not None:
        await _notify_watchers(session, [watchers])
    for thread_, user_ids, read_up_to in tracks:
        await reading.track(session, thread_, user_ids, read_up_to=read_up_to)


async def notify_about_posts(session: AsyncSession, posts: Sequence[StoredPost]) -> None:
    """`notify_about_post` for a batch, in its order: each post's mentions and reply (only
    for a post that has them) and pending notices, then every post's watchers in one
    statement and every read position and tracking in one. The watchers' rule reads the
    notifications made before it (a mention or reply wins over a watched post), and the
    tracking never makes anyone watch, so the order between posts changes nothing."""
    notices: list[_Watchers] = []
    tracks: list[tuple[Thread, list[int], int]] = []
    for stored in posts:
        watchers, more = await _before_watchers(
            session, stored.post, stored.thread, stored.space, stored.author.id
        )
        if watchers is not None:
            notices.append(watchers)
        tracks += more
    if notices:
        await _notify_watchers(session, notices)
    await reading.track_many(session, tracks)


async def _before_watchers(
    session: AsyncSession, post: Post, thread: Thread, space: Space, author_id: int
) -> tuple[_Watchers | None, list[tuple[Thread, list[int], int]]]:
    """A post's notices that precede its watchers' (written now), its watchers' notice, and
    who then tracks the thread (thread, users, read_up_to), in that order."""
    refs = {"actor_id": author_id, "space_id": space.id, "thread_id": thread.id, "post_id": post.id}
    if post.status == PostStatus.pending.value:
        await _notify(session, "queue_item", _moderates(space), **refs)
        return None, [(thread, [author_id], post.number)]
    if post.status != PostStatus.published.value:
        return None, []
    mentioned = [uid for uid in await mentioned_ids(session, post.html) if uid != author_id]
    if mentioned or post.reply_to is not None:
        readers = _may_read_thread(thread, space) & _not_muted(thread)
        if mentioned:
            await _notify(session, "mention", readers & User.id.in_(mentioned), **refs)
        if post.reply_to is not None:
            answered = select(Post.author_id).where(Post.id == post.reply_to).scalar_subquery()
            await _notify(session, "reply", readers & (User.id == answered) & _not_yet_told(post), **refs)
    notice = _watchers(post, thread, space, author_id)
    tracks = [(thread, [author_id], post.number)]
    if mentioned:
        tracks.append((thread, mentioned, 0))
    return notice, tracks


# --- the hooks (forum.lib.hooks), registered by forum.attention.install ----------------


async def on_posts_written(session: AsyncSession, *, posts: Sequence[StoredPost]) -> None:
    await notify_about_posts(session, posts)


async def on_post_approved(
    session: AsyncSession, *, post: Post, thread: Thread, space: Space, actor: User
) -> None:
    refs = {"space_id": space.id, "thread_id": thread.id, "post_id": post.id}
    await _notify(session, "post_approved", User.id == post.author_id, actor_id=actor.id, **refs)
    await notify_about_post(session, post, thread, space, post.author_id)


async def on_post_rejected(
    session: AsyncSession, *, post: Post, thread: Thread, space: Space, actor: User
) -> None:
    refs = {"space_id": space.id, "thread_id": thread.id, "post_id": post.id}
    await _notify(session, "post_rejected", User.id == post.author_id, actor_id=actor.id, **refs)


async def on_post_flagged(
    session: AsyncSession, *, post: Post, thread: Thread, space: Space, actor: User
) -> None:
    # Who flagged is the queue's business: the notification names the post's author.
    recipients = _moderates(space) & _not_yet_told(post, "queue_item") & (User.id != actor.id)
    await _notify(
        session,
        "queue_item",
        recipients,
        actor_id=post.author_id,
        space_id=space.id,
        thread_id=thread.id,
        post_id=post.id,
    )


async def on_cafe_opened(session: AsyncSession, *, cafe: Cafe, space: Space, actor: User) -> None:
    await notify_space_watchers(session, "cafe_opened", space, actor_id=actor.id, cafe_id=cafe.id)


async def on_roundtable_opened(
    session: AsyncSession, *, roundtable: RoundTable, space: Space, actor_id: int
) -> None:
    await notify_space_watchers(
        session, "roundtable_opened", space, actor_id=actor_id, roundtable_id=roundtable.id
    )
