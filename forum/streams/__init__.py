"""The event log, below every domain: each topic's events numbered gap-free by `seq`.

A domain announces a change with `streams.append(session, topic, type, data)` inside its
own transaction; the events go to the broker only after that transaction commits (see
`forum.streams.log`). `forum.streams.signals` carries passing signals about one account.
Live delivery (`forum.realtime`) reads this log; nothing here knows about sockets.
"""

from forum.streams.log import (
    OUTBOX_KEY,
    EventDraft,
    Publisher,
    StreamEvent,
    append,
    append_many,
    append_to_each,
    next_seqs,
    record_of,
    signal,
)

__all__ = [
    "OUTBOX_KEY",
    "EventDraft",
    "Publisher",
    "StreamEvent",
    "append",
    "append_many",
    "append_to_each",
    "next_seqs",
    "record_of",
    "signal",
]
