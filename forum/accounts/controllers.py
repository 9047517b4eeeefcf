"""HTTP: register, login, logout, me, and admin changes to users."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts import handles, requesters, services
from forum.accounts.limits import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    DEVICE_COOKIE_PATH,
    LoginLimiter,
    new_device_cookie,
)
from forum.accounts.schemas import (
    LoginIn,
    LoginOut,
    MePatchIn,
    RegisterIn,
    RulesOut,
    SessionOut,
    UserBriefOut,
    UserOut,
    UserPatchIn,
    rules_out,
    user_brief_out,
    user_out,
)
from forum.accounts.viewer import Viewer
from forum.lib.http import SESSION_COOKIE
from forum.lib.openapi import ANYONE, SIGNED_IN, problems
from forum.settings import Settings


class AccountController(Controller):
    tags = ["accounts"]

    @post(
        "/api/auth/register",
        status_code=HTTP_201_CREATED,
        summary="Create an account (role observer)",
        security=ANYONE,
    )
    async def register(self, data: RegisterIn, transaction: AsyncSession) -> UserOut:
        user = await services.create_user(
            transaction,
            email=data.email,
            password=data.password,
            display_name=data.display_name,
            handle=data.handle,
        )
        return user_out(user, with_email=True)

    @get(
        "/api/auth/rules",
        summary="The registration form's rules: the password's length, the name's",
        security=ANYONE,
    )
    async def rules(self) -> RulesOut:
        return rules_out()

    @post(
        "/api/auth/login",
        status_code=200,
        summary="Sign in: a bearer token, and the session cookie",
        responses=problems(401),
        security=ANYONE,
    )
    async def login(
        self, request: Request, data: LoginIn, transaction: AsyncSession, settings: Settings
    ) -> Response[LoginOut]:
        limiter = LoginLimiter.from_settings(request.app.stores.get("login"), settings)
        address = request.client.host if request.client else "unknown"
        token, user = await services.login(
            transaction,
            limiter,
            settings,
            email=data.email,
            password=data.password,
            address=address,
            device_cookie=request.cookies.get(DEVICE_COOKIE),
        )
        # The next requests with this token count against the account (forum.accounts.requesters).
        requesters.remember(request, services.token_digest(token), user.id)
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=token,
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure,
            max_age=settings.token_ttl_seconds,
            path="/",
        )
        # This browser has now signed in to the account: its later attempts are counted
        # apart from everyone else's (forum.accounts.limits).
        device = Cookie(
            key=DEVICE_COOKIE,
            value=new_device_cookie(settings.secret_key, services.normalise_email(data.email)),
            httponly=True,
            samesite="strict",
            secure=settings.cookie_secure,
            max_age=DEVICE_COOKIE_MAX_AGE,
            path=DEVICE_COOKIE_PATH,
        )
        return Response(LoginOut(token=token, user=user_out(user, with_email=True)), cookies=[cookie, device])

    @post(
        "/api/auth/logout",
        status_code=HTTP_204_NO_CONTENT,
        summary="End this token and session",
        security=SIGNED_IN,
    )
    async def logout(self, transaction: AsyncSession, viewer: Viewer) -> Response[None]:
        await services.logout(transaction, viewer)
        return Response(
            None,
            status_code=HTTP_204_NO_CONTENT,
            cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
        )

    @get(
        "/api/session",
        summary="Whether the caller is signed in, and as whom",
        description=(
            "Always 200: `{signed_in: false}` for a caller without a working token or session "
            "(where `GET /api/me` answers 401), else `{signed_in: true, user}` with the user as "
            "`GET /api/me` gives it. The web client asks this at start-up, so a signed-out "
            "visitor's console shows no 401; like every read, it sets the CSRF cookie."
        ),
        security=ANYONE,
    )
    async def session(self, viewer: Viewer) -> SessionOut:
        user = viewer.user
        if user is None:
            return SessionOut(signed_in=False)
        return SessionOut(signed_in=True, user=user_out(user, with_email=True))

    @get("/api/me", summary="The signed-in user", security=SIGNED_IN)
    async def me(self, viewer: Viewer) -> UserOut:
        return user_out(viewer.require_user(), with_email=True)

    @patch(
        "/api/me",
        summary="Change your own handle or display name",
        responses=problems(409),
        security=SIGNED_IN,
    )
    async def update_me(self, data: MePatchIn, transaction: AsyncSession, viewer: Viewer) -> UserOut:
        user = await services.update_me(transaction, viewer, data)
        return user_out(user, with_email=True)

    @get(
        "/api/users",
        summary="Users whose handle or name begins with prefix (the mention autocomplete)",
        description="At most 10, handles that match first. Every user's handle and name are public.",
        security=SIGNED_IN,
    )
    async def find_users(
        self,
        db_session: AsyncSession,
        viewer: Viewer,
        prefix: Annotated[str, Parameter(min_length=1, max_length=31)],
    ) -> list[UserBriefOut]:
        viewer.require_user()
        return [user_brief_out(u) for u in await handles.starting_with(db_session, prefix)]

    @get("/api/users/{user_id:int}", summary="A user's public profile", security=ANYONE)
    async def get_user(self, user_id: int, db_session: AsyncSession, viewer: Viewer) -> UserOut:
        user = await services.get_user(db_session, user_id)
        return user_out(user, with_email=viewer.is_admin or viewer.id == user.id)

    @patch(
        "/api/users/{user_id:int}", summary="Change role, Party or organisation (admin)", security=SIGNED_IN
    )
    async def update_user(
        self, user_id: int, data: UserPatchIn, transaction: AsyncSession, viewer: Viewer
    ) -> UserOut:
        user = await services.update_user(transaction, viewer, user_id, data)
        return user_out(user, with_email=True)
