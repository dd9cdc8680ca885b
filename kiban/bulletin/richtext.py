"""Post and comment bodies: Markdown rendered once at write time, then sanitised with nh3.

The chat's pipeline (markdown-it with raw HTML off, then nh3 with an allowlist and only http, https and
mailto URLs), with what a notice needs besides: headings and tables. Whatever the parser produces, nothing
outside the allowlist reaches a page — no script, no event handler, no `javascript:` link, no style.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from kiban.chat.markdown import LINK_REL, URL_SCHEMES

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

_MD = MarkdownIt("commonmark", {"breaks": True, "html": False, "linkify": False, "typographer": False})
_MD.enable(["table", "strikethrough"])
_MD.disable(["image", "html_block", "html_inline"])


def _shift_headings(self, tokens, idx, options, env) -> str:
    # A post's own headings sit below the page's h1 (the post title): # → h2, ## → h3, deeper → h4.
    token = tokens[idx]
    level = min(int(token.tag[1]) + 1, 4)
    token.tag = f"h{level}"
    return self.renderToken(tokens, idx, options, env)


_MD.add_render_rule("heading_open", _shift_headings)
_MD.add_render_rule("heading_close", _shift_headings)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
        url_relative="deny",
    )


def render(body: str) -> str:
    return sanitize(_MD.render(body or "")).strip() if body else ""


def plain(body: str) -> str:
    """The text of a body for an email or an excerpt: the Markdown as written, which reads as plain text."""
    return (body or "").strip()
