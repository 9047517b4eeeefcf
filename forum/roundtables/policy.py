"""Who may do what at a round table (pure predicates; the space's visibility is checked first)."""

from __future__ import annotations

from forum.accounts.models import Role, User
from forum.accounts.viewer import Viewer
from forum.roundtables.models import CapacityKind


def can_chair(viewer: Viewer, space_id: int) -> bool:
    """Open, give the floor, reorder, skip, end turns, close: the space's moderators."""
    return viewer.moderates(space_id)


def can_write_summary(viewer: Viewer, space_id: int, rapporteur_ids: list[int], speaker_id: int) -> bool:
    """An intervention's summary: its speaker, the chair, the round table's rapporteurs."""
    if viewer.id is None:
        return False
    return viewer.id == speaker_id or viewer.id in rapporteur_ids or can_chair(viewer, space_id)


def capacity_refusal(user: User, kind: str, code: str | None) -> str | None:
    """Why `user` may not speak in this capacity (None: they may).

    A focal point speaks for the Party they hold, an LCIPP representative for the LCIPP or
    its Facilitative Working Group, an observer for the organisation on their profile, and
    the secretariat (admins and moderators) for the secretariat.
    """
    if kind == CapacityKind.party.value:
        if user.role != Role.focal_point.value or not user.party:
            return "only a focal point speaks for a Party"
        if code != user.party:
            return f"you hold the Party {user.party}, not {code}"
        return None
    if kind in (CapacityKind.lcipp.value, CapacityKind.fwg.value):
        if user.role != Role.lcipp.value:
            return "only an LCIPP representative speaks for the LCIPP or its Facilitative Working Group"
        return None
    if kind == CapacityKind.observer.value:
        if user.role != Role.observer.value:
            return "only an observer speaks for an observer organisation"
        if not user.organisation:
            return "your profile names no organisation: ask the secretariat to record it"
        if code != user.organisation:
            return f"you represent {user.organisation}, not {code}"
        return None
    if kind == CapacityKind.secretariat.value:
        if user.role not in (Role.admin.value, Role.moderator.value):
            return "only the secretariat speaks for the secretariat"
        return None
    return f"unknown capacity {kind!r}"


def default_code(user: User, kind: str) -> str | None:
    """The code a capacity takes when the request leaves it out: the user's own."""
    if kind == CapacityKind.party.value:
        return user.party
    if kind == CapacityKind.observer.value:
        return user.organisation
    return None


def queue_tier(policy: str, kind: str) -> int:
    """Where a new request joins the queue under the round table's policy: under
    `parties_first` a Party's request waits behind the Parties' already waiting and before
    everyone else's; otherwise every request joins at the end."""
    if policy == "parties_first":
        return 0 if kind == CapacityKind.party.value else 1
    return 0
