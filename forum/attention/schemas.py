"""Shapes of the attention API: notifications, watching levels, unread counts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Level = Literal["watching", "tracking", "normal", "muted"]


class ActorOut(msgspec.Struct):
    id: int
    handle: str
    display_name: str


class NotificationOut(msgspec.Struct):
    id: int
    kind: str
    actor: ActorOut | None
    space: str | None
    thread_id: int | None
    thread_title: str | None
    post_id: int | None
    post_number: int | None
    cafe_id: int | None
    cafe_title: str | None
    created_at: str
    read_at: str | None
    # A round table's opening: the round table and its question.
    roundtable_id: int | None = None
    roundtable_question: str | None = None


class NotificationPageOut(msgspec.Struct):
    items: list[NotificationOut]
    next: str | None
    # Unread notifications the caller may still read (at most `UNREAD_COUNT_MAX`).
    unread: int


class ReadIn(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]


class LevelIn(msgspec.Struct, forbid_unknown_fields=True):
    level: Level


class LevelOut(msgspec.Struct):
    level: Level


class ThreadUnreadOut(msgspec.Struct):
    thread_id: int
    space: str
    title: str
    unread: int


class SpaceUnreadOut(msgspec.Struct):
    space: str
    unread: int
    threads: int


class UnreadOut(msgspec.Struct):
    notifications: int
    posts: int
    spaces: list[SpaceUnreadOut]
    threads: list[ThreadUnreadOut]


class WatchOut(msgspec.Struct):
    kind: Literal["space", "thread"]
    space: str
    thread_id: int | None
    title: str
    level: Level


class WatchingOut(msgspec.Struct):
    items: list[WatchOut]
