"""One event on its way to sockets, and THE rule of who receives it in full.

An event arrives either live from the broker or from the event log during a replay (an
`Event` row); both are a `StreamEvent` (forum.streams), and become an `Envelope`. A restricted
event (a pending post, a moderation item of one space) goes in full to its owner and the
moderators of its space; everyone else gets its public version with the same seq, so no
viewer ever sees a gap. Each variant is encoded once, however many sockets receive it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from forum.accounts.viewer import Viewer
from forum.realtime.frames import EventFrame, Outgoing, encode
from forum.streams import StreamEvent, record_of
from forum.streams.models import Event


class Envelope:
    __slots__ = (
        "_full",
        "_public",
        "data",
        "owner_id",
        "public_data",
        "public_type",
        "restricted",
        "seq",
        "space_id",
        "topic",
        "type",
    )

    def __init__(
        self,
        topic: str,
        seq: int | None,
        type_: str,
        data: dict[str, Any],
        *,
        restricted: bool = False,
        owner_id: int | None = None,
        space_id: int | None = None,
        public_type: str | None = None,
        public_data: dict[str, Any] | None = None,
    ) -> None:
        self.topic = topic
        self.seq = seq
        self.type = type_
        self.data = data
        self.restricted = restricted
        self.owner_id = owner_id
        self.space_id = space_id
        self.public_type = public_type
        self.public_data = public_data
        self._full: Outgoing | None = None
        self._public: Outgoing | None = None

    @classmethod
    def of(cls, ev: StreamEvent) -> Envelope:
        return cls(
            ev.topic,
            ev.seq,
            ev.type,
            ev.data,
            restricted=ev.restricted,
            owner_id=ev.owner_id,
            space_id=ev.space_id,
            public_type=ev.public_type,
            public_data=ev.public_data,
        )

    @classmethod
    def from_wire(cls, raw: bytes) -> Envelope:
        return cls.of(_decode(raw))

    @classmethod
    def from_row(cls, ev: Event) -> Envelope:
        return cls.of(record_of(ev))

    def sees_in_full(self, viewer: Viewer) -> bool:
        if not self.restricted:
            return True
        if viewer.id is not None and viewer.id == self.owner_id:
            return True
        return self.space_id is not None and viewer.moderates(self.space_id)

    def frame_for(self, viewer: Viewer) -> Outgoing:
        """The encoded `event` frame this viewer receives."""
        if self.sees_in_full(viewer):
            if self._full is None:
                self._full = encode(EventFrame(self.topic, self.seq, self.type, self.data))
            return self._full
        if self._public is None:
            self._public = encode(
                EventFrame(self.topic, self.seq, self.public_type or "hidden", self.public_data or {})
            )
        return self._public


_decode = msgspec.json.Decoder(StreamEvent).decode
