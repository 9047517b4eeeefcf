"""Every machine-readable code a problem answer can carry, listed once.

A problem+json answer (and a websocket `error` frame) says what went wrong three ways,
each stable, so that a client can word it in its reader's language instead of showing
the English `detail`:

- `code`: the kind of problem, one per status (`CODES`); the websocket's error frames
  carry the same codes.
- `reason`: where the service knows more, the exact cause (`REASONS`): a wrong password,
  an email already registered, a sign-in throttled. Absent when the `code` says it all.
- `errors`: for bad input, one item per offending field, `{field, code, limit?}`, with a
  code of `FIELD_CODES` and, for bounds, the bound (`limit`: a length or a number).

`detail` stays in English for other clients. The web client translates each code with
the keys of `i18n_key()` (a test holds every code here to a key in the six languages,
and every code the code base raises to this list). docs/errors.md describes them.
"""

from __future__ import annotations

from typing import Final

# The kind of problem, by status (problems.py), and the domain's own (errors.py).
CODES: Final = (
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "rate_limited",
    "unavailable",
    "outcome_unknown",
    "internal",
)

# The exact cause, where the service knows it (the `reason=` of a ForumError).
REASONS: Final = (
    # sign-in and registration
    "wrong_credentials",  # 401: no account with this email, or the password is wrong
    "sign_in_throttled",  # 429: too many failed sign-ins for this account (Retry-After)
    "network_throttled",  # 429: too many failed sign-ins from this network (Retry-After)
    "server_busy",  # 429: the server is busy checking passwords (Retry-After)
    "account_suspended",  # 403: the account is suspended (`until` gives the end)
    "email_taken",  # 409: an account with this email already exists (field email)
    "handle_taken",  # 409: the handle is taken (field handle)
    # the request as a whole
    "body_missing",  # 400: no request body where a JSON object is needed
    "body_not_object",  # 400: the body is JSON but not an object
    "malformed_json",  # 400: the body is not valid JSON
    "not_utf8",  # 400: the request is not valid UTF-8
    "csrf",  # 403: the CSRF header is missing or wrong
)

# Why one field is wrong (items of `errors`).
FIELD_CODES: Final = (
    "required",  # missing
    "unknown_field",  # not a field of this request
    "blank",  # only spaces
    "too_short",  # a string shorter than `limit` characters
    "too_long",  # a string longer than `limit` characters
    "too_few",  # a list or object with fewer than `limit` items
    "too_many",  # a list or object with more than `limit` items
    "too_small",  # a number below `limit`
    "too_big",  # a number above `limit`
    "wrong_type",  # a string where a number is needed, and so on
    "not_allowed",  # not one of the allowed values
    "invalid_format",  # does not match the expected form (an email, a slug, a code)
    "nul_character",  # holds U+0000
    "repeated",  # a query parameter given more than once
    "invalid",  # anything else: `detail` says what
)


def i18n_key(kind: str, code: str) -> str:
    """The key of the web client's translation files for a code of `kind` (`code`,
    `reason` or `field`): `problem_code_not_found`, `problem_reason_email_taken`,
    `problem_field_too_short`."""
    return f"problem_{kind}_{code}"


def all_keys() -> list[str]:
    """Every translation key the codes need."""
    return [
        *(i18n_key("code", c) for c in CODES),
        *(i18n_key("reason", r) for r in REASONS),
        *(i18n_key("field", f) for f in FIELD_CODES),
    ]
