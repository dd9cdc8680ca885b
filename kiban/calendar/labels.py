"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "calendar.event_update": gettext_lazy("予定の変更"),
    "calendar.event_delete": gettext_lazy("予定の削除"),
    "calendar.feed_token": gettext_lazy("予定の配信URL発行"),
    "calendar.import": gettext_lazy("予定の取り込み（iCalendar）"),
}

JOB_LABELS = {
    "kiban.calendar.jobs.send_due_reminders": gettext_lazy("予定のリマインダー通知"),
}
