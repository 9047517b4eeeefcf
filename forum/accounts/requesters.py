"""Who a request counts as for the HTTP rate limit: its account, or its address.

A workshop room signs in from one venue address: counted by address, a café's worth of
delegates would share one allowance. So a signed-in person's requests count against
their account, and only anonymous traffic and sign-in (login, registration) against the
address.

The rate limit runs before the request is authenticated, and must not read the database
on every request. So each process remembers the tokens it has recently seen work
(`remember`, called when a request's viewer is loaded): a digest of the token maps to its
account for a few minutes. A token it does not know, made up or not yet seen here, counts
against the address: a made-up token on every request buys no allowance of its own. The
first request of a session on a process counts against the address, the next ones
against the account. A token signed out in another process keeps its account's
identity here until its entry expires: it only ever spends that account's allowance.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from litestar import Litestar, Request

from forum.accounts.services import token_digest
from forum.lib import rate_limit
from forum.lib.http import raw_token

# How long a token seen working counts as its account's without being seen again.
REMEMBER_SECONDS = 300.0
# Tokens remembered per process; the least recently seen are forgotten first.
REMEMBER_MAX = 100_000
# Counted per address whatever the request carries: signing in is what a guesser does.
SIGN_IN_PATHS = frozenset({"/api/auth/login", "/api/auth/register"})

_STATE_KEY = "forum_known_tokens"


class KnownTokens:
    """Digests of tokens seen working lately, and their accounts (least recent first)."""

    def __init__(self) -> None:
        self._accounts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def remember(self, digest: str, user_id: int) -> None:
        self._accounts[digest] = (user_id, time.monotonic() + REMEMBER_SECONDS)
        self._accounts.move_to_end(digest)
        while len(self._accounts) > REMEMBER_MAX:
            self._accounts.popitem(last=False)

    def account_of(self, digest: str) -> int | None:
        found = self._accounts.get(digest)
        if found is None:
            return None
        user_id, until = found
        if until <= time.monotonic():
            del self._accounts[digest]
            return None
        return user_id


def known_tokens(app: Litestar) -> KnownTokens:
    return app.state.setdefault(_STATE_KEY, KnownTokens())


def remember(request: Request, digest: str, user_id: int) -> None:
    """The token on this request (its `token_digest`) works and belongs to `user_id`."""
    known_tokens(request.app).remember(digest, user_id)


def rate_limit_identity(request: Request) -> str:
    """The identity the HTTP rate limit counts this request under (RateLimitConfig's
    `identifier_for_request`)."""
    host = request.client.host if request.client else None
    if request.scope["path"] in SIGN_IN_PATHS:
        return rate_limit.for_address(host)
    token, _ = raw_token(request.headers, request.cookies)
    if token is not None:
        user_id = known_tokens(request.app).account_of(token_digest(token))
        if user_id is not None:
            return rate_limit.for_account(user_id)
    return rate_limit.for_address(host)
