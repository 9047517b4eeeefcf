"""Route handlers of the later domains, gathered here so app.py stays one list."""

from __future__ import annotations


def extra_route_handlers() -> list:
    handlers: list = []
    from forum.moderation.controllers import ModerationController

    handlers.append(ModerationController)
    from forum.realtime.controllers import live_socket

    handlers.append(live_socket)
    from forum.cafes.controllers import CafeController

    handlers.append(CafeController)
    return handlers
