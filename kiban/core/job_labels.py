"""What each background job does, in words an IT administrator reads on the jobs page (/manage/jobs),
keyed by the job's Python path. kiban/core/tests/test_job_labels.py finds every `@job` in the sources and
fails on one without words here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

LABELS = {
    "kiban.accounts.jobs.prune_security_records": gettext_lazy(
        "古いログイン失敗記録と保存期間を過ぎた監査ログの削除"
    ),
    "kiban.blobs.jobs.sweep_blobs": gettext_lazy("期限切れのアップロードと使われていない保存データの削除"),
    "kiban.blobs.jobs.hash_blob": gettext_lazy("アップロードされたデータのハッシュ値（改ざん確認用）の記録"),
    "kiban.booking.jobs.prune_old_alcohol_checks": gettext_lazy(
        "保存期間（1年）を過ぎたアルコールチェック記録の削除"
    ),
    "kiban.calendar.jobs.send_due_reminders": gettext_lazy("予定のリマインダー通知"),
    "kiban.chat.jobs.store_wide_mentions": gettext_lazy(
        "大人数のチャンネルへの＠チャンネル投稿のメンション記録"
    ),
    "kiban.chat.jobs.fan_out_wide_post": gettext_lazy(
        "大人数のチャンネルへの＠チャンネル・＠ここ投稿のメンション記録とお知らせ"
    ),
    "kiban.notifications.jobs.create_notifications": gettext_lazy("大人数へのお知らせの作成"),
    "kiban.realtime.jobs.fan_out_events": gettext_lazy("大人数へのリアルタイム配信の受信者記録"),
    "kiban.realtime.jobs.resume_fan_out": gettext_lazy("中断した大人数へのリアルタイム配信の再開"),
    "kiban.chat.jobs.prune_orphan_uploads": gettext_lazy("投稿されなかったチャット添付ファイルの削除"),
    "kiban.safety.jobs.announce_check": gettext_lazy("安否確認の通知とメール送信"),
    "kiban.safety.jobs.remind_check": gettext_lazy("安否確認の未回答者への督促"),
    "kiban.safety.jobs.push_progress": gettext_lazy("安否確認の集計画面のリアルタイム更新"),
    "kiban.chat.jobs.pass_on_retired_ownership": gettext_lazy("退職したオーナーの会話の引き継ぎ"),
    "kiban.core.jobs.queue_housekeeping": gettext_lazy("止まった処理の再実行と古い処理記録の整理"),
    "kiban.core.mail.deliver_email": gettext_lazy("メールの送信"),
    "kiban.core.mail.deliver_email_batch": gettext_lazy("メールの一括送信（大人数へのお知らせ）"),
    "kiban.bulletin.jobs.publish_post": gettext_lazy("予約された掲示の掲載と通知"),
    "kiban.bulletin.jobs.publish_due_posts": gettext_lazy(
        "掲載時刻を過ぎた掲示の掲載と通知（停止中の分を含む）"
    ),
    "kiban.bulletin.jobs.prune_unbound_attachments": gettext_lazy("投稿されなかった掲示の添付ファイルの削除"),
    "kiban.files.jobs.purge_trash": gettext_lazy("ごみ箱の期限切れファイルの削除"),
    "kiban.meetings.jobs.sweep_stale_participants": gettext_lazy("接続が切れたWeb会議参加者の退出処理"),
    "kiban.notifications.jobs.send_email_digests": gettext_lazy("未読のお知らせのメール通知（まとめ）"),
    "kiban.org.reshuffle.apply_due_reshuffles": gettext_lazy("発令日を迎えた人事異動の適用"),
    "kiban.realtime.jobs.prune_realtime_events": gettext_lazy("古いリアルタイム配信記録の削除"),
    "kiban.surveys.jobs.announce_survey": gettext_lazy("アンケートの案内の送信"),
    "kiban.surveys.jobs.remind_survey": gettext_lazy("アンケートの督促の送信"),
    "kiban.surveys.jobs.announce_inquiry": gettext_lazy("照会の案内の送信"),
    "kiban.surveys.jobs.remind_before_deadlines": gettext_lazy("締切前日の未回答者へのお知らせ"),
    "kiban.surveys.jobs.prune_unbound_inquiry_files": gettext_lazy("送られなかった照会の添付ファイルの削除"),
    "kiban.presence.jobs.publish_presence_changes": gettext_lazy(
        "在席状況の変化（会議の開始・終了、退庁）の配信"
    ),
}


def job_label(task_path: str, default: str | None = None) -> str:
    """The words for a job; without any (a job of an older version still queued): `default`, or the path."""
    label = LABELS.get(task_path)
    if label:
        return str(label)
    return task_path if default is None else default
