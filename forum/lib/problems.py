"""Mapping of every error to application/problem+json (RFC 9457), in one place."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from forum.lib.errors import ForumError

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def forum_error_handler(_: Request, exc: ForumError) -> Response:
    extra: dict[str, Any] = {"code": exc.code}
    if exc.field:
        extra["field"] = exc.field
    return problem(exc.status, exc.title, exc.detail, headers=exc.headers or None, **extra)


def _describe_validation(exc: ValidationException) -> tuple[str, str | None]:
    """Turn msgspec/Litestar validation messages into one sentence naming the field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts: list[str] = []
    field: str | None = None
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "")).strip()
        key = item.get("key")
        # msgspec says "... - at `$.title`": name the field plainly.
        if " - at `$." in message:
            message, _, path = message.partition(" - at `$.")
            field = field or path.rstrip("`")
            parts.append(f"{path.rstrip('`')}: {message}")
        elif key and key != "body":
            field = field or str(key)
            parts.append(f"{key}: {message}")
        elif message:
            parts.append(message)
    if not parts:
        return exc.detail or "the request is not valid", None
    return "; ".join(parts), field


def validation_handler(_: Request, exc: ValidationException) -> Response:
    detail, field = _describe_validation(exc)
    extra: dict[str, Any] = {"code": "bad_request"}
    if field:
        extra["field"] = field
    return problem(exc.status_code, "Invalid input", detail, **extra)


_TITLES = {
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Too many requests",
}


def http_error_handler(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    detail = exc.detail or _TITLES.get(status, "error")
    if status == 413:
        detail = "the request body is larger than 1 MiB"
    elif status == 404 and detail == "Not Found":
        detail = "no such resource"
    elif status == 403 and "CSRF" in detail:
        detail = "missing or wrong CSRF token: send the csrftoken cookie's value in the x-csrftoken header"
    return problem(status, _TITLES.get(status, "Error"), detail, headers=exc.headers or None)


def server_error_handler(_: Request, exc: Exception) -> Response:
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "Server error", "something went wrong on our side; it was logged"
    )


EXCEPTION_HANDLERS = {
    ForumError: forum_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "problem"]
