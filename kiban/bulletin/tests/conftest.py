"""Bulletin personas on top of the root ones: 人事課 owns the 人事 category (its head 髙橋 manages it, its
clerk 佐藤 posts in it); 道路課's 渡邊 reads; 齋藤 of 情報システム課 is the IT administrator. A 兼務 member
and a sub-section (人事係 under 人事課) are added where a test needs them."""

from __future__ import annotations

import pytest

from kiban.bulletin.models import Category

J = "application/json"


@pytest.fixture
def jinji_category(org_tree, section_head):
    return Category.objects.create(name="人事", department=org_tree["jinji"])


@pytest.fixture
def all_category(db):
    return Category.objects.create(name="全庁お知らせ", department=None)


@pytest.fixture
def as_user(client):
    def login(person):
        client.force_login(person)
        return client

    return login


def make_post(client, category, **overrides):
    body = {
        "category": category.pk,
        "title": "人事異動の内示について",
        "body": "内示は**3月19日**です。",
        **overrides,
    }
    response = client.post("/api/v1/bulletin/posts", body, content_type=J)
    assert response.status_code == 201, response.content
    return response.json()
