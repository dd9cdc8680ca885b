"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

JOB_LABELS = {
    "kiban.blobs.jobs.sweep_blobs": gettext_lazy("期限切れのアップロードと使われていない保存データの削除"),
    "kiban.blobs.jobs.hash_blob": gettext_lazy("アップロードされたデータのハッシュ値（改ざん確認用）の記録"),
}
