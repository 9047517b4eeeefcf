"""create_app(settings) -> Litestar: plugins, routers, error mapping, lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.stores.memory import MemoryStore
from litestar.stores.registry import StoreRegistry

from forum import __version__, attention, cafes, mail
from forum.accounts.controllers import AccountController
from forum.accounts.passwords import configure_hashing
from forum.accounts.requesters import rate_limit_identity
from forum.attention.controllers import AttentionController
from forum.cafes.controllers import CafeController
from forum.feedback.controllers import PollController
from forum.lib.client_files import SKIP_COMPRESSION, client_files_router
from forum.lib.csrf import SessionCSRFMiddleware
from forum.lib.db import (
    ReadIntentMiddleware,
    create_engine,
    make_sessionmaker,
    provide_transaction,
    sqlalchemy_config,
)
from forum.lib.http import answer_options
from forum.lib.metrics import CachedPrometheusMiddleware
from forum.lib.openapi import SECURITY_SCHEMES, RefinedJsonRenderPlugin, operation_id
from forum.lib.problems import CLIENT_ERRORS, EXCEPTION_HANDLERS
from forum.lib.rate_limit import RateLimits
from forum.lib.raw_input import StrictRequest, check_raw_input
from forum.lib.security_headers import add_security_headers
from forum.lib.stores import FallbackStore
from forum.mail.controllers import UNSUBSCRIBE_PATH, MailController
from forum.moderation.controllers import ModerationController
from forum.ops.controllers import health, ready
from forum.ops.health import HealthChecks
from forum.realtime.bus import ChannelsPublisher, make_channels
from forum.realtime.controllers import live_socket
from forum.realtime.hub import Hub
from forum.reports.controllers import ReportController
from forum.roundtables.controllers import RoundTableController
from forum.searching.controllers import SearchController
from forum.settings import Settings
from forum.spaces.controllers import SpaceController
from forum.spaces.viewer_cache import ViewerCache
from forum.spaces.viewers import viewer_provider
from forum.threads.controllers import ThreadController

# A request body over this is refused with 413 before it is parsed.
MAX_REQUEST_BODY = 1024 * 1024

log = logging.getLogger("forum")


def _stores(settings: Settings) -> StoreRegistry:
    if settings.redis_url:
        # Counts on Redis, shared by every process; in the process's memory while Redis fails.
        root = FallbackStore.on_redis(settings.redis_url, namespace="forum")
        return StoreRegistry(default_factory=root.with_namespace)
    return StoreRegistry(default_factory=lambda _name: MemoryStore())


async def _before_request(request: Request) -> Response | None:
    """Before every HTTP handler: OPTIONS answered right, then the raw input checked."""
    return answer_options(request) or await check_raw_input(request)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    # Posts, approvals and cafés notify in their own transactions (forum.lib.hooks).
    attention.install()
    # Then the mail outbox, which reads the notifications attention just wrote.
    mail.install(settings)
    # The spaces list's activity figures read threads and cafés (forum.spaces.activity).
    cafes.install()
    engine = create_engine(settings)
    channels = make_channels(settings)

    def viewers_trusted() -> int | None:
        # Remembered viewers are trusted while every account signal reaches this process:
        # the broker up and the hub listening on `access`; each change of the broker's
        # state starts a new epoch, so nothing stored before an outage is served after it.
        status = channels.status
        return status.transitions if status.up and hub.listening_for_access else None

    viewer_cache = ViewerCache(viewers_trusted, ttl=settings.viewer_cache_seconds)
    # This process's own account changes are forgotten in their commit (forum.spaces.viewer_cache).
    publisher = viewer_cache.watching(ChannelsPublisher(channels))
    db_config = sqlalchemy_config(engine, publisher)
    # Live delivery: one hub per process, started once the channels plugin runs.
    reader = create_engine(settings, autocommit=True)
    hub = Hub(
        channels,
        make_sessionmaker(engine, publisher),
        settings,
        reader=make_sessionmaker(reader),
        viewer_cache=viewer_cache,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.hub = hub
        # Reads of one statement need no transaction: handlers run them on the autocommit
        # engine (forum.threads.reads.list_posts), one round trip, never behind a writer's
        # lock. On the state, not a dependency: a second dependency beside `db_session`
        # makes Litestar resolve them in a task group of their own, per request.
        app.state.read_engine = reader
        # ...and the few writes such a read may lead to (a page's read position).
        app.state.sessions = make_sessionmaker(engine, publisher)
        app.state.viewer_cache = viewer_cache
        app.state.health = HealthChecks(engine, channels.status)
        mailer = mail.start_worker(make_sessionmaker(engine), settings)
        try:
            yield
        finally:
            if mailer is not None:
                mailer.cancel()
                with suppress(asyncio.CancelledError):
                    await mailer
            # Sockets hear 1012 (reconnect) before the database goes away.
            await hub.stop()
            await engine.dispose()
            await reader.dispose()

    # HTTP only: wrapping every websocket frame's send cost a measurable share of fan-out.
    # Litestar's metrics, each request's label children remembered (forum.lib.metrics).
    prometheus = PrometheusConfig(
        app_name="forum",
        group_path=True,
        exclude=["/metrics"],
        scopes={ScopeType.HTTP},
        middleware_class=CachedPrometheusMiddleware,
    )

    route_handlers: list = [
        AccountController,
        SpaceController,
        ThreadController,
        AttentionController,
        MailController,
        CafeController,
        RoundTableController,  # round tables
        PollController,  # participants' feedback
        ReportController,  # the workshop report
        ModerationController,
        SearchController,  # search: GET /api/search
        live_socket,
        health,
        ready,
        PrometheusController,
    ]
    if Path(settings.static_dir).is_dir():
        # The web client's files: ETags, 304s, gzip kept in memory, versioned URLs
        # (forum.lib.client_files).
        route_handlers.append(client_files_router(settings.static_dir, name="client"))

    configure_hashing(settings.password_hashes_at_once, settings.password_hash_queue)
    csrf = CSRFConfig(
        secret=settings.secret_key, cookie_secure=settings.cookie_secure, exclude=["/ws", UNSUBSCRIBE_PATH]
    )
    # Signed-in people count per account, anonymous traffic and sign-in per address
    # (forum.accounts.requesters); counted atomically across processes (forum.lib.rate_limit).
    rate_limit = RateLimits(
        rate_limit=("minute", settings.rate_limit_per_minute),
        address_rate_limit=settings.rate_limit_address_per_minute,
        identifier_for_request=rate_limit_identity,
        exclude=["/health", "/ready", "/metrics", "/ws"],
        store="rate_limit",
    )
    return Litestar(
        route_handlers=route_handlers,
        plugins=[SQLAlchemyPlugin(config=db_config), channels],
        dependencies={
            # A remembered viewer, else one read on the autocommit engine (forum.spaces.viewers).
            "viewer": Provide(viewer_provider(viewer_cache, make_sessionmaker(reader))),
            # Handlers that write take `transaction`: it commits before the response.
            "transaction": Provide(provide_transaction),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            # The process's group-commit writer of thread posts (forum.threads.writer), shared
            # by HTTP and the socket: concurrent posts share a transaction.
            "post_writer": Provide(lambda: hub.post_writer, use_cache=True, sync_to_thread=False),
        },
        middleware=[
            ReadIntentMiddleware,
            DefineMiddleware(SessionCSRFMiddleware, config=csrf),
            rate_limit.middleware,
            prometheus.middleware,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_before_request,
        request_class=StrictRequest,
        before_send=[add_security_headers],
        stores=_stores(settings),
        openapi_config=OpenAPIConfig(
            title="forum",
            version=__version__,
            description="The discussion forum and live world café of the NMA community (Article 6.8).",
            path="/schema",
            components=Components(security_schemes=SECURITY_SCHEMES),
            # JSON at /schema and /schema/openapi.json, refined to say what the service
            # answers (forum.lib.openapi); no documentation page that loads scripts from
            # elsewhere, which the site's Content-Security-Policy would refuse anyway.
            render_plugins=[RefinedJsonRenderPlugin()],
            operation_id_creator=operation_id,
        ),
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
            formatters={"standard": {"()": "forum.lib.logs.JsonFormatter"}},
            log_exceptions="always",
            disable_stack_trace=CLIENT_ERRORS,
        ),
        lifespan=[lifespan],
        on_startup=[hub.start],
        request_max_body_size=MAX_REQUEST_BODY,
        # gzip for JSON and /metrics of 1 KB or more when the client accepts it; level 6 is
        # most of level 9's saving for a fraction of its time. The client's files come
        # compressed once, from memory (forum.lib.client_files). HTTP only: websocket
        # frames are not touched.
        compression_config=CompressionConfig(
            backend="gzip", gzip_compress_level=6, minimum_size=1024, exclude_opt_key=SKIP_COMPRESSION
        ),
        debug=False,
    )


# Python's default (700, 10, 10) collects the young generation every 700 net allocations:
# under load, whatever a message has in flight survives two collections and is promoted to
# the old generation, whose growth then triggers full collections. Rarer young collections
# let such objects die young, freed by reference counting as most objects are.
GC_THRESHOLDS = (50_000, 20, 100)
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
GIL_SWITCH_INTERVAL_SECONDS = 0.0005


def create_served_app() -> Litestar:
    """The app as `forum serve` runs it: `create_app()` with the garbage collector tuned for
    a long-lived server (see docs/operations.md).

    A full collection walks every object the collector tracks: at 1,000 sockets under load,
    with the defaults, that paused the event loop for 100-200 ms every ten seconds or so.
    What exists by now (modules, routes, the app) lives as long as the process, so it is
    set aside (`gc.freeze()`) and never walked again.

    The interpreter also hands the GIL over more often (`GIL_SWITCH_INTERVAL_SECONDS`): on
    SQLite every statement runs on a driver thread, and with Python's default of 5 ms the
    event loop, woken by a finished statement, waited for a busy driver thread's whole
    interval before it could run (a convoy): 16 clients reading pages got 87 pages/s, and
    199 with a tenth of the interval (docs/benchmarks.md).
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    return app
