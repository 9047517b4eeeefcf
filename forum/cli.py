"""`forum serve | db upgrade | users create | demo | generate | search reindex`: thin commands
that call services."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
import uvicorn

from forum import attention
from forum.accounts.services import create_user
from forum.demo.generate import GenerateRefused
from forum.demo.generate import generate as generate_data
from forum.demo.loader import load_demo
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.errors import ForumError
from forum.lib.migrate import upgrade
from forum.realtime.wire import uvicorn_options
from forum.search.rebuild import BATCH, RateReport, rebuild
from forum.settings import Settings

T = TypeVar("T")


def _run_in_transaction(work: Callable[..., Awaitable[T]], settings: Settings) -> T:
    """The command's one transaction: `work` runs in it, and it commits when work returns."""

    async def _go() -> T:
        # What the command writes notifies as it does through the service (forum.lib.hooks).
        attention.install()
        engine = create_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(_go())


# uvicorn's own lines (start, stop, access) as JSON, like the service's.
UVICORN_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "forum.lib.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


@click.group()
def main() -> None:
    """forum: the discussion forum and live world café of the NMA community."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="processes; set FORUM_REDIS_URL for more than one",
)
def serve(host: str, port: int, workers: int) -> None:
    """Run the service (brings the schema up to date first)."""
    settings = Settings.from_env()
    if workers > 1 and not settings.redis_url:
        raise click.UsageError("--workers > 1 needs FORUM_REDIS_URL, so live events reach every process")
    if settings.auto_migrate:
        upgrade(settings.database_url)
    uvicorn.run(
        "forum.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(settings),
        timeout_graceful_shutdown=8,
        proxy_headers=True,
        log_level=settings.log_level.lower(),
        log_config=UVICORN_LOG_CONFIG,
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations to FORUM_DATABASE_URL."""

    upgrade(Settings.from_env().database_url, revision)
    click.echo(f"database at {revision}")


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--role",
    default="observer",
    show_default=True,
    type=click.Choice(["admin", "moderator", "focal_point", "lcipp", "observer"]),
)
@click.option("--party", default=None, help="ISO 3166-1 alpha-3 code (EUU for the European Union)")
@click.option("--organisation", default=None)
def users_create(
    email: str, password: str, display_name: str, role: str, party: str | None, organisation: str | None
) -> None:
    """Create a user; this is how the first admin is made."""

    settings = Settings.from_env()
    if settings.auto_migrate:
        upgrade(settings.database_url)

    async def work(session):
        return await create_user(
            session,
            email=email,
            password=password,
            display_name=display_name,
            role=role,
            party=party.upper() if party else None,
            organisation=organisation,
        )

    try:
        user = _run_in_transaction(work, settings)
    except ForumError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)
    click.echo(f"created user {user.id} <{user.email}> as {user.role}")


@main.command()
def demo() -> None:
    """Load the demo content: the NMAs and workshop of the seed report, users of every role."""

    settings = Settings.from_env()
    upgrade(settings.database_url)
    summary = _run_in_transaction(load_demo, settings)
    click.echo(summary)


@main.command()
@click.option("--posts", default=1_000_000, show_default=True, type=click.IntRange(1))
@click.option("--threads", default=10_000, show_default=True, type=click.IntRange(1))
@click.option("--spaces", default=24, show_default=True, type=click.IntRange(3))
@click.option(
    "--users", default=None, type=click.IntRange(20), help="default: one per 500 posts, at least 200"
)
@click.option("--seed", default=1, show_default=True, type=int, help="the same seed gives the same data")
def generate(posts: int, threads: int, spaces: int, users: int | None, seed: int) -> None:
    """Fill the database with a large generated forum (users, spaces, threads, posts, logs)."""

    if threads > posts:
        raise click.UsageError("--threads must not exceed --posts: every thread has a first post")
    settings = Settings.from_env()
    upgrade(settings.database_url)
    try:
        summary = asyncio.run(
            generate_data(
                settings.database_url,
                posts=posts,
                threads=threads,
                spaces=spaces,
                users=users,
                seed=seed,
                progress=lambda msg: click.echo(msg, err=True),
            )
        )
    except GenerateRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(summary)


@main.group()
def search() -> None:
    """The search index."""


@search.command("reindex")
@click.option(
    "--batch",
    "batch_size",
    default=BATCH,
    show_default=True,
    type=click.IntRange(1),
    help="texts per transaction",
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(0),
    help="processes computing the terms (default: one per core; 0: none, in this process)",
)
def search_reindex(batch_size: int, workers: int | None) -> None:
    """Index every thread title, post, table message and harvest again, while the forum runs.

    Oldest first, in batches, each in its own short transaction that replaces the batch's
    entries: every search meanwhile finds each text once, by its old entry or its new one,
    and writers wait at most for one batch. Entries of texts that no longer exist are
    removed at the end. Progress goes to stderr. Stopped midway, the batches done stay
    done; run it again to finish."""

    settings = Settings.from_env()
    upgrade(settings.database_url)
    report = RateReport(lambda line: click.echo(line, err=True))
    count = asyncio.run(rebuild(settings, batch_size=batch_size, workers=workers, progress=report))
    click.echo(f"indexed {count} texts")


if __name__ == "__main__":
    main()
