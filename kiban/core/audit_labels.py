"""What each audit action code means, in words an IT administrator reads on the audit log page.

Every code passed to `kiban.core.audit.record` has a label here (kiban/core/tests/test_audit_labels.py reads
the sources and fails on a code without one). Django-admin changes (`admin.<app>.<model>.<add|change|delete>`)
are labelled from the model's verbose name.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LABELS = {
    # Sign-in and accounts
    "auth.login": gettext_lazy("サインイン"),
    "auth.login_failed": gettext_lazy("サインイン失敗"),
    "auth.rate_limited": gettext_lazy("サインインの試行回数超過"),
    "auth.logout": gettext_lazy("サインアウト"),
    "auth.token_created": gettext_lazy("APIトークン発行"),
    "auth.token_revoked": gettext_lazy("APIトークン失効"),
    "auth.session_revoked": gettext_lazy("端末のサインアウト"),
    "auth.2fa_enabled": gettext_lazy("二要素認証を有効化"),
    "auth.2fa_disabled": gettext_lazy("二要素認証を無効化"),
    "auth.recovery_code_used": gettext_lazy("リカバリーコードでサインイン"),
    "auth.recovery_codes_regenerated": gettext_lazy("リカバリーコード再発行"),
    "admin.2fa_reset": gettext_lazy("二要素認証のリセット（管理者）"),
    "mail.resend": gettext_lazy("メール再送"),
    # Organisation
    "org.demo.load": gettext_lazy("デモデータ読み込み"),
    "org.import.apply": gettext_lazy("職員・所属の取り込み"),
    "org.reshuffle.create": gettext_lazy("人事異動の登録"),
    "org.reshuffle.apply": gettext_lazy("人事異動の適用"),
    "org.reshuffle.cancel": gettext_lazy("人事異動の取り消し"),
    "org.reshuffle.fail": gettext_lazy("人事異動の適用失敗"),
    # Calendar and booking
    "calendar.event_update": gettext_lazy("予定の変更"),
    "calendar.event_delete": gettext_lazy("予定の削除"),
    "calendar.feed_token": gettext_lazy("予定の配信URL発行"),
    "booking.approve": gettext_lazy("予約の承認"),
    "booking.reject": gettext_lazy("予約の却下"),
    "booking.cancel": gettext_lazy("予約の取り消し"),
    "booking.self_approve": gettext_lazy("承認者本人の予約（自己承認）"),
    "booking.alcohol_check": gettext_lazy("アルコールチェック記録"),
    "booking.key_handover": gettext_lazy("公用車の鍵の受け渡し"),
    "booking.licence": gettext_lazy("運転免許の登録"),
    # Chat
    "chat.conversation.archive": gettext_lazy("会話のアーカイブ"),
    "chat.conversation.unarchive": gettext_lazy("会話のアーカイブ解除"),
    "chat.member.remove": gettext_lazy("会話からメンバーを外す"),
    "chat.owner.passed": gettext_lazy("会話のオーナーの引き継ぎ"),
    "chat.message.delete": gettext_lazy("メッセージ削除"),
    "chat.team.sync_department": gettext_lazy("チームと所属の同期"),
    "chat.webhook.create": gettext_lazy("Webhook作成"),
    "chat.webhook.revoke": gettext_lazy("Webhook無効化"),
    # Files
    "files.file.trash": gettext_lazy("ファイルをごみ箱へ"),
    "files.file.restore": gettext_lazy("ファイルを元に戻す"),
    "files.folder.trash": gettext_lazy("フォルダをごみ箱へ"),
    "files.folder.restore": gettext_lazy("フォルダを元に戻す"),
    "files.version.restore": gettext_lazy("ファイルの版を戻す"),
    "files.share": gettext_lazy("共有の設定"),
    "files.unshare": gettext_lazy("共有の解除"),
    # Surveys and inquiries
    "surveys.create": gettext_lazy("アンケート作成"),
    "surveys.close": gettext_lazy("アンケート締め切り"),
    "surveys.remind": gettext_lazy("アンケートの督促"),
    # Presence and phone memos
    "presence.set_for": gettext_lazy("在席状況の代理設定"),
    "presence.clear_for": gettext_lazy("在席状況の代理解除"),
    "presence.memo_taken": gettext_lazy("電話メモの作成"),
    "presence.memo_done": gettext_lazy("電話メモの対応済み"),
    "inquiries.send": gettext_lazy("照会の送付"),
    "inquiries.answer": gettext_lazy("照会への回答"),
    "inquiries.return": gettext_lazy("照会の差し戻し"),
    "inquiries.remind": gettext_lazy("照会の督促"),
    # Safety confirmation
    "safety.start": gettext_lazy("安否確認の開始"),
    "safety.proxy_answer": gettext_lazy("安否確認の代理回答"),
    "safety.remind": gettext_lazy("安否確認の督促"),
    "safety.close": gettext_lazy("安否確認の締切"),
    "safety.template_save": gettext_lazy("安否確認テンプレートの保存"),
    "safety.template_delete": gettext_lazy("安否確認テンプレートの削除"),
    # Bulletin board
    "bulletin.category.create": gettext_lazy("掲示板のカテゴリ作成"),
    "bulletin.category.update": gettext_lazy("掲示板のカテゴリ変更"),
    "bulletin.category.delete": gettext_lazy("掲示板のカテゴリ削除"),
    "bulletin.post.create": gettext_lazy("掲示の投稿"),
    "bulletin.post.edit": gettext_lazy("掲示の編集"),
    "bulletin.post.delete": gettext_lazy("掲示の削除"),
    "bulletin.post.remind": gettext_lazy("掲示の未読者への督促"),
    # Meetings
    "accounts.retired": gettext_lazy("職員の退職処理"),
    "auth.password_changed": gettext_lazy("パスワードの変更"),
    "calendar.import": gettext_lazy("予定の取り込み（iCalendar）"),
    "chat.webhook.renew": gettext_lazy("Webhookの再開"),
    "meetings.create": gettext_lazy("オンライン会議の作成"),
    "meetings.join": gettext_lazy("オンライン会議への参加"),
    "meetings.guest_link": gettext_lazy("会議のゲスト用リンク発行"),
    "meetings.guest_admit": gettext_lazy("会議のゲストを入室許可"),
    "meetings.guest_refuse": gettext_lazy("会議のゲストを入室拒否"),
}

_ADMIN_OPERATIONS = {
    "add": gettext_lazy("管理画面: %(model)sの追加"),
    "change": gettext_lazy("管理画面: %(model)sの変更"),
    "delete": gettext_lazy("管理画面: %(model)sの削除"),
}


def action_label(code: str) -> str:
    """The words for `code`; the code itself when it has none (an entry written by an older version)."""
    if code in LABELS:
        return str(LABELS[code])
    parts = code.split(".")
    if len(parts) == 4 and parts[0] == "admin" and parts[3] in _ADMIN_OPERATIONS:
        try:
            model = apps.get_model(parts[1], parts[2])
        except LookupError:
            name = f"{parts[1]}.{parts[2]}"
        else:
            name = str(model._meta.verbose_name)
        return str(_ADMIN_OPERATIONS[parts[3]]) % {"model": name}
    if code == "admin.*":
        return _("管理画面での変更（すべて）")
    return code
