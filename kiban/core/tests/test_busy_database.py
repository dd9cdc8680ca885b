"""A busy database (another connection holds SQLite's write lock) answers 503 with Retry-After, not 500, and
nothing is written; once the lock is released the same request goes through."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection
from django.test import Client

from kiban.calendar.models import Event
from kiban.chat.models import Message
from kiban.chat.tests.factories import make_group

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single write lock"),
]


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """Wait 0.2 s for the lock instead of the configured 20 s (each request opens its own connection)."""
    options = connection.settings_dict["OPTIONS"]
    monkeypatch.setitem(options, "timeout", 0.2)
    monkeypatch.setitem(
        options, "init_command", options["init_command"].replace("busy_timeout=20000", "busy_timeout=200")
    )
    connection.close()


def test_chat_post_while_the_database_is_locked_answers_503_with_retry_after(
    clerk, section_head, short_busy_timeout
):
    conversation = make_group(clerk, section_head, name="人事")
    client = Client()
    client.force_login(clerk)
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(url, {"body": "至急"}, content_type="application/json")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert "混み合っています" in response.json()["detail"]
    assert not Message.objects.filter(conversation=conversation).exists()

    again = client.post(url, {"body": "至急"}, content_type="application/json")
    assert again.status_code == 201
    assert list(Message.objects.filter(conversation=conversation).values_list("body", flat=True)) == ["至急"]


def test_page_form_post_while_the_database_is_locked_answers_503(clerk, short_busy_timeout):
    client = Client()
    client.force_login(clerk)
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/calendar/events/new/",
            {"title": "課内会議", "start_date": "2030-12-02", "start_time": "10:00", "end_date": "2030-12-02",
             "end_time": "11:00", "repeat": "none", "visibility": "public", "color": "blue"},
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "混み合っています" in response.content.decode()
    assert not Event.objects.exists()
