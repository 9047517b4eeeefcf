"""Who may see and change threads and posts (pure predicates)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ColumnElement, bindparam, or_, true

from forum.accounts.viewer import Viewer
from forum.lib.db import sql_constant
from forum.spaces.models import ModerationMode, Space
from forum.threads.models import Post, PostRevision, PostStatus, Thread

PUBLIC_STATUSES = frozenset({PostStatus.published.value, PostStatus.deleted.value})


def status_literal(status: str) -> ColumnElement[str]:
    """A post status written into the SQL, not bound (`forum.lib.db.sql_constant` says why)."""
    return sql_constant(PostStatus(status).value)


# The statuses everyone may see, written into the SQL (`status_literal`).
PUBLIC_STATUS_SQL = Post.status.in_([status_literal(status) for status in sorted(PUBLIC_STATUSES)])


def can_see_thread(viewer: Viewer, thread: Thread) -> bool:
    """The space is checked separately; a pending thread is its author's and moderators'."""
    return can_see_thread_of(viewer, thread.status, thread.author_id, thread.space_id)


def can_see_thread_of(viewer: Viewer, status: str, author_id: int, space_id: int) -> bool:
    """The same rule on a thread's columns, for a path that reads rows instead of entities."""
    return status == "published" or viewer.id == author_id or viewer.moderates(space_id)


def can_see_post(viewer: Viewer, post: Post, space_id: int) -> bool:
    if post.status in PUBLIC_STATUSES:
        return True
    return viewer.id == post.author_id or viewer.moderates(space_id)


# `can_see_post` as a SQL condition, for lists of one space's posts, with its viewer as
# bound parameters (`visible_posts_params`), so that a statement using it is built once.
VISIBLE_POSTS = or_(
    bindparam("sees_every_post", type_=Boolean),
    PUBLIC_STATUS_SQL,
    Post.author_id == bindparam("viewer_id", type_=BigInteger),
)


def visible_posts_params(viewer: Viewer, space_id: int) -> dict[str, object]:
    """The parameters of `VISIBLE_POSTS` for this viewer in this space."""
    return {"sees_every_post": viewer.moderates(space_id), "viewer_id": viewer.id}


# `VISIBLE_POSTS` for a statement that reads the thread in the same step, so that its space
# is not known beforehand; `visible_thread_posts` picks the form and its parameters.
_OWN_POST = Post.author_id == bindparam("viewer_id", type_=BigInteger)
# For a viewer who moderates every space or none (nearly everyone).
VISIBLE_THREAD_POSTS = or_(bindparam("moderates_every_space", type_=Boolean), PUBLIC_STATUS_SQL, _OWN_POST)
# For a viewer who moderates some spaces: `Viewer.moderates` in SQL, on the thread's space.
VISIBLE_THREAD_POSTS_OF_MODERATOR = or_(
    Thread.space_id.in_(bindparam("moderated_space_ids", expanding=True)), PUBLIC_STATUS_SQL, _OWN_POST
)


def visible_thread_posts(viewer: Viewer) -> tuple[bool, dict[str, object]]:
    """Which form applies to this viewer (True: `VISIBLE_THREAD_POSTS_OF_MODERATOR`), and
    its parameters."""
    if viewer.moderated_space_ids and not viewer.is_global_moderator:
        return True, {"moderated_space_ids": sorted(viewer.moderated_space_ids), "viewer_id": viewer.id}
    return False, {"moderates_every_space": viewer.is_global_moderator, "viewer_id": viewer.id}


def visible_revisions_clause(viewer: Viewer, post: Post, space_id: int) -> ColumnElement[bool]:
    """Which earlier texts of a post the viewer may read, as a SQL condition.

    A revision keeps the visibility of the status the post had while that text was its
    own: one replaced while the post was pending or hidden stays its author's and the
    space's moderators' only, even once the post is published.
    """
    if viewer.id == post.author_id or viewer.moderates(space_id):
        return true()
    return PostRevision.status == PostStatus.published.value


def publishes_at_once(viewer: Viewer, space: Space) -> bool:
    """In a pre-moderated space, observers' posts wait for a moderator."""
    return space.moderation != ModerationMode.pre.value or viewer.is_trusted or viewer.moderates(space.id)


def can_edit_post(viewer: Viewer, post: Post, space_id: int) -> bool:
    return viewer.id == post.author_id or viewer.moderates(space_id)
