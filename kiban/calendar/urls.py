from __future__ import annotations

from django.urls import path

from kiban.calendar import feed, views

app_name = "calendar"
urlpatterns = [
    path("calendar/", views.index, name="index"),
    path("calendar/u/<str:username>/", views.person, name="person"),
    path("calendar/group/", views.group, name="group"),
    path("calendar/events/new/", views.event_new, name="event_new"),
    path("calendar/events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("calendar/events/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("calendar/events/<int:event_id>/reply/", views.event_reply, name="event_reply"),
    path("calendar/events/<int:event_id>/reminders/", views.event_reminders, name="event_reminders"),
    path("calendar/events/<int:event_id>/delete/", views.event_delete, name="event_delete"),
    path("calendar/settings/", views.calendar_settings, name="settings"),
    # The private iCalendar feed: no session, the secret token in the URL is the credential.
    path("calendar/feed/<str:token>.ics", feed.feed_view, name="feed"),
]
