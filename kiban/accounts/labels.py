"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "auth.login": gettext_lazy("サインイン"),
    "auth.login_failed": gettext_lazy("サインイン失敗"),
    "auth.rate_limited": gettext_lazy("サインインの試行回数超過"),
    "auth.logout": gettext_lazy("サインアウト"),
    "auth.token_created": gettext_lazy("APIトークン発行"),
    "auth.token_revoked": gettext_lazy("APIトークン失効"),
    "auth.session_revoked": gettext_lazy("端末のサインアウト"),
    "auth.2fa_enabled": gettext_lazy("二要素認証を有効化"),
    "auth.2fa_disabled": gettext_lazy("二要素認証を無効化"),
    "auth.recovery_code_used": gettext_lazy("リカバリーコードでサインイン"),
    "auth.recovery_codes_regenerated": gettext_lazy("リカバリーコード再発行"),
    "admin.2fa_reset": gettext_lazy("二要素認証のリセット（管理者）"),
    "accounts.retired": gettext_lazy("職員の退職処理"),
    "auth.password_changed": gettext_lazy("パスワードの変更"),
}

JOB_LABELS = {
    "kiban.accounts.jobs.prune_security_records": gettext_lazy(
        "古いログイン失敗記録と保存期間を過ぎた監査ログの削除"
    ),
}
