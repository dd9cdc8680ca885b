"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "safety.start": gettext_lazy("安否確認の開始"),
    "safety.proxy_answer": gettext_lazy("安否確認の代理回答"),
    "safety.remind": gettext_lazy("安否確認の督促"),
    "safety.close": gettext_lazy("安否確認の締切"),
    "safety.template_save": gettext_lazy("安否確認テンプレートの保存"),
    "safety.template_delete": gettext_lazy("安否確認テンプレートの削除"),
}

JOB_LABELS = {
    "kiban.safety.jobs.announce_check": gettext_lazy("安否確認の通知とメール送信"),
    "kiban.safety.jobs.remind_check": gettext_lazy("安否確認の未回答者への督促"),
    "kiban.safety.jobs.push_progress": gettext_lazy("安否確認の集計画面のリアルタイム更新"),
}
