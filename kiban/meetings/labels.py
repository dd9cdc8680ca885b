"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "meetings.create": gettext_lazy("オンライン会議の作成"),
    "meetings.join": gettext_lazy("オンライン会議への参加"),
    "meetings.guest_link": gettext_lazy("会議のゲスト用リンク発行"),
    "meetings.guest_admit": gettext_lazy("会議のゲストを入室許可"),
    "meetings.guest_refuse": gettext_lazy("会議のゲストを入室拒否"),
}

JOB_LABELS = {
    "kiban.meetings.jobs.sweep_stale_participants": gettext_lazy("接続が切れたWeb会議参加者の退出処理"),
}
