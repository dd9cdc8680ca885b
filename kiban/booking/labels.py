"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "booking.approve": gettext_lazy("予約の承認"),
    "booking.reject": gettext_lazy("予約の却下"),
    "booking.cancel": gettext_lazy("予約の取り消し"),
    "booking.self_approve": gettext_lazy("承認者本人の予約（自己承認）"),
    "booking.alcohol_check": gettext_lazy("アルコールチェック記録"),
    "booking.key_handover": gettext_lazy("公用車の鍵の受け渡し"),
    "booking.licence": gettext_lazy("運転免許の登録"),
}

JOB_LABELS = {
    "kiban.booking.jobs.prune_old_alcohol_checks": gettext_lazy(
        "保存期間（1年）を過ぎたアルコールチェック記録の削除"
    ),
}
