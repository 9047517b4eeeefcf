"""Who is asking: the signed-in user (or nobody) and the spaces they moderate.

`forum.spaces.viewers` loads a Viewer (the spaces know their moderators)."""

from __future__ import annotations

from dataclasses import dataclass, field

from forum.accounts.models import Role, User
from forum.lib.db import utcnow
from forum.lib.errors import Forbidden, Unauthorized

GLOBAL_MODERATOR_ROLES = frozenset({Role.admin.value, Role.moderator.value})
# Roles whose posts publish at once in a pre-moderated space.
TRUSTED_ROLES = frozenset({Role.admin.value, Role.moderator.value, Role.focal_point.value, Role.lcipp.value})


@dataclass(frozen=True)
class Viewer:
    user: User | None = None
    moderated_space_ids: frozenset[int] = field(default_factory=frozenset)
    token_hash: str | None = None

    @property
    def id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def role(self) -> str | None:
        return self.user.role if self.user else None

    @property
    def is_signed_in(self) -> bool:
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin.value

    @property
    def is_global_moderator(self) -> bool:
        return self.role in GLOBAL_MODERATOR_ROLES

    @property
    def is_trusted(self) -> bool:
        return self.role in TRUSTED_ROLES

    def moderates(self, space_id: int) -> bool:
        return self.is_global_moderator or space_id in self.moderated_space_ids

    @property
    def moderates_anything(self) -> bool:
        return self.is_global_moderator or bool(self.moderated_space_ids)

    def require_user(self) -> User:
        if self.user is None:
            raise Unauthorized("sign in first: send 'Authorization: Bearer <token>' or the session cookie")
        return self.user

    def require_admin(self) -> User:
        user = self.require_user()
        if not self.is_admin:
            raise Forbidden("only an admin may do this")
        return user

    def require_can_write(self) -> User:
        """The user may post or send: signed in and not silenced."""
        user = self.require_user()
        if user.silenced_until is not None and user.silenced_until > utcnow():
            raise Forbidden(
                f"you are silenced until {user.silenced_until.isoformat()}: you can read but not post"
            )
        return user


ANONYMOUS = Viewer()
