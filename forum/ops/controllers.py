"""GET /health: every dependency's state; GET /ready: may a load balancer send traffic here?"""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get

from forum.ops.health import OK, HealthChecks


class HealthOut(msgspec.Struct):
    status: str
    database: str
    broker: str


class ReadyOut(msgspec.Struct):
    status: str
    database: str
    broker: str
    process: str


def _checks(request: Request) -> HealthChecks:
    return request.app.state.health


@get("/health", summary="Is every part of the service working?", tags=["operations"], exclude_from_csrf=True)
async def health(request: Request) -> Response[HealthOut]:
    """200 while the database takes writes and the broker delivers; 503 naming what fails."""
    report = await _checks(request).report()
    return Response(
        HealthOut(status="ok" if report.ok else "failing", database=report.database, broker=report.broker),
        status_code=200 if report.ok else 503,
    )


@get("/ready", summary="May this process take requests?", tags=["operations"], exclude_from_csrf=True)
async def ready(request: Request) -> Response[ReadyOut]:
    """200 while this process can serve its API: running, and its database takes writes.

    A broker outage is reported but does not make the process unready: the API works
    without it and live delivery falls back to the event log, while taking every process
    out of the load balancer at once would turn a slower live feed into an outage.
    """
    report = await _checks(request).report()
    hub = request.app.state.hub
    process = "shutting down" if hub.closing else ("ok" if hub.running else "starting")
    ok = report.database == OK and process == "ok"
    return Response(
        ReadyOut(
            status="ready" if ok else "not ready",
            database=report.database,
            broker=report.broker,
            process=process,
        ),
        status_code=200 if ok else 503,
    )
