"""Who may do what in a world café (pure predicates, and the visible messages in SQL; the
space's own visibility is checked first)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from forum.accounts.viewer import Viewer
from forum.cafes.models import TableMessage
from forum.lib.db import sql_constant

VISIBLE_MESSAGE_STATUSES = frozenset({"published"})
MESSAGE_STATUSES = frozenset({"published", "hidden"})
# The same in SQL, with the statuses written into it (as a post's: `sql_constant` says why).
VISIBLE_MESSAGE_SQL: ColumnElement[bool] = TableMessage.status.in_(
    [sql_constant(status) for status in sorted(VISIBLE_MESSAGE_STATUSES)]
)


def can_run_cafe(viewer: Viewer, space_id: int) -> bool:
    """Create, start rounds, announce, close: the space's moderators."""
    return viewer.moderates(space_id)


def can_read_table(viewer: Viewer, host_id: int, space_id: int, *, has_sat_there: bool) -> bool:
    """A table's messages: who sits or sat there, its host, the space's moderators."""
    if viewer.id is None:
        return False
    return has_sat_there or host_id == viewer.id or viewer.moderates(space_id)


def can_write_table(viewer: Viewer, host_id: int, space_id: int, *, seated_now: bool) -> bool:
    """Posting at a table: who sits there now, its host, the space's moderators."""
    if viewer.id is None:
        return False
    return seated_now or host_id == viewer.id or viewer.moderates(space_id)


def can_see_message(viewer: Viewer, message: TableMessage, space_id: int) -> bool:
    if message.status in VISIBLE_MESSAGE_STATUSES:
        return True
    return viewer.id == message.author_id or viewer.moderates(space_id)
