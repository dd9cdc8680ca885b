"""The Markdown subset renders what chat needs and nothing that can run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from kiban.chat.markdown import ALLOWED_TAGS, URL_SCHEMES, MentionTarget, render
from kiban.chat.tests.xss_corpus import XSS_PAYLOADS

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_inert(html: str) -> None:
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        assert tag not in {"script", "style", "iframe", "object", "embed", "svg", "math", "img"}, html
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name not in {"style", "srcdoc", "formaction"}, (name, html)
            if name in URL_ATTRIBUTES:
                scheme = (value or "").split(":", 1)[0].strip().lower() if ":" in (value or "") else ""
                assert scheme in URL_SCHEMES, (value, html)


def test_corpus_has_at_least_fifty_payloads():
    assert len(XSS_PAYLOADS) >= 50
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_renders_inert(payload):
    html = render(payload, {"channel": MentionTarget(everyone="channel")})
    assert_inert(html)
    assert "<script" not in html.lower()
    assert "javascript:" not in "".join(v or "" for _t, a in elements(html) for v in a.values()).lower()


def test_bold_italic_strike_code_quote_and_lists():
    html = render("**太字** *斜体* ~~取消~~ `code`\n\n> 引用\n\n- 一\n- 二\n\n1. 壱")
    assert html == (
        "<p><strong>太字</strong> <em>斜体</em> <s>取消</s> <code>code</code></p>\n"
        "<blockquote>\n<p>引用</p>\n</blockquote>\n<ul>\n<li>一</li>\n<li>二</li>\n</ul>\n<ol>\n<li>壱</li>\n</ol>"
    )


def test_fenced_code_keeps_markup_as_text():
    assert render("```\n<b>x</b>\n```") == "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>"


def test_links_open_in_a_new_tab_without_referrer():
    html = render("[防災情報](https://example.lg.jp/bousai)")
    assert html == (
        '<p><a href="https://example.lg.jp/bousai" target="_blank" rel="noopener noreferrer nofollow">防災情報</a></p>'
    )


def test_bare_url_becomes_a_link_without_japanese_punctuation():
    html = render("資料はこちら https://example.lg.jp/a?b=1。")
    assert elements(html)[1] == (
        "a",
        {"href": "https://example.lg.jp/a?b=1", "target": "_blank", "rel": "noopener noreferrer nofollow"},
    )
    assert html.endswith("</a>。</p>")


def test_mailto_is_allowed():
    assert 'href="mailto:jinji@pref.example.lg.jp"' in render("[人事課](mailto:jinji@pref.example.lg.jp)")


def test_line_breaks_are_kept():
    assert render("一行目\n二行目") == "<p>一行目<br>\n二行目</p>"


def test_headings_tables_and_images_are_not_part_of_the_subset():
    html = render("# 見出し\n\n![図](https://example.lg.jp/a.png)")
    assert [tag for tag, _a in elements(html)] == ["p", "p", "a"]


def test_mentions_become_spans_with_the_username():
    people = {
        "100002": MentionTarget("100002", "佐藤 花子"),
        "佐藤花子": MentionTarget("100002", "佐藤 花子"),
    }
    html = render("@佐藤花子さん、@100002 確認を", people)
    assert html == (
        '<p><span class="mention" data-username="100002">@佐藤 花子</span>さん、'
        '<span class="mention" data-username="100002">@佐藤 花子</span> 確認を</p>'
    )


def test_unknown_mentions_and_mail_addresses_stay_text():
    assert render("@知らない人 と a@b.example") == "<p>@知らない人 と a@b.example</p>"


def test_mention_in_code_is_not_resolved():
    people = {"100002": MentionTarget("100002", "佐藤 花子")}
    assert render("`@100002`", people) == "<p><code>@100002</code></p>"


def test_relative_links_lose_their_target():
    assert "href" not in render("[x](/admin/)") + render("[x](//evil.example/)") + render(
        "[x](java%09script:a)"
    )


def test_empty_body_renders_empty():
    assert render("") == ""
