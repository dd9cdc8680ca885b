"""Official-car writes (公用車): alcohol checks, key handover, return record, the licence registry.

The law (道路交通法施行規則 第9条の10) requires a check of every driver before and after driving, by sight
(face to face, or by video call when the driver is away) and with a detector, recorded and kept one year.
Kiban refuses the key handover while the booking's driver has no pre-drive check or a positive one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking import rules
from kiban.booking.models import AlcoholCheck, Booking, DriverLicence, FleetPolicy
from kiban.core import audit

# Kept for a year by law: whatever the policy says, nothing younger is deleted.
MIN_RETENTION = dt.timedelta(days=365)


class KeyHandoverRefused(Exception):
    """The key must not be handed over (409): no negative pre-drive check, or already handed over."""


def _car_booking(booking: Booking) -> None:
    if not booking.resource.is_car:
        raise ValidationError({"booking": _("公用車の予約ではありません。")})
    if booking.status != Booking.Status.CONFIRMED:
        raise ValidationError({"status": _("確定した予約ではありません。")})


def do_record_alcohol_check(
    user,
    booking: Booking,
    *,
    kind: str,
    method: str,
    result: str,
    checked_at: dt.datetime | None = None,
    reading: Decimal | None = None,
    detector_used: bool = True,
    notes: str = "",
) -> AlcoholCheck:
    """Record a check of the booking's driver; the person recording it is the checker. The owning section's
    members and fleet managers may; a driver cannot check themself. Append-only: nothing edits a check."""
    if not rules.can_record_checks(user, booking):
        if rules.can_see_booking(user, booking):
            raise PermissionDenied(_("アルコールチェックを記録できるのは管理所属または安全運転管理者です。"))
        raise Http404
    _car_booking(booking)
    if booking.driver_id is None:
        raise ValidationError({"driver": _("運転者が登録されていません。")})
    if booking.driver_id == user.pk:
        raise ValidationError({"checker": _("運転者本人は確認者になれません。")})
    if kind not in AlcoholCheck.Kind.values:
        raise ValidationError({"kind": _("before か after を指定してください。")})
    if method not in AlcoholCheck.Method.values:
        raise ValidationError({"method": _("face_to_face か video を指定してください。")})
    if result not in AlcoholCheck.Result.values:
        raise ValidationError({"result": _("negative か positive を指定してください。")})
    if detector_used and reading is None:
        raise ValidationError({"reading": _("検知器の測定値を入力してください。")})
    if reading is not None and not (Decimal("0") <= reading < Decimal("10")):
        raise ValidationError({"reading": _("0以上10未満の値を入力してください。")})
    if reading is not None and reading >= Decimal("0.15") and result == AlcoholCheck.Result.NEGATIVE:
        # 0.15 mg/L is the legal threshold of 酒気帯び; a reading at or above it cannot be "negative".
        raise ValidationError({"result": _("測定値が0.15mg/L以上のときは「酒気帯びあり」です。")})
    now = timezone.now()
    checked_at = checked_at or now
    if timezone.is_naive(checked_at):
        raise ValidationError({"checked_at": _("時刻にはタイムゾーンが必要です。")})
    if checked_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"checked_at": _("未来の時刻は記録できません。")})
    if len(notes) > 2000:
        raise ValidationError({"notes": _("2000文字以内にしてください。")})
    with transaction.atomic():
        check = AlcoholCheck.objects.create(
            booking=booking, driver_id=booking.driver_id, kind=kind, checked_at=checked_at, checker=user,
            method=method, detector_used=detector_used, reading=reading, result=result, notes=notes,
            recorded_by=user, created_at=now,
        )  # fmt: skip
        audit.record("booking.alcohol_check", actor=user, target=booking, kind=kind, result=result)
    return check


def pre_drive_check(booking: Booking) -> AlcoholCheck | None:
    """The latest pre-drive check of the booking's current driver."""
    return (
        AlcoholCheck.objects.filter(
            booking=booking, driver_id=booking.driver_id, kind=AlcoholCheck.Kind.BEFORE
        )
        .order_by("-checked_at", "-id")
        .first()
    )


