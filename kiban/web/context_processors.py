from __future__ import annotations

from kiban.web.sections import available_sections


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    sections = available_sections(user)
    current = ""
    for section, url in sections:
        if url != "/" and request.path.startswith(url):
            current = section.key
    if not current and request.path == "/":
        current = "portal"
    return {"nav_sections": sections, "nav_current": current}
