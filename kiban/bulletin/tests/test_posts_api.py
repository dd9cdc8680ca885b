"""Posts through the API: who may post, who sees what (audience with sub-sections and 兼務, scheduled posts),
read tracking, comments, edit history, deletion, search and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kiban.bulletin.models import Category, Post, Read, Revision
from kiban.bulletin.tests.conftest import J, make_post
from kiban.core.models import AuditEntry
from kiban.files.tests.conftest import content_of
from kiban.notifications.models import Notification
from kiban.org.tests.factories import DepartmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_member_of_owning_section_posts_and_everyone_reads(as_user, jinji_category, clerk, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    assert post["author"] == clerk.username
    assert post["audience"] == {"all": True}
    assert post["html"] == "<p>内示は<strong>3月19日</strong>です。</p>"
    assert post["read"] is False
    seen = as_user(other_clerk).get(f"/api/v1/bulletin/posts/{post['id']}").json()
    assert seen["title"] == "人事異動の内示について"
    entry = AuditEntry.objects.get(action="bulletin.post.create")
    assert entry.target_id == str(post["id"]) and entry.actor == clerk


def test_non_editor_cannot_post_and_nothing_is_written(as_user, jinji_category, other_clerk):
    response = as_user(other_clerk).post(
        "/api/v1/bulletin/posts", {"category": jinji_category.pk, "title": "x", "body": "y"}, content_type=J
    )
    assert response.status_code == 403
    assert Post.objects.count() == 0


def test_named_editor_and_it_admin_may_post(as_user, jinji_category, other_clerk, it_admin):
    jinji_category.editors.add(other_clerk)
    make_post(as_user(other_clerk), jinji_category)
    make_post(as_user(it_admin), jinji_category)
    assert Post.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "あ" * 201}, "title"),
        ({"body": "  "}, "body"),
        ({"category": 999999}, "category"),
        ({"audience": {"departments": []}}, "audience.departments"),
        ({"audience": {"departments": [999999]}}, "audience.departments"),
        ({"audience": {"everyone": True}}, "audience"),
        ({"audience": {"all": False}}, "audience.all"),
        ({"publish_at": "2026-13-01T09:00"}, "publish_at"),
        ({"publish_at": "2027-04-01T09:00+09:00", "expires_at": "2027-03-01T09:00+09:00"}, "expires_at"),
        ({"attachments": [999999]}, "attachments"),
        ({"important": "たぶん"}, "important"),
    ],
)
def test_bad_input_is_400_naming_the_field(as_user, jinji_category, clerk, payload, field):
    body = {"category": jinji_category.pk, "title": "件名", "body": "本文", **payload}
    response = as_user(clerk).post("/api/v1/bulletin/posts", body, content_type=J)
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}:") or f"{field}:" in response.json()["detail"]
    assert Post.objects.count() == 0


def test_scheduled_post_is_404_for_readers_and_visible_to_author_and_editors(
    as_user, jinji_category, clerk, section_head, other_clerk
):
    later = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    post = make_post(as_user(clerk), jinji_category, publish_at=later)
    assert post["published"] is False
    assert as_user(section_head).get(f"/api/v1/bulletin/posts/{post['id']}").status_code == 200  # an editor
    reader = as_user(other_clerk)
    assert reader.get(f"/api/v1/bulletin/posts/{post['id']}").status_code == 404
    assert reader.get("/api/v1/bulletin/posts").json() == {"results": [], "more": False}
    assert reader.post(f"/api/v1/bulletin/posts/{post['id']}/read").status_code == 404
    assert (
        reader.post(
            f"/api/v1/bulletin/posts/{post['id']}/comments", {"body": "?"}, content_type=J
        ).status_code
        == 404
    )
    assert reader.get(f"/bulletin/{post['id']}/").status_code == 404


def test_department_audience_reaches_sub_sections_and_kenmu_but_not_others(
    as_user, org_tree, jinji_category, clerk, other_clerk, it_admin
):
    from kiban.accounts.tests.factories import StaffFactory

    kakari = DepartmentFactory(code="100101", name="人事係", parent=org_tree["jinji"])
    in_kakari = StaffFactory(username="100050")
    MembershipFactory(staff=in_kakari, department=kakari)
    kenmu = StaffFactory(username="500050")
    MembershipFactory(staff=kenmu, department=org_tree["douro"])
    MembershipFactory(staff=kenmu, department=org_tree["jinji"], is_primary=False)
    post = make_post(as_user(clerk), jinji_category, audience={"departments": [org_tree["soumu"].pk]})
    url = f"/api/v1/bulletin/posts/{post['id']}"
    assert post["audience"] == {"departments": [org_tree["soumu"].pk]}
    assert as_user(in_kakari).get(url).status_code == 200  # 総務部 › 人事課 › 人事係
    assert as_user(kenmu).get(url).status_code == 200  # 道路課, 兼務 in 人事課
    assert as_user(it_admin).get(url).status_code == 200  # 情報システム課 is under 総務部 too
    assert as_user(other_clerk).get(url).status_code == 404
    assert as_user(other_clerk).get("/api/v1/bulletin/posts").json()["results"] == []


def test_reshuffle_changes_who_sees_an_unexpired_post(as_user, org_tree, jinji_category, clerk, other_clerk):
    from kiban.org.models import Membership

    post = make_post(as_user(clerk), jinji_category, audience={"departments": [org_tree["jinji"].pk]})
    url = f"/api/v1/bulletin/posts/{post['id']}"
    assert as_user(other_clerk).get(url).status_code == 404
    # 人事異動: 渡邊 moves from 道路課 to 人事課 on the effective date.
    Membership.objects.filter(staff=other_clerk).update(department=org_tree["jinji"])
    assert as_user(other_clerk).get(url).status_code == 200
    Membership.objects.filter(staff=other_clerk).update(department=org_tree["douro"])
    assert as_user(other_clerk).get(url).status_code == 404


def test_expired_post_disappears_for_readers_but_not_for_its_author(
    as_user, jinji_category, clerk, other_clerk
):
    past = timezone.now() - dt.timedelta(days=2)
    post = make_post(as_user(clerk), jinji_category, publish_at=past.isoformat(),
                     expires_at=(past + dt.timedelta(days=1)).isoformat())  # fmt: skip
    assert as_user(other_clerk).get(f"/api/v1/bulletin/posts/{post['id']}").status_code == 404
    assert as_user(clerk).get(f"/api/v1/bulletin/posts/{post['id']}").status_code == 200


def test_read_tracking_and_readers_list(as_user, jinji_category, clerk, section_head, other_clerk, it_admin):
    post = make_post(as_user(clerk), jinji_category)
    url = f"/api/v1/bulletin/posts/{post['id']}"
    reader = as_user(other_clerk)
    assert reader.post(f"{url}/read").json()["read"] is True
    assert reader.post(f"{url}/read").status_code == 200  # again: still one read, first time kept
    assert Read.objects.filter(post_id=post["id"]).count() == 1
    assert reader.get(url).json()["read"] is True
    assert reader.get(f"{url}/readers").status_code == 403
    author = as_user(clerk)
    page = author.get(f"{url}/readers").json()
    assert page["total"] == 4 and page["read"] == 1
    assert [r["username"] for r in page["results"] if r["read_at"]] == [other_clerk.username]
    assert {r["name"] for r in page["results"]} == {"髙橋 一郎", "佐藤 花子", "渡邊 健", "齋藤 誠"}
    assert next(r for r in page["results"] if r["username"] == other_clerk.username)["department"] == "道路課"
    unread = author.get(f"{url}/readers?state=unread&limit=2").json()
    assert len(unread["results"]) == 2 and unread["more"] is True
    assert author.get(f"{url}/readers?state=maybe").status_code == 400


def test_remind_notifies_only_the_unread(as_user, jinji_category, clerk, section_head, other_clerk, it_admin):
    post = make_post(as_user(clerk), jinji_category)
    as_user(other_clerk).post(f"/api/v1/bulletin/posts/{post['id']}/read")
    response = as_user(clerk).post(f"/api/v1/bulletin/posts/{post['id']}/remind")
    assert response.json() == {"reminded": 3}  # 髙橋, 齋藤 and the author herself are unread; she is skipped
    reminded = set(
        Notification.objects.filter(kind="bulletin.reminder").values_list("recipient_id", flat=True)
    )
    assert reminded == {section_head.pk, it_admin.pk}
    assert as_user(other_clerk).post(f"/api/v1/bulletin/posts/{post['id']}/remind").status_code == 403


def test_unread_first_pinned_on_top_and_search_ignores_kana(
    as_user, jinji_category, all_category, clerk, it_admin, other_clerk
):
    author = as_user(it_admin)
    old = make_post(author, all_category, title="システム停止のお知らせ", body="サーバーを停止します。",
                    publish_at=(timezone.now() - dt.timedelta(days=3)).isoformat())  # fmt: skip
    read = make_post(author, all_category, title="健康診断", body="日程です。",
                     publish_at=(timezone.now() - dt.timedelta(days=2)).isoformat())  # fmt: skip
    pinned = make_post(author, all_category, title="閉庁日", body="年末年始。", pinned=True,
                       publish_at=(timezone.now() - dt.timedelta(days=5)).isoformat())  # fmt: skip
    new = make_post(as_user(clerk), jinji_category, title="内示", body="人事異動。")
    reader = as_user(other_clerk)
    reader.post(f"/api/v1/bulletin/posts/{read['id']}/read")
    ids = [p["id"] for p in reader.get("/api/v1/bulletin/posts").json()["results"]]
    assert ids == [pinned["id"], new["id"], old["id"], read["id"]]
    by_category = reader.get(f"/api/v1/bulletin/posts?category={jinji_category.pk}").json()["results"]
    assert [p["id"] for p in by_category] == [new["id"]]
    for q in ("さーばー", "ｻｰﾊﾞｰ", "サーバー 停止"):
        found = reader.get("/api/v1/bulletin/posts", {"q": q}).json()["results"]
        assert [p["id"] for p in found] == [old["id"]], q
    assert reader.get("/api/v1/bulletin/posts", {"q": "存在しない語"}).json()["results"] == []
    assert reader.get("/api/v1/bulletin/posts?unread=true").json()["results"][-1]["id"] == old["id"]


def test_edit_keeps_history_and_is_audited(as_user, jinji_category, clerk, section_head, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    url = f"/api/v1/bulletin/posts/{post['id']}"
    edited = as_user(section_head).patch(url, {"body": "内示は**3月20日**に変更です。"}, content_type=J)
    assert edited.status_code == 200, edited.content
    assert edited.json()["html"] == "<p>内示は<strong>3月20日</strong>に変更です。</p>"
    assert edited.json()["edited_at"] is not None
    history = as_user(other_clerk).get(f"{url}/history").json()["results"]
    assert [(h["body"], h["editor"]) for h in history] == [("内示は**3月19日**です。", section_head.username)]
    assert as_user(other_clerk).patch(url, {"title": "乗っ取り"}, content_type=J).status_code == 403
    assert as_user(clerk).patch(url, {"title": None}, content_type=J).status_code == 400
    assert Post.objects.get(pk=post["id"]).title == "人事異動の内示について"
    assert Revision.objects.count() == 1
    assert AuditEntry.objects.filter(action="bulletin.post.edit", target_id=str(post["id"])).count() == 1


def test_delete_is_audited_and_only_for_author_or_editors(as_user, jinji_category, clerk, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    url = f"/api/v1/bulletin/posts/{post['id']}"
    assert as_user(other_clerk).delete(url).status_code == 403
    assert as_user(clerk).delete(url).status_code == 204
    assert as_user(clerk).get(url).status_code == 404
    entry = AuditEntry.objects.get(action="bulletin.post.delete")
    assert entry.detail["title"] == "人事異動の内示について"


def test_comments_notify_the_author(as_user, jinji_category, clerk, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    url = f"/api/v1/bulletin/posts/{post['id']}/comments"
    response = as_user(other_clerk).post(url, {"body": "承知しました <script>x</script>"}, content_type=J)
    assert response.status_code == 201
    assert response.json()["html"] == "<p>承知しました &lt;script&gt;x&lt;/script&gt;</p>"
    assert as_user(other_clerk).post(url, {"body": ""}, content_type=J).status_code == 400
    assert [c["author_name"] for c in as_user(clerk).get(url).json()["results"]] == ["渡邊 健"]
    assert Notification.objects.filter(recipient=clerk, kind="bulletin.comment").count() == 1


def test_categories_api(as_user, org_tree, section_head, clerk, other_clerk, it_admin):
    head = as_user(section_head)
    created = head.post("/api/v1/bulletin/categories",
                        {"name": "人事課から", "department": org_tree["jinji"].pk, "editors": [other_clerk.username]},
                        content_type=J)  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["editors"] == [other_clerk.username] and created.json()["can_manage"] is True
    # a clerk is not a section head; the head cannot create for another department
    assert as_user(clerk).post("/api/v1/bulletin/categories", {"name": "x", "department": org_tree["jinji"].pk},
                               content_type=J).status_code == 403  # fmt: skip
    assert as_user(section_head).post("/api/v1/bulletin/categories", {"name": "x", "department": org_tree["douro"].pk},
                                      content_type=J).status_code == 403  # fmt: skip
    assert (
        as_user(section_head).post("/api/v1/bulletin/categories", {"name": "x"}, content_type=J).status_code
        == 403
    )
    admin = as_user(it_admin)
    assert (
        admin.post("/api/v1/bulletin/categories", {"name": "人事課から"}, content_type=J).status_code == 400
    )
    assert (
        admin.post("/api/v1/bulletin/categories", {"name": "x", "editors": ["nobody"]}, content_type=J)
        .json()["detail"]
        .startswith("editors:")
    )
    assert admin.post("/api/v1/bulletin/categories", {"name": "全庁"}, content_type=J).status_code == 201
    listed = {c["name"]: c for c in as_user(other_clerk).get("/api/v1/bulletin/categories").json()["results"]}
    assert listed["人事課から"]["can_post"] is True and listed["全庁"]["can_post"] is False
    assert Category.objects.count() == 2
    assert AuditEntry.objects.filter(action="bulletin.category.create").count() == 2


def test_attachments_are_served_only_to_readers(as_user, org_tree, jinji_category, clerk, other_clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = as_user(clerk).post("/api/v1/bulletin/attachments",
                                 {"file": SimpleUploadedFile("日程表.txt", "健康診断の日程".encode())})  # fmt: skip
    assert upload.status_code == 201, upload.content
    attachment = upload.json()
    assert (
        as_user(other_clerk).get(f"/api/v1/bulletin/attachments/{attachment['id']}/content").status_code
        == 404
    )
    post = make_post(as_user(clerk), jinji_category, attachments=[attachment["id"]],
                     audience={"departments": [org_tree["jinji"].pk]})  # fmt: skip
    assert [a["name"] for a in post["attachments"]] == ["日程表.txt"]
    content = as_user(clerk).get(f"/api/v1/bulletin/attachments/{attachment['id']}/content")
    assert content_of(content).decode() == "健康診断の日程"
    assert (
        as_user(other_clerk).get(f"/api/v1/bulletin/attachments/{attachment['id']}/content").status_code
        == 404
    )
    # someone else's unbound upload cannot be attached
    again = as_user(clerk).post("/api/v1/bulletin/posts", {"category": jinji_category.pk, "title": "t", "body": "b",
                                "attachments": [attachment["id"]]}, content_type=J)  # fmt: skip
    assert again.status_code == 400 and again.json()["detail"].startswith("attachments:")
