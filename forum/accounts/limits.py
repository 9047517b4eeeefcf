"""Sign-in limits: slow guessing down without letting anyone lock a delegate out.

What OWASP's Authentication and Credential Stuffing cheat sheets recommend, and why:

- **Per account, growing delays, never a lock.** An account's first `max_failures`
  failures are answered at once; after that each attempt must wait twice as long as the
  one before (1 s, 2 s, 4 s... up to `max_delay_seconds`). A delegate who mistypes waits
  seconds; a guesser gets a few hundred tries a day instead of thousands a second. The
  failures are forgotten after `window_seconds` without another attempt.
- **Device cookies.** A hard lock, or a throttle shared by everyone, lets anyone keep a
  delegate out by guessing their password badly. A browser that has signed in to an
  account gets a signed cookie naming it (`forum_device`); attempts that bring it are
  counted on that device alone, so guessing from elsewhere never slows the delegate's own
  laptop down (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").
- **Per address, far higher.** A whole workshop room may sign in from one venue address,
  so an address (an IPv6 /64: one machine's share) may fail `address_max_failures` times
  per window, far above the per-account number; successful sign-ins do not count.
- **Counted before the password is checked, in one step.** Each attempt takes its place
  in the counts atomically (`forum.lib.tallies`) before argon2 runs, so twenty guesses
  sent at once get the allowance of the limit, not twenty tries. An attempt that is then
  refused or never checked gives its place back.
- **No enumeration.** Everything is keyed by the email as typed (a digest of it), whether
  or not an account has it, so an unknown email is slowed down exactly like a real one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from litestar.stores.base import Store

from forum.lib import tallies
from forum.lib.errors import RateLimited
from forum.lib.http import address_bucket
from forum.settings import Settings

# 2**30 seconds is beyond any sensible cap: the exponent stops growing there.
MAX_DOUBLINGS = 30
# While an attempt past the free ones is being checked, the gate stays shut this much
# longer than its wait; the wait itself then runs from the failure. A server that dies
# mid-check leaves the account waiting this long at most.
CHECKING_SECONDS = 10.0

DEVICE_COOKIE = "forum_device"
# Sent with the sign-in calls only, never with the rest of the API.
DEVICE_COOKIE_PATH = "/api/auth"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600


def _digest(text: str) -> str:
    # Keys of the store hold no email address, only a digest of it.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _device_signature(secret: str, email: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), f"device|{email}|{nonce}".encode(), hashlib.sha256)
    return mac.hexdigest()


def new_device_cookie(secret: str, email: str) -> str:
    """The value of a device cookie for this (normalised) email: `nonce.signature`."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_device_signature(secret, email, nonce)}"


def device_of(secret: str, email: str, cookie: str | None) -> str | None:
    """The device's nonce, if the cookie was signed here for this email; else None."""
    if not cookie:
        return None
    nonce, _, signature = cookie.partition(".")
    if not nonce or not hmac.compare_digest(signature, _device_signature(secret, email, nonce)):
        return None
    return nonce


@dataclass
class Attempt:
    """One sign-in attempt's place in the counts, taken before the password is checked."""

    limiter: LoginLimiter
    # The count and gate of the account (or of the device that vouches for it).
    subject: str
    holds_gate: bool
    # The wait that follows this attempt if it fails (for the attempt holding the gate).
    wait: float = 0.0
    # The address's count of failures, unless a trusted device made the attempt.
    address: str | None = None
    _done: bool = field(default=False, repr=False)

    async def failed(self) -> None:
        """The password was wrong: the places taken stand, and the failure lengthens the
        next wait."""
        if self._done:
            return
        self._done = True
        limiter = self.limiter
        await tallies.add(
            limiter.store, limiter.failures_key(self.subject), expires_in=limiter.window_seconds, refresh=True
        )
        if self.holds_gate:
            # The wait runs from the failure, however long the check took.
            await tallies.add(
                limiter.store, limiter.gate_key(self.subject), expires_in=self.wait, refresh=True
            )

    async def succeeded(self) -> None:
        """The password was right: the account's (or device's) slate is wiped clean, and
        the address gets its place back (a success is not a failure)."""
        if self._done:
            return
        self._done = True
        store = self.limiter.store
        for key in (
            self.limiter.count_key(self.subject),
            self.limiter.failures_key(self.subject),
            self.limiter.gate_key(self.subject),
        ):
            await tallies.forget(store, key)
        await self._give_back_address()

    async def cancel(self) -> None:
        """The password was never checked (the server was too busy): give every place back."""
        if self._done:
            return
        self._done = True
        limiter = self.limiter
        await tallies.add(
            limiter.store, limiter.count_key(self.subject), -1, expires_in=limiter.window_seconds
        )
        if self.holds_gate:
            await tallies.forget(limiter.store, limiter.gate_key(self.subject))
        await self._give_back_address()

    async def _give_back_address(self) -> None:
        if self.address is not None:
            await tallies.add(self.limiter.store, self.limiter.address_key(self.address), -1, expires_in=1)


