"""Mapping of every error to application/problem+json (RFC 9457), in one place."""

from __future__ import annotations

import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from forum.lib import problem_codes
from forum.lib.db import database_unavailable
from forum.lib.errors import ForumError, Unavailable
from forum.lib.raw_input import NOT_BLANK

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def forum_error_handler(_: Request, exc: ForumError) -> Response:
    extra: dict[str, Any] = {**exc.extra, "code": exc.code}
    if exc.field:
        extra["field"] = exc.field
    if exc.reason and exc.field and exc.reason in problem_codes.FIELD_CODES:
        # Why the field is wrong, as bad input given to the schema is told.
        extra["errors"] = [_item(exc.field, exc.reason, exc.limit)]
    elif exc.reason:
        extra["reason"] = exc.reason
    return problem(exc.status, exc.title, exc.detail, headers=exc.headers or None, **extra)


# msgspec names JSON types; people read these instead.
_TYPE_WORDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}

# Fields whose pattern is better explained than quoted.
_PATTERN_WORDS = {
    "email": "must be an email address",
    "party": "must be an ISO 3166-1 alpha-3 code in capitals (such as JPN), or EUU",
    "slug": "must be 2 to 64 lowercase letters, digits and hyphens, starting with a letter or digit",
    "space": "must be a space's slug: lowercase letters, digits and hyphens",
    "role": "must be one of admin, moderator, focal_point, lcipp, observer",
}


def _type_words(names: str) -> str:
    return " or ".join(_TYPE_WORDS.get(name.strip(), name.strip()) for name in names.split("|"))


def _rephrase(field: str | None, message: str) -> str:
    """One msgspec message in plain words (unknown shapes pass through unchanged)."""
    base = (field or "").split(".")[-1].split("[")[0]
    if m := re.fullmatch(r"Expected `(.+?)`, got `(.+?)`", message):
        return f"must be {_type_words(m[1])}, not {_type_words(m[2])}"
    if m := re.fullmatch(r"Expected `str` of length (<=|>=) (\d+)", message):
        return f"must be at {'most' if m[1] == '<=' else 'least'} {m[2]} characters long"
    if m := re.fullmatch(r"Expected `(array|object)` of length (<=|>=) (\d+)", message):
        what = "items" if m[1] == "array" else "entries"
        return f"must have at {'most' if m[2] == '<=' else 'least'} {m[3]} {what}"
    if m := re.fullmatch(r"Expected `(int|float)` (<=|>=|<|>) (-?[\d.]+)", message):
        words = {"<=": "at most", ">=": "at least", "<": "less than", ">": "more than"}
        return f"must be {words[m[2]]} {m[3]}"
    if message == f"Expected `str` matching regex {NOT_BLANK!r}":
        return "must not be blank: write something besides spaces"
    if message.startswith("Expected `str` matching regex"):
        return _PATTERN_WORDS.get(base, "is not in the expected format")
    if m := re.fullmatch(r"Invalid enum value (.+)", message):
        if base in _PATTERN_WORDS:
            return f"{_PATTERN_WORDS[base]}; {m[1]} is not"
        return f"{m[1]} is not one of the allowed values"
    return message


def _classify(field: str | None, message: str) -> tuple[str, int | None]:
    """The machine-readable reason (problem_codes.FIELD_CODES) of one msgspec message, and
    the bound it names, if any; the same shapes `_rephrase` words."""
    if re.fullmatch(r"Expected `(.+?)`, got `(.+?)`", message):
        return "wrong_type", None
    if m := re.fullmatch(r"Expected `str` of length (<=|>=) (\d+)", message):
        return ("too_long" if m[1] == "<=" else "too_short"), int(m[2])
    if m := re.fullmatch(r"Expected `(array|object)` of length (<=|>=) (\d+)", message):
        return ("too_many" if m[2] == "<=" else "too_few"), int(m[3])
    if m := re.fullmatch(r"Expected `(int|float)` (<=|>=|<|>) (-?\d+)(?:\.0+)?", message):
        bound = int(m[3])
        if m[2] == "<":
            bound -= 1
        elif m[2] == ">":
            bound += 1
        return ("too_big" if m[2] in ("<=", "<") else "too_small"), bound
    if re.fullmatch(r"Expected `(int|float)` (<=|>=|<|>) (-?[\d.]+)", message):
        return "invalid", None
    if message == f"Expected `str` matching regex {NOT_BLANK!r}":
        return "blank", None
    if message.startswith("Expected `str` matching regex"):
        return "invalid_format", None
    if message.startswith("Invalid enum value"):
        return "not_allowed", None
    return "invalid", None


def _item(field: str, code: str, limit: int | None = None) -> dict[str, Any]:
    return {"field": field, "code": code} if limit is None else {"field": field, "code": code, "limit": limit}


