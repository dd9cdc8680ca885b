"""Facilities and official cars (施設・公用車予約): resources, bookings, alcohol checks, driver licences.

No double booking: on PostgreSQL an exclusion constraint over `tstzrange(start, "end")` per resource for
the statuses that hold a slot (migration 0002); on SQLite `actions.reserve` checks and inserts inside one
IMMEDIATE transaction, which holds the database's write lock from BEGIN.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Resource(models.Model):
    class Kind(models.TextChoices):
        ROOM = "room", _("会議室")
        CAR = "car", _("公用車")
        EQUIPMENT = "equipment", _("備品")

    class Policy(models.TextChoices):
        FIRST_COME = "first_come", _("先着順")
        APPROVAL = "approval", _("承認制")

    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=128)
    location = models.CharField(_("場所"), max_length=128, blank=True)
    capacity = models.PositiveIntegerField(_("定員"), null=True, blank=True)
    notes = models.TextField(_("備考"), blank=True)
    # The owning section (管理所属): its members approve bookings of an approval resource, hand over
    # car keys and record alcohol checks.
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("管理所属"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
    )
    photo = models.ImageField(_("写真"), upload_to="booking/resources/", blank=True)
    policy = models.CharField(_("予約方式"), max_length=16, choices=Policy.choices, default=Policy.FIRST_COME)
    active = models.BooleanField(_("有効"), default=True)
    sort_order = models.IntegerField(_("表示順"), default=0)
    # Cars only.
    plate_number = models.CharField(_("登録番号"), max_length=32, blank=True)
    vehicle_type = models.CharField(_("車種"), max_length=64, blank=True)
    seats = models.PositiveSmallIntegerField(_("乗車定員"), null=True, blank=True)
    fuel_type = models.CharField(_("燃料"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("施設・公用車")
        verbose_name_plural = _("施設・公用車")
        ordering = ["kind", "sort_order", "name", "id"]
        indexes = [models.Index(fields=["kind", "active", "sort_order"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_car(self) -> bool:
        return self.kind == self.Kind.CAR


class FleetManager(models.Model):
    """安全運転管理者 (or a deputy): sees and exports the alcohol-check log, keeps the licence registry.
    `department` empty means the whole prefecture; otherwise the cars owned by that department."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("職員"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("担当所属"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("空欄なら全庁の公用車を担当します。"),
        related_name="+",
    )

    class Meta:
        verbose_name = _("安全運転管理者")
        verbose_name_plural = _("安全運転管理者")
        constraints = [
            models.UniqueConstraint(fields=["staff", "department"], name="fleet_manager_unique"),
            models.UniqueConstraint(
                fields=["staff"], condition=Q(department__isnull=True), name="fleet_manager_unique_global"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} ({self.department or _('全庁')})"


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("確定")
        PENDING = "pending", _("承認待ち")
        REJECTED = "rejected", _("却下")
        CANCELLED = "cancelled", _("取消")

    # Only these hold a slot; the exclusion constraint (PostgreSQL) and the SQLite check use the same list.
    HOLDING = (Status.CONFIRMED, Status.PENDING)

    resource = models.ForeignKey(
        Resource, verbose_name=_("施設"), on_delete=models.PROTECT, related_name="bookings"
    )
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    purpose = models.CharField(_("用件"), max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("予約者"), on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    # A meeting's room: the calendar owns the event and calls actions.release_event_bookings/rebook_event.
    event = models.ForeignKey(
        "calendar.Event",
        verbose_name=_("予定"),
        null=True,
        blank=True,
        # SET_NULL, not CASCADE: a car booking's alcohol checks are legal records kept a year, so deleting
        # the event must not delete them. The calendar releases the bookings before deleting the event.
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    # Occurrences of one recurring standalone booking share a series id.
    series = models.UUIDField(null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.CharField(_("コメント"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Cars.
    destination = models.CharField(_("行先"), max_length=200, blank=True)
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("運転者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="driven_bookings",
    )
    passengers = models.JSONField(_("同乗者"), default=list, blank=True)  # staff ids
    key_handed_over_at = models.DateTimeField(_("鍵貸出"), null=True, blank=True)
    key_handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(_("返却"), null=True, blank=True)
    odometer_start = models.PositiveIntegerField(_("出発時走行距離計"), null=True, blank=True)
    odometer_end = models.PositiveIntegerField(_("帰着時走行距離計"), null=True, blank=True)
    fuel_added = models.DecimalField(_("給油量(L)"), max_digits=6, decimal_places=2, null=True, blank=True)
    return_notes = models.TextField(_("運行メモ"), blank=True)

    class Meta:
        verbose_name = _("予約")
        verbose_name_plural = _("予約")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start")
        ]
        indexes = [
            models.Index(fields=["resource", "start"]),
            models.Index(fields=["booked_by", "start"]),
        ]

    def __str__(self) -> str:
        # Local time: this text is stored in the audit log, read beside its local 日時 column.
        return f"{self.resource} {timezone.localtime(self.start):%Y-%m-%d %H:%M}"

    @property
    def mileage(self) -> int | None:
        if self.odometer_start is None or self.odometer_end is None:
            return None
        return self.odometer_end - self.odometer_start


class AlcoholCheck(models.Model):
    """A pre- or post-drive alcohol check (道路交通法施行規則 第9条の10). Kept at least one year
    (jobs.prune_alcohol_checks deletes only older ones); no API or page changes or deletes one."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("運転前")
        AFTER = "after", _("運転後")

    class Method(models.TextChoices):
        FACE_TO_FACE = "face_to_face", _("対面")
        VIDEO = "video", _("ビデオ通話等")

    class Result(models.TextChoices):
        NEGATIVE = "negative", _("酒気帯びなし")
        POSITIVE = "positive", _("酒気帯びあり")

    booking = models.ForeignKey(
        Booking, verbose_name=_("予約"), on_delete=models.PROTECT, related_name="alcohol_checks"
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("運転者"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("区分"), max_length=8, choices=Kind.choices)
    checked_at = models.DateTimeField(_("確認日時"))
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("確認者"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("確認方法"), max_length=16, choices=Method.choices)
    detector_used = models.BooleanField(_("検知器使用"), default=True)
    reading = models.DecimalField(_("測定値(mg/L)"), max_digits=5, decimal_places=3, null=True, blank=True)
    result = models.CharField(_("結果"), max_length=8, choices=Result.choices)
    notes = models.TextField(_("備考"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("アルコールチェック")
        verbose_name_plural = _("アルコールチェック")
        ordering = ["checked_at", "id"]
        indexes = [models.Index(fields=["checked_at"]), models.Index(fields=["booking", "kind"])]

    def __str__(self) -> str:
        return f"{self.driver} {self.get_kind_display()} {timezone.localtime(self.checked_at):%Y-%m-%d %H:%M}"


class DriverLicence(models.Model):
    """A driver's licence as seen by the fleet manager. Only the last four digits are kept: the number is
    needed to match the card, not to be a copy of it."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("職員"), on_delete=models.CASCADE, related_name="licence"
    )
    number_last4 = models.CharField(_("免許証番号(下4桁)"), max_length=4, blank=True)
    expires_on = models.DateField(_("有効期限"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("確認日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("運転免許")
        verbose_name_plural = _("運転免許")
        ordering = ["expires_on"]

    def __str__(self) -> str:
        return f"{self.staff} ({self.expires_on})"


class FleetPolicy(models.Model):
    """Official-car rules as an IT administrator sets them (one row; defaults when there is none)."""

    alcohol_check_retention_days = models.PositiveIntegerField(
        _("アルコールチェック記録の保存期間(日)"),
        default=396,
        validators=[MinValueValidator(365)],
        help_text=_("法令で1年間の保存が必要です。365日より短くはできません。"),
    )
    pre_drive_check_valid_hours = models.PositiveIntegerField(
        _("運転前チェックの有効時間(時間)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("運転前のアルコールチェックからこの時間を過ぎると、鍵を貸し出せません。"),
    )

    class Meta:
        verbose_name = _("公用車の運用ルール")
        verbose_name_plural = _("公用車の運用ルール")
        constraints = [
            models.CheckConstraint(
                condition=Q(alcohol_check_retention_days__gte=365), name="fleet_policy_retention_one_year"
            )
        ]

    def __str__(self) -> str:
        return str(_("公用車の運用ルール"))

    @classmethod
    def current(cls) -> FleetPolicy:
        return cls.objects.order_by("pk").first() or cls()
