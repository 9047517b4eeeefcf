"""The kinds of notification: an open set, one line each.

A kind's entry says what it refers to, which decides how visibility is checked again when
it is listed or delivered (a post's kinds: the post as its recipient may see it; a
thread's: the thread; a café's, a round table's and a space's: the space). A new kind is
one line here and one call of `fanout.notify_space_watchers` where it happens.
"""

from __future__ import annotations

import enum


class Refers(enum.StrEnum):
    post = "post"
    thread = "thread"
    cafe = "cafe"
    roundtable = "roundtable"
    space = "space"


KINDS: dict[str, Refers] = {
    # someone wrote your @handle in a post
    "mention": Refers.post,
    # someone answered your post
    "reply": Refers.post,
    # a new post in a thread you watch
    "watched_post": Refers.post,
    # a new thread in a space you watch
    "watched_thread": Refers.post,
    # a moderator approved your pending post
    "post_approved": Refers.post,
    # a moderator rejected your pending post
    "post_rejected": Refers.post,
    # a café opened in a space you watch
    "cafe_opened": Refers.cafe,
    # a round table opened in a space you watch
    "roundtable_opened": Refers.roundtable,
    # a post waits in the queue of a space you moderate
    "queue_item": Refers.post,
}
