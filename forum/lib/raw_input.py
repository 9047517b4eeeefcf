"""The edge's guards on raw input: one spelling for every value, bounds for every number.

Everything a client sends is checked here, before a handler runs, the same way on every
endpoint: ids in the path and whole numbers in the query are written in plain decimal
(`/api/posts/ 1`, `１`, `1_0` and `?limit=5.0` reach no row); a JSON body is sent as
`application/json` and decoded strictly into the handler's type (`"1"` is not 1, `"true"`
is not true, an unknown field is refused); no value holds the NUL character. Each
refusal names the field.

PostgreSQL and SQLite must answer alike: PostgreSQL text cannot hold NUL (SQLite can), and
its integer columns overflow where SQLite's do not. So every whole number that reaches SQL
carries bounds in its type (`Id`, `Number`), and text that must say something carries
`NOT_BLANK`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.types import Empty

from forum.lib.errors import BadRequest, NotFound, UnsupportedMediaType

# The largest id a row can have (BIGINT identity on PostgreSQL).
MAX_ID = 2**63 - 1
# The largest value of a 32-bit INTEGER column (post and message numbers).
MAX_INT32 = 2**31 - 1

# An id sent in a request body: a positive whole number a row could have.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# A count or a number of seconds that an INTEGER column holds.
Number = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT32)]
# Text that must say something: at least one character that is not a space. Lengths are
# checked on the text as sent, so this, not stripping, is what refuses "   ".
NOT_BLANK = r"\S"

NUL = "\x00"

# A whole number as the path and the query must write it: plain ASCII decimal digits, no
# sign, no leading zero, no spaces, no underscores ("-" only in the query, for the bounds
# to refuse with a clear message).
_PATH_INT = re.compile(r"0|[1-9][0-9]*")
_QUERY_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_JSON_TYPES = re.compile(r"application/(?:[\w.+-]+\+)?json")


def check_text(value: str, field: str) -> None:
    """Refuse text no database column can store the same everywhere."""
    if NUL in value:
        raise BadRequest(
            f"{field}: must not contain the NUL character (U+0000)", field=field, reason="nul_character"
        )


def _plain(annotation: Any) -> Any:
    """`int` for `int`, `int | None` and `Annotated[int | None, ...]`; the annotation otherwise."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, type(int | None)):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(inner) == 1:
            return _plain(inner[0])
    return annotation


class _Shape(msgspec.Struct, frozen=True):
    """What the edge checks of one handler's parameters, worked out once per handler."""

    query_ints: frozenset[str]
    query_names: frozenset[str]
    body_decoder: msgspec.json.Decoder | None


# Where a handler keeps its _Shape: in its own `opt`, so it lives and dies with the handler.
_SHAPE_KEY = "forum.raw_input.shape"
# Names a handler takes that are not parameters of the request.
_RESERVED = {"request", "data", "state", "headers", "cookies", "scope", "query", "body", "socket"}


def _shape(handler: HTTPRouteHandler, path_names: Any) -> _Shape:
    shape = handler.opt.get(_SHAPE_KEY)
    if shape is None:
        params = handler.parsed_fn_signature.parameters
        dependencies = set(handler.resolve_dependencies())
        query_ints: set[str] = set()
        query_names: set[str] = set()
        for name, field in params.items():
            if name in _RESERVED or name in dependencies or name in path_names:
                continue
            key = getattr(field.kwarg_definition, "query", None) or name
            query_names.add(key)
            if _plain(field.annotation) is int:
                query_ints.add(key)
        body = params["data"].annotation if "data" in params else None
        decoder = msgspec.json.Decoder(body, strict=True) if body is not None else None
        shape = _Shape(frozenset(query_ints), frozenset(query_names), decoder)
        handler.opt[_SHAPE_KEY] = shape
    return shape


def _path_ids(request: Request) -> Iterator[tuple[str, int, str]]:
    """(name, parsed value, the segment as sent) of each whole-number path parameter."""
    template = (request.scope.get("path_template") or "").split("/")
    segments = request.scope.get("path", "").split("/")
    for name, value in request.path_params.items():
        if isinstance(value, int) and not isinstance(value, bool):
            index = template.index(f"{{{name}}}") if f"{{{name}}}" in template else -1
            yield name, value, segments[index] if 0 <= index < len(segments) else ""


