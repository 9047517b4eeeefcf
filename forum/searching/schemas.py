"""The answer of `GET /api/search`: hits, each with where it lives and a snippet."""

from __future__ import annotations

import enum

import msgspec

from forum.accounts.schemas import AuthorOut


class SearchKind(enum.StrEnum):
    """What `?kind=` may ask for."""

    threads = "threads"
    posts = "posts"
    messages = "messages"
    harvests = "harvests"


class SearchOrder(enum.StrEnum):
    relevance = "relevance"
    newest = "newest"


class SearchSpaceRef(msgspec.Struct):
    slug: str
    title: str


class SearchThreadRef(msgspec.Struct):
    id: int
    title: str


class SearchTableRef(msgspec.Struct):
    id: int
    topic: str
    cafe_id: int
    cafe_title: str


class SearchHit(msgspec.Struct):
    """One text found: a thread's title, a post, a table message or a table's harvest.

    `id` is the post's, thread's, message's or (a harvest) table's id. `snippet` is HTML whose
    only markup is `<mark>` around the words found; everything else in it is escaped text.
    `score` orders the hits by relevance (higher first); it means nothing across queries."""

    kind: str
    id: int
    score: float
    snippet: str
    created_at: str
    author: AuthorOut
    space: SearchSpaceRef
    thread: SearchThreadRef | None = None
    post_number: int | None = None
    table: SearchTableRef | None = None
