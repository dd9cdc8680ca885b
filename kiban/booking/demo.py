"""Demo data of this module for 架空県 (called by kiban.org.demo.load_demo after the organisation exists):
meeting rooms in the main building (first-come, and 大会議室/特別会議室 by approval) and branch offices,
official cars with licensed drivers (one licence expiring soon), equipment, fleet managers, and bookings
over this week and the next (a car trip today with its alcohol checks, key and return).

Bounded work whatever the number of staff: only the first few hundred people are drawn as bookers."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kiban.booking.models import AlcoholCheck, Booking, DriverLicence, FleetManager, Resource
from kiban.core.wareki import holiday_name
from kiban.org.models import Department, Membership

SEED = 20260401
MAIN = "本庁舎"

# (name, location, capacity, policy, owner code, notes)
ROOMS = [
    ("第1会議室", "本庁舎3階", 12, "first_come", "020100", ""),
    ("第2会議室", "本庁舎3階", 12, "first_come", "020100", ""),
    ("第3会議室", "本庁舎4階", 20, "first_come", "020100", "プロジェクター常設"),
    ("第4会議室", "本庁舎4階", 8, "first_come", "020100", ""),
    ("第5会議室", "本庁舎5階", 30, "first_come", "020100", "Web会議用カメラあり"),
    ("第6会議室", "本庁舎5階", 6, "first_come", "020100", ""),
    ("大会議室", "本庁舎7階", 120, "approval", "020100", "利用は総務課の承認が必要です。"),
    ("特別会議室", "本庁舎8階", 30, "approval", "010100", "知事・幹部会議用。秘書課の承認が必要です。"),
    ("東部地域振興局 会議室A", "東部合同庁舎2階", 20, "first_come", "210100", ""),
    ("東部地域振興局 会議室B", "東部合同庁舎2階", 10, "first_come", "210100", ""),
    ("東部保健所 研修室", "東部保健所1階", 40, "approval", "230100", ""),
    ("西部地域振興局 会議室", "西部合同庁舎3階", 24, "first_come", "310100", ""),
]
# (name, location, seats, plate, vehicle, fuel, owner code)
CARS = [
    ("公用車1号", "本庁舎地下駐車場", 5, "架空 300 さ 1201", "プリウス", "ハイブリッド", "020100"),
    ("公用車2号", "本庁舎地下駐車場", 5, "架空 300 さ 1202", "プリウス", "ハイブリッド", "020100"),
    ("公用車3号", "本庁舎地下駐車場", 5, "架空 500 さ 2203", "カローラ", "ガソリン", "020100"),
    ("公用車4号", "本庁舎地下駐車場", 8, "架空 300 さ 3304", "ノア", "ガソリン", "020100"),
    ("公用車5号(EV)", "本庁舎地下駐車場", 5, "架空 300 さ 4405", "リーフ", "電気", "020100"),
    ("軽公用車6号", "本庁舎東駐車場", 4, "架空 480 さ 5506", "N-BOX", "ガソリン", "020100"),
    ("東部1号", "東部合同庁舎駐車場", 5, "架空 300 さ 6601", "プリウス", "ハイブリッド", "210100"),
    ("西部1号(4WD)", "西部合同庁舎駐車場", 5, "架空 300 さ 7701", "フォレスター", "ガソリン", "310100"),
]
EQUIPMENT = [
    ("プロジェクター1", "総務課", "020100"),
    ("プロジェクター2", "総務課", "020100"),
    ("ノートPC 1", "情報政策課", "020500"),
    ("ノートPC 2", "情報政策課", "020500"),
    ("ノートPC 3", "情報政策課", "020500"),
    ("公用携帯 1", "総務課", "020100"),
    ("公用携帯 2", "総務課", "020100"),
]
ROOM_SLOTS = [
    ((9, 0), (10, 0)),
    ((10, 30), (12, 0)),
    ((13, 0), (14, 30)),
    ((15, 0), (16, 0)),
    ((16, 15), (17, 15)),
]
CAR_SLOTS = [((8, 30), (12, 0)), ((13, 0), (17, 15))]
PURPOSES = [
    "係内打合せ",
    "予算ヒアリング",
    "業者打合せ",
    "課内会議",
    "事業説明会",
    "研修",
    "庁内検討会",
    "面談",
]
DESTINATIONS = [
    "東部土木事務所",
    "西部保健所",
    "県議会棟",
    "○○市役所",
    "県立総合運動公園",
    "△△町役場",
    "現地調査(国道12号)",
]


def _at(day: dt.date, hm: tuple[int, int]) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(*hm), tzinfo=timezone.get_current_timezone())


def load_demo(say: Callable[[str], None]) -> dict:
    from django.contrib.auth import get_user_model

    Staff = get_user_model()
    rng = random.Random(SEED)
    departments = dict(Department.objects.values_list("code", "id"))
    if not departments:
        return {}
    with transaction.atomic():
        resources = []
        for order, (name, location, capacity, policy, owner, notes) in enumerate(ROOMS):
            resources.append(
                Resource(
                    kind="room", name=name, location=location, capacity=capacity, policy=policy,
                    department_id=departments.get(owner), notes=notes, sort_order=order,
                )
            )  # fmt: skip
        for order, (name, location, seats, plate, vehicle, fuel, owner) in enumerate(CARS):
            resources.append(
                Resource(
                    kind="car", name=name, location=location, capacity=seats, seats=seats, plate_number=plate,
                    vehicle_type=vehicle, fuel_type=fuel, department_id=departments.get(owner), sort_order=order,
                    notes="鍵は総務課で貸し出します。運転前後のアルコールチェックが必要です。",
                )
            )  # fmt: skip
        for order, (name, location, owner) in enumerate(EQUIPMENT):
            resources.append(
                Resource(kind="equipment", name=name, location=location, department_id=departments.get(owner),
                         sort_order=order)
            )  # fmt: skip
        Resource.objects.bulk_create(resources)
        resources = list(Resource.objects.order_by("kind", "sort_order"))
        rooms = [r for r in resources if r.kind == "room"]
        cars = [r for r in resources if r.kind == "car"]
        equipment = [r for r in resources if r.kind == "equipment"]

        # Fleet managers: the head (or first member) of 総務課 for the whole prefecture; a deputy for 東部.
        def first_member(code: str):
            m = (
                Membership.objects.filter(department_id=departments.get(code))
                .order_by("-is_head", "rank", "id")
                .values_list("staff_id", flat=True)
                .first()
            )
            return m

        managers = []
        chief = first_member("020100")
        if chief:
            managers.append(FleetManager(staff_id=chief, department=None))
        east = first_member("210100")
        if east and east != chief:
            managers.append(FleetManager(staff_id=east, department_id=departments.get("210100")))
        FleetManager.objects.bulk_create(managers)

        people = list(Staff.objects.filter(is_active=True).exclude(username="admin").order_by("id")[:400])
        if not people:
            return {"resources": len(resources)}
        today = timezone.localdate()
        drivers = [p for i, p in enumerate(people) if i % 7 == 3][:30]
        licences = []
        for i, driver in enumerate(drivers):
            expires = (
                today + dt.timedelta(days=12)
                if i == 0
                else today + dt.timedelta(days=200 + rng.randrange(1200))
            )
            licences.append(
                DriverLicence(staff=driver, expires_on=expires, number_last4=f"{rng.randrange(10000):04d}",
                              checked_by_id=chief, checked_at=timezone.now())
            )  # fmt: skip
        DriverLicence.objects.bulk_create(licences)

        monday = today - dt.timedelta(days=today.weekday())
        days = [
            d
            for d in (monday + dt.timedelta(days=i) for i in range(12))
            if d.weekday() < 5 and not holiday_name(d)
        ]
        bookings = []
        for day in days:
            for room in rooms:
                for slot in ROOM_SLOTS:
                    if rng.random() < 0.35:
                        status = (
                            "pending"
                            if room.policy == "approval" and day >= today and rng.random() < 0.5
                            else "confirmed"
                        )
                        bookings.append(
                            Booking(resource=room, start=_at(day, slot[0]), end=_at(day, slot[1]),
                                    purpose=rng.choice(PURPOSES), booked_by=rng.choice(people), status=status)
                        )  # fmt: skip
            for item in equipment:
                if rng.random() < 0.3:
                    slot = rng.choice(ROOM_SLOTS)
                    bookings.append(
                        Booking(resource=item, start=_at(day, slot[0]), end=_at(day, slot[1]),
                                purpose=rng.choice(PURPOSES), booked_by=rng.choice(people))
                    )  # fmt: skip
            for car in cars:
                for slot in CAR_SLOTS:
                    if drivers and rng.random() < 0.4:
                        driver = rng.choice(drivers[1:] or drivers)
                        passengers = [p.pk for p in rng.sample(people, 2) if p.pk != driver.pk]
                        bookings.append(
                            Booking(resource=car, start=_at(day, slot[0]), end=_at(day, slot[1]),
                                    purpose=rng.choice(["現地調査", "打合せ", "会議出席", "資料搬送"]),
                                    booked_by=driver, driver=driver, passengers=passengers,
                                    destination=rng.choice(DESTINATIONS))
                        )  # fmt: skip
        # Demo rows are generated without overlaps (fixed slots), so a bulk insert is safe here; the
        # exclusion constraint would refuse any that did overlap.
        Booking.objects.bulk_create(bookings, batch_size=1000)

        checks = 0
        if chief and drivers:
            trip_driver = drivers[1] if len(drivers) > 1 else drivers[0]
            car = cars[0]
            start, end = _at(today, (7, 0)), _at(today, (8, 15))
            if not Booking.objects.filter(resource=car, start__lt=end, end__gt=start).exists():
                trip = Booking.objects.create(
                    resource=car, start=start, end=end, purpose="早朝現地確認", booked_by=trip_driver,
                    driver=trip_driver, destination="現地調査(国道12号)", key_handed_over_by_id=chief,
                    key_handed_over_at=start - dt.timedelta(minutes=5), returned_at=end - dt.timedelta(minutes=5),
                    odometer_start=23410, odometer_end=23452, fuel_added=Decimal("0"), return_notes="異常なし",
                )  # fmt: skip
                for kind, at, method in (("before", start - dt.timedelta(minutes=10), "face_to_face"),
                                         ("after", end - dt.timedelta(minutes=5), "video")):  # fmt: skip
                    AlcoholCheck.objects.create(
                        booking=trip, driver=trip_driver, kind=kind, checked_at=at, checker_id=chief, method=method,
                        detector_used=True, reading=Decimal("0.000"), result="negative", recorded_by_id=chief,
                    )  # fmt: skip
                    checks += 1
    counts = {
        "resources": len(resources),
        "bookings": len(bookings) + (1 if checks else 0),
        "alcohol_checks": checks,
    }
    say(f"booking: {counts['resources']} resources, {counts['bookings']} bookings")
    return counts
