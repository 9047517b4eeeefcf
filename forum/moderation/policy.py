"""Who may moderate whom (pure predicates; the services raise the errors)."""

from __future__ import annotations

import enum

from forum.accounts.models import Role, User
from forum.accounts.viewer import Viewer


class Restriction(enum.StrEnum):
    silence = "silence"
    suspend = "suspend"


def restriction_refusal(
    viewer: Viewer, target: User, target_moderates_a_space: bool, kind: Restriction
) -> str | None:
    """Why `viewer` may not silence or suspend `target`, or None when they may.

    - Nobody acts on themselves (a moderator who needs a break asks an admin).
    - Only an admin acts on an admin or a global moderator.
    - Global moderators act on everyone else.
    - Space moderators may silence (never suspend) focal points, LCIPP representatives and
      observers who moderate no space themselves: moderators are not each other's referees.
    """
    if viewer.id == target.id:
        return "you cannot restrict your own account"
    if target.role in (Role.admin.value, Role.moderator.value):
        return None if viewer.is_admin else f"only an admin may {kind} an admin or a moderator"
    if viewer.is_global_moderator:
        return None
    if not viewer.moderated_space_ids:
        return f"only moderators may {kind} a user"
    if kind is Restriction.suspend:
        return "only admins and global moderators may suspend a user; space moderators may silence"
    if target_moderates_a_space:
        return "a space moderator may not silence another space's moderator; ask a global moderator"
    return None


def author_escapes_auto_hide(author: User, author_moderated_space_ids: set[int], space_id: int) -> bool:
    """Posts of the space's own moderators are not hidden by flags alone: a moderator decides."""
    return author.role in (Role.admin.value, Role.moderator.value) or space_id in author_moderated_space_ids