def _validation_parts(
    exc: ValidationException,
) -> tuple[str, str | None, list[dict[str, Any]], str | None]:
    """Turn msgspec/Litestar validation messages into one sentence naming the field, the
    fields' machine-readable reasons, and a reason for the request as a whole (if any)."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts: list[str] = []
    items: list[dict[str, Any]] = []
    whole: str | None = None
    field: str | None = None
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "")).strip()
        key = item.get("key")
        path = None
        # A message may still carry msgspec's location ("... - at `$.title`").
        if " - at `$." in message:
            message, _, path = message.partition(" - at `$.")
            path = path.rstrip("`")
        name = path or (str(key) if key else None)
        # A missing or unknown field: of the body (`data`) by its name, inside an object of
        # the body by its whole path.
        missing = re.fullmatch(r"Object (missing required|contains unknown) field `(.+)`", message)
        if name and missing:
            name = missing[2] if name == "data" else f"{name}.{missing[2]}"
            required = missing[1] == "missing required"
            message = "is required" if required else "is not a field of this request"
            field = field or name
            parts.append(f"{name}: {message}")
            items.append(_item(name, "required" if required else "unknown_field"))
            continue
        if name == "data":
            # The error is about the body as a whole: not an object.
            if m := re.fullmatch(r"Expected `object`, got `(.+)`", message):
                name = None
                message = f"the request body must be a JSON object, not {_type_words(m[1])}"
                whole = whole or "body_not_object"
            else:
                name = None
        if name:
            field = field or name
            parts.append(f"{name}: {_rephrase(name, message)}")
            items.append(_item(name, *_classify(name, message)))
        elif message == "'data'":
            # Litestar's wording when there is no body at all.
            parts.append("the request body is missing: send a JSON object")
            whole = whole or "body_missing"
        elif message:
            parts.append(message)
    if not parts:
        # Litestar names a missing query parameter only in its sentence.
        if m := re.fullmatch(
            r"Missing required (?:query|header|cookie) parameter '(.+?)'.*", exc.detail or ""
        ):
            return f"{m[1]}: is required", m[1], [_item(m[1], "required")], None
        return exc.detail or "the request is not valid", None, [], None
    return "; ".join(parts), field, items, whole


def validation_handler(_: Request, exc: ValidationException) -> Response:
    detail, field, items, whole = _validation_parts(exc)
    extra: dict[str, Any] = {"code": "bad_request"}
    if field:
        extra["field"] = field
    if whole:
        extra["reason"] = whole
    if items:
        extra["errors"] = items
    return problem(exc.status_code, "Invalid input", detail, **extra)


_TITLES = {
    400: "Invalid input",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    429: "Too many requests",
}

# Every problem carries a stable `code`, as the websocket's error frames do.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def http_error_handler(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    detail = exc.detail or _TITLES.get(status, "error")
    extra: dict[str, Any] = {"code": _CODES.get(status, "internal" if status >= 500 else "bad_request")}
    # Raised while decoding the body, before any field could be named.
    if status == 400 and (detail.startswith("JSON is malformed") or detail == "Input data was truncated"):
        reason = detail.removeprefix("JSON is malformed: ")
        detail = f"the request body is not valid JSON ({reason[0].lower()}{reason[1:]})"
        extra["reason"] = "malformed_json"
    if status == 413:
        detail = "the request body is larger than 1 MiB"
    elif status == 404 and detail == "Not Found":
        detail = "no such resource"
    elif status == 403 and "CSRF" in detail:
        detail = "missing or wrong CSRF token: send the csrftoken cookie's value in the x-csrftoken header"
        extra["reason"] = "csrf"
    return problem(status, _TITLES.get(status, "Error"), detail, headers=exc.headers or None, **extra)


def encoding_error_handler(_: Request, exc: UnicodeDecodeError) -> Response:
    # Raised while decoding a request body (or a header, or a query) that is not UTF-8.
    return problem(
        400, "Invalid input", "the request is not valid UTF-8", code="bad_request", reason="not_utf8"
    )


def server_error_handler(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        # The database cannot serve now (unreachable, restarting, full, read-only): nothing
        # was stored (a lost COMMIT answers `outcome_unknown` instead), so try again.
        return forum_error_handler(request, Unavailable("the database is unavailable; try again shortly"))
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Server error",
        "something went wrong on our side; it was logged",
        code="internal",
    )


# Refusals of bad or unauthorised requests: answered, not logged with a stack trace
# (Litestar matches the exact class or the status code, hence both lists).
CLIENT_ERRORS: set[int | type[Exception]] = {
    *(cls for cls in ForumError.__subclasses__()),
    ForumError,
    UnicodeDecodeError,
    *range(400, 500),
}

EXCEPTION_HANDLERS = {
    ForumError: forum_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    UnicodeDecodeError: encoding_error_handler,
    # Anything else is our fault: still problem+json, and logged with its stack trace.
    Exception: server_error_handler,
}

__all__ = ["CLIENT_ERRORS", "EXCEPTION_HANDLERS", "MediaType", "problem"]
