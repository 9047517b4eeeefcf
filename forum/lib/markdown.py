"""Markdown to safe HTML: the one place the allow-list lives.

markdown-it-py renders with raw HTML off (CommonMark preset with `html=False`), then nh3
(ammonia) sanitizes with an explicit allow-list: no script, no style, no event handlers,
no iframe, only http(s) and mailto links. Links get rel="nofollow noopener noreferrer".
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    .enable("table")
    .enable("strikethrough")
)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


# A script scheme can only survive as visible text (a link to it is dropped), but a page
# or a tool that later reuses the text as a URL must not find one: its colon becomes the
# character reference, which reads the same.
_SCRIPT_SCHEME = re.compile(r"(?i)(java|vb|live)script:")


# Built once: `nh3.clean` converts the allow-lists into a new sanitizer on every call,
# which cost more than the sanitizing itself for a chat-sized message.
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)


def render(body: str) -> str:
    """Render a post's Markdown to sanitized HTML."""
    html = _cleaner.clean(_md.render(body))
    return _SCRIPT_SCHEME.sub(lambda m: m[0][:-1] + "&#58;", html)