async def check_raw_input(request: Request) -> None:
    """Before every HTTP handler: the path and the query, as the module says."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise BadRequest(
                f"{name}: must not contain the NUL character (U+0000)", field=name, reason="nul_character"
            )
    if NUL in request.scope.get("path", ""):
        raise BadRequest("the address must not contain the NUL character (U+0000)")
    for _name, value, raw in _path_ids(request):
        # `/api/posts/ 1`, `/api/posts/１` and `/api/posts/01` name no post: Python's int()
        # read them all as 1. Ids outside what a row can hold are as absent.
        if not _PATH_INT.fullmatch(raw) or not 0 < value <= MAX_ID:
            raise NotFound("no such resource")
    for key, value in request.query_params.multi_items():
        if NUL in key or NUL in value:
            field = key.replace(NUL, "")
            raise BadRequest(f"{field}: must not contain the NUL character (U+0000)", field=field or None)
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return
    shape = _shape(handler, request.path_params)
    for key in shape.query_names:
        given = request.query_params.getall(key, [])
        if len(given) > 1:
            raise BadRequest(f"{key}: give it once, not {len(given)} times", field=key, reason="repeated")
        if given and key in shape.query_ints and not _QUERY_INT.fullmatch(given[0]):
            raise BadRequest(
                f"{key}: must be a whole number in plain decimal digits, not {given[0][:40]!r}",
                field=key,
                reason="wrong_type",
            )


def _nul_at(value: Any, path: str = "") -> str | None:
    """The path (`tables[0].topic`) of the first string holding NUL, if any."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where
            if (found := _nul_at(item, where)) is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if (found := _nul_at(item, f"{path}[{i}]")) is not None:
                return found
    return None


class StrictRequest(Request):
    """Litestar's Request, reading a JSON body strictly into the handler's `data` type.

    Litestar decodes a body to plain JSON values and then converts them loosely (the same
    conversion reads query strings, where "1" must become 1); a body is JSON and carries
    its own types, so it is decoded once, strictly, into the declared type. The values are
    then handed on as plain JSON, which the loose conversion leaves as they are.
    """

    async def json(self) -> Any:
        state = self._connection_state
        if state.json is Empty:
            state.json = await self._strict_json()
        return state.json

    def _check_media_type(self) -> None:
        media_type, options = self.content_type
        charset = options.get("charset", "utf-8").lower()
        if not _JSON_TYPES.fullmatch(media_type.lower()) or charset not in ("utf-8", "utf8"):
            sent = self.headers.get("content-type") or "no Content-Type"
            raise UnsupportedMediaType(
                f"send the request body as JSON with 'Content-Type: application/json' (not {sent[:80]})"
            )

    async def _strict_json(self) -> Any:
        body = await self.body()
        handler = self.scope.get("route_handler")
        shape = _shape(handler, self.path_params) if isinstance(handler, HTTPRouteHandler) else None
        if body:
            self._check_media_type()
        if shape is None or shape.body_decoder is None:
            raw: Any = body or b"null"
            value = _decode(lambda: msgspec.json.decode(raw), raw)
        else:
            decoder = shape.body_decoder
            value = msgspec.to_builtins(_decode(lambda: decoder.decode(body or b"null"), body or b"null"))
        if (where := _nul_at(value)) is not None:
            name = where or None
            raise BadRequest(
                f"{where or 'the body'}: must not contain the NUL character (U+0000)",
                field=name,
                reason="nul_character",
            )
        return value


def _decode(decode: Any, body: bytes) -> Any:
    try:
        return decode()
    except msgspec.ValidationError as exc:
        # The typed decoder stops at the first wrong value; a body that is not JSON at all,
        # or is nested too deeply, is told so first.
        _decode(lambda: msgspec.json.decode(body), body)
        raise ValidationException(
            detail="the request body is not valid",
            extra=[{"message": str(exc), "key": "data", "source": "body"}],
        ) from None
    except msgspec.DecodeError as exc:
        raise ClientException(detail=str(exc)) from None
    except RecursionError:
        raise BadRequest(
            "the request body is nested too deeply (lists and objects within each other)"
        ) from None


__all__ = ["MAX_ID", "MAX_INT32", "NOT_BLANK", "Id", "Number", "StrictRequest", "check_raw_input"]
