"""World cafés: tables with hosts, timed rounds, seating, table chat, harvests, the archive.

A café belongs to a workshop space and is run by that space's moderators. Its writes are
named functions that run in the caller's transaction and append their events to the
event log (forum.streams) in it: `cafe:{id}` hears `cafe.updated`, `cafe.round_started`,
`cafe.round_warning`, `cafe.round_ended`, `cafe.round_extended`, `cafe.announcement` and
`cafe.closed`; `table:{id}` hears `message.created`,
`message.hidden`, `message.updated` and `table.harvest`. Presence is a passing signal the
websocket layer sends (`access.presence_data`).

- `access`: finding cafés and tables for a viewer, the row locks, the topics;
- `views`: what clients see of them;
- `lifecycle`: opening, joining (seating, `seating` is the pure plan), rounds, extending
  a round, announcements;
- `clock`: a round's one-minute warning and end (once across processes), auto-rotation;
- `messages`: the write path of table messages (batched by `writer`), harvests, hiding;
- `archive`: closing a café into a thread of its space;
- `activity`: the home page's figures of each space (its posts, a café running).

Concurrency: writes that depend on the café's state take a lock on its row first (FOR
UPDATE to change seating or close it, FOR SHARE to post or harvest; SQLite serializes
every writer anyway), so a message is either in the archive thread or refused because
the café is closed: nothing said at a table is lost.
"""

from __future__ import annotations

from forum.cafes import activity
from forum.spaces import activity as space_activity


def install() -> None:
    """Give the spaces list its activity figures (idempotent; `create_app` calls it)."""
    space_activity.install(activity.read_activity)
