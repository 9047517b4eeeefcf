"""Every action code the audit log holds, with the kind of target it names.

The codes are written by the domains (`audit.record(action=...)`); this list is what readers
of the log can count on: the web client has a sentence for each one in every language, and
`tests/unit/test_audit_actions.py` checks both that every code the package writes is listed
here and that every code listed has its sentences."""

from __future__ import annotations

# code -> the `target_type` recorded with it
ACTIONS: dict[str, str] = {
    "post.approve": "post",
    "post.reject": "post",
    "post.hide": "post",
    "post.unhide": "post",
    "post.dismiss_flags": "post",
    "post.auto_hide": "post",
    "post.edit": "post",
    "post.delete": "post",
    "thread.rename": "thread",
    "thread.pin": "thread",
    "thread.unpin": "thread",
    "thread.lock": "thread",
    "thread.unlock": "thread",
    "thread.slow_mode": "thread",
    "thread.move": "thread",
    "user.silence": "user",
    "user.unsilence": "user",
    "user.suspend": "user",
    "user.unsuspend": "user",
    "user.update": "user",
    "space.create": "space",
    "space.moderators": "space",
    "cafe.create": "cafe",
    "cafe.round": "cafe",
    "cafe.extend": "cafe",
    "cafe.close": "cafe",
    "message.hide": "message",
    "message.unhide": "message",
    "roundtable.open": "roundtable",
    "roundtable.move": "roundtable",
    "roundtable.skip": "roundtable",
    "roundtable.give_floor": "roundtable",
    "roundtable.end_turn": "roundtable",
    "roundtable.summary": "intervention",
    "roundtable.close": "roundtable",
    "poll.create": "poll",
    "report.build": "report",
    "report.edit": "report",
    "report.publish": "report",
}
