"""Writes to surveys: create, answer (and change an answer before the deadline), remind, close.

`access_survey(user, id)` fetches and authorises: the author and the people asked see a survey; for
anyone else it does not exist (404). Results are the author's (and IT administrators').
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.core import audit
from kiban.core.jobs import enqueue_on_commit
from kiban.core.permissions import is_it_admin
from kiban.surveys import audience, ballots
from kiban.surveys.audience import field_error
from kiban.surveys.jobs import announce_survey, remind_survey
from kiban.surveys.models import Question, Recipient, Survey

TITLE_MAX, DESCRIPTION_MAX, QUESTION_MAX, QUESTIONS_MAX = 200, 10_000, 1000, 100
CHOICES_MAX, CHOICE_MAX, TEXT_ANSWER_MAX = 50, 200, 5000


class AlreadyAnswered(Exception):
    """An anonymous survey answered before, without the edit key this browser would hold (409)."""


class Closed(Exception):
    """The deadline has passed or the survey was closed (409)."""


def access_survey(user, survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    if survey.author_id == user.pk or is_it_admin(user):
        return survey
    if not Recipient.objects.filter(survey=survey, staff_id=user.pk).exists():
        raise Http404
    return survey


def can_see_results(user, survey: Survey) -> bool:
    return survey.author_id == user.pk or is_it_admin(user)


def _clean_questions(raw: list) -> list[Question]:
    if not isinstance(raw, list) or not raw:
        raise field_error("questions", _("質問を1つ以上入力してください。"))
    if len(raw) > QUESTIONS_MAX:
        raise field_error("questions", _("質問は%(max)d個までです。") % {"max": QUESTIONS_MAX})
    questions = []
    for i, q in enumerate(raw):
        where = f"questions.{i}"
        if not isinstance(q, dict):
            raise field_error(where, _("質問の形式が正しくありません。"))
        kind = q.get("kind")
        if kind not in Question.Kind.values:
            raise field_error(f"{where}.kind", _("single、multiple、scale、text、date のいずれかです。"))
        text = str(q.get("text") or "").strip()
        if not text or len(text) > QUESTION_MAX:
            raise field_error(
                f"{where}.text", _("質問文を%(max)d文字以内で入力してください。") % {"max": QUESTION_MAX}
            )
        choices = q.get("choices") or []
        if kind in ("single", "multiple"):
            if not isinstance(choices, list) or not 2 <= len(choices) <= CHOICES_MAX:
                raise field_error(
                    f"{where}.choices", _("選択肢を2〜%(max)d個入力してください。") % {"max": CHOICES_MAX}
                )
            choices = [str(c).strip() for c in choices]
            if any(not c or len(c) > CHOICE_MAX for c in choices) or len(set(choices)) != len(choices):
                raise field_error(f"{where}.choices", _("選択肢は空でなく、重複しないようにしてください。"))
        elif choices:
            raise field_error(f"{where}.choices", _("選択肢は単一選択・複数選択の質問だけに指定できます。"))
        scale_min, scale_max = int(q.get("scale_min") or 1), int(q.get("scale_max") or 5)
        if kind == "scale" and not (0 <= scale_min < scale_max <= 10):
            raise field_error(f"{where}.scale_max", _("段階は0〜10の範囲で指定してください。"))
        questions.append(
            Question(
                order=i + 1,
                kind=kind,
                text=text,
                choices=choices,
                required=bool(q.get("required")),
                scale_min=scale_min,
                scale_max=scale_max,
            )  # fmt: skip
        )
    return questions


def do_create_survey(user, *, title: str, description: str = "", questions: list, audience_spec: dict,
                     anonymous: bool = False, deadline: dt.datetime | None = None) -> Survey:  # fmt: skip
    """Create a survey, its questions and its recipients; after commit, tell the recipients."""
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise field_error("title", _("題名を%(max)d文字以内で入力してください。") % {"max": TITLE_MAX})
    if len(description or "") > DESCRIPTION_MAX:
        raise field_error("description", _("説明が長すぎます。"))
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)  # Asia/Tokyo when no offset is given
    if deadline is not None and deadline <= timezone.now():
        raise field_error("deadline", _("締切は未来の日時にしてください。"))
    cleaned = _clean_questions(questions)
    stored_audience, staff_ids = audience.resolve(audience_spec)
    if not staff_ids:
        raise field_error("audience", _("対象者がいません。"))
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title, description=description or "", author=user, anonymous=bool(anonymous),
            audience=stored_audience, deadline=deadline,
        )  # fmt: skip
        for q in cleaned:
            q.survey = survey
        Question.objects.bulk_create(cleaned)
        Recipient.objects.bulk_create(
            [Recipient(survey=survey, staff_id=pk) for pk in staff_ids], batch_size=1000
        )
        ballots.create_boxes(survey)
        audit.record(
            "surveys.create", actor=user, target=survey, recipients=len(staff_ids), anonymous=survey.anonymous
        )

        enqueue_on_commit(announce_survey, survey.pk)
    return survey


def _clean_value(question: Question, value, where: str):
    """The stored form of one answer, or ValidationError naming `answers.N.value`."""
    field = f"{where}.value"
    if question.kind == "single":
        if not isinstance(value, str) or value not in question.choices:
            raise field_error(field, _("選択肢の中から選んでください。"))
        return value
    if question.kind == "multiple":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise field_error(field, _("選択肢のリストで指定してください。"))
        if any(v not in question.choices for v in value):
            raise field_error(field, _("選択肢の中から選んでください。"))
        chosen = set(value)
        return [c for c in question.choices if c in chosen]
    if question.kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise field_error(field, _("整数で指定してください。"))
        if not question.scale_min <= int(value) <= question.scale_max:
            raise field_error(
                field,
                _("%(min)d〜%(max)dで指定してください。")
                % {"min": question.scale_min, "max": question.scale_max},
            )
        return int(value)
    if question.kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise field_error(field, _("日付を YYYY-MM-DD で指定してください。")) from None
    if not isinstance(value, str) or len(value) > TEXT_ANSWER_MAX:
        raise field_error(field, _("%(max)d文字以内の文字列で指定してください。") % {"max": TEXT_ANSWER_MAX})
    return value.strip()


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def clean_answers(survey: Survey, raw) -> dict[str, object]:
    """{question id (as text): value}; every required question answered, nothing else accepted."""
    if not isinstance(raw, list):
        raise field_error("answers", _("回答のリストで指定してください。"))
    questions = {q.pk: q for q in survey.questions.all()}
    answers: dict[str, object] = {}
    for i, item in enumerate(raw):
        where = f"answers.{i}"
        if not isinstance(item, dict) or item.get("question") not in questions:
            raise field_error(f"{where}.question", _("このアンケートの質問IDを指定してください。"))
        question = questions[item["question"]]
        if str(question.pk) in answers:
            raise field_error(f"{where}.question", _("同じ質問への回答が重複しています。"))
        value = item.get("value")
        if _empty(value):
            continue
        answers[str(question.pk)] = _clean_value(question, value, where)
    for q in questions.values():
        if q.required and _empty(answers.get(str(q.pk))):
            index = sorted(questions).index(q.pk)
            raise field_error(
                "answers",
                _("必須の質問「%(text)s」（%(n)d問目）に回答してください。")
                % {"text": q.text, "n": index + 1},
            )
    return answers


def do_answer(user, survey: Survey, raw_answers, *, edit_key: str | None = None) -> tuple[bool, str | None]:
    """Record (or replace, before the deadline) the person's answer. Returns (created, edit key): an
    anonymous survey hands back a new key once, which only the person's browser keeps; it is the only way
    to change that answer later, because nothing stored says which ballot is theirs."""
    recipient = Recipient.objects.filter(survey=survey, staff_id=user.pk).first()
    if recipient is None:
        raise Http404
    if not survey.is_open():
        raise Closed
    answers = clean_answers(survey, raw_answers)
    with transaction.atomic():
        first = Recipient.objects.filter(pk=recipient.pk, answered=False).update(answered=True) == 1
        if survey.anonymous:
            if first:
                key = ballots.new_edit_key(survey.pk, user.pk)
                ballots.insert(survey, {"a": answers, "k": ballots.key_hash(key)})
                return True, key
            if not edit_key or not ballots.key_belongs_to(edit_key, survey.pk, user.pk):
                raise AlreadyAnswered
            digest = ballots.key_hash(edit_key)
            if not ballots.replace(survey, lambda b: b.get("k") == digest, {"a": answers, "k": digest}):
                raise AlreadyAnswered
            return False, None
        section = audience.primary_departments([user.pk]).get(user.pk)
        ballot = {"a": answers, "s": user.pk, "d": section}
        if first or not ballots.replace(survey, lambda b: b.get("s") == user.pk, ballot):
            ballots.insert(survey, ballot)
        return first, None


def my_answers(user, survey: Survey, edit_key: str | None = None) -> dict | None:
    """The person's current answers: named surveys from their ballot, anonymous ones only with the key."""
    if survey.anonymous:
        if not edit_key or not ballots.key_belongs_to(edit_key, survey.pk, user.pk):
            return None
        digest = ballots.key_hash(edit_key)
        found = ballots.find(survey, lambda b: b.get("k") == digest)
    else:
        found = ballots.find(survey, lambda b: b.get("s") == user.pk)
    return found["a"] if found else None


def unanswered_ids(survey: Survey) -> list[int]:
    return list(Recipient.objects.filter(survey=survey, answered=False).values_list("staff_id", flat=True))


def do_remind(user, survey: Survey) -> int:
    """Remind everyone who has not answered (the author's button). Returns how many."""
    if survey.author_id != user.pk:
        raise PermissionDenied(_("作成者だけが督促できます。"))
    if not survey.is_open():
        raise Closed

    ids = unanswered_ids(survey)
    with transaction.atomic():
        audit.record("surveys.remind", actor=user, target=survey, count=len(ids))
        enqueue_on_commit(remind_survey, survey.pk)
    return len(ids)


def do_close(user, survey: Survey) -> Survey:
    if survey.author_id != user.pk:
        raise PermissionDenied(_("作成者だけが締め切れます。"))
    with transaction.atomic():
        Survey.objects.filter(pk=survey.pk, closed_at__isnull=True).update(closed_at=timezone.now())
        audit.record("surveys.close", actor=user, target=survey)
    survey.refresh_from_db()
    return survey


def validation_detail(error: ValidationError) -> str:
    return "; ".join(f"{f}: {' '.join(m)}" for f, m in error.message_dict.items())
