"""Markdown to safe HTML: the one place the allow-list lives.

markdown-it-py renders with raw HTML off (CommonMark preset with `html=False`), then nh3
(ammonia) sanitizes with an explicit allow-list: no script, no style, no event handlers,
no iframe, only http(s) and mailto links. Links get rel="nofollow noopener noreferrer".

Mentions: `render(body, mentionable)` turns `@handle` into
`<a class="mention" href="/u/handle">@handle</a>` for each handle in `mentionable` (the
handles of users that exist, found by the caller from `mention_candidates(body)`), never
inside code or inside a link; `render_with_mentions` also says which handles it linked.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

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
# The one class the sanitizer keeps, and only on links: a mention (see `_link_mentions`).
MENTION_CLASS = "mention"

# `@handle` not preceded by a word character, @ or / (an email address, a path); the
# handle's shape is forum.accounts.handles' (any case here, matched in lower case).
MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9][A-Za-z0-9_.-]{1,28}[A-Za-z0-9])")


# A mention link as `render` writes it (after sanitizing): its handle.
MENTION_LINK = re.compile(r'<a href="/u/([a-z0-9_.-]+)" class="mention"')


def mention_candidates(body: str) -> set[str]:
    """Every handle written as `@handle` in a text (lower case), code included: a superset
    of what `render` may link, for the caller to look up in one query."""
    return {m.lower() for m in MENTION.findall(body)} if "@" in body else set()


def _link_mentions(state: StateCore) -> None:
    """Core rule: `@handle` of a known handle in plain text becomes a mention link."""
    known: Collection[str] = state.env.get("mentionable") or ()
    if not known:
        return
    linked: set[str] = state.env.setdefault("mentioned", set())
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        out: list[Token] = []
        in_link = 0
        for tok in block.children:
            if tok.type == "link_open":
                in_link += 1
            elif tok.type == "link_close":
                in_link -= 1
            if tok.type != "text" or in_link or "@" not in tok.content:
                out.append(tok)
                continue
            pos = 0
            for m in MENTION.finditer(tok.content):
                handle = m.group(1).lower()
                if handle not in known:
                    continue
                if m.start() > pos:
                    out.append(_text(tok.content[pos : m.start()]))
                link = Token("link_open", "a", 1)
                link.attrs = {"href": f"/u/{handle}", "class": MENTION_CLASS}
                out.extend([link, _text(m.group(0)), Token("link_close", "a", -1)])
                linked.add(handle)
                pos = m.end()
            if pos == 0:
                out.append(tok)
            elif pos < len(tok.content):
                out.append(_text(tok.content[pos:]))
        block.children = out


def _text(content: str) -> Token:
    tok = Token("text", "", 0)
    tok.content = content
    return tok


_md.core.ruler.push("mentions", _link_mentions)


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
    tag_attribute_values={"a": {"class": {MENTION_CLASS}}},
)


def render(body: str, mentionable: Collection[str] = ()) -> str:
    """Render a post's Markdown to sanitized HTML; `@handle` of `mentionable` become links."""
    return render_with_mentions(body, mentionable)[0]


def render_with_mentions(body: str, mentionable: Collection[str] = ()) -> tuple[str, set[str]]:
    """`render`, and the handles it made mention links of (lower case)."""
    env: dict = {"mentionable": mentionable}
    html = _cleaner.clean(_md.render(body, env))
    return _SCRIPT_SCHEME.sub(lambda m: m[0][:-1] + "&#58;", html), env.get("mentioned", set())
