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
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
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


class CountingRateLimitMiddleware(RateLimitMiddleware):
    """Counts requests per identity and window in one atomic step of the store."""

    config: RateLimits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request = app.request_class(scope)
        if await self.should_check_request(request=request):
            identity = self.get_identifier_for_request(request)
            limit = self.config.limit_for(identity)
            window = DURATION_VALUES[self.unit]
            count = await tallies.add(
                self.config.get_store_from_app(app), self._key(identity, scope), expires_in=window
            )
            if count.value > limit:
                raise RateLimited(
                    f"too many requests: at most {limit} per {self.unit}; try again later",
                    retry_after=count.retry_after,
                )
            if self.config.set_rate_limit_headers:
                send = self._with_headers(send, limit, count)
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

    def _with_headers(self, send: Send, limit: int, count: tallies.Count) -> Send:
        config = self.config
        headers = {
            config.rate_limit_policy_header_key: f"{limit}; w={DURATION_VALUES[self.unit]}",
            config.rate_limit_limit_header_key: str(limit),
            config.rate_limit_remaining_header_key: str(max(0, limit - count.value)),
            config.rate_limit_reset_header_key: str(count.retry_after),
        }

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                mutable = MutableScopeHeaders(message)
                for key, value in headers.items():
                    mutable[key] = value
            await send(message)

        return send_with_headers


@dataclass
class RateLimits(RateLimitConfig):
    """`RateLimitConfig` with a second limit for addresses (identities of `for_address`)."""

    address_rate_limit: int | None = None
    middleware_class: type[RateLimitMiddleware] = field(default=CountingRateLimitMiddleware)

    def limit_for(self, identity: str) -> int:
        if identity.startswith(ADDRESS) and self.address_rate_limit is not None:
            return self.address_rate_limit
        return self.rate_limit[1]


__all__ = ["ACCOUNT", "ADDRESS", "CountingRateLimitMiddleware", "RateLimits", "for_account", "for_address"]
