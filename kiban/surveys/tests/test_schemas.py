"""One schema per survey: what creating, reading and closing a survey answer is `SurveyOut`, built once."""

from __future__ import annotations

import pytest

from kiban.core.schemas import dump
from kiban.surveys.models import Survey
from kiban.surveys.schemas import SurveyOut, survey_out
from kiban.surveys.tests.test_surveys_api import create

pytestmark = pytest.mark.django_db


def test_api_survey_is_the_schema_dump(client, section_head, clerk):
    client.force_login(section_head)
    created = create(client)
    survey = Survey.objects.get(pk=created["id"])
    assert created == dump(survey_out(survey, section_head))
    assert set(created) == set(SurveyOut.model_fields)
    client.force_login(clerk)
    assert client.get(f"/api/v1/surveys/{survey.pk}").json() == dump(survey_out(survey, clerk, answers=None))
