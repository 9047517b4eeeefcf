"""Guards on raw input that no field's own constraint can express.

PostgreSQL text cannot hold the NUL character (SQLite can): a NUL anywhere in a request
would store on one database and fail with a server error on the other. It is refused
up front, with a 400 naming the field where one is known.
"""

from __future__ import annotations

import re

from litestar import Request

from forum.lib.errors import BadRequest

NUL = "\x00"
# A JSON string escape of NUL (\u0000) that is not itself an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def check_text(value: str, field: str) -> None:
    """Refuse text no database column can store the same everywhere."""
    if NUL in value:
        raise BadRequest(f"{field}: must not contain the NUL character (U+0000)", field=field)


async def reject_nul_characters(request: Request) -> None:
    """Before every HTTP handler: no NUL in the path, the query or a JSON body."""
    if NUL in request.scope.get("path", "") or NUL in request.url.query or "%00" in request.url.query:
        raise BadRequest("the address must not contain the NUL character (U+0000)")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        body = await request.body()
        if b"\x00" in body or _JSON_NUL.search(body):
            raise BadRequest("the request body must not contain the NUL character (U+0000)")
