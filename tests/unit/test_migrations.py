"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from forum.lib.migrate import alembic_config, upgrade
from forum.models import include_object, metadata

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


def test_there_is_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///:memory:"))
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    # Every revision is reachable from the head, down to a single base.
    assert len(script.get_bases()) == 1
    assert len(list(script.walk_revisions())) >= 1


async def _differences(url: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "include_object": include_object}
                )
                return compare_metadata(context, metadata)

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _head_in_database(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("FORUM_TEST_DATABASE_URL is not set")
    base, _, _ = PG_URL.rpartition("/")
    name = f"forum_migrations_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _check(url: str) -> None:
    upgrade(url)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert asyncio.run(_head_in_database(url)) == head
    differences = asyncio.run(_differences(url))
    assert differences == [], "the models and the migrations disagree:\n" + "\n".join(map(str, differences))
    # Upgrading again is a no-op.
    upgrade(url)


def test_sqlite_schema_matches_the_models(fresh_sqlite: str) -> None:
    _check(fresh_sqlite)


def test_postgres_schema_matches_the_models(fresh_postgres: str) -> None:
    _check(fresh_postgres)
