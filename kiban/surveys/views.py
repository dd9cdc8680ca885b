"""Survey pages: the list, the form to create one, the answer page (phone first), the results with charts.
Inquiry pages are in views_inquiries.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.org import queries as org_queries
from kiban.surveys import actions, charts, forms, queries, results
from kiban.surveys.models import Question, Recipient, Survey

EDIT_COOKIE = "kiban_survey_{id}"


def _errors(error: ValidationError) -> list[str]:
    return [m for msgs in error.message_dict.values() for m in msgs]


@login_required
def index(request):
    return render(request, "surveys/index.html", {
        "to_answer": queries.surveys_to_answer(request.user, limit=50),
        "answered": Survey.objects.filter(recipients__staff=request.user, recipients__answered=True).order_by("-created_at")[:50],
        "mine": Survey.objects.filter(author=request.user).order_by("-created_at")[:50],
        "inquiries": queries.inquiries_to_answer(request.user, limit=50),
    })  # fmt: skip


@login_required
def new(request):
    rows = forms.question_rows(request.POST if request.method == "POST" else {})
    errors: list[str] = []
    if request.method == "POST" and "add_question" in request.POST:
        rows = forms.question_rows({**request.POST.dict(), "rows": len(rows) + 1})
    elif request.method == "POST":
        target = request.POST.get("audience", "all")
        if target == "departments":
            spec = {"departments": [int(d) for d in request.POST.getlist("departments") if d.isdigit()]}
        elif target == "people":
            spec = {"people": request.POST.get("people", "").split()}
        else:
            spec = {"all": True}
        try:
            survey = actions.do_create_survey(
                request.user, title=request.POST.get("title", ""), description=request.POST.get("description", ""),
                questions=forms.questions_from(rows), audience_spec=spec, anonymous=bool(request.POST.get("anonymous")),
                deadline=forms.deadline_from(request.POST),
            )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("アンケートを作成し、対象者に通知しました。"))
            return redirect("surveys:results", survey.pk)
    return render(request, "surveys/new.html", {
        "rows": rows, "kinds": Question.Kind.choices, "errors": errors, "data": request.POST,
        "departments": org_queries.labelled_departments(),
    })  # fmt: skip


@login_required
def answer(request, survey_id: int):
    survey = actions.access_survey(request.user, survey_id)
    recipient = Recipient.objects.filter(survey=survey, staff=request.user).first()
    cookie = EDIT_COOKIE.format(id=survey.pk)
    edit_key = request.COOKIES.get(cookie)
    errors: list[str] = []
    new_key = None
    if request.method == "POST" and recipient is not None:
        try:
            created, new_key = actions.do_answer(
                request.user, survey, forms.answers_from(survey, request.POST), edit_key=edit_key
            )
        except ValidationError as exc:
            errors = _errors(exc)
        except actions.Closed:
            errors = [_("このアンケートは締め切られました。")]
        except actions.AlreadyAnswered:
            errors = [_("匿名アンケートに回答済みです。回答を変更できるのは、回答したときの端末だけです。")]
        else:
            messages.success(request, _("回答しました。") if created else _("回答を変更しました。"))
            response = redirect("surveys:answer", survey.pk)
            if new_key:
                # The only copy of the key that can change this anonymous answer: the browser keeps it,
                # Kiban keeps its hash (kiban.surveys.ballots).
                response.set_cookie(
                    cookie, new_key, max_age=400 * 24 * 3600, path=f"/surveys/{survey.pk}/",
                    secure=request.is_secure(), httponly=True, samesite="Strict",
                )  # fmt: skip
            return response
    current = actions.my_answers(request.user, survey, edit_key) or {}
    if request.method == "POST" and errors:
        current = {str(a["question"]): a["value"] for a in forms.answers_from(survey, request.POST)}
    questions = []
    for q in survey.questions.all():
        value = current.get(str(q.pk))
        questions.append({"q": q, "value": value, "values": value if isinstance(value, list) else [],
                          "scale": list(range(q.scale_min, q.scale_max + 1))})  # fmt: skip
    return render(request, "surveys/answer.html", {
        "survey": survey, "questions": questions, "recipient": recipient, "errors": errors,
        "can_edit_anonymous": not survey.anonymous or not (recipient and recipient.answered) or bool(current),
        "is_open": survey.is_open(), "can_see_results": actions.can_see_results(request.user, survey),
    })  # fmt: skip


@login_required
def results_page(request, survey_id: int):
    survey = actions.access_survey(request.user, survey_id)
    if not actions.can_see_results(request.user, survey):
        raise PermissionDenied
    computed = results.compute(survey)
    blocks = []
    for r in computed.questions:
        blocks.append({
            "r": r,
            "bars": charts.bars(r.counts) if r.counts else [],
            "pie": charts.pie(r.counts) if r.question.kind == "single" else [],
        })  # fmt: skip
    rate_bars = [
        {
            "name": d["name"],
            "audience": d["audience"],
            "answered": d["answered"],
            "percent": round(100 * d["answered"] / d["audience"], 1) if d["audience"] else 0,
        }  # fmt: skip
        for d in computed.departments
    ]
    return render(request, "surveys/results.html", {
        "survey": survey, "results": computed, "blocks": blocks, "rates": rate_bars,
        "rate": round(100 * computed.answered / computed.audience, 1) if computed.audience else 0,
        "is_author": survey.author_id == request.user.pk, "now": timezone.now(),
    })  # fmt: skip


@login_required
@require_POST
def survey_action(request, survey_id: int):
    survey = actions.access_survey(request.user, survey_id)
    try:
        if request.POST.get("action") == "remind":
            n = actions.do_remind(request.user, survey)
            messages.success(request, _("未回答の%(n)d人に督促しました。") % {"n": n})
        elif request.POST.get("action") == "close":
            actions.do_close(request.user, survey)
            messages.success(request, _("締め切りました。"))
    except (PermissionDenied, actions.Closed):
        messages.error(request, _("この操作はできません。"))
    return redirect("surveys:results", survey.pk)
