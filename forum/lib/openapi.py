"""The OpenAPI schema made true to what the service answers, and useful to generated clients.

Litestar derives the schema from the handlers' signatures; this module adds what those do
not say, in one place, from facts of the edge that hold for every operation alike:

- errors are `application/problem+json` (the `Problem` component), with the statuses each
  operation can answer: 400 for bad input everywhere; 401 and 403 where a sign-in is
  needed; 404 where the path names something; 403, 409 and 422 for writes; 413 and 415
  where a body is read; 429 (with Retry-After) where the rate limit applies; 503 when the
  database or broker fails; and those a handler declares (`problems(401)` for login);
- component schemas are msgspec's own, written from the Structs the service decodes and
  encodes with (bounds of list items, `additionalProperties: false` for bodies that
  refuse unknown fields: what Litestar's generator leaves out);
- a query parameter is absent or a value, never `null`;
- components have names of their own (`ThreadOutList`), not module paths
  (`ListOut_forum.threads.schemas.ThreadOut_`);
- `/metrics` is Prometheus text, `/health` may answer 503.

Which operations need a token is declared on each handler (`security=SIGNED_IN` or
`ANYONE`), and operation ids are the handlers' names unless a handler names its own: both
stay put when code moves between modules.
"""

from __future__ import annotations

import copy
import re
from typing import Any, get_args, get_origin

import msgspec
from litestar import Litestar, Request, Response
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import SecurityRequirement, SecurityScheme

from forum.lib import problem_codes
from forum.lib.raw_input import MAX_ID

PROBLEM_JSON = "application/problem+json"

# Who may call an operation, for each handler's `security=`: a token (or the session
# cookie) is needed, or anyone may, signed in or not (`{}`: no credentials at all).
SIGNED_IN: list[SecurityRequirement] = [{"bearer": []}, {"session": []}]
ANYONE: list[SecurityRequirement] = [{}, *SIGNED_IN]

SECURITY_SCHEMES = {
    "bearer": SecurityScheme(type="http", scheme="bearer", description="the token of POST /api/auth/login"),
    "session": SecurityScheme(
        type="apiKey",
        name="forum_session",
        security_scheme_in="cookie",
        description="the session cookie that login sets (browsers); unsafe methods also need the "
        "x-csrftoken header with the csrftoken cookie's value",
    ),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An error (RFC 9457). `code` is stable; `reason` and `errors` say more, for "
    "clients that word the problem in their reader's language; `detail` is English. Every code "
    "is listed in forum/lib/problem_codes.py and docs/errors.md.",
    "required": ["type", "status", "title", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "title": {"type": "string"},
        "detail": {"type": "string", "description": "what is wrong, in a sentence a person can act on"},
        "code": {"type": "string", "enum": list(problem_codes.CODES), "description": "the kind of problem"},
        "reason": {
            "type": "string",
            "enum": list(problem_codes.REASONS),
            "description": "the exact cause, where the service knows it: `wrong_credentials`, "
            "`sign_in_throttled`, `email_taken` ...",
        },
        "field": {"type": "string", "description": "the input that is wrong: `title`, `tables[0].host_id`"},
        "errors": {
            "type": "array",
            "description": "bad input: one item per offending field",
            "items": {
                "type": "object",
                "required": ["field", "code"],
                "properties": {
                    "field": {
                        "type": "string",
                        "description": "the field's path: `password`, `tables[0].topic`",
                    },
                    "code": {"type": "string", "enum": list(problem_codes.FIELD_CODES)},
                    "limit": {"type": "integer", "description": "the bound broken: a length or a number"},
                },
            },
        },
        "until": {"type": "string", "format": "date-time", "description": "a suspension's end"},
    },
}

_PROBLEMS = {
    400: "Bad input: a field of the wrong type or out of range, malformed JSON, an id not in plain decimal",
    401: "Not signed in: send a bearer token or the session cookie",
    403: "Not allowed: the caller's role or the rules refuse it (or a missing CSRF token with the cookie)",
    404: "Not found, or not visible to the caller",
    409: "Conflict with the current state (already done, closed, taken)",
    413: "The request body is larger than 1 MiB",
    415: "The request body is not sent as application/json",
    422: "Well-formed but not acceptable (an unknown user, a rule of the service)",
    429: "Too many requests: wait as Retry-After says",
    503: "The database or the broker is unavailable: try again later",
}
_UNSAFE = {"post", "put", "patch", "delete"}
# Paths the rate limit does not apply to (see app.py).
_NOT_RATE_LIMITED = {"/health", "/metrics"}
# Litestar's `ListOut_forum.threads.schemas.ThreadOut_`, msgspec's `ListOut_ThreadOut_`.
_GENERIC_COMPONENT = re.compile(r"^(\w+?)(?:Out)?_(?:\w+\.)*(\w+)_$")


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """`responses=` for a handler that answers an error status the rules below do not give it
    (login's 401 for a wrong password): `refine` gives it the Problem body."""
    return {status: ResponseSpec(None, description=_PROBLEMS[status]) for status in statuses}


