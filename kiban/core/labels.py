"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "mail.resend": gettext_lazy("メール再送"),
}

JOB_LABELS = {
    "kiban.core.jobs.queue_housekeeping": gettext_lazy("止まった処理の再実行と古い処理記録の整理"),
    "kiban.core.mail.deliver_email": gettext_lazy("メールの送信"),
    "kiban.core.mail.deliver_email_batch": gettext_lazy("メールの一括送信（大人数へのお知らせ）"),
}
