"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "bulletin.category.create": gettext_lazy("掲示板のカテゴリ作成"),
    "bulletin.category.update": gettext_lazy("掲示板のカテゴリ変更"),
    "bulletin.category.delete": gettext_lazy("掲示板のカテゴリ削除"),
    "bulletin.post.create": gettext_lazy("掲示の投稿"),
    "bulletin.post.edit": gettext_lazy("掲示の編集"),
    "bulletin.post.delete": gettext_lazy("掲示の削除"),
    "bulletin.post.remind": gettext_lazy("掲示の未読者への督促"),
}

JOB_LABELS = {
    "kiban.bulletin.jobs.publish_post": gettext_lazy("予約された掲示の掲載と通知"),
    "kiban.bulletin.jobs.publish_due_posts": gettext_lazy(
        "掲載時刻を過ぎた掲示の掲載と通知（停止中の分を含む）"
    ),
    "kiban.bulletin.jobs.prune_unbound_attachments": gettext_lazy("投稿されなかった掲示の添付ファイルの削除"),
}
