"""The chat's Markdown subset, rendered once at write time and sanitised twice.

markdown-it-py parses with raw HTML off and only the rules chat needs (bold, italic, lists, code spans and
fences, quotes, links, `<https://…>` autolinks, bare URLs, line breaks). Mentions (`@職員番号`, `@氏名`,
`@氏 名` with a space, as the composer inserts it, `@channel`, `@here`) are resolved by the caller against the conversation's members and rendered as spans.
Whatever markdown-it produces then goes through nh3 with a small allowlist of tags and attributes and only
http, https, mailto and tel URLs — so even a parser bug cannot let a script, an event handler or a
`javascript:` link through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"data-username"}, "ol": {"start"}}
ALLOWED_CLASSES = {"span": {"mention", "mention-all"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}  # tel: a phone memo's call button
LINK_REL = "noopener noreferrer nofollow"

# A bare URL in text; trailing punctuation (Japanese too) is not part of it.
_URL_RE = re.compile(r"https?://[^\s<>\"'`「」『』（）()【】、。，！？]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?"
# `@` starts a mention when it does not follow a letter or digit (so mail addresses stay text). A second word
# after one space is captured too: `@佐藤 麻衣` is a name as people write it; it is tried before the first
# word alone.
_MENTION_WORD = r"[^\s@、。，,.!?！？:：;；()（）「」『』<>\[\]]+"
MENTION_RE = re.compile(rf"(?<![\w@.])@({_MENTION_WORD})(?:[ \u3000]({_MENTION_WORD}))?")
_HONORIFICS = ("さん", "様", "さま", "くん", "君", "殿", "ちゃん")
ALL_MENTIONS = {"channel", "here", "all", "全員"}


@dataclass(frozen=True)
class MentionTarget:
    """What a mention token resolved to: a person (username, display name) or everyone (`@channel`)."""

    username: str = ""
    display: str = ""
    everyone: str = ""  # "channel" or "here"


def _candidates(m: re.Match) -> list[str]:
    """What a mention match may name, longest first: `佐藤 麻衣` (one ASCII space, however it was written),
    then `佐藤`."""
    first, second = m.group(1), m.group(2)
    return [f"{first} {second}", first] if second else [first]


def mention_tokens(body: str) -> set[str]:
    """The words after `@` in a body (one or two words), as written (resolved by the caller)."""
    return {word for m in MENTION_RE.finditer(body) for word in _candidates(m)}


_BLOCK_END = re.compile(r"</(?:p|li|pre|blockquote)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def plain_text(html: str) -> str:
    """A rendered message as one line of text, as a person reads it: no Markdown markers, mentions as the
    names they resolved to (`@吉田 亜希子`, never `@100118`). For notifications and search results."""
    from html import unescape

    text = nh3.clean(_BLOCK_END.sub(" ", html), tags=set(), clean_content_tags={"script", "style"})
    return _SPACES.sub(" ", unescape(text)).strip()


def strip_honorific(token: str) -> str:
    for suffix in _HONORIFICS:
        if token.endswith(suffix) and len(token) > len(suffix):
            return token[: -len(suffix)]
    return token


def _linkify_and_mention(state) -> None:
    """A core rule after `inline`: turn bare URLs and resolved mentions in text (outside links and code)
    into link and mention tokens."""
    mentions: Mapping[str, MentionTarget] = state.env.get("mentions", {})
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
            if tok.type != "text" or in_link or not tok.content:
                out.append(tok)
                continue
            out.extend(_split_text(tok.content, mentions))
        block.children = out


def _split_text(text: str, mentions: Mapping[str, MentionTarget]) -> list[Token]:
    spans: list[tuple[int, int, str, object]] = []
    for m in _URL_RE.finditer(text):
        url = m.group(0).rstrip(_URL_TRAILING)
        spans.append((m.start(), m.start() + len(url), "url", url))
    for m in MENTION_RE.finditer(text):
        target = next(filter(None, (_resolve(word, mentions) for word in _candidates(m))), None)
        if target is None:
            continue
        word, who = target
        start = m.start()
        end = start + 1 + len(word)
        if not any(s < end and start < e for s, e, _, _ in spans):
            spans.append((start, end, "mention", who))
    spans.sort(key=lambda s: s[0])
    tokens: list[Token] = []
    pos = 0
    for start, end, kind, value in spans:
        if start < pos:
            continue
        if start > pos:
            tokens.append(_text(text[pos:start]))
        if kind == "url":
            link = Token("link_open", "a", 1)
            link.attrs = {"href": str(value)}
            tokens += [link, _text(str(value)), Token("link_close", "a", -1)]
        else:
            mention = Token("mention", "span", 0)
            mention.meta = {"target": value}
            mention.content = text[start:end]
            tokens.append(mention)
        pos = end
    if pos < len(text):
        tokens.append(_text(text[pos:]))
    return tokens


def _resolve(word: str, mentions: Mapping[str, MentionTarget]) -> tuple[str, MentionTarget] | None:
    """The longest leading part of `word` that is a known mention (`@佐藤花子さん、` → 佐藤花子)."""
    if word in mentions:
        return word, mentions[word]
    bare = strip_honorific(word)
    if bare in mentions:
        return bare, mentions[bare]
    return None


def _text(content: str) -> Token:
    tok = Token("text", "", 0)
    tok.content = content
    return tok


def _render_mention(self, tokens, idx, options, env) -> str:
    from html import escape

    target: MentionTarget = tokens[idx].meta["target"]
    if target.everyone:
        return f'<span class="mention-all">@{escape(target.everyone)}</span>'
    return f'<span class="mention" data-username="{escape(target.username)}">@{escape(target.display)}</span>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"breaks": True, "html": False, "linkify": False, "typographer": False})
    md.enable(["emphasis", "backticks", "escape", "newline", "link", "autolink", "strikethrough"])
    md.enable(["code", "fence", "blockquote", "list", "paragraph"])
    md.core.ruler.after("inline", "kiban_linkify_mention", _linkify_and_mention)
    md.add_render_rule("mention", _render_mention)
    return md


_MD = _parser()


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
        # A relative URL has no scheme to check; chat links are absolute, so allow none.
        url_relative="deny",
    )


def render(body: str, mentions: Mapping[str, MentionTarget] | None = None) -> str:
    """Safe HTML for a message body. `mentions` maps a word written after `@` to what it resolved to."""
    if not body:
        return ""
    return sanitize(_MD.render(body, {"mentions": mentions or {}})).strip()
