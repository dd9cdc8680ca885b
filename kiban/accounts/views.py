"""Pages: sign-in (with the two-factor step), sign-out, two-factor settings, sessions and tokens,
and the audit log viewer for IT administrators. Views parse input, call actions, render."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kiban.accounts import actions, queries, twofactor
from kiban.accounts.devices import describe_user_agent
from kiban.accounts.forms import (
    AuditFilterForm,
    ConfirmTotpForm,
    LoginForm,
    NewTokenForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    SecondFactorForm,
)
from kiban.accounts.models import SecurityPolicy, Staff
from kiban.accounts.ratelimit import LoginBlocked, wait_in_words
from kiban.core.permissions import is_it_admin

PENDING_2FA = "kiban_2fa_pending"
ENROL_SECRET = "kiban_2fa_enrol_secret"  # noqa: S105  (a session key name, not a secret)
# The password step is remembered this long while the person finds their phone.
PENDING_2FA_TTL = dt.timedelta(minutes=5)


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


def _blocked_page(request, template: str, context: dict, blocked: LoginBlocked) -> HttpResponse:
    context["blocked_message"] = _(
        "ログインの失敗が続いたため、一時的にログインできません。%(wait)s後にもう一度お試しください。"
        "急ぐ場合やパスワードを忘れた場合は、%(contact)sに連絡してください。"
    ) % {
        "wait": wait_in_words(blocked.retry_after),
        "contact": SecurityPolicy.current().lockout_contact_text(),
    }
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(blocked.retry_after)
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.authenticate_password(
                request, form.cleaned_data["username"], form.cleaned_data["password"], channel="web"
            )
        except LoginBlocked as blocked:
            return _blocked_page(request, "accounts/login.html", context, blocked)
        except actions.LoginRefused as refused:
            form.add_error(None, str(refused))
            return render(request, "accounts/login.html", context)
        if user.totp_enabled:
            request.session[PENDING_2FA] = {
                "user_id": user.pk,
                "started": timezone.now().isoformat(),
                "next": next_url,
            }
            return redirect("accounts:login_two_factor")
        actions.do_login(request, user)
        return redirect(next_url)
    return render(request, "accounts/login.html", context)


def _pending_user(request) -> tuple[Staff | None, str]:
    pending = request.session.get(PENDING_2FA)
    if not pending:
        return None, settings.LOGIN_REDIRECT_URL
    started = dt.datetime.fromisoformat(pending["started"])
    user = Staff.objects.filter(pk=pending["user_id"], is_active=True, totp_enabled=True).first()
    if user is None or timezone.now() - started > PENDING_2FA_TTL:
        request.session.pop(PENDING_2FA, None)
        return None, settings.LOGIN_REDIRECT_URL
    return user, pending["next"]


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_two_factor(request):
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("もう一度ログインしてください。"))
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            actions.check_second_factor(request, user, form.cleaned_data["code"], channel="web")
        except LoginBlocked as blocked:
            return _blocked_page(request, "accounts/login_two_factor.html", context, blocked)
        except actions.LoginRefused as refused:
            form.add_error("code", str(refused))
            return render(request, "accounts/login_two_factor.html", context)
        request.session.pop(PENDING_2FA, None)
        actions.do_login(request, user)
        return redirect(next_url)
    return render(request, "accounts/login_two_factor.html", context)


@require_POST
@csrf_protect
def logout_view(request):
    actions.do_logout(request)
    return redirect("accounts:login")


# --- Two-factor settings ----------------------------------------------------------------------------------


@sensitive_post_parameters("password", "code")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request):
    user = request.user
    op = request.POST.get("op", "")
    context: dict = {"enabled": user.totp_enabled}
    if user.totp_enabled:
        form = PasswordConfirmForm(request.POST if op in {"disable", "regenerate"} else None)
        context["password_form"] = form
        if request.method == "POST" and form.is_valid():
            try:
                if op == "disable":
                    actions.do_disable_two_factor(request, user, form.cleaned_data["password"])
                    messages.success(request, _("二要素認証を無効にしました。"))
                    return redirect("accounts:two_factor")
                context["recovery_codes"] = actions.do_regenerate_recovery_codes(
                    request, user, form.cleaned_data["password"]
                )
            except ValidationError as error:
                form.add_error("password", error.message_dict["password"])
        context["remaining_codes"] = user.recovery_codes.filter(used_at__isnull=True).count()
        return render(request, "accounts/two_factor.html", context)

    secret = request.session.get(ENROL_SECRET) or twofactor.new_secret()
    request.session[ENROL_SECRET] = secret
    form = ConfirmTotpForm(request.POST if op == "enable" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.do_enable_two_factor(request, user, secret, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error.message_dict["code"])
        else:
            request.session.pop(ENROL_SECRET, None)
            # Shown once, in this response only (the page is served no-store).
            return render(
                request,
                "accounts/two_factor.html",
                {"enabled": True, "recovery_codes": codes, "just_enabled": True},
            )
    uri = twofactor.provisioning_uri(secret, user.username)
    context.update({"confirm_form": form, "secret": secret, "qr_data_uri": twofactor.qr_data_uri(uri)})
    return render(request, "accounts/two_factor.html", context)


# --- Password ------------------------------------------------------------------------------------------------


@sensitive_post_parameters("current", "new", "new_again")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def change_password(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ended = actions.do_change_password(
                request, request.user, data["current"], data["new"], revoke_tokens=data["revoke_tokens"]
            )
        except LoginBlocked as blocked:
            return _blocked_page(request, "accounts/password.html", {"form": form}, blocked)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field, errors)
        else:
            messages.success(
                request,
                _("パスワードを変更しました。ほかの端末%(sessions)d台をログアウトさせました。")
                % {"sessions": ended["sessions"]},
            )
            return redirect("accounts:security")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/password.html", {"form": form}, status=status)


# --- Sessions and tokens ------------------------------------------------------------------------------------


def _security_context(request) -> dict:
    current_key = request.session.session_key
    sessions = [
        {"row": s, "device": describe_user_agent(s.user_agent), "current": s.session_key == current_key}
        for s in queries.live_device_sessions(request.user)
    ]
    return {"sessions": sessions, "tokens": queries.tokens_of(request.user), "token_form": NewTokenForm()}


@login_required
@never_cache
def security(request):
    return render(request, "accounts/security.html", _security_context(request))


@login_required
@never_cache
@require_POST
def create_token(request):
    form = NewTokenForm(request.POST)
    if not form.is_valid():
        context = _security_context(request)
        context["token_form"] = form
        return render(request, "accounts/security.html", context, status=400)
    token, raw = actions.do_create_token(request.user, form.cleaned_data["label"], request, via="web")
    context = _security_context(request)
    context.update({"new_token": raw, "new_token_row": token})
    return render(request, "accounts/security.html", context, status=201)


@login_required
@require_POST
def revoke_token(request, token_id: int):
    actions.do_revoke_token(request.user, token_id, request)
    messages.success(request, _("トークンを無効にしました。"))
    return redirect("accounts:security")


@login_required
@require_POST
def revoke_session(request, session_id: int):
    device_session = actions.do_revoke_device_session(request.user, session_id, request)
    if device_session.session_key == request.session.session_key:
        return redirect("accounts:login")
    messages.success(request, _("端末をログアウトさせました。"))
    return redirect("accounts:security")


# --- Audit log (IT administrators) -------------------------------------------------------------------------


@login_required
@never_cache
def audit(request):
    if not is_it_admin(request.user):
        raise PermissionDenied  # 403 here (the audit viewer announced itself before the shared rule)
    form = AuditFilterForm(request.GET or None)
    audit_filter = queries.AuditFilter()
    if form.is_bound and form.is_valid():
        audit_filter = queries.AuditFilter(**form.cleaned_data)
    entries = queries.audit_entries(audit_filter)
    page = Paginator(entries, queries.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit.html",
        {
            "form": form,
            "page": page,
            "rows": queries.audit_rows(page.object_list),
            "query": query.urlencode(),
            "admin_url": reverse("admin:index"),
        },
    )
