"""Identity: the staff member (職員) as the user model, and what authenticates them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiban.accounts import revocation
from kiban.core.text import canonical_romaji, normalize, normalize_for_search, reading_sort_key

# The fields `Staff.refresh_search_fields` computes: a bulk_update after it must write them all.
SEARCH_FIELDS = ("sort_key", "search_text", "name_key", "kana_key", "romaji_key", "romaji_reverse_key")


def name_keys(family: str, given: str, family_kana: str, given_kana: str, romaji: str) -> tuple[str, ...]:
    """A whole name (family and given: a family name alone is in too many harmless words) in kanji, in kana
    and in romaji in both orders, each normalised (`kiban.core.text.normalize`) without spaces; "" where a
    form is missing."""

    def compact(text: str) -> str:
        return normalize(text).replace(" ", "")[:130]

    words = romaji.split()
    return (
        compact(family + given) if family and given else "",
        compact(family_kana + given_kana) if family_kana and given_kana else "",
        compact("".join(words)) if len(words) >= 2 else "",
        compact("".join(reversed(words))) if len(words) >= 2 else "",
    )


class StaffManager(BaseUserManager["Staff"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields) -> Staff:
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save()
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields) -> Staff:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(username, password, **fields)


class Staff(AbstractBaseUser, PermissionsMixin):
    """A member of staff. `username` is the 職員番号. Retired staff are deactivated, never deleted."""

    username = models.CharField(_("職員番号"), max_length=32, unique=True)
    family_name = models.CharField(_("氏"), max_length=64, blank=True)
    given_name = models.CharField(_("名"), max_length=64, blank=True)
    family_name_kana = models.CharField(_("氏カナ"), max_length=64, blank=True)
    given_name_kana = models.CharField(_("名カナ"), max_length=64, blank=True)
    romaji = models.CharField(_("ローマ字"), max_length=128, blank=True)
    email = models.EmailField(_("メール"), blank=True)
    extension = models.CharField(_("内線"), max_length=32, blank=True)
    mobile = models.CharField(_("携帯"), max_length=32, blank=True)
    title = models.CharField(_("役職"), max_length=64, blank=True)
    is_active = models.BooleanField(_("在職"), default=True)
    is_staff = models.BooleanField(
        _("IT管理者"), default=False, help_text=_("管理画面と監査ログを使えます。")
    )
    retired_at = models.DateTimeField(_("退職日時"), null=True, blank=True)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    # 五十音 order: the katakana reading, normalised; every list of people sorts by it.
    sort_key = models.CharField(max_length=160, blank=True, db_index=True, editable=False)
    # Everything a directory search may match, normalised once on save (kiban.core.text).
    search_text = models.TextField(blank=True, editable=False)
    # A whole name in each written form, normalised and without spaces (`name_keys`): a bot's name is checked
    # against them with one indexed query (kiban.chat.actions.webhooks).
    name_key = models.CharField(max_length=130, blank=True, db_index=True, editable=False)
    kana_key = models.CharField(max_length=130, blank=True, db_index=True, editable=False)
    romaji_key = models.CharField(max_length=130, blank=True, db_index=True, editable=False)
    romaji_reverse_key = models.CharField(max_length=130, blank=True, db_index=True, editable=False)
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_enabled = models.BooleanField(_("二要素認証"), default=False)
    # The TOTP time step last accepted: a code is good for one sign-in only, so a code seen over a
    # shoulder or replayed from a log cannot be used again within its 90-second window.
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = StaffManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("職員")
        verbose_name_plural = _("職員")
        ordering = ["sort_key", "username"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.family_name or self.username

    def refresh_search_fields(self) -> None:
        (self.name_key, self.kana_key, self.romaji_key, self.romaji_reverse_key) = name_keys(
            self.family_name, self.given_name, self.family_name_kana, self.given_name_kana, self.romaji
        )
        self.sort_key = reading_sort_key(self.family_name_kana, self.given_name_kana, self.username)
        self.search_text = normalize_for_search(
            " ".join(
                [
                    self.family_name + self.given_name,
                    self.family_name_kana + self.given_name_kana,
                    self.family_name_kana,
                    self.given_name_kana,
                    self.romaji.replace(" ", ""),
                    self.romaji,
                    # Any romanisation a searcher types (Satou, Takahasi, Oono) is canonicalised the same way.
                    canonical_romaji(self.romaji).replace(" ", ""),
                    canonical_romaji(self.romaji),
                    self.username,
                    self.extension,
                    self.email,
                    self.mobile.replace("-", ""),
                ]
            )
        )

    def save(self, *args, **kwargs) -> None:
        self.refresh_search_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *SEARCH_FIELDS}
        super().save(*args, **kwargs)
        if not self.is_active:
            # Retired (admin, SCIM, the HR import): their open sockets close now, not at the next check.
            revocation.announce([self.pk])


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once at creation."""

    user = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(_("ラベル"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.label or self.prefix}"


class DeviceSession(models.Model):
    """One browser sign-in (a Django session) with the device it came from, so it can be revoked."""

    user = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="device_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ログイン中の端末")
        verbose_name_plural = _("ログイン中の端末")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.user_agent[:40]}"


class RecoveryCode(models.Model):
    """Single-use two-factor recovery code, stored hashed like a password."""

    user = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=200)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class LoginFailure(models.Model):
    """A failed sign-in, counted per account and per address to rate-limit guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=16, default="web")

    class Meta:
        verbose_name = _("ログイン失敗")
        verbose_name_plural = _("ログイン失敗")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.ip}"


class SecurityPolicy(models.Model):
    """Sign-in limits an IT administrator can change (one row)."""

    account_max_failures = models.PositiveIntegerField(_("アカウントあたりの失敗回数上限"), default=5)
    account_window_minutes = models.PositiveIntegerField(_("アカウントの集計期間(分)"), default=30)
    address_max_failures = models.PositiveIntegerField(_("アドレスあたりの失敗回数上限"), default=50)
    address_window_minutes = models.PositiveIntegerField(_("アドレスの集計期間(分)"), default=10)
    lockout_contact = models.CharField(
        _("ロックされたときの連絡先"),
        max_length=200,
        blank=True,
        help_text=_(
            "ログインできなくなった人に示す連絡先(例: 情報政策課 内線2345)。空欄なら「情報政策課(IT管理者)」。"
        ),
    )

    class Meta:
        verbose_name = _("セキュリティポリシー")
        verbose_name_plural = _("セキュリティポリシー")

    def __str__(self) -> str:
        return str(_("セキュリティポリシー"))

    def lockout_contact_text(self) -> str:
        return self.lockout_contact.strip() or str(_("情報政策課(IT管理者)"))

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls()
