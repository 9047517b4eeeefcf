"""Threads, posts, post revisions, and the flags people raise on posts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, utcnow


class PostStatus(enum.StrEnum):
    published = "published"
    pending = "pending"
    hidden = "hidden"
    deleted = "deleted"


class Thread(Base):
    __tablename__ = "threads"
    # A space's list, in its order (pinned, latest activity, id; forum.threads.reads): a
    # page past a cursor is a range of this index, however deep.
    __table_args__ = (Index("ix_threads_space_keyset", "space_id", "pinned", "last_post_at", "id"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # "published", or "pending" while its first post waits for a moderator.
    status: Mapped[str] = mapped_column(String(12), default="published")
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    # Minimum seconds between two posts of one user in this thread (0: off).
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # The highest post number handed out; numbers are never reused.
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many posts only their author and the space's moderators may see (pending or
    # hidden): the figures others get leave them out (forum.threads.counts).
    restricted_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_post_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        UniqueConstraint("author_id", "client_id"),
        # Posts of one status in time order: the pending ones, oldest first, as a keyset
        # range (the moderation queue itself reads QueueEntry).
        Index("ix_posts_status_created", "status", "created_at", "id"),
        # One reader's own posts in a thread: the restricted ones a thread list counts for
        # them (forum.threads.counts), their latest one for slow mode.
        Index("ix_posts_thread_author", "thread_id", "author_id", "status"),
    )

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=PostStatus.published.value)
    reply_to: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), default=None)
    client_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # Why a moderator hid or rejected it; shown to its author.
    moderation_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # A post written by the service from a record (a café's table, a round table, closed):
    # that record's facts, so that a client words its headings in the reader's language and
    # dates in the reader's time zone, while `body` keeps the text in Markdown for search
    # and for clients that read only it. Dropped when the post is edited (docs/cafes.md).
    archive: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    # Hidden by a rejection while it waited (never published), as opposed to hidden after
    # publication: its author reads "rejected". The status stays `hidden` (the contract's).
    rejected: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class PostRevision(Base):
    """An earlier text of a post, kept when it is edited."""

    __tablename__ = "post_revisions"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The post's status while this text was its own: a text replaced while the post was
    # pending or hidden stays its author's and the space's moderators' only, whatever the
    # post becomes later (forum.threads.policy.visible_revisions_clause).
    status: Mapped[str] = mapped_column(
        String(12), default=PostStatus.published.value, server_default=PostStatus.published.value
    )


class FlagReason(enum.StrEnum):
    spam = "spam"
    off_topic = "off_topic"
    abusive = "abusive"
    safeguards = "safeguards"
    other = "other"


class Flag(Base):
    __tablename__ = "flags"
    # The moderation queue reads the open flags of a page's posts by post_id; what waits is
    # in QueueEntry, so no index over all open flags is needed.
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    # Set when a moderator has dealt with the post; resolved flags leave the queue.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class WatchLevel(enum.StrEnum):
    """How closely a user follows a thread or a space (Discourse's notification levels)."""

    watching = "watching"  # a notification for every post (every new thread, for a space)
    tracking = "tracking"  # unread counts, no notification but mentions and replies
    normal = "normal"  # mentions and replies only
    muted = "muted"  # nothing at all, not even mentions


class ThreadUser(Base):
    """One user's relation to one thread: how closely they follow it, and how far they read.

    `level` None means the user never chose: the space's level applies, and posting in the
    thread or being mentioned in it makes it `tracking` (forum.threads.reading).
    """

    __tablename__ = "thread_users"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"), Index("ix_thread_users_thread", "thread_id"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    level: Mapped[str | None] = mapped_column(String(10), default=None)
    # The highest post number the user has read (0: none).
    last_read_number: Mapped[int] = mapped_column(Integer, default=0)


class SpaceWatch(Base):
    """One user's level for every thread of a space they have no level of their own for."""

    __tablename__ = "space_watches"
    __table_args__ = (UniqueConstraint("user_id", "space_id"), Index("ix_space_watches_space", "space_id"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))


class QueueEntry(Base):
    """A post waiting for a moderator, kept beside it so that the moderation queue reads
    one page of rows whatever the forum's size (forum.threads.queue).

    A pending post waits since it was written; a flagged one (not pending, not deleted,
    with open flags) since its oldest open flag. `space_id` is its thread's space, kept
    when the thread moves. Every write that changes a post's status, its open flags or its
    thread's space refreshes it in the same transaction (forum.threads.queue.refresh)."""

    __tablename__ = "queue_entries"
    __table_args__ = (
        # The queue's order within one kind, for a global moderator; then within one space.
        Index("ix_queue_entries_kind_since", "kind", "since", "post_id"),
        Index("ix_queue_entries_space_kind_since", "space_id", "kind", "since", "post_id"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    # "pending" or "flagged".
    kind: Mapped[str] = mapped_column(String(12))
    since: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
