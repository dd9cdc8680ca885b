"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "surveys.create": gettext_lazy("アンケート作成"),
    "surveys.close": gettext_lazy("アンケート締め切り"),
    "surveys.remind": gettext_lazy("アンケートの督促"),
    "inquiries.send": gettext_lazy("照会の送付"),
    "inquiries.answer": gettext_lazy("照会への回答"),
    "inquiries.return": gettext_lazy("照会の差し戻し"),
    "inquiries.remind": gettext_lazy("照会の督促"),
}

JOB_LABELS = {
    "kiban.surveys.jobs.announce_survey": gettext_lazy("アンケートの案内の送信"),
    "kiban.surveys.jobs.remind_survey": gettext_lazy("アンケートの督促の送信"),
    "kiban.surveys.jobs.announce_inquiry": gettext_lazy("照会の案内の送信"),
    "kiban.surveys.jobs.remind_before_deadlines": gettext_lazy("締切前日の未回答者へのお知らせ"),
    "kiban.surveys.jobs.prune_unbound_inquiry_files": gettext_lazy("送られなかった照会の添付ファイルの削除"),
}
