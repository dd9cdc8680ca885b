from __future__ import annotations

from django.urls import path

from kiban.calendar import feed
from kiban.calendar.views import event_detail, event_form, schedule
from kiban.calendar.views import settings as settings_views

app_name = "calendar"
urlpatterns = [
    path("calendar/", schedule.index, name="index"),
    path("calendar/u/<str:username>/", schedule.person, name="person"),
    path("calendar/group/", schedule.group, name="group"),
    path("calendar/events/new/", event_form.event_new, name="event_new"),
    path("calendar/events/<int:event_id>/", event_detail.event_detail, name="event_detail"),
    path("calendar/events/<int:event_id>/edit/", event_form.event_edit, name="event_edit"),
    path("calendar/events/<int:event_id>/reply/", event_detail.event_reply, name="event_reply"),
    path("calendar/events/<int:event_id>/reminders/", event_detail.event_reminders, name="event_reminders"),
    path("calendar/events/<int:event_id>/delete/", event_detail.event_delete, name="event_delete"),
    path("calendar/settings/", settings_views.calendar_settings, name="settings"),
    # The private iCalendar feed: no session, the secret token in the URL is the credential.
    path("calendar/feed/<str:token>.ics", feed.feed_view, name="feed"),
]
