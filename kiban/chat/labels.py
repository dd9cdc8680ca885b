"""What this module's audit codes and background jobs mean, in the words an IT administrator reads on the
audit log and the jobs page. Found by convention (`kiban.core.audit_labels`, `kiban.core.job_labels`): every
code passed to `audit.record`/`record_many` and every `@job` of the module has its words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

AUDIT_LABELS = {
    "chat.conversation.archive": gettext_lazy("会話のアーカイブ"),
    "chat.conversation.unarchive": gettext_lazy("会話のアーカイブ解除"),
    "chat.member.remove": gettext_lazy("会話からメンバーを外す"),
    "chat.message.delete": gettext_lazy("メッセージ削除"),
    "chat.team.sync_department": gettext_lazy("チームと所属の同期"),
    "chat.webhook.create": gettext_lazy("Webhook作成"),
    "chat.webhook.revoke": gettext_lazy("Webhook無効化"),
    "chat.webhook.renew": gettext_lazy("Webhookの再開"),
    "chat.owner.passed": gettext_lazy("会話のオーナーの引き継ぎ"),
}

JOB_LABELS = {
    "kiban.chat.jobs.store_wide_mentions": gettext_lazy(
        "大人数のチャンネルへの＠チャンネル投稿のメンション記録"
    ),
    "kiban.chat.jobs.prune_orphan_uploads": gettext_lazy("投稿されなかったチャット添付ファイルの削除"),
    "kiban.chat.jobs.fan_out_wide_post": gettext_lazy(
        "大人数のチャンネルへの＠チャンネル・＠ここ投稿のメンション記録とお知らせ"
    ),
    "kiban.chat.jobs.pass_on_retired_ownership": gettext_lazy("退職したオーナーの会話の引き継ぎ"),
}