@dataclass
class LoginLimiter:
    """Counts sign-in attempts per account, per trusted device and per address in a store."""

    store: Store
    secret: str
    max_failures: int
    window_seconds: int
    first_delay_seconds: int
    max_delay_seconds: int
    address_max_failures: int

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> LoginLimiter:
        return cls(
            store=store,
            secret=settings.secret_key,
            max_failures=max(1, settings.login_max_failures),
            window_seconds=settings.login_window_seconds,
            first_delay_seconds=settings.login_first_delay_seconds,
            max_delay_seconds=settings.login_max_delay_seconds,
            address_max_failures=settings.login_address_max_failures,
        )

    @staticmethod
    def count_key(subject: str) -> str:
        return f"login:{subject}:count"

    @staticmethod
    def failures_key(subject: str) -> str:
        return f"login:{subject}:failures"

    @staticmethod
    def gate_key(subject: str) -> str:
        return f"login:{subject}:gate"

    @staticmethod
    def address_key(address: str) -> str:
        return f"login:address:{address}"

    def wait_after(self, attempts: int) -> float:
        """How long the next attempt waits after this one, the `attempts`-th in a row."""
        doublings = min(max(0, attempts - self.max_failures), MAX_DOUBLINGS)
        return float(min(max(1, self.first_delay_seconds) * 2**doublings, max(1, self.max_delay_seconds)))

    async def reserve(self, email: str, address: str, device_cookie: str | None = None) -> Attempt:
        """Take this attempt's place in the counts, or refuse it (429) without checking it.

        `email` is normalised; `address` is the client's address; `device_cookie` the
        value of the request's device cookie, if any.
        """
        device = device_of(self.secret, email, device_cookie)
        if device is not None:
            # A device that signed in to this account before: its own count only.
            return await self._take_turn(f"device:{_digest(device)}", None)
        bucket = address_bucket(address)
        taken = await tallies.add(self.store, self.address_key(bucket), expires_in=self.window_seconds)
        if taken.value > self.address_max_failures:
            await tallies.add(self.store, self.address_key(bucket), -1, expires_in=1)
            raise RateLimited(
                "too many failed sign-ins from this network; try again later",
                retry_after=taken.retry_after,
                reason="network_throttled",
            )
        try:
            return await self._take_turn(f"account:{_digest(email)}", bucket)
        except RateLimited:
            await tallies.add(self.store, self.address_key(bucket), -1, expires_in=1)
            raise

    async def _take_turn(self, subject: str, address: str | None) -> Attempt:
        count_key = self.count_key(subject)
        # Every attempt keeps the count alive: it is forgotten after a quiet window.
        counted = await tallies.add(self.store, count_key, expires_in=self.window_seconds, refresh=True)
        if counted.value < self.max_failures:
            return Attempt(self, subject, holds_gate=False, address=address)
        # From the last free attempt on, one attempt at a time passes the gate, and the
        # gate stays shut for a wait that doubles with each failure. The wait follows the
        # failures, not the count: a burst of attempts refused meanwhile is no failure.
        failures = await tallies.add(
            self.store, self.failures_key(subject), 0, expires_in=self.window_seconds
        )
        wait = self.wait_after(failures.value + 1)
        gate = await tallies.add(self.store, self.gate_key(subject), expires_in=wait + CHECKING_SECONDS)
        if gate.value == 1:
            return Attempt(self, subject, holds_gate=True, wait=wait, address=address)
        # Refused unchecked: not a guess, so it does not lengthen the next wait.
        await tallies.add(self.store, count_key, -1, expires_in=self.window_seconds)
        raise RateLimited(
            "too many failed sign-ins for this account; wait before trying again",
            retry_after=gate.retry_after,
            reason="sign_in_throttled",
        )
