"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

JOB_LABELS = {
    "kiban.notifications.jobs.create_notifications": gettext_lazy("大人数へのお知らせの作成"),
    "kiban.notifications.jobs.send_email_digests": gettext_lazy("未読のお知らせのメール通知（まとめ）"),
}
