from __future__ import annotations

import factory

from kiban.org.models import Department, Membership


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}課")
    order = factory.Sequence(lambda n: n)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    staff = factory.SubFactory("kiban.accounts.tests.factories.StaffFactory")
    department = factory.SubFactory(DepartmentFactory)
    title = "主事"
    is_primary = True
    is_head = False
