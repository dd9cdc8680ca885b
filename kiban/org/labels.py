"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "org.demo.load": gettext_lazy("デモデータ読み込み"),
    "org.import.apply": gettext_lazy("職員・所属の取り込み"),
    "org.reshuffle.create": gettext_lazy("人事異動の登録"),
    "org.reshuffle.apply": gettext_lazy("人事異動の適用"),
    "org.reshuffle.cancel": gettext_lazy("人事異動の取り消し"),
    "org.reshuffle.fail": gettext_lazy("人事異動の適用失敗"),
    "org.department.create": gettext_lazy("所属の新設"),
    "org.department.update": gettext_lazy("所属の変更"),
    "org.department.move": gettext_lazy("所属の移動（上位所属の変更）"),
    "org.department.close": gettext_lazy("所属の廃止"),
    "org.membership.add": gettext_lazy("所属への配属"),
    "org.membership.update": gettext_lazy("所属での役職・本務・所属長の変更"),
    "org.membership.end": gettext_lazy("所属からの異動"),
}

JOB_LABELS = {
    "kiban.org.reshuffle.apply_due_reshuffles": gettext_lazy("発令日を迎えた人事異動の適用"),
}
