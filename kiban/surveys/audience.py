"""Who a survey or a safety-style audience reaches: all staff, departments with their sub-departments, or
chosen people. Active staff only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.org import queries as org_queries
from kiban.org.models import Department, Membership


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def subtree_ids(department_ids: list[int]) -> set[int]:
    return org_queries.subtree_ids(department_ids)


def resolve(audience: dict) -> tuple[dict, list[int]]:
    """(the audience as stored, the staff ids it reaches). ValidationError naming `audience` otherwise."""

    if not isinstance(audience, dict) or len(audience) != 1:
        raise field_error(
            "audience", _('{"all": true}、{"departments": [...]}、{"people": [...]} のいずれかです。')
        )
    active = Staff.objects.filter(is_active=True)
    if audience.get("all") is True:
        return {"all": True}, list(active.values_list("pk", flat=True))
    if "departments" in audience:
        ids = audience["departments"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids) or len(ids) > 500:
            raise field_error("audience.departments", _("所属のIDを1つ以上指定してください。"))
        known = set(Department.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        missing = [i for i in ids if i not in known]
        if missing:
            raise field_error("audience.departments", _("存在しない所属です: %(ids)s") % {"ids": missing})
        members = Membership.objects.filter(department_id__in=subtree_ids(ids), staff__is_active=True)
        return {"departments": sorted(set(ids))}, sorted(set(members.values_list("staff_id", flat=True)))
    if "people" in audience:
        names = audience["people"]
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) for n in names)
            or len(names) > 10000
        ):
            raise field_error("audience.people", _("職員を1人以上指定してください。"))
        found = dict(active.filter(username__in=names).values_list("username", "pk"))
        missing = [n for n in names if n not in found]
        if missing:
            raise field_error(
                "audience.people", _("見つからない職員です: %(names)s") % {"names": missing[:10]}
            )
        return {"people": sorted(set(names))}, sorted(set(found.values()))
    raise field_error(
        "audience", _('{"all": true}、{"departments": [...]}、{"people": [...]} のいずれかです。')
    )


def primary_departments(staff_ids: list[int]) -> dict[int, int]:
    """staff id → their primary (本務) section id."""

    return dict(
        Membership.objects.filter(staff_id__in=staff_ids, is_primary=True).values_list(
            "staff_id", "department_id"
        )
    )
