"""THE visibility rule for spaces, used by every read path (HTTP, lists, live topics)."""

from __future__ import annotations

from forum.accounts.viewer import Viewer
from forum.spaces.models import Space, Visibility


def can_see_space(viewer: Viewer, space: Space) -> bool:
    return can_see_space_of(viewer, space.id, space.visibility, space.allowed_roles)


def can_see_space_of(viewer: Viewer, space_id: int, visibility: str, allowed_roles: list[str] | None) -> bool:
    """The same rule on a space's columns, for a path that reads rows instead of entities."""
    if visibility == Visibility.public.value:
        return True
    if viewer.user is None:
        return False
    return viewer.moderates(space_id) or viewer.role in (allowed_roles or [])
