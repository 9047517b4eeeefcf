"""Request and response shapes of the spaces API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from forum.lib.raw_input import NOT_BLANK, Id
from forum.spaces.activity import SpaceActivity
from forum.spaces.models import Space

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", max_length=64)]
RoleName = Literal["admin", "moderator", "focal_point", "lcipp", "observer"]


class SpaceIn(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
    kind: Literal["nma", "workshop", "general"]
    moderation: Literal["pre", "post"]
    visibility: Literal["public", "restricted"]
    allowed_roles: list[RoleName] = []
    description: Annotated[str, msgspec.Meta(max_length=5000)] = ""


class ModeratorsIn(msgspec.Struct, forbid_unknown_fields=True):
    user_ids: Annotated[list[Id], msgspec.Meta(max_length=100)]


class SpaceOut(msgspec.Struct):
    slug: str
    title: str
    kind: str
    moderation: str
    visibility: str
    allowed_roles: list[str]
    moderator_ids: list[int]
    description: str
    id: int
    # The spaces list only (forum.spaces.activity): what is going on, as the reader sees it.
    post_count: int | None = None
    thread_count: int | None = None
    last_post_at: datetime | None = None
    running_cafe_id: int | None = None


def space_out(space: Space, moderator_ids: list[int], activity: SpaceActivity | None = None) -> SpaceOut:
    return SpaceOut(
        id=space.id,
        slug=space.slug,
        title=space.title,
        kind=space.kind,
        moderation=space.moderation,
        visibility=space.visibility,
        allowed_roles=list(space.allowed_roles or []),
        moderator_ids=sorted(moderator_ids),
        description=space.description,
        post_count=activity.post_count if activity else None,
        thread_count=activity.thread_count if activity else None,
        last_post_at=activity.last_post_at if activity else None,
        running_cafe_id=activity.running_cafe_id if activity else None,
    )
