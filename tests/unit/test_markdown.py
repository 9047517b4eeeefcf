"""Markdown rendering and sanitizing: what survives, and what never does."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forum.lib.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render

# An event-handler attribute in the output, quoted or not (onerror=, onclick =, ...).
EVENT_ATTR = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


class _Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_safe(html: str) -> None:
    """Only allowed elements and attributes; URLs only http(s) or mailto; no script text."""
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered and "vbscript:" not in lowered
    assert not EVENT_ATTR.search(html), html
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) or (tag, name) == ("a", "rel"), (
                tag,
                name,
                html,
            )
            if name in ("href", "src"):
                # The value as the browser decodes it (entities resolved, controls ignored).
                url = re.sub(r"[\x00-\x20]", "", value or "").lower()
                scheme = re.match(r"([a-z][a-z0-9+.\-]*):", url)
                # No scheme at all is a relative URL: harmless.
                assert scheme is None or scheme[1] in ("http", "https", "mailto"), (url, html)


PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">x</a>',
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[x](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body{display:none}</style>",
    '<p style="position:fixed;top:0">cover</p>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<form action="https://evil.example"><input name=p></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel=stylesheet href="https://evil.example/x.css">',
    "<!--<script>alert(1)</script>-->",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '[ok](https://example.org "title" onclick="x")',
    '[x](https://example.org" onmouseover="alert(1))',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<<script>script>alert(1)<</script>/script>",
    "<img src=`javascript:alert(1)`>",
    "[a]: javascript:alert(1)\n\n[link][a]",
    '<https://example.org/"onclick="alert(1)>',
    "<javascript:alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_neutralised(payload: str) -> None:
    assert_safe(render(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_inside_markdown_structures(payload: str) -> None:
    for wrapped in (f"> {payload}", f"- {payload}", f"**{payload}**", f"| a |\n|---|\n| {payload} |"):
        assert_safe(render(wrapped))


def test_ordinary_markdown_renders() -> None:
    html = render("# Title\n\n**bold** _em_ ~~gone~~ `code`\n\n- one\n- two\n\n1. first\n\n> quoted")
    for fragment in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>",
                     "<ul>", "<li>one</li>", "<ol>", "<blockquote>"):  # fmt: skip
        assert fragment in html, html
    assert "<del>gone</del>" in html or "<s>gone</s>" in html


def test_links_are_kept_with_safe_rel() -> None:
    html = render("[the report](https://unfccc.int/nma) and [mail](mailto:sec@example.org)")
    assert 'href="https://unfccc.int/nma"' in html
    assert 'href="mailto:sec@example.org"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_images_keep_only_http_sources() -> None:
    assert 'src="https://example.org/a.png"' in render("![a](https://example.org/a.png)")
    assert "src=" not in render("![a](data:image/png;base64,AAAA)")


def test_raw_html_is_text_not_markup() -> None:
    html = render("<b>bold?</b> 1 < 2 & 3 > 2")
    assert "<b>" not in html
    assert "&lt;b&gt;" in html
    assert "&amp;" in html


def test_tables_render() -> None:
    html = render("| NMA | Party |\n|---|---|\n| Mother Earth | BOL |")
    assert "<table>" in html and "<td>BOL</td>" in html


def test_line_breaks_and_unicode() -> None:
    html = render("كلمة\nمرحبا 中文 русский")
    assert "<br" in html
    assert "中文" in html and "كلمة" in html


def test_empty_and_whitespace() -> None:
    assert render("").strip() == ""
    assert "<script" not in render("   \n\n  ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_safe(text: str) -> None:
    html = render(text)
    lowered = html.lower()
    assert "<script" not in lowered
    assert not EVENT_ATTR.search(html), html
    assert "javascript:" not in lowered
    assert_safe(html)


# Text built from the pieces attacks are made of, so hypothesis explores near them.
_PIECES = st.sampled_from(
    [
        "<", ">", "/", "script", "SCRIPT", "img", "a", "iframe", "svg", " ", "=", '"', "'", "`",
        "onerror", "onload", "onclick", "javascript", ":", "java", "\t", "\n", "&#", "x3a;", "58;",
        "alert(1)", "[", "]", "(", ")", "!", "data", "text/html", "href", "src", "style", "*", "_", "#",
        "&", ";", "-", ">", "|",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_attack_shaped_text_is_safe(text: str) -> None:
    assert_safe(render(text))
