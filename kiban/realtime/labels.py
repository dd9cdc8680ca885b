"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

JOB_LABELS = {
    "kiban.realtime.jobs.fan_out_events": gettext_lazy("大人数へのリアルタイム配信の受信者記録"),
    "kiban.realtime.jobs.resume_fan_out": gettext_lazy("中断した大人数へのリアルタイム配信の再開"),
    "kiban.realtime.jobs.prune_realtime_events": gettext_lazy("古いリアルタイム配信記録の削除"),
}
