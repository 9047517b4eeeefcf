"""A mail as it leaves: subject, plain-text and HTML parts, and the headers of RFC 8058.

Every mail is in its recipient's language (forum.mail.texts), has a plain-text part
first and an HTML alternative (Arabic marked right-to-left), the outbox row's fixed
Message-ID, and `List-Unsubscribe` with both a signed one-click https link and a mailto,
plus `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from forum.lib.db import utcnow
from forum.mail.texts import text

EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    space: str
    excerpt: str = ""


@dataclass(frozen=True)
class Envelope:
    """Who sends what to whom, and the fixed parts of a mail."""

    mail_from: str
    to: str
    message_id: str
    language: str
    unsubscribe_url: str
    settings_url: str


def excerpt(body: str) -> str:
    """The start of a post's markdown as plain text: whitespace folded, cut at a word."""
    flat = re.sub(r"\s+", " ", body).strip()
    if len(flat) <= EXCERPT_CHARS:
        return flat
    return flat[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def _footer_text(env: Envelope) -> str:
    return (
        f"\n-- \n{text(env.language, 'why')}\n"
        f"{text(env.language, 'settings')}: {env.settings_url}\n"
        f"{text(env.language, 'unsubscribe')}: {env.unsubscribe_url}\n"
    )


def _footer_html(env: Envelope) -> str:
    e = html.escape
    return (
        f'<hr><p style="color:#555;font-size:90%">{e(text(env.language, "why"))}<br>'
        f'<a href="{e(env.settings_url)}">{e(text(env.language, "settings"))}</a> · '
        f'<a href="{e(env.unsubscribe_url)}">{e(text(env.language, "unsubscribe"))}</a></p>'
    )


def _message(env: Envelope, subject: str, plain: str, body_html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = env.mail_from
    msg["To"] = formataddr(("", env.to))
    msg["Message-ID"] = env.message_id
    msg["Date"] = format_datetime(utcnow())
    msg["Auto-Submitted"] = "auto-generated"
    address = parseaddr(env.mail_from)[1]
    domain = address.rpartition("@")[2] or "localhost"
    msg["List-Unsubscribe"] = f"<{env.unsubscribe_url}>, <mailto:{address}?subject=unsubscribe>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Id"] = f"forum <forum.{domain}>"
    msg.set_content(plain + _footer_text(env))
    direction = "rtl" if env.language == "ar" else "ltr"
    msg.add_alternative(
        f'<!doctype html><html lang="{env.language}" dir="{direction}"><body>'
        f"{body_html}{_footer_html(env)}</body></html>",
        subtype="html",
    )
    # After the parts: setting content clears every Content-* header set before.
    msg["Content-Language"] = env.language
    return msg


def notification_mail(env: Envelope, kind: str, actor: str, link: Link) -> EmailMessage:
    values = {"actor": actor, "title": link.title, "space": link.space}
    subject = text(env.language, f"subject.{kind}", **values)
    line = text(env.language, f"line.{kind}", **values)
    opener = text(env.language, "open")
    plain = f"{line}\n\n{link.excerpt}\n\n{opener}: {link.url}\n"
    e = html.escape
    body = (
        f"<p>{e(line)}</p><blockquote>{e(link.excerpt)}</blockquote>"
        f'<p><a href="{e(link.url)}">{e(opener)}</a></p>'
    )
    return _message(env, subject, plain, body)


def digest_mail(env: Envelope, links: list[Link]) -> EmailMessage:
    subject = text(env.language, "subject.digest", count=len(links))
    line = text(env.language, "line.digest")
    plain = line + "\n\n" + "\n".join(f"- {link.title} ({link.space}): {link.url}" for link in links) + "\n"
    e = html.escape
    items = "".join(
        f'<li><a href="{e(link.url)}">{e(link.title)}</a> ({e(link.space)})</li>' for link in links
    )
    return _message(env, subject, plain, f"<p>{e(line)}</p><ul>{items}</ul>")
