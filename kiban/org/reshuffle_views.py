"""IT administrators' page of reshuffles (人事異動): pending ones with their preview, and cancelling."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.core.permissions import it_admin_required
from kiban.core.wareki import wareki
from kiban.org import reshuffle as reshuffles
from kiban.org.importer_parse import ImportFailed, parse_csv

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ReshuffleUploadForm(forms.Form):
    file = forms.FileField(label=_("職員・所属のCSVファイル"))
    effective_date = forms.DateField(label=_("発令日"), widget=forms.DateInput(attrs={"type": "date"}))
    full = forms.BooleanField(label=_("全件（ファイルにない職員・所属を退職・廃止にする）"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（%(n)d MBまで）。") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload

    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("発令日は今日以降にしてください。"))
        return day


@it_admin_required
def reshuffle_list(request):
    """The reshuffles, and the upload of a new one: the same importer as `kiban import-staff --effective`
    (the whole file is checked first; a bad row stores nothing and names file, line and field)."""
    form = ReshuffleUploadForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = ReshuffleUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                parsed = parse_csv(upload.read(), upload.name)
                reshuffle = reshuffles.do_store_reshuffle(
                    parsed,
                    effective_date=form.cleaned_data["effective_date"],
                    full=form.cleaned_data["full"],
                    actor=request.user,
                )
            except ImportFailed as failure:
                errors = [str(error) for error in failure.errors]
                status = 400
            else:
                messages.success(
                    request,
                    _("人事異動 #%(id)d を%(date)sに適用するよう予約しました。")
                    % {"id": reshuffle.pk, "date": wareki(reshuffle.effective_date)},
                )
                return redirect("org:reshuffles")
        else:
            status = 400
    context = {"reshuffles": reshuffles.listed_reshuffles(), "form": form, "import_errors": errors}
    return render(request, "org/reshuffles.html", context, status=status)


@login_required
@require_POST
def reshuffle_cancel(request, reshuffle_id: int):
    reshuffle = reshuffles.access_reshuffle(request.user, reshuffle_id)
    if reshuffles.do_cancel_reshuffle(reshuffle, actor=request.user, request=request):
        messages.success(request, _("人事異動 #%(id)d を取り消しました。") % {"id": reshuffle.pk})
    else:
        messages.error(
            request, _("人事異動 #%(id)d は予約中ではないため取り消せません。") % {"id": reshuffle.pk}
        )
    return redirect("org:reshuffles")
