"""Guards on raw input where SQLite and PostgreSQL would disagree.

PostgreSQL text cannot hold the NUL character (SQLite can), and its integer columns
overflow where SQLite's do not: such input would work on one database and fail with a
server error on the other. It is refused up front: a 400 naming the field, or a 404 for
an id no row can have.
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from litestar import Request

from forum.lib.errors import BadRequest, NotFound

# The largest id a row can have (BIGINT identity on PostgreSQL).
MAX_ID = 2**63 - 1
# The largest value of a 32-bit INTEGER column (post and message numbers).
MAX_INT32 = 2**31 - 1

# An id sent in a request body: a positive whole number a row could have.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]

NUL = "\x00"
# A JSON string escape of NUL (\u0000) that is not itself an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def check_text(value: str, field: str) -> None:
    """Refuse text no database column can store the same everywhere."""
    if NUL in value:
        raise BadRequest(f"{field}: must not contain the NUL character (U+0000)", field=field)


async def check_raw_input(request: Request) -> None:
    """Before every HTTP handler: ids in the path a row could have; no NUL anywhere."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFound("no such resource")
    if NUL in request.scope.get("path", "") or NUL in request.url.query or "%00" in request.url.query:
        raise BadRequest("the address must not contain the NUL character (U+0000)")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        body = await request.body()
        if b"\x00" in body or _JSON_NUL.search(body):
            raise BadRequest("the request body must not contain the NUL character (U+0000)")
