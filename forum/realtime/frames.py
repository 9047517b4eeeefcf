"""The websocket protocol: every frame a client may send and the server answers with.

Client frames are msgspec Structs tagged by `op`, decoded in one step: anything that is
not JSON, names an unknown op, lacks a field or has one of the wrong type becomes a
`BadFrame` with a sentence naming the problem, and the socket stays open. Server frames
are Structs too, encoded once per frame (an event once per visibility variant, see
`forum.realtime.envelope`). `docs/realtime.md` describes the same protocol for clients.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from websockets.frames import Frame, Opcode

from forum.lib.errors import ForumError
from forum.lib.raw_input import NOT_BLANK, Id
from forum.threads.schemas import MAX_POST_CHARS

# The largest client frame the service reads; a larger one gets `too_large`. A post may
# hold 20,000 characters, which in Chinese, Arabic or Russian is 40-60 KB of UTF-8 and
# up to 120 KB if a client escapes every character as \uXXXX: 128 KiB leaves room.
MAX_FRAME_BYTES = 128 * 1024
# The server's own ceiling (uvicorn's ws_max_size): above it the protocol layer closes the
# socket with 1009 before the service sees the frame, so it sits well above
# MAX_FRAME_BYTES and frames between the two still get a `too_large` error frame.
WS_MAX_SIZE = 1024 * 1024

TopicName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Seq = Annotated[int, msgspec.Meta(ge=0)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_POST_CHARS, pattern=NOT_BLANK)]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]

# The codes an `error` frame carries. Every ForumError maps to one of them.
ERROR_CODES = frozenset(
    {
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "too_large",
        "rate_limited",
        "unavailable",
        "outcome_unknown",
        "internal",
    }
)


# --- client to server ---------------------------------------------------------------


class Subscribe(msgspec.Struct, tag_field="op", tag="subscribe"):
    topic: TopicName
    after: Seq | None = None


class Unsubscribe(msgspec.Struct, tag_field="op", tag="unsubscribe"):
    topic: TopicName


class Send(msgspec.Struct, tag_field="op", tag="send"):
    topic: TopicName
    body: Body
    client_id: ClientId
    # Threads only: the post this one answers (as in the HTTP call).
    reply_to: Id | None = None


class Ping(msgspec.Struct, tag_field="op", tag="ping"):
    pass


ClientFrame = Subscribe | Unsubscribe | Send | Ping

_decoder = msgspec.json.Decoder(ClientFrame)


class BadFrame(Exception):
    """A client frame the service cannot act on; answered with an `error` frame."""

    def __init__(self, code: str, detail: str, ref: str | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.ref = ref


def _ref_of(raw: str | bytes) -> str | None:
    """The client_id or topic of a frame that failed to decode, to echo in the error."""
    try:
        loose = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    if not isinstance(loose, dict):
        return None
    for key in ("client_id", "topic"):
        value = loose.get(key)
        if isinstance(value, str) and len(value) <= 100:
            return value
    return None


def _frame_size(raw: str | bytes) -> int:
    if isinstance(raw, bytes):
        return len(raw)
    # Four bytes per character at most: skip encoding frames that are surely small.
    return len(raw) if len(raw) * 4 <= MAX_FRAME_BYTES else len(raw.encode())


def decode(raw: str | bytes) -> ClientFrame:
    """Parse one client frame, or raise BadFrame naming what is wrong."""
    if _frame_size(raw) > MAX_FRAME_BYTES:
        raise BadFrame("too_large", f"a frame may hold at most {MAX_FRAME_BYTES} bytes")
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if message.startswith("Invalid value") and "`$.op`" in message:
            message = "unknown op: use subscribe, unsubscribe, send or ping"
        elif "missing required field `op`" in message:
            message = "the frame needs an `op`: subscribe, unsubscribe, send or ping"
        elif " - at `$." in message:
            # msgspec says "Expected `int`, got `str` - at `$.after`": name the field first.
            what, _, path = message.partition(" - at `$.")
            message = f"{path.rstrip('`')}: {what}"
        raise BadFrame("bad_request", message, _ref_of(raw)) from None
    except msgspec.DecodeError:
        raise BadFrame("bad_request", "a frame must be one JSON object") from None
    except RecursionError:
        # Unknown fields are skipped, however deep; msgspec's skipping recurses.
        raise BadFrame(
            "bad_request", "the frame is nested too deeply (lists and objects within each other)"
        ) from None


# --- server to client ---------------------------------------------------------------


class Subscribed(msgspec.Struct, tag_field="op", tag="subscribed"):
    topic: str
    seq: int


class Unsubscribed(msgspec.Struct, tag_field="op", tag="unsubscribed"):
    topic: str


class EventFrame(msgspec.Struct, tag_field="op", tag="event"):
    topic: str
    seq: int | None
    type: str
    data: dict[str, Any]


class Ack(msgspec.Struct, tag_field="op", tag="ack"):
    client_id: str
    seq: int | None


class Error(msgspec.Struct, tag_field="op", tag="error", omit_defaults=True):
    code: str
    detail: str
    ref: str | None
    retry_after: int | None = None


class Pong(msgspec.Struct, tag_field="op", tag="pong"):
    pass


ServerFrame = Subscribed | Unsubscribed | EventFrame | Ack | Error | Pong

_encoder = msgspec.json.Encoder()


class Outgoing:
    """One encoded server frame: text for the ASGI send, wire bytes for `forum.wire`'s write.

    Both are made once, when first asked for, however many sockets receive the frame.
    """

    __slots__ = ("_text", "_wire", "payload")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._text: str | None = None
        self._wire: bytes | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.payload.decode()
        return self._text

    @property
    def wire(self) -> bytes:
        """The complete websocket text frame: a server's frames are unmasked, so the same
        bytes serve every uncompressed socket."""
        if self._wire is None:
            self._wire = Frame(Opcode.TEXT, self.payload).serialize(mask=False)
        return self._wire


def encode(frame: ServerFrame) -> Outgoing:
    return Outgoing(_encoder.encode(frame))


def error_for(exc: ForumError, ref: str | None) -> Error:
    """The one mapping from the error tree to `error` frames."""
    code = exc.code if exc.code in ERROR_CODES else "bad_request"
    return Error(code=code, detail=exc.detail, ref=ref, retry_after=getattr(exc, "retry_after", None))