def operation_id(handler: HTTPRouteHandler, _method: str, _components: list[str]) -> str:
    """A handler's operation id: the name it gives (`operation_id=`), else its function's."""
    return handler.handler_name


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _PROBLEMS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 0}}
        }
    return response


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, from what the edge does for every operation."""
    statuses = {400, 503}
    if path not in _NOT_RATE_LIMITED:
        statuses.add(429)
    else:
        statuses.discard(400)
    if "{" in path:
        statuses.add(404)
    security = operation.get("security")
    if security and {} not in security:
        statuses |= {401, 403}
    if method in _UNSAFE:
        # Every write may meet a rule (403) or a state (409) that refuses it; the session
        # cookie also needs the CSRF header.
        statuses |= {403, 404, 409, 422}
    if "requestBody" in operation:
        statuses |= {413, 415}
    return statuses


def _component_name(name: str) -> str:
    """`ListOut_forum.threads.schemas.ThreadOut_` -> `ThreadOutList`: no module paths in names."""
    if m := _GENERIC_COMPONENT.match(name):
        return f"{m[2]}{m[1]}"
    return name


def _rename_components(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    renames = {}
    for name in list(components):
        if (new := _component_name(name)) != name:
            renames[f"#/components/schemas/{name}"] = f"#/components/schemas/{new}"
            components[new] = components.pop(name)
            components[new]["title"] = new
    if renames:
        _replace_refs(schema, renames)


def _message_types(app: Litestar) -> list[Any]:
    """Every type a handler reads from a body or answers with (msgspec Structs and lists of them)."""
    found: list[Any] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            signature = handler.parsed_fn_signature
            if "data" in signature.parameters:
                found.append(signature.parameters["data"].annotation)
            answer = signature.return_type.annotation
            if get_origin(answer) is Response:
                answer = get_args(answer)[0] if get_args(answer) else None
            found.append(answer)
            found += [spec.data_container for spec in (handler.responses or {}).values()]
    return found


def struct_components(app: Litestar) -> dict[str, Any]:
    """The schemas of the app's bodies as msgspec writes them from the Structs themselves.

    Litestar's generator drops constraints it does not follow (the bounds of a list's
    items, `forbid_unknown_fields`); msgspec's is the decoder's own description, so the
    schema says exactly what the service accepts and answers."""
    types = []
    for candidate in _message_types(app):
        try:
            msgspec.json.schema_components([candidate])
        except (TypeError, ValueError):
            continue  # not a msgspec type (no body, raw bytes): Litestar's schema stays
        types.append(candidate)
    _, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    renamed = {_component_name(name): body for name, body in components.items()}
    for name, body in renamed.items():
        body["title"] = name
    _replace_refs(
        renamed,
        {f"#/components/schemas/{n}": f"#/components/schemas/{_component_name(n)}" for n in components},
    )
    return renamed


def _replace_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in renames:
            node["$ref"] = renames[ref]
        for value in node.values():
            _replace_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, renames)


def _plain_parameters(operation: dict[str, Any]) -> None:
    """A query parameter is absent or has a value: drop the `null` alternative Litestar adds.
    An id in the path is one a row can have (others are 404 before any SQL)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": MAX_ID}
        schema = parameter.get("schema", {})
        options = schema.get("oneOf")
        if parameter.get("in") in ("query", "path") and isinstance(options, list):
            kept = [option for option in options if option.get("type") != "null"]
            if len(kept) == 1:
                rest = {key: value for key, value in schema.items() if key != "oneOf"}
                parameter["schema"] = {**kept[0], **rest}


def _operations_of_paths(schema: dict[str, Any]) -> Any:
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}:
                yield path, method, operation


def refine(litestar_schema: dict[str, Any], structs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schema Litestar made, made true and useful (see the module). A new dict.

    `structs`: component schemas written by msgspec (`struct_components`), which replace
    Litestar's of the same name."""
    schema = copy.deepcopy(litestar_schema)
    _rename_components(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(copy.deepcopy(structs or {}))
    components["Problem"] = PROBLEM_SCHEMA
    for path, method, operation in _operations_of_paths(schema):
        _plain_parameters(operation)
        responses = operation.setdefault("responses", {})
        # Litestar documents its own error shape (and a 400 for every handler); the service
        # answers problem+json, with the statuses of the rules and those a handler declares.
        declared = {int(code) for code in responses if code.isdigit() and int(code) > 400}
        for status in [code for code in responses if code.isdigit() and int(code) >= 400]:
            del responses[status]
        for status in sorted(_statuses(path, method, operation) | declared):
            responses[str(status)] = _problem_response(status)
        # 204 has no body (Litestar gives `Response[None]` a JSON one).
        if "204" in responses:
            responses["204"].pop("content", None)
    _operations_specials(schema)
    return schema


def _operations_specials(schema: dict[str, Any]) -> None:
    """What two operations answer that their return types cannot say."""
    paths = schema.get("paths", {})
    metrics = paths.get("/metrics", {}).get("get")
    if metrics is not None:
        metrics["operationId"] = "metrics"
        metrics["tags"] = ["operations"]
        metrics["responses"]["200"] = {
            "description": "the process's metrics in Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    health = paths.get("/health", {}).get("get")
    if health is not None and "200" in health["responses"]:
        content = copy.deepcopy(health["responses"]["200"]["content"])
        health["responses"]["503"] = {
            "description": "a part the service needs is failing, named",
            "content": content,
        }


class RefinedJsonRenderPlugin(JsonRenderPlugin):
    """Serves the refined schema as JSON (at /schema and /schema/openapi.json), made once."""

    def __init__(self) -> None:
        super().__init__(path=["/openapi.json"])
        self._rendered: bytes | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            refined = refine(openapi_schema, struct_components(request.app))
            self._rendered = self.render_json(request, refined)
        return self._rendered
