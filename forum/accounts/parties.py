"""The codes a focal point's `party` may hold: ISO 3166-1 alpha-3, and EUU for the European Union.

The list comes from the `iso3166` package (the standard's current assignments), so `ZZZ`
or a withdrawn code is refused while every country's code is taken. A focal point speaks
for a Party to the Paris Agreement: the European Union is one (EUU, the UNFCCC's code for
it), which ISO 3166-1 does not list.
"""

from __future__ import annotations

from typing import Literal

from iso3166 import countries_by_alpha3

# XKX (Kosovo) is a user-assigned code that some lists carry; ISO 3166-1 does not assign it.
_NOT_ISO = {"XKX"}
EUROPEAN_UNION = "EUU"

PARTY_CODES: tuple[str, ...] = tuple(sorted({*countries_by_alpha3, EUROPEAN_UNION} - _NOT_ISO))
# The same list as a type, so that the HTTP schema refuses (and documents) the codes itself.
PartyCode = Literal[PARTY_CODES]  # type: ignore[valid-type]


def is_party_code(code: str) -> bool:
    return code in _CODES


_CODES = frozenset(PARTY_CODES)
