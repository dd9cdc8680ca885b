"""Writes of the booking module. The calendar calls `reserve`, `release_event_bookings` and `rebook_event`
(calendar → booking, one way: nothing here imports calendar code).

Interface for callers
---------------------
`reserve(*, resource_ids, ranges, booked_by, purpose="", event_id=None, car=None) -> list[Booking]`
    Books every resource for every (start, end) range (aware datetimes, end > start), all or nothing, in
    one transaction. Raises `BookingConflict` whose `.conflicts` lists the (start, end) of every existing
    booking that clashes (so a recurring series names the dates), and Django `ValidationError` (a dict
    naming the field: `resource`, `ranges`, `destination`, `driver`, `passengers`) for bad input: resource
    unknown or retired, no ranges, end not after start, a car without destination or driver, a driver
    without a valid licence on the booking date. An approval resource's booking is `pending` (it holds the
    slot) unless the booker manages the resource. `car` = {"destination": str, "driver": Staff | id,
    "passengers": [Staff | id, …]}. Safe inside the caller's transaction.atomic().
`release_event_bookings(event_id, *, from_start=None) -> int`
    Cancels the event's bookings (those starting at or after `from_start` when given): the slots are free
    at once. Returns how many.
`rebook_event(event_id, ranges, *, resource_ids, booked_by, purpose="", car=None) -> list[Booking]`
    Moves an event's bookings: release + reserve in one transaction; on conflict nothing changes.
`do_cancel_booking(user, booking) -> Booking`

How double booking is made impossible: PostgreSQL has the exclusion constraint `booking_no_overlap`
(migration 0002); an insert that would overlap fails with an IntegrityError even when two transactions
race, and is turned into `BookingConflict` naming the winner's time. SQLite runs every `transaction.atomic`
as BEGIN IMMEDIATE, so the check for overlaps and the insert happen while this connection holds the one
write lock: no other writer can slip in between.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking import queries, rules
from kiban.booking.models import Booking, DriverLicence, Resource
from kiban.booking.queries import MAX_BOOKING_SPAN
from kiban.core import audit, recurrence
from kiban.core.wareki import wareki, wareki_datetime
from kiban.notifications.actions import mark_read_up_to, notify
from kiban.notifications.models import Notification
from kiban.org import queries as org_queries

log = logging.getLogger(__name__)

Range = tuple[dt.datetime, dt.datetime]
MAX_OCCURRENCES = 366
MAX_SPAN = MAX_BOOKING_SPAN  # longer bookings would escape the window queries' lower bound


class BookingConflict(Exception):
    """The slot is taken. `conflicts`: sorted (start, end) of the existing bookings that clash."""

    def __init__(self, conflicts: Sequence[Range]):
        self.conflicts = sorted(set(conflicts))
        super().__init__(conflict_message(self.conflicts))


def conflict_message(conflicts: Sequence[Range]) -> str:
    shown = ", ".join(f"{wareki_datetime(s)}–{timezone.localtime(e):%H:%M}" for s, e in conflicts[:10])
    more = _(" ほか%(n)d件") % {"n": len(conflicts) - 10} if len(conflicts) > 10 else ""
    return _("その時間は既に予約されています: %(when)s%(more)s") % {"when": shown, "more": more}


def _staff_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


def _as_staff(value, field: str):
    Staff = _staff_model()
    if isinstance(value, Staff):
        person = value
    else:
        query = {"username": value} if isinstance(value, str) else {"pk": value}
        person = Staff.objects.filter(**query).first()
    if person is None or not person.is_active:
        raise ValidationError({field: _("その職員はいません。")})
    return person


def _check_ranges(ranges: Sequence[Range]) -> list[Range]:
    if not ranges:
        raise ValidationError({"ranges": _("日時を指定してください。")})
    if len(ranges) > MAX_OCCURRENCES:
        raise ValidationError({"ranges": _("一度に予約できるのは%(n)d件までです。") % {"n": MAX_OCCURRENCES}})
    for start, end in ranges:
        if timezone.is_naive(start) or timezone.is_naive(end):
            raise ValidationError({"ranges": _("時刻にはタイムゾーンが必要です。")})
        if end <= start:
            raise ValidationError({"end": _("終了は開始より後にしてください。")})
        if end - start > MAX_SPAN:
            raise ValidationError({"end": _("一度の予約は31日までです。")})
    ordered = sorted(ranges)
    for (_s1, e1), (s2, _e2) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            raise ValidationError({"ranges": _("指定した日時どうしが重なっています。")})
    return ordered


def _check_resources(resource_ids: Iterable[int]) -> list[Resource]:
    ids = list(dict.fromkeys(resource_ids))
    if not ids:
        raise ValidationError({"resource": _("施設を指定してください。")})
    found = {r.pk: r for r in Resource.objects.filter(pk__in=ids)}
    for rid in ids:
        if rid not in found:
            raise ValidationError({"resource": _("その施設はありません。")})
        if not found[rid].active:
            raise ValidationError(
                {"resource": _("「%(name)s」は現在予約できません。") % {"name": found[rid].name}}
            )
    return [found[rid] for rid in ids]


def check_licence(driver, last_day: dt.date) -> None:
    """The driver's licence must be registered and valid on every booked day."""
    licence = DriverLicence.objects.filter(staff=driver).first()
    if licence is None:
        raise ValidationError(
            {"driver": _("%(name)sさんの運転免許が登録されていません。") % {"name": driver.full_name}}
        )
    if licence.expires_on < last_day:
        raise ValidationError(
            {"driver": _("%(name)sさんの運転免許は有効期限(%(date)s)が切れています。")
             % {"name": driver.full_name, "date": wareki(licence.expires_on)}}
        )  # fmt: skip


