"""The application's error pages (403, 404, 500, CSRF failure): Japanese pages of the shell with the
navigation and a way back, instead of Django's bare English ones. API paths keep answering JSON
`{"detail": …}` as the contract says.

The 500 page renders from its template alone (no request context, no context processors): the error may be
the database or the session store itself, so nothing on that page may touch either."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

API_PREFIXES = ("/api/", "/scim/")


def _wants_json(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def _back_url(request) -> str | None:
    """The page the person came from, when it is on this site (never an open redirect)."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def _page(request, status: int, title: str, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    html = loader.render_to_string(
        "web/error.html",
        {"status": status, "error_title": title, "error_message": message, "back_url": _back_url(request)},
        request=request,
    )
    return HttpResponse(html, status=status)


def page_not_found(request, exception=None):
    return _page(
        request,
        404,
        _("ページが見つかりません"),
        _("お探しのページは存在しないか、移動または削除された可能性があります。URLをご確認ください。"),
    )


def permission_denied(request, exception=None):
    return _page(
        request,
        403,
        _("このページを表示する権限がありません"),
        _("必要な権限がない操作です。必要な場合は所属の管理者か情報システム課にお問い合わせください。"),
    )


def csrf_failure(request, reason: str = ""):
    return _page(
        request,
        403,
        _("フォームの有効期限が切れました"),
        _(
            "ページを開いてから時間がたったか、別の画面でログアウトしたため、送信を受け付けられませんでした。"
            "ページを再読み込みしてから、もう一度操作してください。"
        ),
    )


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": _("サーバーでエラーが発生しました。")}, status=500)
    # No request passed: no context processors, so neither the database nor the session is read.
    html = loader.get_template("web/500.html").render({})
    return HttpResponse(html, status=500)
