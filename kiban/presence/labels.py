"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "presence.set_for": gettext_lazy("在席状況の代理設定"),
    "presence.clear_for": gettext_lazy("在席状況の代理解除"),
    "presence.memo_taken": gettext_lazy("電話メモの作成"),
    "presence.memo_done": gettext_lazy("電話メモの対応済み"),
}

JOB_LABELS = {
    "kiban.presence.jobs.publish_presence_changes": gettext_lazy(
        "在席状況の変化（会議の開始・終了、退庁）の配信"
    ),
}