def _car_fields(car: dict | None, ranges: list[Range]) -> dict:
    car = car or {}
    destination = (car.get("destination") or "").strip()
    if not destination:
        raise ValidationError({"destination": _("公用車には行先が必要です。")})
    if len(destination) > 200:
        raise ValidationError({"destination": _("200文字以内にしてください。")})
    if not car.get("driver"):
        raise ValidationError({"driver": _("公用車には運転者が必要です。")})
    driver = _as_staff(car["driver"], "driver")
    check_licence(driver, timezone.localdate(ranges[-1][1] - dt.timedelta(microseconds=1)))
    passengers = []
    for p in car.get("passengers") or []:
        person = _as_staff(p, "passengers")
        if person.pk != driver.pk and person.pk not in passengers:
            passengers.append(person.pk)
    return {"destination": destination, "driver": driver, "passengers": passengers}


def find_conflicts(resource_ids: Iterable[int], ranges: Sequence[Range], *, exclude_ids=()) -> list[Range]:
    """Existing slot-holding bookings of these resources overlapping any range (half-open intervals)."""
    ranges = sorted(ranges)
    if not ranges:
        return []
    lo, hi = ranges[0][0], max(e for _s, e in ranges)
    candidates = (
        Booking.objects.filter(
            resource_id__in=list(resource_ids),
            status__in=Booking.HOLDING,
            start__gte=lo - MAX_SPAN,  # no booking is longer: one short index range per resource
            start__lt=hi,
            end__gt=lo,
        )
        .exclude(pk__in=list(exclude_ids))
        .values_list("start", "end")
    )
    return sorted({(s, e) for s, e in candidates for rs, re_ in ranges if s < re_ and e > rs})


def _is_overlap_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "23P01" or "booking_no_overlap" in str(error)


def _insert(
    rows: list[Booking], resource_ids: list[int], ranges: list[Range], exclude_ids=()
) -> list[Booking]:
    """Check and insert in one (nested) atomic block; see the module docstring for why this cannot race."""
    try:
        with transaction.atomic():
            conflicts = find_conflicts(resource_ids, ranges, exclude_ids=exclude_ids)
            if conflicts:
                raise BookingConflict(conflicts)
            return Booking.objects.bulk_create(rows)
    except IntegrityError as error:
        if not _is_overlap_violation(error):
            raise
        # Lost a race on PostgreSQL: the winner has committed (the constraint waited for it).
        raise BookingConflict(
            find_conflicts(resource_ids, ranges, exclude_ids=exclude_ids) or list(ranges[:1])
        ) from error


