"""Loads demo spaces, users and threads; running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.services import create_user
from forum.accounts.viewer import load_viewer
from forum.spaces import services as spaces
from forum.spaces.schemas import ModeratorsIn, SpaceIn

DEMO_PASSWORD = "nma-demo-2025"

DEMO_USERS = [
    ("admin@forum.example", "Secretariat Admin", "admin", None),
    ("moderator@forum.example", "Workshop Facilitator", "moderator", None),
    ("focal.jpn@forum.example", "Focal Point Japan", "focal_point", "JPN"),
    ("lcipp@forum.example", "LCIPP Representative", "lcipp", None),
    ("observer@forum.example", "Observer", "observer", None),
]

DEMO_SPACES = [
    SpaceIn(
        slug="subaru",
        title="SUBARU: adaptation technology matching for resilient cities",
        kind="nma",
        moderation="post",
        visibility="public",
    ),
    SpaceIn(
        slug="workshop-sbsta63",
        title="In-session workshop on NMAs, SBSTA 63",
        kind="workshop",
        moderation="pre",
        visibility="public",
    ),
    SpaceIn(
        slug="lcipp",
        title="Local communities and indigenous peoples",
        kind="general",
        moderation="pre",
        visibility="restricted",
        allowed_roles=["lcipp", "focal_point"],
    ),
]


async def load_demo(session: AsyncSession) -> str:
    created = []
    for email, name, role, party in DEMO_USERS:
        if await session.scalar(select(User.id).where(User.email == email)) is None:
            await create_user(
                session, email=email, password=DEMO_PASSWORD, display_name=name, role=role, party=party
            )
            created.append(email)
    admin = await session.scalar(select(User).where(User.email == "admin@forum.example"))
    viewer = await load_viewer(session, admin)
    for data in DEMO_SPACES:
        if await session.scalar(select(User.id).where(User.email == "x")) is None:
            pass
        from forum.spaces.models import Space

        if await session.scalar(select(Space.id).where(Space.slug == data.slug)) is None:
            await spaces.create_space(session, viewer, data)
    lcipp = await session.scalar(select(User.id).where(User.email == "lcipp@forum.example"))
    await spaces.set_moderators(session, viewer, "lcipp", ModeratorsIn(user_ids=[lcipp]))
    return f"demo loaded: {len(created)} new users (password {DEMO_PASSWORD!r})"
