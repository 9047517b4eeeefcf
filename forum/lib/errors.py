"""One error tree for the whole service.

Every rule violation raises a `ForumError` subclass with a stable `code`. It is mapped
once to problem+json over HTTP (`forum.app`) and once to `error` frames over the
websocket (`forum.realtime`).
"""

from __future__ import annotations

from typing import ClassVar


class ForumError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
        limit: int | None = None,
        extra: dict[str, str | int] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.headers = headers or {}
        # The exact cause, one of forum.lib.problem_codes.REASONS (or FIELD_CODES with a
        # field); `limit` is the bound a field broke. Both are for clients that translate.
        self.reason = reason
        self.limit = limit
        # More machine-readable members of the problem answer (`until` of a suspension).
        self.extra = extra or {}


class BadRequest(ForumError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class Invalid(ForumError):
    status = 422
    code = "bad_request"
    title = "Invalid input"


class Unauthorized(ForumError):
    status = 401
    code = "unauthorized"
    title = "Not signed in"


class Forbidden(ForumError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(ForumError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(ForumError):
    status = 409
    code = "conflict"
    title = "Conflict"


class RateLimited(ForumError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, reason: str | None = None):
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))}, reason=reason)
        self.retry_after = max(1, retry_after)


# Seconds a client is asked to wait before repeating a request the database could not serve.
RETRY_AFTER_SECONDS = 2


class Unavailable(ForumError):
    """The database (or another dependency) cannot serve now; nothing was changed."""

    status = 503
    code = "unavailable"
    title = "Temporarily unavailable"

    def __init__(self, detail: str, *, retry_after: int = RETRY_AFTER_SECONDS):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class OutcomeUnknown(Unavailable):
    """The connection was lost during COMMIT: the change may or may not be stored."""

    code = "outcome_unknown"
    title = "Outcome unknown"


class UnsupportedMediaType(ForumError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"
