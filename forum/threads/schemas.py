"""Request and response shapes of the threads and posts API."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

import msgspec

from forum.accounts.models import User
from forum.accounts.schemas import AuthorOut, author_out, iso
from forum.lib.raw_input import NOT_BLANK, Id
from forum.threads.models import Post, PostStatus, Thread

# A post is a conversation turn, not a document: 20,000 characters is about ten pages.
MAX_POST_CHARS = 20_000

Body = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_POST_CHARS, pattern=NOT_BLANK)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", max_length=64)]


class ThreadIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    body: Body
    client_id: ClientId | None = None


class ThreadPatchIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    pinned: bool | msgspec.UnsetType = msgspec.UNSET
    locked: bool | msgspec.UnsetType = msgspec.UNSET
    space: Slug | msgspec.UnsetType = msgspec.UNSET
    slow_mode_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | msgspec.UnsetType = msgspec.UNSET
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class PostIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Body
    reply_to: Id | None = None
    client_id: ClientId | None = None


class PostEditIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Body


class ThreadOut(msgspec.Struct):
    id: int
    space: str
    title: str
    author: AuthorOut
    pinned: bool
    locked: bool
    post_count: int
    last_post_at: str
    created_at: str
    status: str
    slow_mode_seconds: int
    # The reader's unread posts, in lists, for threads they read or follow (forum.threads.reading).
    unread: int | None = None


def archive_title(prefix: str, name: str) -> str:
    """The archive thread's title: the name alone when it already says what it is
    ("World café on finance" is not made "World café: World café on finance")."""
    name = " ".join(name.split())
    words = prefix.lower().replace("é", "e")
    return (name if words in name.lower().replace("é", "e") else f"{prefix}: {name}")[:200]


class PostOut(msgspec.Struct):
    id: int
    thread_id: int
    number: int
    author: AuthorOut
    body: str
    html: str
    status: str
    reply_to: int | None
    client_id: str | None
    created_at: str
    edited_at: str | None
    moderation_reason: str | None = None
    # The record behind a post the service wrote (a closed café's table, a round table):
    # see docs/cafes.md#the-archive. Null for everything people write.
    archive: dict[str, Any] | None = None
    # True for a post hidden by a rejection while it waited (status `hidden`).
    rejected: bool = False


class RevisionOut(msgspec.Struct):
    body: str
    edited_at: str
    editor: AuthorOut


def thread_out(
    thread: Thread, space_slug: str, author: User, post_count: int, unread: int | None = None
) -> ThreadOut:
    """The Thread; `post_count` is what its reader may see (forum.threads.counts)."""
    return ThreadOut(
        id=thread.id,
        space=space_slug,
        title=thread.title,
        author=author_out(author),
        pinned=thread.pinned,
        locked=thread.locked,
        post_count=post_count,
        last_post_at=iso(thread.last_post_at) or "",
        created_at=iso(thread.created_at) or "",
        status=thread.status,
        slow_mode_seconds=thread.slow_mode_seconds,
        unread=unread,
    )


def post_out(post: Post, author: User) -> PostOut:
    gone = post.status == PostStatus.deleted.value
    return PostOut(
        id=post.id,
        thread_id=post.thread_id,
        number=post.number,
        author=author_out(author),
        body="" if gone else post.body,
        html="" if gone else post.html,
        status=post.status,
        reply_to=post.reply_to,
        client_id=post.client_id,
        created_at=iso(post.created_at) or "",
        edited_at=iso(post.edited_at),
        moderation_reason=post.moderation_reason,
        archive=None if gone else post.archive,
        rejected=bool(post.rejected),
    )


def posts_out(rows: Iterable[Sequence[Any]]) -> list[PostOut]:
    """Posts from plain rows of (id, thread_id, number, status, body, html, reply_to,
    client_id, created_at, edited_at, moderation_reason, author's id, display_name, role,
    party, archive, rejected), as `post_out` makes them: a page's fifty posts built without an ORM object,
    and one author per person however many of the posts are theirs. The two moments come
    already written as the API writes them (`forum.lib.api_time`), the archive as JSON text."""
    authors: dict[int, AuthorOut] = {}
    items = []
    deleted = PostStatus.deleted.value
    for (
        post_id,
        thread_id,
        number,
        status,
        body,
        html,
        reply_to,
        client_id,
        created_at,
        edited_at,
        reason,
        author_id,
        name,
        role,
        party,
        archive,
        rejected,
    ) in rows:
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = AuthorOut(id=author_id, display_name=name, role=role, party=party)
        gone = status == deleted
        items.append(
            PostOut(
                id=post_id,
                thread_id=thread_id,
                number=number,
                author=author,
                body="" if gone else body,
                html="" if gone else html,
                status=status,
                reply_to=reply_to,
                client_id=client_id,
                created_at=created_at,
                edited_at=edited_at,
                moderation_reason=reason,
                archive=None if gone or archive is None else json.loads(archive),
                rejected=bool(rejected),
            )
        )
    return items


def post_data(post: Post, author: User) -> dict:
    """The Post as plain JSON data, for event payloads."""
    return msgspec.to_builtins(post_out(post, author))


def post_stub(post: Post) -> dict:
    """What someone who may not see a post learns of it: that a number is taken."""
    return {"id": post.id, "thread_id": post.thread_id, "number": post.number, "status": "hidden"}


class FlagOut(msgspec.Struct):
    id: int
    post_id: int
    reason: str
    note: str | None
    user: AuthorOut
    created_at: str


class ThreadRef(msgspec.Struct):
    id: int
    title: str


class QueueItemOut(msgspec.Struct):
    """One post waiting for a moderator; flags on one post gather into one item."""

    kind: Literal["pending", "flagged"]
    post: PostOut
    thread: ThreadRef
    space: str
    # When it started waiting: the post's time if pending, its oldest open flag's if flagged.
    since: str
    flag_count: int
    reasons: dict[str, int]
    flags: list[FlagOut]
    # The space's title (`space` is its slug), for people to read.
    space_title: str = ""
