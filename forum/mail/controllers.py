"""HTTP: your mail settings, and unsubscribing from a mail's link (RFC 8058 one-click)."""

from __future__ import annotations

import html
from typing import Annotated

from litestar import Controller, MediaType, Response, get, post, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.openapi import ANYONE, SIGNED_IN
from forum.mail import preferences
from forum.mail.schemas import MailPreferencesIn, MailPreferencesOut
from forum.settings import Settings

UNSUBSCRIBE_PATH = "/api/mail/unsubscribe"

TokenParam = Annotated[
    str, Parameter(query="token", max_length=200, description="The signed token of the mail's link")
]


def _page(title: str, body: str) -> Response[str]:
    return Response(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"></head><body><main><h1>{html.escape(title)}</h1>'
        f"{body}</main></body></html>",
        media_type=MediaType.HTML,
    )


class MailController(Controller):
    tags = ["mail"]

    @get("/api/me/mail", summary="Your mail settings: language, immediate mail, digest", security=SIGNED_IN)
    async def mail_settings(
        self, db_session: AsyncSession, viewer: Viewer, settings: Settings
    ) -> MailPreferencesOut:
        return await preferences.read(db_session, viewer, settings)

    @put(
        "/api/me/mail",
        summary="Change your mail settings (any of them; the others keep their value)",
        security=SIGNED_IN,
    )
    async def change_mail_settings(
        self, data: MailPreferencesIn, transaction: AsyncSession, viewer: Viewer, settings: Settings
    ) -> MailPreferencesOut:
        return await preferences.change(transaction, viewer, settings, data)

    @get(
        UNSUBSCRIBE_PATH,
        summary="The page of a mail's unsubscribe link: asks to confirm, changes nothing",
        description="Mail scanners follow links, so a GET never unsubscribes; the page's button POSTs.",
        media_type=MediaType.HTML,
        security=ANYONE,
    )
    async def unsubscribe_page(self, token: TokenParam, settings: Settings) -> Response[str]:
        preferences.user_of_token(settings, token)
        action = html.escape(f"{UNSUBSCRIBE_PATH}?token={token}")
        return _page(
            "Stop mail from the forum?",
            f'<form method="post" action="{action}"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Unsubscribe</button></form>',
        )

    @post(
        UNSUBSCRIBE_PATH,
        status_code=200,
        summary="One-click unsubscribe (RFC 8058): no sign-in, the signed token is the authority",
        description=(
            "Mail clients POST `List-Unsubscribe=One-Click` here. Turns immediate mail and the"
            " digest off for the token's user. A token that does not verify gets 400 naming `token`."
        ),
        media_type=MediaType.HTML,
        security=ANYONE,
    )
    async def unsubscribe(
        self, token: TokenParam, transaction: AsyncSession, settings: Settings
    ) -> Response[str]:
        await preferences.unsubscribe(transaction, preferences.user_of_token(settings, token))
        return _page(
            "Unsubscribed",
            "<p>You will get no more mail from the forum. Your settings page can turn it on again.</p>",
        )