def reserve(
    *,
    resource_ids: Iterable[int],
    ranges: Sequence[Range],
    booked_by,
    purpose: str = "",
    event_id: int | None = None,
    car: dict | None = None,
) -> list[Booking]:
    """See the module docstring."""
    ordered = _check_ranges(ranges)
    resources = _check_resources(resource_ids)
    purpose = (purpose or "").strip()
    if len(purpose) > 200:
        raise ValidationError({"purpose": _("200文字以内にしてください。")})
    car_fields = _car_fields(car, ordered) if any(r.is_car for r in resources) else {}
    series = uuid.uuid4() if len(ordered) > 1 and event_id is None else None
    now = timezone.now()
    rows = []
    self_approved = []
    for resource in resources:
        needs_approval = resource.policy == Resource.Policy.APPROVAL
        pending = needs_approval and not rules.manages_resource(booked_by, resource)
        status = Booking.Status.PENDING if pending else Booking.Status.CONFIRMED
        extra = car_fields if resource.is_car else {}
        if needs_approval and not pending:
            # An approver booking a resource they approve: confirmed at once, and noted as a self-approval
            # (decided by the booker), so the audit log and the booking page say who approved it.
            extra = {**extra, "decided_by": booked_by, "decided_at": now}
            self_approved.append(resource)
        for start, end in ordered:
            rows.append(
                Booking(
                    resource=resource, start=start, end=end, purpose=purpose, booked_by=booked_by, status=status,
                    event_id=event_id, series=series, created_at=now, **extra,
                )
            )  # fmt: skip
    with transaction.atomic():
        created = _insert(rows, [r.pk for r in resources], ordered)
        for resource in self_approved:
            first = next(b for b in created if b.resource_id == resource.pk)
            audit.record("booking.self_approve", actor=booked_by, target=first, count=len(ordered))
        pending_resources = {b.resource_id for b in created if b.status == Booking.Status.PENDING}
        for resource in resources:
            if resource.pk in pending_resources:
                first = next(b for b in created if b.resource_id == resource.pk)
                _notify_approvers(resource, booked_by, ordered, request_key=_request_key(first))
    return created


def _request_key(booking: Booking) -> str:
    """The notification group of the approval request `booking` belongs to: the request's first booking of
    that resource (a recurring request asks once for all its occurrences)."""
    first_pk = booking.pk
    if booking.series:
        first_pk = (
            Booking.objects.filter(series=booking.series, resource_id=booking.resource_id)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        ) or booking.pk
    return f"booking-request:{first_pk}"


def release_event_bookings(event_id: int, *, from_start: dt.datetime | None = None) -> int:
    """Cancel the event's slot-holding bookings (from `from_start` on, when given)."""
    qs = Booking.objects.filter(event_id=event_id, status__in=Booking.HOLDING)
    if from_start is not None:
        qs = qs.filter(start__gte=from_start)
    return qs.update(status=Booking.Status.CANCELLED, updated_at=timezone.now())


def rebook_event(
    event_id: int,
    ranges: Sequence[Range],
    *,
    resource_ids: Iterable[int],
    booked_by,
    purpose: str = "",
    car: dict | None = None,
    from_start: dt.datetime | None = None,
) -> list[Booking]:
    """Release the event's bookings (from `from_start`) and book `ranges` instead, in one transaction.
    When nothing moved (same resources, same times) the bookings stay as they are, only the purpose
    follows, so an approved booking is not sent back for approval by an edit of the title. A car keeps
    its destination, driver and passengers unless `car` is given."""
    resource_ids = list(dict.fromkeys(resource_ids))
    with transaction.atomic():
        held = Booking.objects.filter(event_id=event_id, status__in=Booking.HOLDING)
        if from_start is not None:
            held = held.filter(start__gte=from_start)
        held = list(held.select_for_update())
        wanted = {(rid, s, e) for rid in resource_ids for s, e in ranges}
        if held and wanted == {(b.resource_id, b.start, b.end) for b in held}:
            purpose = (purpose or "").strip()[:200]
            Booking.objects.filter(pk__in=[b.pk for b in held]).exclude(purpose=purpose).update(
                purpose=purpose, updated_at=timezone.now()
            )
            return held
        if car is None:
            previous = next((b for b in held if b.driver_id), None)
            if previous is not None:
                car = {"destination": previous.destination, "driver": previous.driver_id,
                       "passengers": previous.passengers}  # fmt: skip
        release_event_bookings(event_id, from_start=from_start)
        if not resource_ids or not ranges:
            return []
        return reserve(
            resource_ids=resource_ids, ranges=ranges, booked_by=booked_by, purpose=purpose,
            event_id=event_id, car=car,
        )  # fmt: skip


