"""Chat in a real browser against the real ASGI application (uvicorn: HTTP and the /ws WebSocket on one
port, as `kiban serve` runs it): two people chat live, a corpus of XSS payloads stays inert, and with the
WebSocket blocked new messages still arrive by polling."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kiban.accounts.tests.factories import PASSWORD
from tests.browser.conftest import PHONE, CspWatcher
from tests.browser.helpers import sign_in

PC = {"width": 1280, "height": 800}
# Live delivery is quick, but the test machine is shared: give assertions room before calling it lost.
expect.set_options(timeout=10_000)


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[str]:
    """uvicorn serving kiban.asgi in a thread, on the test database (committed data: transactional_db).
    pytest-django's live_server is WSGI and has no WebSocket."""
    import uvicorn

    from kiban.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(application, log_level="warning", lifespan="off", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def _page(browser, base_url: str, viewport: dict, *, phone: bool = False):
    context = browser.new_context(viewport=viewport, locale="ja-JP", has_touch=phone, base_url=base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    return page


def _until(condition, timeout: float = 10.0) -> None:
    """Wait for something the browser does in the background (a read mark) to reach the database."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def _wait_ready(page) -> None:
    page.wait_for_selector('[data-chat][data-ready="1"]')


def _bodies(page, selector: str = ".chat-pane .messages .msg-body") -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def _send(page, text: str) -> None:
    box = page.locator(".chat-pane form.composer textarea")
    box.fill(text)
    box.press("Enter")


def test_two_people_chat_live_on_pc_and_phone(browser, asgi_server, clerk, section_head):
    from kiban.chat.models import Member

    ann = _page(browser, asgi_server, PC)  # 佐藤花子 at her desk
    ben = _page(browser, asgi_server, PHONE, phone=True)  # 髙橋一郎 on his phone
    try:
        sign_in(ann, clerk.username, PASSWORD)
        sign_in(ben, section_head.username, PASSWORD)

        # Ann opens the dm with the chat button of Ben's directory profile; Ben finds it in his list.
        ann.goto(f"/directory/staff/{section_head.username}/")
        ann.locator(".profile-actions button", has_text="チャット").click()
        ann.wait_for_url("**/chat/c/*/")
        _wait_ready(ann)
        conv_url = ann.url
        ben.goto("/chat/")
        _wait_ready(ben)
        item = ben.locator(".conv-item", has_text="佐藤")
        item.click()
        ben.wait_for_url(conv_url)
        _wait_ready(ben)
        # Both hold a WebSocket (not the polling fallback).
        expect(ann.locator("[data-chat]")).to_have_attribute("data-realtime", "live")
        expect(ben.locator("[data-chat]")).to_have_attribute("data-realtime", "live")
        # On the phone the conversation is its own screen: the list is hidden, a back link is shown.
        assert not ben.locator(".chat-list").is_visible()
        assert ben.locator(".conv-back").is_visible()

        # An Enter that confirms an IME conversion (Japanese input) must not send.
        ann.locator(".chat-pane textarea").fill("かくにん")
        ann.locator(".chat-pane textarea").dispatch_event(
            "keydown", {"key": "Enter", "keyCode": 229, "isComposing": True}
        )
        ann.wait_for_timeout(300)
        assert _bodies(ann) == []

        _send(ann, "お疲れさまです。**資料**を確認しました")
        expect(ben.locator(".chat-pane .messages .msg")).to_have_count(1)
        assert _bodies(ben) == ["お疲れさまです。資料を確認しました"]
        assert ben.locator(".chat-pane .msg-body strong").inner_text() == "資料"

        _send(ben, "ありがとうございます")
        expect(ann.locator(".chat-pane .messages .msg")).to_have_count(2)
        assert _bodies(ann) == ["お疲れさまです。資料を確認しました", "ありがとうございます"]
        assert ann.locator(".chat-pane .msg-author").all_inner_texts()[1].replace(" ", "") == "髙橋一郎"
        # Nobody's own message was shown twice (the POST answer and the event are one message).
        ben.wait_for_timeout(500)
        assert _bodies(ben) == ["お疲れさまです。資料を確認しました", "ありがとうございます"]

        # Ben goes back to his list; Ann writes twice; his list shows the unread count live.
        ben.locator(".conv-back").click()
        ben.wait_for_url("**/chat/")
        _wait_ready(ben)
        badge = ben.locator(".conv-item", has_text="佐藤").locator(".unread-badge")
        assert badge.is_hidden()
        # Two quick sends: the second Enter comes while the first is still on its way.
        _send(ann, "1点だけ追加です")
        _send(ann, "よろしくお願いします")
        expect(ann.locator(".chat-pane .messages .msg")).to_have_count(4)
        assert _bodies(ann)[2:] == ["1点だけ追加です", "よろしくお願いします"]
        expect(badge).to_have_text("2")
        expect(badge).to_be_visible()

        # Opening the conversation reads it: the badge is gone, also after a reload.
        ben.locator(".conv-item", has_text="佐藤").click()
        _wait_ready(ben)
        assert _bodies(ben)[-2:] == ["1点だけ追加です", "よろしくお願いします"]
        _until(lambda: Member.objects.get(conversation__kind="dm", staff=section_head).last_read_seq == 4)
        ben.goto("/chat/")
        _wait_ready(ben)
        assert ben.locator(".conv-item", has_text="佐藤").locator(".unread-badge").is_hidden()

        # The phone page fits 360 px; nothing was refused by the Content-Security-Policy.
        assert ben.evaluate("document.documentElement.scrollWidth") <= 360
        assert ann.csp.violations == []
        assert ben.csp.violations == []
    finally:
        ann.context.close()
        ben.context.close()


def _post_via_api(page, conversation_id: int, body: str) -> int:
    return page.evaluate(
        """async ([id, body]) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/api/v1/conversations/${id}/messages`, {
                method: "POST",
                credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({body}),
            });
            return response.status;
        }""",
        [conversation_id, body],
    )


def test_xss_corpus_is_rendered_inert(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions
    from kiban.chat.tests.xss_corpus import XSS_PAYLOADS

    # The corpus as written (alert: a dialog would fire) and again with a silent marker instead, in case a
    # vector runs script without a dialog.
    PAYLOADS = XSS_PAYLOADS + [
        p.replace("alert(1)", "window.__xss=1") for p in XSS_PAYLOADS if "alert(1)" in p
    ]
    assert len(XSS_PAYLOADS) >= 50
    conv, _ = actions.do_create_conversation(clerk, kind="group", members=[section_head.username], name="XSS")
    page = _page(browser, asgi_server, PC)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        statuses = [_post_via_api(page, conv.pk, payload) for payload in PAYLOADS]
        # A body with a NUL character is refused outright (400); every other one is stored.
        assert statuses == [400 if "\x00" in p else 201 for p in PAYLOADS]
        stored = statuses.count(201)
        # Every payload arrived live; now load the page afresh and scroll back through all of them.
        page.reload()
        _wait_ready(page)
        for _ in range(20):
            if page.locator(".chat-pane .messages .msg").count() >= stored:
                break
            page.locator(".chat-pane .timeline").evaluate(
                "el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }"
            )
            page.wait_for_timeout(400)
        assert page.locator(".chat-pane .messages .msg").count() == stored
        page.wait_for_timeout(500)

        # The markup shows as text, as written.
        assert "<script>alert(1)</script>" in _bodies(page)
        assert dialogs == []
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert (
            page.evaluate(
                "document.querySelectorAll('.messages script, .messages iframe, .messages object, .messages embed, .messages form').length"
            )
            == 0
        )
        on_attributes = page.evaluate(
            """() => [...document.querySelectorAll('.messages *')].flatMap(el =>
                [...el.attributes].filter(a => a.name.startsWith('on') || /^\\s*(javascript|data|vbscript):/i.test(a.value))
                .map(a => el.tagName + ' ' + a.name + '=' + a.value))"""
        )
        assert on_attributes == []
        assert page.csp.violations == []
    finally:
        page.context.close()


def test_new_messages_arrive_by_polling_when_websocket_is_blocked(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="防災"
    )
    page = _page(browser, asgi_server, PHONE, phone=True)
    # A proxy that refuses WebSocket upgrades: every /ws connection is closed before it reaches the server.
    page.route_web_socket("**/ws", lambda ws: ws.close())
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        expect(page.locator("[data-chat]")).to_have_attribute("data-realtime", "polling", timeout=20_000)
        expect(page.locator("#chat-status")).to_be_visible()

        member = actions.access_conversation(section_head, conv.pk)
        actions.do_post_message(section_head, member, "避難所の開設状況を共有します")
        expect(page.locator(".chat-pane .msg-body")).to_have_text(
            ["避難所の開設状況を共有します"], timeout=10_000
        )
        assert _bodies(page) == ["避難所の開設状況を共有します"]
    finally:
        page.context.close()


def test_composer_mentions_by_kana_and_sends_a_file(browser, asgi_server, clerk, section_head, tmp_path):
    from kiban.chat import actions
    from kiban.chat.models import Attachment, Message

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    page = _page(browser, asgi_server, PC)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        box = page.locator(".chat-pane textarea")
        box.press_sequentially("確認お願いします @たかはし")
        option = page.locator("#main-mentions li", has_text="髙橋")
        expect(option).to_be_visible()
        box.press("Enter")  # chooses the person; does not send
        assert box.input_value() == "確認お願いします @髙橋 一郎 "
        assert page.locator(".chat-pane .messages .msg").count() == 0

        report = tmp_path / "報告書.txt"
        report.write_text("令和8年度 報告", encoding="utf-8")
        page.locator('.chat-pane input[type="file"]').set_input_files(str(report))
        expect(page.locator(".chat-pane .composer-files li")).to_have_count(1)
        box.press("Enter")
        expect(page.locator(".chat-pane .messages .msg")).to_have_count(1)
        mention = page.locator(".chat-pane .msg-body .mention")
        expect(mention).to_have_attribute("data-username", "100001")
        chip = page.locator(".chat-pane .attachment-file")
        expect(chip).to_contain_text("報告書.txt")
        message = Message.objects.get(conversation=conv)
        assert message.body == "確認お願いします @髙橋 一郎"
        attachment = Attachment.objects.get(message=message)
        assert chip.get_attribute("href") == f"/api/v1/attachments/{attachment.pk}"
        assert page.csp.violations == []
    finally:
        page.context.close()


def test_react_edit_pin_and_delete_from_the_message_menu(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions
    from kiban.chat.models import Message, Reaction

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    mine = actions.do_post_message(clerk, actions.access_conversation(clerk, conv.pk), "会議は10時です")
    page = _page(browser, asgi_server, PC)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        msg = page.locator(".chat-pane .messages .msg").first
        msg.hover()
        msg.locator('[data-action="react"]').click()
        msg.locator('[data-pick="👍"]').click()
        expect(msg.locator(".reaction.is-mine")).to_have_text("👍1")
        assert list(Reaction.objects.values_list("emoji", "staff__username")) == [("👍", "100002")]
        # Someone else's 👍 arrives as reaction.added with the message's reactions: the count follows.
        actions.do_react(section_head, Message.objects.get(pk=mine.pk), "👍")
        expect(msg.locator(".reaction.is-mine")).to_have_text("👍2")
        msg.locator(".reaction.is-mine").click()  # a second click takes mine back; theirs stays
        expect(msg.locator(".reaction")).to_have_text("👍1")
        expect(msg.locator(".reaction.is-mine")).to_have_count(0)
        actions.do_react(section_head, Message.objects.get(pk=mine.pk), "👍")  # and theirs goes too
        expect(msg.locator(".reaction")).to_have_count(0)
        assert Reaction.objects.count() == 0

        msg.hover()
        msg.locator('[data-action="edit"]').click()
        editor = msg.locator(".msg-edit textarea")
        editor.fill("会議は11時に変更です")
        editor.press("Enter")
        expect(msg.locator(".msg-body")).to_have_text("会議は11時に変更です")
        expect(msg.locator(".msg-edited")).to_have_text("編集済み")
        mine.refresh_from_db()
        assert mine.body == "会議は11時に変更です"

        # ↑ in the empty composer edits one's last message; Escape leaves it as it was.
        page.locator(".chat-pane > form.composer textarea").press("ArrowUp")
        expect(msg.locator(".msg-edit textarea")).to_have_value("会議は11時に変更です")
        # Someone reacts meanwhile: the message is redrawn, the edit in progress stays.
        page.locator(".chat-pane .msg-edit textarea").type("（仮）")
        actions.do_react(section_head, Message.objects.get(pk=mine.pk), "🙏")
        expect(msg.locator(".reaction")).to_have_text("🙏1")
        expect(msg.locator(".msg-edit textarea")).to_have_value("会議は11時に変更です（仮）")
        expect(msg.locator(".msg-body")).to_be_hidden()
        msg.locator(".msg-edit textarea").press("Escape")
        expect(msg.locator(".msg-body")).to_have_text("会議は11時に変更です")
        expect(msg.locator(".msg-edit")).to_have_count(0)

        msg.hover()
        msg.locator('[data-action="pin"]').click()
        expect(msg.locator(".msg-pinned")).to_be_visible()

        msg.hover()
        msg.locator('[data-action="delete"]').click()  # the confirm() is accepted
        expect(msg.locator(".msg-tombstone")).to_have_text("このメッセージは削除されました")
        mine.refresh_from_db()
        assert mine.deleted_at is not None
        assert Message.objects.filter(conversation=conv).count() == 1
        assert page.csp.violations == []
    finally:
        page.context.close()


def test_a_missed_event_is_fetched_and_shown_in_order_once(browser, asgi_server, clerk, section_head):
    import json

    from kiban.chat import actions

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    page = _page(browser, asgi_server, PC)
    dropped: list[int] = []

    def lossy_socket(ws):
        # Between server and page, the frame announcing seq 2 is lost (a flaky mobile network).
        server = ws.connect_to_server()

        def forward(frame):
            data = json.loads(frame) if isinstance(frame, str) else {}
            if data.get("type") == "message.created" and data["message"]["seq"] == 2:
                dropped.append(2)
                return
            ws.send(frame)

        server.on_message(forward)

    page.route_web_socket("**/ws", lossy_socket)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        expect(page.locator("[data-chat]")).to_have_attribute("data-realtime", "live")
        head = actions.access_conversation(section_head, conv.pk)
        for text in ["一つ目", "二つ目", "三つ目"]:
            actions.do_post_message(section_head, head, text)
        expect(page.locator(".chat-pane .messages .msg")).to_have_count(3)
        assert dropped == [2]
        assert _bodies(page) == ["一つ目", "二つ目", "三つ目"]
        assert page.locator(".chat-pane .messages .msg").evaluate_all(
            "els => els.map(e => e.dataset.seq)"
        ) == ["1", "2", "3"]
        # Out of order: 6 arrives before 5. Shown as 4, 5, 6, each once.
        for text in ["四つ目", "五つ目", "六つ目"]:
            actions.do_post_message(section_head, head, text)
        expect(page.locator(".chat-pane .messages .msg")).to_have_count(6)
        page.wait_for_timeout(500)  # the late frame for seq 5 has come and gone
        assert _bodies(page) == ["一つ目", "二つ目", "三つ目", "四つ目", "五つ目", "六つ目"]
    finally:
        page.context.close()


def test_reply_in_a_thread_panel_on_a_phone(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions
    from kiban.chat.models import Message

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    root = actions.do_post_message(
        section_head, actions.access_conversation(section_head, conv.pk), "議題の案です"
    )
    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        msg = page.locator(".chat-pane .messages .msg").first
        msg.click()  # a tap shows the message's menu on a touch screen
        msg.locator('[data-action="thread"]').click()
        panel = page.locator(".thread-panel")
        expect(panel).to_be_visible()
        expect(page.locator(".chat-pane")).to_be_hidden()  # the thread covers the conversation on a phone
        expect(panel.locator(".thread-root .msg-body")).to_have_text("議題の案です")
        box = panel.locator("textarea")
        box.fill("賛成です")
        box.press("Enter")
        expect(panel.locator(".thread-replies .msg-body")).to_have_text(["賛成です"])
        reply = Message.objects.get(thread_root=root)
        assert (reply.body, reply.seq) == ("賛成です", 2)

        # Another reply arrives live in the open thread.
        actions.do_post_message(
            section_head,
            actions.access_conversation(section_head, conv.pk),
            "ありがとう",
            thread_root_id=root.pk,
        )
        expect(panel.locator(".thread-replies .msg-body")).to_have_text(["賛成です", "ありがとう"])
        panel.locator('[data-action="close-thread"]').click()
        expect(page.locator(".chat-pane")).to_be_visible()
        # The replies stay in the thread; the conversation shows the root with its count.
        expect(page.locator(".chat-pane .messages .msg")).to_have_count(1)
        expect(page.locator(".chat-pane .msg-thread-link")).to_have_text("返信 2件")
        assert page.csp.violations == []
    finally:
        page.context.close()


def test_a_file_over_the_limit_is_refused_with_a_message_and_a_dropped_file_is_attached(
    browser, asgi_server, clerk, section_head, settings
):
    from kiban.chat import actions
    from kiban.chat.models import Attachment

    settings.KIBAN_CHAT_MAX_UPLOAD_BYTES = 1000
    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    page = _page(browser, asgi_server, PC)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        page.locator('.chat-pane input[type="file"]').set_input_files(
            {"name": "大きな図面.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * 2000}
        )
        error = page.locator(".chat-pane .composer-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("大きな図面.pdf")
        assert page.locator(".chat-pane .composer-files li").count() == 0

        # Drag and drop onto the composer.
        page.locator(".chat-pane form.composer").evaluate(
            """form => {
                const data = new DataTransfer();
                data.items.add(new File(["議事メモ"], "メモ.txt", {type: "text/plain"}));
                for (const type of ["dragenter", "dragover", "drop"]) {
                    form.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
                }
            }"""
        )
        expect(page.locator(".chat-pane .composer-files li")).to_have_count(1)
        page.locator(".chat-pane textarea").press("Enter")
        expect(page.locator(".chat-pane .attachment-file")).to_contain_text("メモ.txt")
        assert list(Attachment.objects.values_list("name", flat=True)) == ["メモ.txt"]
    finally:
        page.context.close()


def test_search_result_opens_the_conversation_at_an_old_message(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    member = actions.access_conversation(clerk, conv.pk)
    for i in range(1, 71):
        actions.do_post_message(clerk, member, "庁舎の耐震補強について" if i == 3 else f"連絡{i}")
    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto("/chat/search/")
        page.fill("#s-q", "耐震")
        page.press("#s-q", "Enter")
        hit = page.locator(".hit-list a")
        expect(hit).to_have_count(1)
        expect(hit.locator("mark")).to_have_text("耐震")
        hit.click()
        _wait_ready(page)
        target = page.locator("#m3")
        expect(target).to_have_class("msg is-target")
        expect(target.locator(".msg-body")).to_have_text("庁舎の耐震補強について")
        # Everything after it up to the newest is there, once, in order.
        seqs = page.locator(".chat-pane .messages .msg").evaluate_all(
            "els => els.map(e => Number(e.dataset.seq))"
        )
        assert seqs == list(range(1, 71))
        # Reading up there, a new message from someone else offers a way down instead of pulling the page.
        actions.do_post_message(
            section_head, actions.access_conversation(section_head, conv.pk), "至急確認を"
        )
        jump = page.locator(".jump-new")
        expect(jump).to_be_visible()
        jump.click()
        expect(jump).to_be_hidden()
        expect(page.locator("#m71")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.context.close()


def test_new_group_chat_with_people_picked_by_kana(browser, asgi_server, clerk, section_head, other_clerk):
    from kiban.chat.models import Conversation

    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto("/chat/new/")
        for kana, name in [("たかはし", "髙橋"), ("わたなべ", "渡邊")]:
            page.fill("#new-person", kana)
            page.locator(".picker-results button", has_text=name).click()
        expect(page.locator(".picker-chosen li")).to_have_count(2)
        page.fill("#new-name", "道路と人事の調整")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_url("**/chat/c/*/")
        _wait_ready(page)
        conv = Conversation.objects.get(kind="group")
        assert conv.name == "道路と人事の調整"
        assert set(conv.members.values_list("staff__username", flat=True)) == {"100001", "100002", "500001"}
        expect(page.locator(".conv-head h1")).to_have_text("道路と人事の調整")
        assert page.csp.violations == []
    finally:
        page.context.close()


def test_a_root_behind_a_page_of_thread_replies_is_still_shown(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    member = actions.access_conversation(clerk, conv.pk)
    root = actions.do_post_message(clerk, member, "意見募集")
    for i in range(60):
        actions.do_post_message(clerk, member, f"意見{i}", thread_root_id=root.pk)
    page = _page(browser, asgi_server, PC)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        # The newest 50 messages are all replies; the page keeps loading until the root is there.
        expect(page.locator(".chat-pane .messages .msg-body")).to_have_text(["意見募集"])
        expect(page.locator(".chat-pane .msg-thread-link")).to_have_text("返信 60件")
    finally:
        page.context.close()


def test_keyboard_reaches_a_message_and_its_menu(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions
    from kiban.chat.models import Reaction

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    head = actions.access_conversation(section_head, conv.pk)
    for text in ["一つ目", "二つ目"]:
        actions.do_post_message(section_head, head, text)
    page = _page(browser, asgi_server, PC)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        page.locator(".chat-pane .timeline").focus()
        page.keyboard.press("ArrowUp")  # the newest message
        newest = page.locator("#m2")
        expect(newest).to_be_focused()
        page.keyboard.press("ArrowUp")
        expect(page.locator("#m1")).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(newest).to_be_focused()
        page.keyboard.press("Tab")  # into the message's menu, which shows while focus is inside
        react = newest.locator('[data-action="react"]')
        expect(react).to_be_focused()
        expect(react).to_be_visible()
        page.keyboard.press("Enter")  # the picker opens with its first emoji focused
        expect(newest.locator(".emoji-picker button").first).to_be_focused()
        page.keyboard.press("Enter")
        expect(newest.locator(".reaction.is-mine")).to_have_count(1)
        assert Reaction.objects.filter(staff=clerk).count() == 1
    finally:
        page.context.close()


def test_an_image_is_shown_as_a_thumbnail_that_loads(browser, asgi_server, clerk, section_head, tmp_path):
    import io

    from PIL import Image

    from kiban.chat import actions

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(buffer, "PNG")
    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        # The name says .txt; the type comes from the bytes.
        page.locator('.chat-pane input[type="file"]').set_input_files(
            {"name": "現場写真.txt", "mimeType": "text/plain", "buffer": buffer.getvalue()}
        )
        expect(page.locator(".chat-pane .composer-files progress")).to_have_attribute("value", "100")
        page.locator(".chat-pane textarea").fill("現場の様子です")
        page.locator(".chat-pane textarea").press("Enter")
        image = page.locator(".chat-pane .attachment-img img")
        expect(image).to_have_attribute("alt", "現場写真.txt")
        for _ in range(50):
            if image.evaluate("img => img.complete && img.naturalWidth > 0"):
                break
            page.wait_for_timeout(100)
        assert image.evaluate("img => img.naturalWidth") > 0
        assert image.evaluate("img => img.naturalWidth") < 800  # a thumbnail, not the original
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.csp.violations == []
    finally:
        page.context.close()


def test_phone_mention_reads_as_a_name_in_composer_message_search_and_notification(
    browser, asgi_server, clerk, section_head
):
    from kiban.chat import actions
    from kiban.notifications.models import Notification

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="課内"
    )
    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        box = page.locator(".chat-pane textarea")
        box.press_sequentially("@たかはし")
        option = page.locator("#main-mentions li", has_text="髙橋")
        expect(option).to_be_visible()
        option.tap()
        assert box.input_value() == "@髙橋 一郎 "
        box.press_sequentially("予算の確認をお願いします")
        box.press("Enter")
        mention = page.locator(".chat-pane .msg-body .mention")
        expect(mention).to_have_text("@髙橋 一郎")
        expect(mention).to_have_attribute("data-username", "100001")

        page.goto("/chat/search/?q=予算")
        hit = page.locator(".hit-text").first
        expect(hit).to_contain_text("@髙橋 一郎 予算の確認をお願いします")
        assert "@100001" not in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.csp.violations == []
    finally:
        page.context.close()
    note = Notification.objects.get(recipient=section_head, kind="chat.mention")
    assert note.body == "@髙橋 一郎 予算の確認をお願いします"


def test_a_new_group_chat_says_it_has_no_messages_yet(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions

    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username], name="新しい会話"
    )
    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{conv.pk}/")
        _wait_ready(page)
        # The script redraws the list from the API (an empty one): the pane still says why it is empty.
        shown = page.evaluate(
            """() => { const list = document.querySelector('.chat-pane .messages');
                 return list.textContent.trim() || getComputedStyle(list, '::before').content; }"""
        )
        assert "まだメッセージはありません" in shown
        _send(page, "よろしくお願いします")
        expect(page.locator(".chat-pane .messages .msg")).to_have_count(1)
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('.chat-pane .messages'), '::before').content"
            )
            == "none"
        )
    finally:
        page.context.close()


def test_a_webhook_post_arrives_live_with_a_bot_badge_on_a_phone(browser, asgi_server, clerk, section_head):
    from kiban.chat import actions
    from kiban.chat.tests.factories import make_channel

    channel = make_channel(clerk, section_head, name="防災")
    hook, _token = actions.do_create_webhook(
        clerk, actions.access_conversation(clerk, channel.pk), "気象警報"
    )
    page = _page(browser, asgi_server, PHONE, phone=True)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{channel.pk}/")
        _wait_ready(page)
        actions.do_post_via_webhook(hook, "大雨警報が発表されました", "監視サーバ")
        message = page.locator(".chat-pane .msg", has_text="大雨警報が発表されました")
        expect(message.locator(".msg-author")).to_have_text("監視サーバ")
        expect(message.locator(".msg-bot")).to_have_text("ボット")
        assert page.csp.violations == []
    finally:
        page.context.close()
