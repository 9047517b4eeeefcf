"""Cursor pagination helpers: `{"items": [...], "next": cursor}` with opaque cursors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import Parameter

from forum.lib.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# The longest cursor this service gives out is well under this.
MAX_CURSOR_CHARS = 200

# `?limit=` and `?cursor=` of every list, declared once: the bounds are checked where the
# request enters, and the OpenAPI schema says them.
Limit = Annotated[
    int | None,
    Parameter(
        query="limit",
        required=False,
        ge=1,
        le=MAX_LIMIT,
        description=f"1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}",
    ),
]
Cursor = Annotated[
    str | None,
    Parameter(
        query="cursor",
        required=False,
        min_length=1,
        max_length=MAX_CURSOR_CHARS,
        description="the `next` of the previous page, as it was given",
    ),
]


@dataclass
class Page(Generic[T]):
    items: list[T]
    next: str | None = None


def check_limit(limit: int | None, *, default: int = DEFAULT_LIMIT) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}", field="limit")
    return limit


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: type[T]) -> T | None:
    """The position a cursor holds, decoded strictly into `shape` (a tuple type such as
    `tuple[Id]`): cursors come back from clients, so a forged one is refused here, whole
    numbers beyond what a column holds included, before any of it reaches SQL."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return msgspec.json.decode(base64.urlsafe_b64decode(padded.encode()), type=shape, strict=True)
    except (ValueError, msgspec.DecodeError, RecursionError) as exc:
        # msgspec.ValidationError is a DecodeError; binascii.Error a ValueError.
        raise BadRequest("cursor: not one this service gave out", field="cursor") from exc
