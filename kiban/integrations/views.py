"""The IT administrator's page of external systems: register, new token, disable, delete. A token is shown
once, on the answer to the POST that created it (never stored, never on a later GET)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kiban.core.permissions import it_admin_required
from kiban.integrations import actions, queries
from kiban.integrations.models import SCOPE_APPROVAL_COUNTS, SCOPE_SCIM


class SystemForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("識別名（半角英数字）"), max_length=50)
    label = forms.CharField(label=gettext_lazy("表示名"), max_length=100)
    url = forms.CharField(label=gettext_lazy("URL（ポータルのリンク先）"), max_length=500, required=False)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("権限"),
        choices=[
            (SCOPE_APPROVAL_COUNTS, gettext_lazy("決裁件数の送信（approval_counts）")),
            (SCOPE_SCIM, gettext_lazy("職員情報の連携（scim、今後対応）")),
        ],
        initial=["approval_counts"],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def _page(request, form=None, token=None, token_system=None, status=200):
    return render(
        request,
        "integrations/systems.html",
        {
            "systems": queries.systems_with_counts(),
            "form": form or SystemForm(),
            "token": token,
            "token_system": token_system,
        },
        status=status,
    )


@it_admin_required
def systems(request):
    if request.method != "POST":
        return _page(request)
    form = SystemForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        system, token = actions.do_register_system(
            request.user, name=data["name"], label=data["label"], url=data["url"],
            scopes=data["scopes"] or None, request=request,
        )  # fmt: skip
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, form, status=400)
    except IntegrityError:
        form.add_error("name", _("この識別名はすでに登録されています。"))
        return _page(request, form, status=409)
    return _page(request, token=token, token_system=system)


@it_admin_required
@require_POST
def rotate(request, system_id: int):
    system, token = actions.do_rotate_token(request.user, system_id, request=request)
    return _page(request, token=token, token_system=system)


@it_admin_required
@require_POST
def toggle(request, system_id: int):
    system = actions.access_system(request.user, system_id)
    system = actions.do_update_system(request.user, system_id, enabled=not system.enabled, request=request)
    if system.enabled:
        messages.success(request, _("「%(label)s」を有効にしました。") % {"label": system.label})
    else:
        messages.success(
            request, _("「%(label)s」を無効にしました。トークンは使えません。") % {"label": system.label}
        )
    return redirect("integrations:systems")


@it_admin_required
@require_POST
def delete(request, system_id: int):
    system = actions.access_system(request.user, system_id)
    actions.do_delete_system(request.user, system_id, request=request)
    messages.success(request, _("「%(label)s」を削除しました。") % {"label": system.label})
    return redirect("integrations:systems")
