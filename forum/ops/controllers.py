"""GET /health checks the database (and the broker) for real."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


class HealthOut(msgspec.Struct):
    status: str
    database: str
    broker: str


@get("/health", summary="Is the service able to serve?", tags=["operations"], exclude_from_csrf=True)
async def health(request: Request, db_engine: AsyncEngine) -> Response[HealthOut]:
    database = "ok"
    try:
        async with db_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means we cannot serve
        database = f"failing: {type(exc).__name__}"
    broker = "ok"
    redis = getattr(request.app.state, "redis", None)
    if redis is not None:
        try:
            await redis.ping()
        except Exception as exc:
            broker = f"failing: {type(exc).__name__}"
    ok = database == "ok" and broker == "ok"
    return Response(
        HealthOut(status="ok" if ok else "failing", database=database, broker=broker),
        status_code=200 if ok else 503,
    )
