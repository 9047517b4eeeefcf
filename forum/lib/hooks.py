"""Named hooks: how a lower layer lets a higher one act inside the same transaction.

A domain that makes a change others want to hear of inside its transaction (a post
written, a post approved, a café opened) calls `await hooks.run(NAME, session, ...)`;
a higher layer registers a coroutine for that name once, when the app (or the CLI) is
built, as `forum.attention.install()` does. The lower layer so never imports the higher
one (docs/architecture.md, "Where to add things"), and what a hook writes commits or
rolls back with the change that called it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Hook = Callable[..., Awaitable[None]]

# Posts were stored, published or pending (`posts`: `forum.threads.posting.StoredPost`s,
# each a post with its thread, space and author, in the order written): one call for a
# batch of the post writer, so that a hook can do its work once for all of them.
POSTS_WRITTEN = "posts.written"
# A moderator approved a pending post (`post`, `thread`, `space`, `actor`).
POST_APPROVED = "post.approved"
# A moderator rejected a pending post (`post`, `thread`, `space`, `actor`).
POST_REJECTED = "post.rejected"
# A post got its first open flag, so it entered the queue (`post`, `thread`, `space`, `actor`).
POST_FLAGGED = "post.flagged"
# A café opened (`cafe`, `space`, `actor`).
CAFE_OPENED = "cafe.opened"
# A round table opened (`roundtable`, `space`, `actor_id`: its chair).
ROUNDTABLE_OPENED = "roundtable.opened"

_hooks: dict[str, list[Hook]] = {}


def register(name: str, hook: Hook) -> None:
    """Add `hook` for `name`; registering the same function twice keeps one."""
    found = _hooks.setdefault(name, [])
    if hook not in found:
        found.append(hook)


async def run(name: str, session: AsyncSession, **kwargs: Any) -> None:
    """Call every hook of `name` in the caller's transaction, in the order registered."""
    for hook in _hooks.get(name, ()):
        await hook(session, **kwargs)