# --- One booking ----------------------------------------------------------------------------------------


def access_booking(user, booking_id: int) -> Booking:
    """The booking if the person may see it (booker, driver, the resource's managers, fleet managers)."""
    bookings = queries.with_purpose_hidden(Booking.objects, user)  # a manager may not read a private purpose
    booking = (
        bookings.select_related("resource", "booked_by", "driver", "decided_by").filter(pk=booking_id).first()
    )
    if booking is None or not rules.can_see_booking(user, booking):
        raise Http404
    return booking


def do_cancel_booking(user, booking: Booking, *, whole_series: bool = False) -> Booking:
    """Cancel (the slot is free at once). The booker or the resource's managers; conditional update, so a
    booking already cancelled or rejected stays as it is. `whole_series` also cancels the later
    occurrences of a recurring booking."""
    if not rules.can_change_booking(user, booking):
        raise Http404
    with transaction.atomic():
        qs = Booking.objects.filter(pk=booking.pk)
        if whole_series and booking.series:
            qs = Booking.objects.filter(series=booking.series, start__gte=booking.start)
        qs.filter(status__in=Booking.HOLDING).update(
            status=Booking.Status.CANCELLED, updated_at=timezone.now()
        )
        if user.pk != booking.booked_by_id:
            audit.record("booking.cancel", actor=user, target=booking, booked_by=booking.booked_by.username)
    booking.refresh_from_db()
    return booking


def do_update_booking(user, booking: Booking, **changes) -> Booking:
    """Change purpose, time (checked against other bookings, as `reserve`), and a car's destination,
    driver and passengers. Only a slot-holding booking can change."""
    if not rules.can_change_booking(user, booking):
        raise Http404
    if booking.status not in Booking.HOLDING:
        raise ValidationError({"status": _("取消・却下された予約は変更できません。")})
    start = changes.get("start") or booking.start
    end = changes.get("end") or booking.end
    ranges = _check_ranges([(start, end)])
    fields = {"start": start, "end": end}
    if "purpose" in changes:
        purpose = (changes["purpose"] or "").strip()
        if len(purpose) > 200:
            raise ValidationError({"purpose": _("200文字以内にしてください。")})
        fields["purpose"] = purpose
    if booking.resource.is_car:
        car = {
            "destination": changes.get("destination", booking.destination),
            "driver": changes.get("driver", booking.driver),
            "passengers": changes.get("passengers", booking.passengers),
        }
        fields.update(_car_fields(car, ranges))
    moved = (start, end) != (booking.start, booking.end)
    back_to_approval = (
        moved
        and booking.resource.policy == Resource.Policy.APPROVAL
        and not rules.manages_resource(user, booking.resource)
    )
    if back_to_approval:
        # An approval was for the time asked; a new time is a new request.
        fields["status"] = Booking.Status.PENDING
    with transaction.atomic():
        if moved:
            conflicts = find_conflicts([booking.resource_id], ranges, exclude_ids=[booking.pk])
            if conflicts:
                raise BookingConflict(conflicts)
        try:
            with transaction.atomic():
                updated = Booking.objects.filter(pk=booking.pk, status__in=Booking.HOLDING).update(
                    updated_at=timezone.now(), **fields
                )
        except IntegrityError as error:
            if not _is_overlap_violation(error):
                raise
            raise BookingConflict(
                find_conflicts([booking.resource_id], ranges, exclude_ids=[booking.pk])
            ) from error
        if not updated:
            raise ValidationError({"status": _("取消・却下された予約は変更できません。")})
        if back_to_approval:
            _notify_approvers(booking.resource, booking.booked_by, ranges, request_key=_request_key(booking))
    booking.refresh_from_db()
    return booking


