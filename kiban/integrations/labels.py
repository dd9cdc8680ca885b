"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "integrations.system_register": gettext_lazy("外部システムの登録"),
    "integrations.system_update": gettext_lazy("外部システムの変更"),
    "integrations.system_delete": gettext_lazy("外部システムの削除"),
    "integrations.token_rotate": gettext_lazy("連携トークンの再発行"),
    "integrations.approval_counts": gettext_lazy("決裁件数の受信"),
}
