"""Password hashing with argon2id (argon2-cffi), off the event loop and bounded.

Each argon2 computation takes a core for a good tenth of a second and 64 MiB. Run without
a bound, forty sign-ins at once took forty threads, every core and 2.5 GiB, and starved
the event loop (`/health` took seconds) and the thread pool that static files and sync
code share. So hashing has threads of its own, `at_once` of them per process, and at most
`queue` more sign-ins or registrations wait for a turn; beyond that the request is refused
at once with 429 (`RateLimited`), before anything was hashed or stored.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from forum.lib.errors import RateLimited

T = TypeVar("T")

# THE password rule, stated once: registration's schema, `forum users create` and the web
# client's form (through GET /api/auth/rules) all read it. Ten characters: long enough that
# a passphrase beats guessing under the sign-in limits; the bound above keeps argon2's
# input (and a request's cost) small.
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1000

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106) defaults

# A hash of a random password, verified when the email is unknown so that a failed
# login takes the same time whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


def default_at_once() -> int:
    """Half the CPUs, at least one: the rest stay with the event loop and the database."""
    return max(1, (os.cpu_count() or 2) // 2)


class _Hashing:
    """The process's hashing threads, and the hashes admitted to them (running or queued).

    Process-wide, not per event loop: the bound is on the machine's cores and memory.
    """

    def __init__(self, at_once: int, queue: int) -> None:
        self.at_once = at_once
        self.queue = queue
        self.threads = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="argon2")
        self.admitted = 0
        self.lock = threading.Lock()

    def admit(self) -> bool:
        with self.lock:
            if self.admitted >= self.at_once + self.queue:
                return False
            self.admitted += 1
            return True

    def release(self, _done: object = None) -> None:
        with self.lock:
            self.admitted -= 1


_hashing = _Hashing(default_at_once(), 32)


def configure_hashing(at_once: int, queue: int) -> None:
    """How many hashes run at once per process (0: half the CPUs), and how many sign-ins or
    registrations may wait for a turn. Called by create_app with the settings."""
    global _hashing
    at_once = at_once if at_once > 0 else default_at_once()
    if at_once != _hashing.at_once:
        # Hashes under way finish on the old threads, which then end.
        _hashing.threads.shutdown(wait=False)
        _hashing = _Hashing(at_once, max(0, queue))
    else:
        _hashing.queue = max(0, queue)


def hashes_admitted() -> int:
    """Hashes running or waiting for a turn in this process."""
    return _hashing.admitted


async def _in_turn(work: Callable[..., T], *args: object) -> T:
    hashing = _hashing
    if not hashing.admit():
        raise RateLimited(
            "the server is busy checking passwords; try again in a moment",
            retry_after=1,
            reason="server_busy",
        )
    try:
        job = hashing.threads.submit(work, *args)
    except BaseException:
        hashing.release()
        raise
    # The place is given back when the job ends, or is dropped from the queue because its
    # request went away: never while argon2 still runs.
    job.add_done_callback(hashing.release)
    return await asyncio.wrap_future(job)


async def hash_password(password: str) -> str:
    return await _in_turn(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await _in_turn(_verify)
