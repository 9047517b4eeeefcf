"""Alembic environment: async engine, batch mode on SQLite, URL from the settings."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from forum.lib.db import create_engine
from forum.models import include_object, metadata
from forum.settings import Settings

config = context.config


def _settings() -> Settings:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    settings = Settings.from_env()
    if url:
        from dataclasses import replace

        settings = replace(settings, database_url=url)
    return settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,  # search: not SQLite's FTS5 tables
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    # A migration may take long on purpose (an index on a large table): no statement bound.
    engine = create_engine(_settings(), long_statements=True)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_offline() -> None:
    context.configure(url=_settings().database_url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
