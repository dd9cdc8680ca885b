"""Words for this module's audit codes, added to `kiban.core.audit_labels.LABELS` when the app is ready
(so the label and its English live in this app, and core stays unaware of it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

LABELS = {
    "integrations.system_register": gettext_lazy("外部システムの登録"),
    "integrations.system_update": gettext_lazy("外部システムの変更"),
    "integrations.system_delete": gettext_lazy("外部システムの削除"),
    "integrations.token_rotate": gettext_lazy("連携トークンの再発行"),
    "integrations.approval_counts": gettext_lazy("決裁件数の受信"),
}
