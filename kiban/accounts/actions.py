"""Writes about identity: sign-in, sessions, tokens, two-factor. Each records its audit entry.

Every sign-in path (web form, API token, later DAV Basic auth) goes through `authenticate_password` and,
for people with two-factor on, `check_second_factor`: both consult the shared rate limit first and count
their failures, so no path can be used to guess faster than another.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts import revocation, twofactor
from kiban.accounts.models import ApiToken, DeviceSession, RecoveryCode, Staff
from kiban.accounts.ratelimit import LoginBlocked, check_login_allowed, record_login_failure
from kiban.accounts.tokens import hash_token, new_token
from kiban.core.audit import client_ip, record


class LoginRefused(Exception):
    """Wrong credentials (or a wrong second-factor code). The message is safe to show."""


# --- Signing in ------------------------------------------------------------------------------------------


def _check_rate_limit(request, username: str, channel: str) -> None:
    ip = client_ip(request)
    try:
        check_login_allowed(username, ip)
    except LoginBlocked as blocked:
        record(
            "auth.rate_limited",
            actor_username=username[:150],
            request=request,
            username=username[:150],
            channel=channel,
            scope=blocked.scope,
            retry_after=blocked.retry_after,
        )
        raise


def _count_failure(request, username: str, channel: str, reason: str) -> None:
    record_login_failure(username, client_ip(request), channel)
    # For a failed sign-in the "actor" is the name that was tried: that is what an investigator searches.
    record(
        "auth.login_failed",
        actor_username=username[:150],
        request=request,
        username=username[:150],
        channel=channel,
        reason=reason,
    )


def authenticate_password(request, username: str, password: str, *, channel: str) -> Staff:
    """The person whose username and password these are, if active.

    Raises LoginBlocked (rate limited: nothing checked) or LoginRefused (a failure, counted)."""
    username = username.strip()
    _check_rate_limit(request, username, channel)
    # Django's ModelBackend refuses inactive (retired) staff and spends the same hashing time on unknown
    # usernames, so the answer does not reveal which usernames exist.
    user = auth.authenticate(request, username=username, password=password)
    if user is None:
        _count_failure(request, username, channel, "password")
        raise LoginRefused(_("職員番号またはパスワードが違います。"))
    return user


def check_second_factor(request, user: Staff, code: str, *, channel: str) -> None:
    """Accept a current TOTP code (each time step once) or an unused recovery code (once).

    Raises LoginBlocked or LoginRefused like `authenticate_password`."""
    _check_rate_limit(request, user.username, channel)
    now = timezone.now()
    step = twofactor.matching_step(user.totp_secret, code, now)
    if step is not None:
        # Conditional update: two requests racing with the same code cannot both pass.
        accepted = (
            Staff.objects.filter(pk=user.pk)
            .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
            .update(totp_last_step=step)
        )
        if accepted:
            return
        # A right code, already used (a second sign-in within its 30 seconds, or a replay): say so, or the
        # person retypes the same code and believes their phone is wrong. It still counts as a failure.
        _count_failure(request, user.username, channel, "otp")
        raise LoginRefused(
            _("この確認コードはすでに使われました。認証アプリに次のコードが表示されてから入力してください。")
        )
    elif twofactor.looks_like_recovery_code(code):
        for recovery in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
            if twofactor.recovery_code_matches(code, recovery.code_hash):
                used = RecoveryCode.objects.filter(pk=recovery.pk, used_at__isnull=True).update(used_at=now)
                if used:
                    remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
                    record(
                        "auth.recovery_code_used",
                        actor=user,
                        request=request,
                        channel=channel,
                        remaining=remaining,
                    )
                    return
                break
    _count_failure(request, user.username, channel, "otp")
    raise LoginRefused(_("確認コードが違います。"))


def do_login(request, user: Staff) -> None:
    """Start a browser session (a new session key, so a fixated one is useless) and audit it."""
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record("auth.login", actor=user, request=request, channel="web")
    touch_device_session(request, user, request.session.session_key, dt.timedelta(0), timezone.now())


def do_logout(request) -> None:
    user = request.user
    if user.is_authenticated:
        DeviceSession.objects.filter(session_key=request.session.session_key).delete()
        record("auth.logout", actor=user, request=request)
    auth.logout(request)
    if user.is_authenticated:
        revocation.announce([user.pk])  # the sockets this browser opened close now


# --- Password ----------------------------------------------------------------------------------------------


def do_change_password(request, user: Staff, current: str, new: str, *, revoke_tokens: bool = False) -> dict:
    """The person sets a new password, proving the current one; the password policy (Django's
    AUTH_PASSWORD_VALIDATORS) is checked. Raises ValidationError naming `current` or `new`; nothing is
    written then.

    Every other browser is signed out (a changed password is what someone does who fears it leaked); the
    browser making the change stays signed in. With `revoke_tokens` the person's API tokens are revoked too,
    except the one making this request. Returns what was ended: `{"sessions": n, "tokens": m}`. Audited as
    `auth.password_changed`, never with either password.

    A wrong current password counts as a failed sign-in (a borrowed, unlocked browser must not become a
    way to guess the password); raises LoginBlocked when the limit is reached."""
    _check_rate_limit(request, user.username, "password")
    if not user.check_password(current):
        _count_failure(request, user.username, "password", "password")
        raise ValidationError({"current": [_("現在のパスワードが違います。")]})
    if new == current:
        raise ValidationError({"new": [_("新しいパスワードが現在のパスワードと同じです。")]})
    try:
        validate_password(new, user)
    except ValidationError as error:
        raise ValidationError({"new": error.messages}) from error
    session = getattr(request, "session", None)
    current_key = (
        session.session_key if session is not None and user == getattr(request, "user", None) else None
    )
    current_token = getattr(request, "api_token", None)
    with transaction.atomic():
        locked = Staff.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new)
        locked.save(update_fields=["password"])
        user.password = locked.password
        # Django would refuse the other sessions anyway (their hash no longer matches); ending them also
        # removes their rows from the person's device list.
        ended = end_device_sessions(
            DeviceSession.objects.filter(user=user).exclude(session_key=current_key or "")
        )
        tokens = ApiToken.objects.filter(user=user)
        if current_token is not None:
            tokens = tokens.exclude(pk=current_token.pk)
        revoked = tokens.delete()[0] if revoke_tokens else 0
        record(
            "auth.password_changed",
            actor=user,
            target=user,
            request=request,
            sessions_ended=ended,
            tokens_revoked=revoked,
        )
    if current_key:
        # Keep this browser signed in: a new session key carrying the new password's hash.
        auth.update_session_auth_hash(request, user)
        DeviceSession.objects.filter(session_key=current_key).update(session_key=request.session.session_key)
    return {"sessions": ended, "tokens": revoked}


# --- Device sessions -------------------------------------------------------------------------------------


def touch_device_session(request, user, session_key: str, every: dt.timedelta, now: dt.datetime) -> None:
    """Keep the session's device row: created on first sight, `last_seen_at` refreshed at most every `every`."""
    if not session_key:
        return
    updated = DeviceSession.objects.filter(
        session_key=session_key, user=user, last_seen_at__lt=now - every
    ).update(last_seen_at=now, ip=client_ip(request))
    if updated or DeviceSession.objects.filter(session_key=session_key).exists():
        return
    try:
        # Two requests of a new session may race here; the unique session_key lets one win.
        with transaction.atomic():
            DeviceSession.objects.create(
                user=user,
                session_key=session_key,
                user_agent=request.headers.get("User-Agent", "")[:300],
                ip=client_ip(request),
                created_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        pass


def _delete_django_sessions(session_keys: list[str]) -> None:
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store_class(session_key=key).delete()


def access_device_session(user, session_id: int) -> DeviceSession:
    """The person's own device session; another person's is not found."""
    try:
        return DeviceSession.objects.get(pk=session_id, user=user)
    except DeviceSession.DoesNotExist as exc:
        raise Http404 from exc


def end_device_sessions(device_sessions) -> int:
    """Sign those browsers out: delete the Django sessions and their device rows."""
    rows = list(device_sessions)
    _delete_django_sessions([row.session_key for row in rows])
    DeviceSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    revocation.announce(row.user_id for row in rows)  # their open sockets close now
    return len(rows)


def do_revoke_device_session(user, session_id: int, request=None) -> DeviceSession:
    """Sign out one of the person's browsers (a lost phone). Another person's session → Http404."""
    device_session = access_device_session(user, session_id)
    end_device_sessions([device_session])
    record(
        "auth.session_revoked",
        actor=user,
        target=device_session,
        request=request,
        user_agent=device_session.user_agent,
        session_ip=device_session.ip,
    )
    return device_session


# --- Retirement -----------------------------------------------------------------------------------------


def do_retire_staff(staff_ids: list[int], *, at: dt.datetime, actor=None, actor_username: str = "") -> int:
    """Retire these people (the bulk variant for the HR import and any future writer: SCIM, the admin):
    `is_active` off and `retired_at` set in one UPDATE, every browser session and API token ended, one audit
    entry per person. Runs inside the caller's transaction (the import's); returns how many were retired."""
    if not staff_ids:
        return 0
    with transaction.atomic():
        retired = list(Staff.objects.filter(pk__in=staff_ids, is_active=True).values_list("pk", "username"))
        Staff.objects.filter(pk__in=[pk for pk, _u in retired]).update(is_active=False, retired_at=at)
        revoke_access([pk for pk, _u in retired])
        for pk, username in retired:
            record(
                "accounts.retired", actor=actor, actor_username=actor_username, target_type="accounts.staff",
                target_id=str(pk), target_repr=username,
            )  # fmt: skip
    return len(retired)


def revoke_access(staff_ids: list[int]) -> None:
    """Sign these people out everywhere: browser sessions (with their device records) and API tokens."""
    session_keys = list(
        DeviceSession.objects.filter(user_id__in=staff_ids).values_list("session_key", flat=True)
    )
    Session.objects.filter(session_key__in=session_keys).delete()
    DeviceSession.objects.filter(user_id__in=staff_ids).delete()
    ApiToken.objects.filter(user_id__in=staff_ids).delete()
    revocation.announce(staff_ids)  # their open sockets close now


# --- API tokens ----------------------------------------------------------------------------------------


def do_create_token(user, label: str, request=None, *, via: str = "web") -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is never retrievable again."""
    raw = new_token()
    label = label.strip()[:100]
    token = ApiToken.objects.create(
        user=user,
        label=label,
        token_hash=hash_token(raw),
        prefix=raw[:12],
        user_agent=request.headers.get("User-Agent", "")[:300] if request is not None else "",
    )
    record("auth.token_created", actor=user, target=token, request=request, label=label, via=via)
    return token, raw


def access_token(user, token_id: int) -> ApiToken:
    try:
        return ApiToken.objects.get(pk=token_id, user=user)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc


def do_revoke_token(user, token_id: int, request=None) -> None:
    """Delete one of the person's tokens. Another person's token → Http404."""
    token = access_token(user, token_id)
    record("auth.token_revoked", actor=user, target=token, request=request, label=token.label)
    token.delete()
    revocation.announce([user.pk])  # a socket opened with the token closes now


# --- Two-factor ------------------------------------------------------------------------------------------


def _replace_recovery_codes(user) -> list[str]:
    codes = twofactor.new_recovery_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=twofactor.hash_recovery_code(code)) for code in codes]
    )
    return codes


def do_enable_two_factor(request, user: Staff, secret: str, code: str) -> list[str]:
    """Turn TOTP on once the person proved their app has `secret` by typing its current code.

    Returns the ten recovery codes, to be shown once. Raises ValidationError naming `code`."""
    step = twofactor.matching_step(secret, code, timezone.now())
    if step is None:
        raise ValidationError(
            {"code": [_("確認コードが違います。認証アプリの6桁のコードを入力してください。")]}
        )
    with transaction.atomic():
        Staff.objects.filter(pk=user.pk).update(totp_secret=secret, totp_enabled=True, totp_last_step=step)
        codes = _replace_recovery_codes(user)
        record("auth.2fa_enabled", actor=user, target=user, request=request)
    user.totp_secret, user.totp_enabled, user.totp_last_step = secret, True, step
    return codes


def _require_password(user: Staff, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError({"password": [_("パスワードが違います。")]})


def do_disable_two_factor(request, user: Staff, password: str) -> None:
    """Turn TOTP off. The password is asked again so an unattended browser cannot do it."""
    _require_password(user, password)
    with transaction.atomic():
        Staff.objects.filter(pk=user.pk).update(totp_secret="", totp_enabled=False, totp_last_step=None)
        RecoveryCode.objects.filter(user=user).delete()
        record("auth.2fa_disabled", actor=user, target=user, request=request)
    user.totp_secret, user.totp_enabled, user.totp_last_step = "", False, None


def do_reset_two_factor(request, admin: Staff, people) -> int:
    """An IT administrator turns two-factor off for people who lost both their phone and their recovery
    codes, and signs them out everywhere: they sign in with their password and enrol again. Audited per
    person. Returns how many had it on."""
    reset = 0
    with transaction.atomic():
        for person in people.filter(totp_enabled=True):
            Staff.objects.filter(pk=person.pk).update(totp_secret="", totp_enabled=False, totp_last_step=None)
            RecoveryCode.objects.filter(user=person).delete()
            end_device_sessions(DeviceSession.objects.filter(user=person))
            record("admin.2fa_reset", actor=admin, target=person, request=request)
            reset += 1
    return reset


def do_regenerate_recovery_codes(request, user: Staff, password: str) -> list[str]:
    _require_password(user, password)
    if not user.totp_enabled:
        raise ValidationError({"password": [_("二要素認証が有効ではありません。")]})
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        record("auth.recovery_codes_regenerated", actor=user, target=user, request=request)
    return codes
