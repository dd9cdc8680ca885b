from __future__ import annotations

from django.urls import path

from kiban.booking import views, views_car

app_name = "booking"
urlpatterns = [
    path("booking/", views.index, name="index"),
    path("booking/resources/<int:resource_id>/new", views.new_booking, name="new"),
    path("booking/bookings/<int:booking_id>", views.detail, name="detail"),
    path("booking/bookings/<int:booking_id>/cancel", views.cancel, name="cancel"),
    path("booking/bookings/<int:booking_id>/decision", views.decide, name="decide"),
    path("booking/bookings/<int:booking_id>/alcohol-check", views_car.alcohol_check, name="alcohol_check"),
    path("booking/bookings/<int:booking_id>/key-handover", views_car.key_handover, name="key_handover"),
    path("booking/bookings/<int:booking_id>/return", views_car.car_return, name="car_return"),
    path("booking/mine", views.mine, name="mine"),
    path("booking/approvals", views.approvals, name="approvals"),
    path("booking/fleet", views_car.fleet_log, name="fleet_log"),
    path("booking/fleet/licences", views_car.licences, name="licences"),
]
