"""Cursor pagination helpers: `{"items": [...], "next": cursor}` with opaque cursors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from forum.lib.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


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


def decode_cursor(cursor: str | None, length: int) -> list[Any] | None:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("cursor: not one this service gave out", field="cursor") from exc
    if not isinstance(values, list) or len(values) != length:
        raise BadRequest("cursor: not one this service gave out", field="cursor")
    return values
