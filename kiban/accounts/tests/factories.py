from __future__ import annotations

import factory

from kiban.accounts.models import Staff

PASSWORD = "correct-horse-battery"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"{100000 + n}")
    family_name = "山田"
    given_name = factory.Sequence(lambda n: f"太郎{n}")
    family_name_kana = "ヤマダ"
    given_name_kana = "タロウ"
    romaji = "Yamada Taro"
    email = factory.LazyAttribute(lambda o: f"{o.username}@pref.example.lg.jp")
    extension = factory.Sequence(lambda n: f"{2000 + n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_many_staff(count: int, *, start: int = 500000) -> list[Staff]:
    """`count` people in one bulk insert (no password hashing): for tests that need thousands of staff."""
    Staff.objects.bulk_create(
        [
            Staff(
                username=str(start + i),
                family_name="大野",
                given_name=f"職員{i}",
                family_name_kana="オオノ",
                given_name_kana="ショクイン",
                email=f"{start + i}@pref.example.lg.jp",
                password="!",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    return list(
        Staff.objects.filter(username__in=[str(start + i) for i in range(count)]).order_by("username")
    )
