"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "files.file.trash": gettext_lazy("ファイルをごみ箱へ"),
    "files.file.restore": gettext_lazy("ファイルを元に戻す"),
    "files.folder.trash": gettext_lazy("フォルダをごみ箱へ"),
    "files.folder.restore": gettext_lazy("フォルダを元に戻す"),
    "files.version.restore": gettext_lazy("ファイルの版を戻す"),
    "files.share": gettext_lazy("共有の設定"),
    "files.unshare": gettext_lazy("共有の解除"),
}

JOB_LABELS = {
    "kiban.files.jobs.purge_trash": gettext_lazy("ごみ箱の期限切れファイルの削除"),
}