def do_decide_booking(user, booking: Booking, *, action: str, comment: str = "") -> Booking:
    """Approve or reject a pending booking: the owning section's members (or IT administrators). A
    conditional update, so two deciders cannot both decide; the booker is notified."""
    if not rules.manages_resource(user, booking.resource):
        if rules.can_see_booking(user, booking):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("この施設の予約を承認する権限がありません。"))
        raise Http404
    if action not in ("approve", "reject"):
        raise ValidationError({"action": _("approve か reject を指定してください。")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": _("500文字以内にしてください。")})
    status = Booking.Status.CONFIRMED if action == "approve" else Booking.Status.REJECTED
    now = timezone.now()
    with transaction.atomic():
        # Conditional on the start too: a request whose time has come is no longer decided (the room was
        # either used or not; approving it afterwards would only fake the record).
        done = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING, start__gt=now).update(
            status=status, decided_by=user, decided_at=now, decision_comment=comment, updated_at=now
        )
        if not done:
            booking.refresh_from_db()
            if booking.status == Booking.Status.PENDING:
                raise ValidationError({"start": _("開始時刻を過ぎた予約は承認・却下できません。")})
            raise ValidationError({"status": _("この予約は承認待ちではありません。")})
        self_approval = user.pk == booking.booked_by_id
        audit.record(
            f"booking.{action}", actor=user, target=booking, comment=comment, self_approval=self_approval
        )
        booking.refresh_from_db()
        _notify_booker(booking, user)
        _clear_approval_requests(booking)
    return booking


def _clear_approval_requests(booking: Booking) -> None:
    """Once nothing of the request waits any more, the other approvers' 承認依頼 notifications are read:
    their bell no longer asks them for a decision already taken."""
    if (
        booking.series
        and Booking.objects.filter(
            series=booking.series, resource_id=booking.resource_id, status=Booking.Status.PENDING
        ).exists()
    ):
        return
    key = _request_key(booking)
    recipients = set(
        Notification.objects.filter(group_key=key, read_at__isnull=True).values_list(
            "recipient_id", flat=True
        )
    )
    for recipient_id in recipients:
        mark_read_up_to(recipient_id, key)


# --- Notifications --------------------------------------------------------------------------------------


def _when(moment: dt.datetime) -> str:
    return wareki_datetime(moment, weekday=True)


def _notify(recipient_ids: list[int], **kwargs) -> None:
    notify(recipient_ids, kind="booking.approval", **kwargs)


def _notify_approvers(resource: Resource, booked_by, ranges: list[Range], *, request_key: str = "") -> None:
    if resource.department_id is None:
        return
    # The owning section's members (本務 and 兼務) approve; never the booker themself.
    ids = [i for i in org_queries.member_ids(resource.department_id) if i != booked_by.pk]
    if not ids:
        return
    _notify(
        ids,
        title=_("%(resource)sの予約承認依頼") % {"resource": resource.name},
        body=_("%(name)sさん %(when)s") % {"name": booked_by.full_name, "when": _when(ranges[0][0])},
        url="/booking/approvals",
        actor=booked_by,
        group_key=request_key,
    )


def _notify_booker(booking: Booking, decider) -> None:
    verdict = _("承認されました") if booking.status == Booking.Status.CONFIRMED else _("却下されました")
    body = _when(booking.start)
    if booking.decision_comment:
        body += "\n" + _("コメント: %(comment)s") % {"comment": booking.decision_comment}
    _notify(
        [booking.booked_by_id],
        title=_("%(resource)sの予約が%(verdict)s") % {"resource": booking.resource.name, "verdict": verdict},
        body=body,
        url=f"/booking/bookings/{booking.pk}",
        actor=decider,
    )


def expand_rrule(rrule: str, start: dt.datetime, end: dt.datetime) -> list[Range]:
    """Occurrences of a standalone recurring booking (RFC 5545 RRULE, wall-clock time in Asia/Tokyo), by the
    installation's one recurrence engine (`kiban.core.recurrence`, the calendar's). At most MAX_OCCURRENCES,
    within two years of the first."""
    if end <= start:
        raise ValidationError({"end": _("終了は開始より後にしてください。")})
    try:
        return recurrence.expand_ranges(
            rrule or "", start, end, horizon=dt.timedelta(days=731), limit=MAX_OCCURRENCES
        )
    except recurrence.TooManyOccurrences:
        raise ValidationError({"rrule": _("繰り返しは%(n)d回までです。") % {"n": MAX_OCCURRENCES}}) from None
    except recurrence.NoOccurrences:
        raise ValidationError({"rrule": _("該当する日がありません。")}) from None
    except recurrence.TooDense:
        message = _("繰り返しは1日%(n)d回までです。") % {"n": recurrence.MAX_PER_DAY}
        raise ValidationError({"rrule": message}) from None
    except recurrence.RecurrenceError:
        raise ValidationError({"rrule": _("繰り返しの指定が正しくありません。")}) from None
