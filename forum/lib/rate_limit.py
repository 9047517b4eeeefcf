"""The HTTP rate limit: Litestar's `RateLimitConfig`, counted atomically, two limits.

Litestar's middleware reads a request history from the store, appends to it and writes it
back, under a lock of its own process: with several processes sharing Redis, concurrent
requests overwrite each other's counts, and its refusal carries neither `Retry-After` nor
our error `code`. This subclass keeps Litestar's configuration (exclusions, the store,
the identifier, the RateLimit-* headers) and counts each identity's requests in a fixed
window with one atomic step (`forum.lib.tallies`); a refusal is a `RateLimited` error,
problem+json with `code` and `Retry-After` like every other 429.

Identities are made by `for_account` and `for_address`: accounts get `rate_limit`,
addresses get `address_rate_limit`, higher, since a whole room may share one address.

A request does not go to the store each time: a process takes its identity's requests from
the store's count in leases (`Allowances`) and admits them from memory until the lease is
spent or the window ends. On a store of this process only (memory) a lease is the whole
limit, so the store is asked once per identity and window and the count is exact. On a
shared store (Redis) a lease is a small part of the limit (`LEASE_SHARE`), added to the
shared count in the same atomic step as before: every process together never admits more
than the limit, since a lease is granted only out of what the shared count has left; what
a process leased and did not use counts as used, so an identity spread over several
processes may be refused up to a lease's worth of requests per process early. A refusal
holds in the process until the window ends (its count can only grow until then).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.types import Message, Receive, Scope, Send

from forum.lib import tallies
from forum.lib.errors import RateLimited
from forum.lib.http import address_bucket

ADDRESS = "address:"
ACCOUNT = "account:"


def for_account(user_id: int) -> str:
    """The identity of a signed-in person's requests."""
    return f"{ACCOUNT}{user_id}"


def for_address(host: str | None) -> str:
    """The identity of anonymous requests (and sign-ins) from this address."""
    return f"{ADDRESS}{address_bucket(host)}"


# On a shared store, a lease is this share of the limit (at least one request): at the
# default 1,200 a minute, one round trip to Redis per 12 requests of an identity.
LEASE_SHARE = 100
# Leases are looked over for expired ones every this many new leases.
SWEEP_EVERY = 1000


@dataclass
class _Lease:
    left: int  # requests this process may still admit
    counted: int  # the shared count once this lease was taken
    deadline: float  # time.monotonic() when the window ends


@dataclass(frozen=True)
class Admission:
    """One request's answer: admitted or not, what is left (as far as this process knows),
    seconds until the window ends."""

    admitted: bool
    remaining: int
    reset: int


class Allowances:
    """Per process: each identity's lease of requests from the store's count."""

    def __init__(self) -> None:
        self._leases: dict[str, _Lease] = {}
        self._taking: dict[str, asyncio.Future[None]] = {}
        self._taken = 0

    async def admit(self, store: Store, key: str, limit: int, window: int) -> Admission:
        """One request of `key`: admitted from this process's lease, or from a new one."""
        while True:
            lease = self._leases.get(key)
            if lease is not None and (answer := self._from(lease, limit)) is not None:
                return answer
            taking = self._taking.get(key)
            if taking is None:
                break
            # Another request of this identity is taking a lease: wait for it and share it.
            await asyncio.shield(taking)
        taking = self._taking[key] = asyncio.get_running_loop().create_future()
        try:
            lease = await self._take(store, key, limit, window)
        finally:
            del self._taking[key]
            taking.set_result(None)
        answer = self._from(lease, limit)
        if answer is None:
            # Its window ended meanwhile: the lease still answers for the request that took it.
            admitted = lease.left > 0
            lease.left -= int(admitted)
            answer = Admission(admitted, max(0, limit - lease.counted + lease.left), 1)
        return answer

    @staticmethod
    def _from(lease: _Lease, limit: int) -> Admission | None:
        """The answer this lease gives, or None if it has run out (a new one may be taken)."""
        left = lease.deadline - time.monotonic()
        if left <= 0:
            return None
        reset = max(1, math.ceil(left))
        if lease.left > 0:
            lease.left -= 1
            return Admission(True, max(0, limit - lease.counted + lease.left), reset)
        if lease.counted >= limit:
            return Admission(False, 0, reset)
        return None

    async def _take(self, store: Store, key: str, limit: int, window: int) -> _Lease:
        size = limit if isinstance(store, MemoryStore) else max(1, limit // LEASE_SHARE)
        count = await tallies.add(store, key, size, expires_in=window)
        granted = max(0, min(size, limit - (count.value - size)))
        # A lease is good for at least a moment, so that a window about to end cannot
        # make the request that took it take another.
        lease = self._leases[key] = _Lease(
            granted, count.value, time.monotonic() + max(count.expires_in, 0.001)
        )
        self._taken += 1
        if self._taken % SWEEP_EVERY == 0:
            now = time.monotonic()
            for stale in [k for k, held in self._leases.items() if held.deadline <= now]:
                del self._leases[stale]
        return lease


class CountingRateLimitMiddleware(RateLimitMiddleware):
    """Counts requests per identity and window against the store, in leases (`Allowances`)."""

    config: RateLimits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request = app.request_class(scope)
        if await self.should_check_request(request=request):
            identity = self.get_identifier_for_request(request)
            limit = self.config.limit_for(identity)
            window = DURATION_VALUES[self.unit]
            admission = await self.config.allowances.admit(
                self.config.get_store_from_app(app), self._key(identity, scope), limit, window
            )
            if not admission.admitted:
                raise RateLimited(
                    f"too many requests: at most {limit} per {self.unit}; try again later",
                    retry_after=admission.reset,
                )
            if self.config.set_rate_limit_headers:
                send = self._with_headers(send, limit, admission)
        await self.app(scope, receive, send)

    def _key(self, identity: str, scope: Scope) -> str:
        # As Litestar's own keys: mounted apps and static files count apart from the API.
        key = f"{type(self).__name__}::{identity}"
        handler = scope.get("route_handler")
        if getattr(handler, "is_mount", False):
            key += "::mount"
        if getattr(handler, "is_static", False):
            key += "::static"
        return key

    def _with_headers(self, send: Send, limit: int, admission: Admission) -> Send:
        config = self.config
        headers = [
            (
                config.rate_limit_policy_header_key.lower().encode(),
                f"{limit}; w={DURATION_VALUES[self.unit]}".encode(),
            ),
            (config.rate_limit_limit_header_key.lower().encode(), str(limit).encode()),
            (config.rate_limit_remaining_header_key.lower().encode(), str(admission.remaining).encode()),
            (config.rate_limit_reset_header_key.lower().encode(), str(admission.reset).encode()),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]  # type: ignore[typeddict-unknown-key]
            await send(message)

        return send_with_headers


@dataclass
class RateLimits(RateLimitConfig):
    """`RateLimitConfig` with a second limit for addresses (identities of `for_address`)."""

    address_rate_limit: int | None = None
    middleware_class: type[RateLimitMiddleware] = field(default=CountingRateLimitMiddleware)
    # This process's leases, shared by the middleware of every route.
    allowances: Allowances = field(default_factory=Allowances)

    def limit_for(self, identity: str) -> int:
        if identity.startswith(ADDRESS) and self.address_rate_limit is not None:
            return self.address_rate_limit
        return self.rate_limit[1]


__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "Admission",
    "Allowances",
    "CountingRateLimitMiddleware",
    "RateLimits",
    "for_account",
    "for_address",
]
