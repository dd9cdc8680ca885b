from __future__ import annotations

import factory
from django.utils import timezone

from kiban.accounts.tests.factories import StaffFactory
from kiban.notifications.models import Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(StaffFactory)
    kind = "chat.dm"
    title = factory.Sequence(lambda n: f"お知らせ{n}")
    body = ""
    url = ""
    created_at = factory.LazyFunction(timezone.now)
