"""Attention: notifications (the inbox and its live topic), and the hooks that make them.

`install()` registers this package's hooks (forum.lib.hooks) once; `create_app` and the
command line call it, so every post, approval, café and round table opening made through the services
notifies in its own transaction. See docs/notifications.md.
"""

from __future__ import annotations

from forum.attention import fanout
from forum.lib import hooks


def install() -> None:
    """Register the hooks (idempotent)."""
    hooks.register(hooks.POSTS_WRITTEN, fanout.on_posts_written)
    hooks.register(hooks.POST_APPROVED, fanout.on_post_approved)
    hooks.register(hooks.POST_REJECTED, fanout.on_post_rejected)
    hooks.register(hooks.POST_FLAGGED, fanout.on_post_flagged)
    hooks.register(hooks.CAFE_OPENED, fanout.on_cafe_opened)
    hooks.register(hooks.ROUNDTABLE_OPENED, fanout.on_roundtable_opened)
