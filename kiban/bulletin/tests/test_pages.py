"""Bulletin pages: board, post (read on opening), editor, readers, history, categories, and the portal panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kiban.bulletin import portal
from kiban.bulletin.models import Category, Post, Read
from kiban.bulletin.tests.conftest import make_post

pytestmark = pytest.mark.django_db


def test_board_lists_posts_with_names_and_wareki(as_user, jinji_category, clerk, other_clerk):
    make_post(as_user(clerk), jinji_category, important=True)
    page = as_user(other_clerk).get("/bulletin/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "人事異動の内示について" in html and "佐藤 花子" in html and "令和" in html
    assert clerk.username not in html  # names, never 職員番号
    assert "未読" in html


def test_opening_a_post_marks_it_read_and_shows_comments(as_user, jinji_category, clerk, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    reader = as_user(other_clerk)
    page = reader.get(f"/bulletin/{post['id']}/")
    assert page.status_code == 200
    assert "<strong>3月19日</strong>" in page.content.decode()
    assert Read.objects.filter(post_id=post["id"], staff=other_clerk).count() == 1
    response = reader.post(f"/bulletin/{post['id']}/action", {"op": "comment", "body": "確認しました"})
    assert response.status_code == 302
    assert "確認しました" in reader.get(f"/bulletin/{post['id']}/").content.decode()
    assert reader.get(f"/bulletin/{post['id']}/readers").status_code == 403
    assert reader.post(f"/bulletin/{post['id']}/action", {"op": "delete"}).status_code == 302
    assert Post.objects.filter(pk=post["id"]).exists()


def test_editor_creates_a_scheduled_post_for_a_department(
    as_user, org_tree, jinji_category, clerk, other_clerk
):
    editor = as_user(clerk)
    assert editor.get("/bulletin/new").status_code == 200
    later = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = editor.post("/bulletin/new", {
        "category": jinji_category.pk, "title": "係長研修", "body": "# 日程\n未定", "audience": "departments",
        "departments": [org_tree["jinji"].pk], "publish_at": later, "important": "1",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get()
    assert (post.title, post.audience_all, post.important, post.published_at) == (
        "係長研修",
        False,
        True,
        None,
    )
    assert post.html == "<h2>日程</h2>\n<p>未定</p>"
    assert as_user(other_clerk).get(f"/bulletin/{post.pk}/").status_code == 404
    bad = as_user(clerk).post("/bulletin/new", {"category": jinji_category.pk, "title": "", "body": "x"})
    assert bad.status_code == 200 and "件名を" in bad.content.decode()
    assert as_user(other_clerk).get("/bulletin/new").status_code == 403


def test_readers_page_shows_names_and_remind(as_user, jinji_category, clerk, section_head, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    author = as_user(clerk)
    page = author.get(f"/bulletin/{post['id']}/readers").content.decode()
    assert "渡邊 健" in page and "道路課" in page and other_clerk.username not in page
    response = author.post(f"/bulletin/{post['id']}/action", {"op": "remind"})
    assert response.status_code == 302


def test_history_page_shows_the_previous_version(as_user, jinji_category, clerk, other_clerk):
    post = make_post(as_user(clerk), jinji_category)
    as_user(clerk).patch(
        f"/api/v1/bulletin/posts/{post['id']}", {"title": "訂正版"}, content_type="application/json"
    )
    page = as_user(other_clerk).get(f"/bulletin/{post['id']}/history").content.decode()
    assert "人事異動の内示について" in page and "佐藤 花子" in page


def test_categories_page_for_heads_and_admins_only(as_user, org_tree, section_head, clerk, it_admin):
    assert as_user(clerk).get("/bulletin/categories/").status_code == 404
    head = as_user(section_head)
    assert head.get("/bulletin/categories/").status_code == 200
    response = head.post("/bulletin/categories/", {"op": "create", "name": "人事課だより",
                                                   "department": org_tree["jinji"].pk, "editors": ""})  # fmt: skip
    assert response.status_code == 302
    assert Category.objects.get().department == org_tree["jinji"]
    assert as_user(it_admin).get("/bulletin/categories/").status_code == 200


def test_portal_panel_shows_important_and_new_unread(
    rf, as_user, all_category, jinji_category, clerk, it_admin, other_clerk
):
    admin = as_user(it_admin)
    old = make_post(
        admin,
        all_category,
        title="古いお知らせ",
        publish_at=(timezone.now() - dt.timedelta(days=30)).isoformat(),
    )
    important = make_post(admin, all_category, title="重要なお知らせ", important=True,
                          publish_at=(timezone.now() - dt.timedelta(days=30)).isoformat())  # fmt: skip
    new = make_post(as_user(clerk), jinji_category, title="新着")
    read = make_post(as_user(it_admin), all_category, title="既読")
    as_user(other_clerk).post(f"/api/v1/bulletin/posts/{read['id']}/read")
    request = rf.get("/")
    request.user = other_clerk
    section = portal.panel(request)
    assert [p.id for p in section.data.posts] == [important["id"], new["id"]]
    assert section.count == section.data.unread == 3  # old, important, new
    assert old["id"] not in [p.id for p in section.data.posts]
    assert section.template == "bulletin/portal.html" and section.url == "/bulletin/"


def test_portal_panel_query_budget(
    rf, as_user, all_category, it_admin, other_clerk, django_assert_max_num_queries
):
    for i in range(20):
        make_post(as_user(it_admin), all_category, title=f"お知らせ{i}")
    request = rf.get("/")
    request.user = other_clerk
    with django_assert_max_num_queries(4):
        section = portal.panel(request)
    assert section.count == 20 and len(section.data.posts) == 5


def test_demo_loads_categories_and_posts_once(org_tree, section_head, clerk, other_clerk, it_admin):
    from kiban.bulletin.demo import load_demo

    said = []
    counts = load_demo(said.append)
    assert counts["bulletin_categories"] == 6 and counts["bulletin_posts"] == 11
    assert Category.objects.get(name="人事").department == org_tree["jinji"]
    assert Post.objects.filter(published_at__isnull=True).count() == 2  # scheduled ahead
    assert Post.objects.filter(publish_at__gt=timezone.now()).count() == 2
    assert load_demo(said.append) == {}
