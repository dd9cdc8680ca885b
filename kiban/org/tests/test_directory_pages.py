"""Directory pages: tree, search with and without htmx, department members, profile links."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kiban.accounts.models import Staff
from kiban.org.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, clerk, org_tree):
    for url in [
        reverse("org:directory"),
        reverse("org:department", args=[org_tree["jinji"].pk]),
        reverse("org:profile", args=["100002"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login?next=")


def test_directory_shows_the_tree_in_order(client, clerk, org_tree):
    client.force_login(clerk)
    html = client.get("/directory/").content.decode()
    names = re.findall(r'class="tree-name">([^<]+)<|class="tree-link" href="[^"]+">([^<]+)<', html)
    assert [a or b for a, b in names] == ["総務部", "人事課", "情報システム課", "土木部", "道路課"]
    assert "<details" in html  # collapsible without a script


def test_search_without_javascript_renders_the_whole_page(client, clerk, other_clerk):
    client.force_login(clerk)
    response = client.get("/directory/", {"q": "ﾜﾀﾅﾍﾞ"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'href="/directory/staff/500001/"' in html
    assert "1 件" in html


def test_htmx_search_returns_only_the_results(client, clerk, other_clerk):
    client.force_login(clerk)
    response = client.get(
        "/directory/", {"q": "わたなべ"}, headers={"HX-Request": "true", "HX-Target": "directory-results"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'href="/directory/staff/500001/"' in html


def test_more_than_the_limit_says_50_plus(client, clerk, org_tree):
    from kiban.accounts.tests.factories import StaffFactory

    Staff.objects.bulk_create(
        [Staff(username=f"61{n:04d}", family_name="山田", family_name_kana="ヤマダ") for n in range(51)]
    )
    from kiban.org.search import reindex_staff

    reindex_staff(Staff.objects.filter(username__startswith="61").values_list("pk", flat=True))
    assert StaffFactory  # factories stay importable for the personas
    client.force_login(clerk)
    html = client.get("/directory/", {"q": "山田"}).content.decode()
    assert "50+ 件" in html


def test_no_match_says_so(client, clerk):
    client.force_login(clerk)
    html = client.get("/directory/", {"q": "存在しない"}).content.decode()
    assert "「存在しない」に一致する職員はいません。" in html


def test_department_page_lists_members_head_first(client, clerk, section_head, org_tree):
    client.force_login(clerk)
    html = client.get(reverse("org:department", args=[org_tree["jinji"].pk])).content.decode()
    html = html[html.index("<main") :]  # the person menu shows the viewer's own name
    assert html.index("髙橋 一郎") < html.index("佐藤 花子")
    assert 'href="tel:2101"' in html
    assert f'href="/api/v1/departments/{org_tree["jinji"].pk}.vcf"' in html


def test_department_page_lists_sub_departments(client, clerk, org_tree):
    client.force_login(clerk)
    html = client.get(reverse("org:department", args=[org_tree["soumu"].pk])).content.decode()
    assert "人事課" in html and "情報システム課" in html


def test_profile_has_mail_call_chat_and_vcard(client, clerk, section_head, org_tree):
    MembershipFactory(staff=section_head, department=org_tree["joho"], title="兼務課長補佐", is_primary=False)
    Staff.objects.filter(pk=section_head.pk).update(mobile="090-1111-2222")
    client.force_login(clerk)
    html = client.get("/directory/staff/100001/").content.decode()
    assert 'href="mailto:100001@pref.example.lg.jp"' in html
    assert 'href="tel:2101"' in html
    assert 'href="tel:090-1111-2222"' in html
    assert 'href="/api/v1/staff/100001.vcf"' in html
    assert "タカハシ イチロウ" in html and "Takahashi Ichiro" in html
    assert "兼務課長補佐" in html and "本務" in html and "兼務" in html
    # With the chat module installed the button opens (or creates) the dm — by POST, never on a GET a
    # foreign site could trigger; no disabled placeholder.
    assert '<form method="post" action="/chat/dm/100001">' in html
    assert '<button class="btn" type="submit">チャット</button>' in html
    assert "チャットは準備中" not in html


def test_profile_of_unknown_or_retired_is_404(client, clerk, other_clerk, it_admin):
    client.force_login(clerk)
    assert client.get("/directory/staff/999999/").status_code == 404
    Staff.objects.filter(pk=other_clerk.pk).update(is_active=False)
    assert client.get("/directory/staff/500001/").status_code == 404
    client.force_login(it_admin)
    assert client.get("/directory/staff/500001/").status_code == 200


def test_pages_use_no_inline_script_or_style(client, clerk, section_head, org_tree):
    client.force_login(clerk)
    for url in [
        "/directory/?q=さとう",
        "/directory/staff/100001/",
        f"/directory/departments/{org_tree['jinji'].pk}/",
    ]:
        html = client.get(url).content.decode()
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"\son[a-z]+=", html)