def do_hand_over_key(user, booking: Booking, *, odometer_start: int | None = None) -> Booking:
    """Hand the key to the driver. Refused (KeyHandoverRefused → 409) without a negative pre-drive check of
    the driver, after a positive one, or when already handed over; a conditional update, so twice is once."""
    if not rules.can_record_checks(user, booking):
        if rules.can_see_booking(user, booking):
            raise PermissionDenied(_("鍵を貸し出せるのは管理所属または安全運転管理者です。"))
        raise Http404
    _car_booking(booking)
    if odometer_start is not None and odometer_start < 0:
        raise ValidationError({"odometer_start": _("0以上の値を入力してください。")})
    valid_hours = FleetPolicy.current().pre_drive_check_valid_hours
    with transaction.atomic():
        # A positive check is not cleared by a second, negative one: that driver does not drive this trip.
        positive = AlcoholCheck.objects.filter(
            booking=booking, driver_id=booking.driver_id, kind=AlcoholCheck.Kind.BEFORE,
            result=AlcoholCheck.Result.POSITIVE,
        ).exists()  # fmt: skip
        if positive:
            raise KeyHandoverRefused(
                _("運転前のアルコールチェックで酒気帯びが確認されたため、鍵を貸し出せません。")
            )
        check = pre_drive_check(booking)
        if check is None:
            raise KeyHandoverRefused(
                _("運転前のアルコールチェックが記録されていないため、鍵を貸し出せません。")
            )
        if check.checked_at < timezone.now() - dt.timedelta(hours=valid_hours):
            raise KeyHandoverRefused(
                _("運転前のアルコールチェックから%(h)d時間以上経っています。もう一度確認してください。")
                % {"h": valid_hours}
            )
        fields = {"key_handed_over_at": timezone.now(), "key_handed_over_by": user}
        if odometer_start is not None:
            fields["odometer_start"] = odometer_start
        done = Booking.objects.filter(pk=booking.pk, key_handed_over_at__isnull=True).update(**fields)
        if not done:
            raise KeyHandoverRefused(_("鍵は既に貸し出されています。"))
        audit.record("booking.key_handover", actor=user, target=booking, driver=booking.driver.username)
    booking.refresh_from_db()
    return booking


def do_record_return(
    user,
    booking: Booking,
    *,
    odometer_end: int,
    odometer_start: int | None = None,
    fuel_added: Decimal | None = None,
    notes: str = "",
    returned_at: dt.datetime | None = None,
) -> Booking:
    """The driver (or booker, or the owning section) records the return: mileage, fuel, notes."""
    if not (rules.owns_booking(user, booking) or rules.can_record_checks(user, booking)):
        raise Http404
    _car_booking(booking)
    if booking.key_handed_over_at is None:
        raise ValidationError({"key": _("鍵が貸し出されていません。")})
    if booking.returned_at is not None:
        raise ValidationError({"returned_at": _("既に返却済みです。")})
    start = odometer_start if odometer_start is not None else booking.odometer_start
    if odometer_end < 0 or (start is not None and odometer_end < start):
        raise ValidationError({"odometer_end": _("出発時の走行距離計以上の値を入力してください。")})
    if fuel_added is not None and not (Decimal("0") <= fuel_added < Decimal("1000")):
        raise ValidationError({"fuel_added": _("0以上1000未満の値を入力してください。")})
    if len(notes) > 2000:
        raise ValidationError({"notes": _("2000文字以内にしてください。")})
    returned_at = returned_at or timezone.now()
    with transaction.atomic():
        done = Booking.objects.filter(pk=booking.pk, returned_at__isnull=True).update(
            returned_at=returned_at, odometer_start=start, odometer_end=odometer_end, fuel_added=fuel_added,
            return_notes=notes, updated_at=timezone.now(),
        )  # fmt: skip
        if not done:
            raise ValidationError({"returned_at": _("既に返却済みです。")})
    booking.refresh_from_db()
    return booking


def do_set_licence(user, staff, *, expires_on: dt.date, number_last4: str = "") -> DriverLicence:
    """Register or renew a driver's licence (fleet managers and IT administrators), audited."""
    if not rules.can_keep_licences(user):
        raise Http404
    if number_last4 and (len(number_last4) != 4 or not number_last4.isdigit()):
        raise ValidationError({"number_last4": _("下4桁の数字を入力してください。")})
    with transaction.atomic():
        licence, _created = DriverLicence.objects.update_or_create(
            staff=staff,
            defaults={
                "expires_on": expires_on, "number_last4": number_last4, "checked_by": user,
                "checked_at": timezone.now(),
            },
        )  # fmt: skip
        audit.record("booking.licence", actor=user, target=licence, expires_on=expires_on.isoformat())
    return licence


def prune_alcohol_checks(now: dt.datetime | None = None, keep: dt.timedelta | None = None) -> int:
    """Delete checks older than the retention period (FleetPolicy; default a year and a month), never
    younger than one year (the legal minimum), whatever is asked."""
    if keep is None:
        keep = dt.timedelta(days=FleetPolicy.current().alcohol_check_retention_days)
    keep = max(keep, MIN_RETENTION)
    cutoff = (now or timezone.now()) - keep
    deleted, _rows = AlcoholCheck.objects.filter(checked_at__lt=cutoff).delete()
    return deleted
