"""Forms of the sign-in and security pages (parsing only; the writes are actions)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kiban.accounts.queries import AUDIT_ACTIONS
from kiban.core.audit_labels import action_label


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("職員番号"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=64,
        help_text=_("認証アプリの6桁のコード、またはリカバリーコード"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class ConfirmTotpForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("パスワード"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewTokenForm(forms.Form):
    label = forms.CharField(label=_("ラベル(例: iPhone カレンダー)"), max_length=100, required=False)


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=_("職員番号"), max_length=150, required=False)
    action = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=lambda: [("", _("すべて"))] + [(a, action_label(a)) for a in AUDIT_ACTIONS],
    )
    date_from = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ip = forms.GenericIPAddressField(label=_("アドレス"), required=False)


class PasswordChangeForm(forms.Form):
    current = forms.CharField(
        label=_("現在のパスワード"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        label=_("新しいパスワード"),
        max_length=4096,
        strip=False,
        help_text=_("10文字以上。よく使われるパスワードは使えません。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_again = forms.CharField(
        label=_("新しいパスワード(確認)"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    revoke_tokens = forms.BooleanField(
        label=_("APIトークン(スマートフォンのカレンダーなど)もすべて無効にする"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("new")
            and cleaned.get("new_again") is not None
            and cleaned["new"] != cleaned["new_again"]
        ):
            self.add_error("new_again", _("確認のパスワードが一致しません。"))
        return cleaned
