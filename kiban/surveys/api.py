"""Surveys API (CONTRACT.md "survey"): create, list, answer, results as JSON, CSV and Excel."""

from __future__ import annotations

import datetime as dt
import functools

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from kiban.core import paging
from kiban.surveys import actions, results
from kiban.surveys.models import Survey
from kiban.surveys.schemas import SurveyOut, survey_out

router = Router(tags=["surveys"])


class SurveyIn(Schema):
    title: str
    description: str = ""
    questions: list[dict]
    audience: dict = Field(
        description='{"all": true}, {"departments": [ids]} (sub-departments included) or {"people": [usernames]}'
    )
    anonymous: bool = False
    deadline: dt.datetime | None = None


class SurveyPage(Schema):
    results: list[SurveyOut]
    more: bool


class AnswerIn(Schema):
    answers: list[dict] = Field(description='[{"question": id, "value": string | [strings] | number}]')
    edit_key: str | None = Field(None, description="anonymous surveys: the key returned by the first answer")


class AnswerOut(Schema):
    survey: int
    edit_key: str | None = Field(
        description="anonymous surveys, first answer only: the one way to change this answer later. Kiban keeps only its hash."
    )


def _errors(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except actions.Closed as exc:
            raise HttpError(409, _("deadline: このアンケートは締め切られました。")) from exc
        except actions.AlreadyAnswered as exc:
            raise HttpError(
                409,
                _(
                    "edit_key: 匿名アンケートに回答済みです。回答を変更できるのは回答した端末（または編集キー）だけです。"
                ),
            ) from exc

    return wrapped


@router.get(
    "/surveys",
    response=SurveyPage,
    summary="Surveys asking the caller (box=answer) or created by them (box=mine)",
)
def list_surveys(request: HttpRequest, page: Query[paging.PageQuery], box: str = "answer"):
    if box == "mine":
        surveys = Survey.objects.filter(author=request.user)
    elif box == "answer":
        surveys = Survey.objects.filter(recipients__staff_id=request.user.pk)
    else:
        raise HttpError(400, "box: answer または mine です。")
    rows = surveys.select_related("author").prefetch_related("questions").order_by("-created_at", "-pk")
    return paging.page(rows, page, lambda s: survey_out(s, request.user))


@router.post("/surveys", response={201: SurveyOut}, summary="Create a survey")
def create_survey(request: HttpRequest, payload: SurveyIn):
    survey = actions.do_create_survey(
        request.user, title=payload.title, description=payload.description, questions=payload.questions,
        audience_spec=payload.audience, anonymous=payload.anonymous, deadline=payload.deadline,
    )  # fmt: skip
    return Status(201, survey_out(survey, request.user))


@router.get("/surveys/{int:survey_id}", response=SurveyOut, summary="A survey with its questions")
def get_survey(request: HttpRequest, survey_id: int, edit_key: str | None = None):
    survey = actions.access_survey(request.user, survey_id)
    return survey_out(survey, request.user, answers=actions.my_answers(request.user, survey, edit_key))


@router.post("/surveys/{int:survey_id}/answers", response={200: AnswerOut, 201: AnswerOut},
             summary="Answer (again before the deadline: replaces the earlier answer)")  # fmt: skip
@_errors
def answer(request: HttpRequest, survey_id: int, payload: AnswerIn):
    survey = actions.access_survey(request.user, survey_id)
    created, key = actions.do_answer(request.user, survey, payload.answers, edit_key=payload.edit_key)
    return Status(201 if created else 200, {"survey": survey.pk, "edit_key": key})


def _results_survey(request, survey_id: int) -> Survey:
    survey = actions.access_survey(request.user, survey_id)
    if not actions.can_see_results(request.user, survey):
        raise PermissionDenied(_("結果は作成者だけが見られます。"))
    return survey


@router.get(
    "/surveys/{int:survey_id}/results",
    response=dict,
    summary="Results: counts, means, texts, rates per section",
)
def survey_results(request: HttpRequest, survey_id: int):
    return results.as_json(results.compute(_results_survey(request, survey_id)))


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/surveys/{int:survey_id}/results.csv", summary="Every answer as CSV (UTF-8 with BOM)")
def results_csv(request: HttpRequest, survey_id: int):
    survey = _results_survey(request, survey_id)
    return _download(results.csv_bytes(survey), "text/csv; charset=utf-8", f"{survey.title}.csv")


@router.get("/surveys/{int:survey_id}/results.xlsx", summary="Summary and every answer as an Excel workbook")
def results_xlsx(request: HttpRequest, survey_id: int):
    survey = _results_survey(request, survey_id)
    return _download(
        results.xlsx_bytes(survey),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{survey.title}.xlsx",
    )


@router.post("/surveys/{int:survey_id}/remind", response=dict, summary="Remind those who have not answered")
@_errors
def remind(request: HttpRequest, survey_id: int):
    survey = actions.access_survey(request.user, survey_id)
    return {"reminded": actions.do_remind(request.user, survey)}


@router.post(
    "/surveys/{int:survey_id}/close", response=SurveyOut, summary="Close a survey before its deadline"
)
def close(request: HttpRequest, survey_id: int):
    survey = actions.access_survey(request.user, survey_id)
    return survey_out(actions.do_close(request.user, survey), request.user)
