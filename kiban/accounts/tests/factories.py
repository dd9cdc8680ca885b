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
