"""How a capacity and an attribution read, as the secretariat's reports write them (pure)."""

from __future__ import annotations

from iso3166 import countries_by_alpha3

from forum.accounts.parties import EUROPEAN_UNION
from forum.roundtables.models import Attribution, CapacityKind

LCIPP = "the Local Communities and Indigenous Peoples Platform"
FWG = "the Facilitative Working Group"


def party_name(code: str | None) -> str:
    if code == EUROPEAN_UNION:
        return "the European Union"
    country = countries_by_alpha3.get(code or "")
    return country.name if country is not None else (code or "a Party")


def capacity_label(kind: str, code: str | None) -> str:
    """The capacity itself, shown in the queue: 'Malaysia', 'LCIPP', 'CGIAR'."""
    if kind == CapacityKind.party.value:
        return party_name(code)
    if kind == CapacityKind.lcipp.value:
        return "LCIPP"
    if kind == CapacityKind.fwg.value:
        return "LCIPP Facilitative Working Group"
    if kind == CapacityKind.secretariat.value:
        return "Secretariat"
    return code or "Observer"


def attributed_as(kind: str, code: str | None, attribution: str) -> str:
    """'the representative of Malaysia', 'a representative of the Facilitative Working
    Group', or 'a participant' when the speaker chose to stay anonymous."""
    if attribution == Attribution.anonymous.value:
        return "a participant"
    if kind == CapacityKind.party.value:
        return f"the representative of {party_name(code)}"
    if kind == CapacityKind.lcipp.value:
        return f"a representative of {LCIPP}"
    if kind == CapacityKind.fwg.value:
        return f"a representative of {FWG}"
    if kind == CapacityKind.secretariat.value:
        return "a representative of the secretariat"
    return f"a representative of {code}" if code else "an observer"
