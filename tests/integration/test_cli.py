"""The real command line in a subprocess: `db upgrade`, `users create`, `demo`, `serve`.

Each test runs `python -m forum ...` against a database of its own: a SQLite file in a
temporary directory, and a freshly created PostgreSQL database when
FORUM_TEST_DATABASE_URL is set (dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from forum.app import create_app
from forum.demo.content import DEMO_PASSWORD
from forum.settings import Settings
from tests.helpers import stop_process

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
# An upper bound for a command or for the server to come up, not a performance check.
COMMAND_TIMEOUT = 180


def _env(database_url: str | None, cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["FORUM_LOG_LEVEL"] = "WARNING"
    env["HOME"] = str(cwd)
    if database_url:
        env["FORUM_DATABASE_URL"] = database_url
    return env


def forum(database_url: str | None, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "forum", *args],
        cwd=cwd,
        env=_env(database_url, cwd),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, f"forum {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


async def _admin_sql(sql: str) -> None:
    assert PG_URL
    base, _, _ = PG_URL.rpartition("/")
    engine = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL nobody has touched yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
        return
    if not PG_URL:
        pytest.skip("FORUM_TEST_DATABASE_URL is not set: PostgreSQL run skipped")
    name = f"forum_cli_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_URL.rpartition('/')[0]}/{name}"
    finally:
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _scalar(database_url: str, sql: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar_one()
    finally:
        await engine.dispose()


def _counts(database_url: str) -> dict[str, int]:
    async def go() -> dict[str, int]:
        return {
            table: await _scalar(database_url, f"SELECT count(*) FROM {table}")
            for table in ("users", "spaces", "space_moderators", "threads", "posts", "events")
        }

    return asyncio.run(go())


def test_db_upgrade_then_users_create_then_login(cli_db: str, tmp_path: Path) -> None:
    out = forum(cli_db, tmp_path, "db", "upgrade")
    assert "database at head" in out.stdout
    version = asyncio.run(_scalar(cli_db, "SELECT count(*) FROM alembic_version"))
    assert version == 1

    out = forum(
        cli_db,
        tmp_path,
        "users",
        "create",
        "--email",
        "Chair@Example.org",
        "--password",
        "first admin password",
        "--name",
        "Chair",
        "--role",
        "admin",
    )
    assert "as admin" in out.stdout
    focal = forum(
        cli_db,
        tmp_path,
        "users",
        "create",
        "--email",
        "fp@example.org",
        "--password",
        "focal point password",
        "--name",
        "FP Senegal",
        "--role",
        "focal_point",
        "--party",
        "sen",
    )
    assert "as focal_point" in focal.stdout

    # The same email again is refused with a message, and no second account appears.
    again = forum(
        cli_db,
        tmp_path,
        "users",
        "create",
        "--email",
        "chair@example.org",
        "--password",
        "x" * 12,
        "--name",
        "Chair again",
        check=False,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert _counts(cli_db)["users"] == 2

    # A focal point without a Party is refused.
    partyless = forum(
        cli_db,
        tmp_path,
        "users",
        "create",
        "--email",
        "np@example.org",
        "--password",
        "x" * 12,
        "--name",
        "No Party",
        "--role",
        "focal_point",
        check=False,
    )
    assert partyless.returncode == 1
    assert "party" in partyless.stderr.lower()

    async def login() -> None:
        settings = replace(
            Settings(), database_url=cli_db, secret_key="cli-test-secret-key-long-enough", auto_migrate=False
        )
        async with AsyncTestClient(app=create_app(settings)) as client:
            resp = await client.post(
                "/api/auth/login", json={"email": "chair@example.org", "password": "first admin password"}
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["user"]["role"] == "admin"
            client.cookies.clear()
            me = await client.get("/api/me", headers={"Authorization": f"Bearer {resp.json()['token']}"})
            assert me.json()["display_name"] == "Chair"
            fp = await client.post(
                "/api/auth/login", json={"email": "fp@example.org", "password": "focal point password"}
            )
            assert fp.json()["user"]["party"] == "SEN"
            client.cookies.clear()
            wrong = await client.post(
                "/api/auth/login", json={"email": "chair@example.org", "password": "not the password"}
            )
            assert wrong.status_code == 401

    asyncio.run(login())


def test_demo_twice_is_idempotent(cli_db: str, tmp_path: Path) -> None:
    first = forum(cli_db, tmp_path, "demo")
    assert DEMO_PASSWORD in first.stdout
    counts = _counts(cli_db)
    assert counts["users"] >= 9
    assert counts["spaces"] == 7
    assert counts["threads"] >= 10
    second = forum(cli_db, tmp_path, "demo")
    assert "0 new users, 0 new spaces, 0 new threads, 0 new posts" in second.stdout
    assert _counts(cli_db) == counts


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_in_a_fresh_directory_creates_the_schema_and_answers_health(tmp_path: Path) -> None:
    """No FORUM_DATABASE_URL: the default SQLite file appears in the working directory."""
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "forum", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=_env(None, tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + COMMAND_TIMEOUT
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, f"the server never answered:\n{(tmp_path / 'serve.log').read_text()}"
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "broker": "ok"}
        assert (tmp_path / "forum.db").exists()
        spaces = httpx.get(f"http://127.0.0.1:{port}/api/spaces", timeout=5)
        assert spaces.status_code == 200
        assert spaces.json()["items"] == []
        register = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/register",
            json={"email": "new@example.org", "password": "a long enough password", "display_name": "New"},
            timeout=5,
        )
        assert register.status_code == 201, register.text
    finally:
        stop_process(proc, 30)
        log.close()
    assert (
        asyncio.run(_scalar(f"sqlite+aiosqlite:///{tmp_path / 'forum.db'}", "SELECT count(*) FROM users"))
        == 1
    )


def test_generate_on_top_of_the_demo(cli_db: str, tmp_path: Path) -> None:
    forum(cli_db, tmp_path, "demo")
    before = _counts(cli_db)
    out = forum(
        cli_db, tmp_path, "generate", "--posts", "2000", "--threads", "20", "--spaces", "4", "--seed", "3"
    )
    assert "generated 2,000 posts in 20 threads across 4 spaces" in out.stdout
    after = _counts(cli_db)
    assert after["posts"] == before["posts"] + 2000
    assert after["threads"] == before["threads"] + 20
    assert after["spaces"] == before["spaces"] + 4
    # The same seed twice would collide with its own users: refused, nothing written.
    again = forum(
        cli_db, tmp_path, "generate", "--posts", "100", "--threads", "2", "--seed", "3", check=False
    )
    assert again.returncode != 0
    assert "already holds the data of seed 3" in again.stderr
    assert _counts(cli_db) == after
    # The demo's own rows are still read as before: its pending post is still in the queue.
    assert asyncio.run(_scalar(cli_db, "SELECT count(*) FROM posts WHERE status = 'pending'")) >= 1
