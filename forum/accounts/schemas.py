"""Request and response shapes of the accounts API."""

from __future__ import annotations

from typing import Annotated

import msgspec

from forum.accounts.models import User
from forum.accounts.parties import PartyCode
from forum.accounts.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from forum.lib.raw_input import NOT_BLANK

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]
DISPLAY_NAME_MAX_LENGTH = 80
DisplayName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=DISPLAY_NAME_MAX_LENGTH, pattern=NOT_BLANK)
]
RoleName = Annotated[str, msgspec.Meta(pattern=r"^(admin|moderator|focal_point|lcipp|observer)$")]
# Given in any case, with or without its @; stored in lower case (forum.accounts.handles).
Handle = Annotated[
    str, msgspec.Meta(min_length=3, max_length=31, pattern=r"^@?[A-Za-z0-9][A-Za-z0-9_.-]{1,28}[A-Za-z0-9]$")
]
# ISO 3166-1 alpha-3 in capitals, or EUU: a real code, not just three letters.
Party = PartyCode


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: DisplayName
    # Suggested from display_name when not given.
    handle: Handle | None = None


class RulesOut(msgspec.Struct):
    """The rules of the registration form, so that a client states them as the server
    applies them."""

    password_min_length: int
    password_max_length: int
    display_name_max_length: int


def rules_out() -> RulesOut:
    return RulesOut(
        password_min_length=PASSWORD_MIN_LENGTH,
        password_max_length=PASSWORD_MAX_LENGTH,
        display_name_max_length=DISPLAY_NAME_MAX_LENGTH,
    )


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=PASSWORD_MAX_LENGTH)]


class UserPatchIn(msgspec.Struct, forbid_unknown_fields=True):
    role: RoleName | msgspec.UnsetType = msgspec.UNSET
    party: Party | msgspec.UnsetType | None = msgspec.UNSET
    organisation: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType | None = msgspec.UNSET
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET


class MePatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """What a user changes of their own account."""

    handle: Handle | msgspec.UnsetType = msgspec.UNSET
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET


class UserOut(msgspec.Struct, omit_defaults=True):
    id: int
    display_name: str
    handle: str
    role: str
    party: str | None
    organisation: str | None
    email: str | None = None
    silenced_until: str | None = None
    suspended_until: str | None = None


class AuthorOut(msgspec.Struct):
    id: int
    display_name: str
    role: str
    party: str | None


class UserBriefOut(msgspec.Struct):
    """A user as the mention autocomplete lists them."""

    id: int
    handle: str
    display_name: str
    role: str


def user_brief_out(user: User) -> UserBriefOut:
    return UserBriefOut(id=user.id, handle=user.handle, display_name=user.display_name, role=user.role)


class SessionOut(msgspec.Struct):
    """Whether the caller is signed in, and as whom: the page asks this first, without a 401."""

    signed_in: bool
    user: UserOut | None = None


class LoginOut(msgspec.Struct):
    token: str
    user: UserOut


def iso(value: object) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None  # type: ignore[attr-defined]


def user_out(user: User, *, with_email: bool = False) -> UserOut:
    return UserOut(
        id=user.id,
        display_name=user.display_name,
        handle=user.handle,
        role=user.role,
        party=user.party,
        organisation=user.organisation,
        email=user.email if with_email else None,
        silenced_until=iso(user.silenced_until) if with_email else None,
        suspended_until=iso(user.suspended_until) if with_email else None,
    )


def author_out(user: User) -> AuthorOut:
    return AuthorOut(id=user.id, display_name=user.display_name, role=user.role, party=user.party)
