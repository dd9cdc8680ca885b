"""Ballot boxes: where a survey's answers are kept (see kiban.surveys.models for why not one row each).

A survey has BOXES boxes. A new ballot goes into a random box at a random position, under that box's row
lock (SELECT … FOR UPDATE; SQLite's IMMEDIATE transaction), so concurrent answers never lose one another.
Replacing a ballot (an edit before the deadline) keeps its place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator

from kiban.surveys.models import BallotBox, Survey

BOXES = 8
_random = secrets.SystemRandom()


def create_boxes(survey: Survey) -> None:
    BallotBox.objects.bulk_create([BallotBox(survey=survey, shard=i) for i in range(BOXES)])


def key_hash(edit_key: str) -> str:
    return hashlib.sha256(edit_key.encode()).hexdigest()


def _seal(survey_id: int, staff_id: int, nonce: str) -> str:
    from django.conf import settings

    message = f"kiban.surveys.edit:{survey_id}:{staff_id}:{nonce}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def new_edit_key(survey_id: int, staff_id: int) -> str:
    """A key only its holder can use: a random nonce sealed (HMAC) to the survey and the person. The ballot
    keeps only the key's SHA-256; without the nonce, which only the person's browser has, nothing stored —
    not even with the server's secret — ties the ballot to them. A key copied by someone else is refused."""
    nonce = secrets.token_urlsafe(32)
    return f"{nonce}.{_seal(survey_id, staff_id, nonce)}"


def key_belongs_to(edit_key: str, survey_id: int, staff_id: int) -> bool:
    nonce, _dot, seal = edit_key.partition(".")
    return bool(nonce) and hmac.compare_digest(seal, _seal(survey_id, staff_id, nonce))


def _dump(ballots: list[dict]) -> str:
    return json.dumps(ballots, ensure_ascii=False, separators=(",", ":"))


def insert(survey: Survey, ballot: dict) -> None:
    """Inside a transaction: put a ballot in a random box at a random position."""
    box = BallotBox.objects.select_for_update().get(survey=survey, shard=_random.randrange(BOXES))
    ballots = json.loads(box.ballots)
    ballots.insert(_random.randrange(len(ballots) + 1), ballot)
    BallotBox.objects.filter(pk=box.pk).update(ballots=_dump(ballots), count=len(ballots))


def replace(survey: Survey, match: Callable[[dict], bool], ballot: dict) -> bool:
    """Inside a transaction: replace the ballot `match` picks, in place. False when there is none."""
    for box in BallotBox.objects.select_for_update().filter(survey=survey).order_by("shard"):
        ballots = json.loads(box.ballots)
        for i, old in enumerate(ballots):
            if match(old):
                ballots[i] = ballot
                BallotBox.objects.filter(pk=box.pk).update(ballots=_dump(ballots))
                return True
    return False


def find(survey: Survey, match: Callable[[dict], bool]) -> dict | None:
    for ballot in all_ballots(survey):
        if match(ballot):
            return ballot
    return None


def all_ballots(survey: Survey) -> Iterator[dict]:
    for text in BallotBox.objects.filter(survey=survey).values_list("ballots", flat=True):
        yield from json.loads(text)
