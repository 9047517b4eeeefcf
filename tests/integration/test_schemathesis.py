"""The whole OpenAPI schema fuzzed with schemathesis against `forum serve`, anonymous and signed in.

Schemathesis reads the schema the service serves, generates requests for every operation
from it (valid ones, and ones at the edges of what it allows), sends them to a real
server process on this test's database, and checks each answer against the schema: no
5xx, a documented status, the documented content type, a body of the documented shape,
the documented headers. A bounded number of examples per operation keeps it to a couple
of minutes; FORUM_FUZZ_EXAMPLES raises it (FORUM_FUZZ_EXAMPLES=200 pytest -k schemathesis).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Cast, make_space, make_thread
from tests.helpers import stop_process
from tests.realtime.conftest import free_port

EXAMPLES = int(os.environ.get("FORUM_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@contextlib.contextmanager
def forum_serve(database_url: str, log: Path) -> Iterator[str]:
    """`python -m forum serve` on loopback, on the test's database; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": "test-secret-key-that-is-long-enough",
        "FORUM_AUTO_MIGRATE": "0",
        "FORUM_LOG_LEVEL": "WARNING",
        # The fuzzer is one address sending thousands of requests: rate limits are
        # another test's subject.
        "FORUM_RATE_LIMIT_PER_MINUTE": "1000000",
        "FORUM_LOGIN_MAX_FAILURES": "1000000",
    }
    env.pop("FORUM_REDIS_URL", None)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "forum", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log.read_text()[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            yield base
        finally:
            stop_process(proc, 30)


def fuzz(base: str, headers: dict[str, str]) -> list[str]:
    """Every operation, EXAMPLES requests each; the failures, one line each."""
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    failures: list[str] = []
    # Signing out ends the token the rest would use: it goes last.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=lambda op: op.path == "/api/auth/logout"
    )
    assert len(operations) > 40
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            try:
                case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=30)
            except (Exception, BaseExceptionGroup) as exc:  # every failure is kept and reported
                failures.append(f"{case.operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")

        run()
    return failures


@pytest.mark.parametrize("who", ["anonymous", "admin", "observer"])
async def test_the_schema_holds_under_fuzzing(
    database_url: str, cast: Cast, client: httpx.AsyncClient, tmp_path: Path, who: str
) -> None:
    # Something to find: a space, a thread with a post, so that ids 1 exist.
    await make_space(client, cast.admin, "agora")
    await make_thread(client, cast.observer, "agora")
    headers = {} if who == "anonymous" else getattr(cast, who).headers
    log = tmp_path / "serve.log"
    with forum_serve(database_url, log) as base:
        failures = await asyncio.to_thread(fuzz, base, headers)
    assert not failures, "\n\n".join(failures[:20]) + f"\n\n({len(failures)} failures)"
    assert "Traceback" not in log.read_text(), log.read_text()[-5000:]
