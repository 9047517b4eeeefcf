"""THE visibility rule for spaces, used by every read path (HTTP, lists, live topics)."""

from __future__ import annotations

from forum.accounts.viewer import Viewer
from forum.spaces.models import Space, Visibility


def can_see_space(viewer: Viewer, space: Space) -> bool:
    if space.visibility == Visibility.public.value:
        return True
    if viewer.user is None:
        return False
    return viewer.moderates(space.id) or viewer.role in (space.allowed_roles or [])
