"""REST API: a person sees and changes only their own notifications; paging; bad input; 401."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kiban.notifications.models import Notification, NotificationPreference
from kiban.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


def _ids(response) -> list[int]:
    return [n["id"] for n in response.json()["results"]]


def test_list_is_own_newest_first_and_pages_by_id(as_clerk, clerk, other_clerk, section_head):
    first, second, third = (NotificationFactory(recipient=clerk, actor=section_head) for _ in range(3))
    NotificationFactory(recipient=other_clerk)

    page1 = as_clerk.get("/api/v1/notifications?limit=2")
    assert page1.status_code == 200
    assert _ids(page1) == [third.pk, second.pk]
    assert page1.json()["more"] is True
    assert page1.json()["results"][0]["actor"] == "100001"

    page2 = as_clerk.get(f"/api/v1/notifications?limit=2&before={second.pk}")
    assert _ids(page2) == [first.pk]
    assert page2.json()["more"] is False


def test_unread_filter_and_count(as_clerk, clerk, other_clerk):
    read = NotificationFactory(recipient=clerk)
    unread = NotificationFactory(recipient=clerk)
    NotificationFactory(recipient=other_clerk)
    as_clerk.post(f"/api/v1/notifications/{read.pk}/read")

    assert _ids(as_clerk.get("/api/v1/notifications?unread=1")) == [unread.pk]
    assert as_clerk.get("/api/v1/notifications/unread-count").json() == {"unread": 1}


def test_marking_one_read_returns_it_read(as_clerk, clerk):
    n = NotificationFactory(recipient=clerk, title="会議の招待")

    response = as_clerk.post(f"/api/v1/notifications/{n.pk}/read")

    assert response.status_code == 200
    assert response.json()["id"] == n.pk
    assert response.json()["title"] == "会議の招待"
    n.refresh_from_db()
    assert response.json()["read_at"] == timezone.localtime(n.read_at).isoformat()  # Asia/Tokyo, as read


def test_marking_anothers_notification_read_is_404_and_changes_nothing(as_clerk, other_clerk):
    theirs = NotificationFactory(recipient=other_clerk)

    response = as_clerk.post(f"/api/v1/notifications/{theirs.pk}/read")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_only_own(as_clerk, clerk, other_clerk):
    NotificationFactory.create_batch(2, recipient=clerk)
    theirs = NotificationFactory(recipient=other_clerk)

    response = as_clerk.post("/api/v1/notifications/read-all")

    assert response.json() == {"marked": 2}
    assert Notification.objects.filter(recipient=clerk, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=201", "limit"), ("before=abc", "before"), ("before=0", "before")],
)
def test_bad_paging_is_400_naming_the_field(as_clerk, clerk, query, field):
    response = as_clerk.get(f"/api/v1/notifications?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")


def test_without_sign_in_everything_is_401(client, clerk):
    n = NotificationFactory(recipient=clerk)
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications/unread-count").status_code == 401
    assert client.post(f"/api/v1/notifications/{n.pk}/read").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401
    n.refresh_from_db()
    assert n.read_at is None


def test_email_digest_preference_is_own_and_defaults_on(as_clerk, clerk):
    assert as_clerk.get("/api/v1/notifications/preferences").json() == {"email_digest": True}

    response = as_clerk.put(
        "/api/v1/notifications/preferences", {"email_digest": False}, content_type="application/json"
    )

    assert response.json() == {"email_digest": False}
    assert NotificationPreference.objects.get(user=clerk).email_digest is False


def test_bad_preference_payload_is_400_and_changes_nothing(as_clerk, clerk):
    response = as_clerk.put(
        "/api/v1/notifications/preferences", {"email_digest": "perhaps"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("email_digest:")
    assert NotificationPreference.objects.count() == 0


def test_list_query_budget(as_clerk, clerk, section_head, django_assert_max_num_queries):
    NotificationFactory.create_batch(20, recipient=clerk, actor=section_head)
    as_clerk.get("/api/v1/notifications/unread-count")  # session and device bookkeeping warmed up
    with django_assert_max_num_queries(4):
        response = as_clerk.get("/api/v1/notifications")
    assert len(response.json()["results"]) == 20
