"""Ballot boxes: where a survey's answers are kept (see kiban.surveys.models for why not one row each).

A survey has BOXES boxes. A new ballot goes into a random box at a random position, under that box's row
lock (SELECT … FOR UPDATE; SQLite's IMMEDIATE transaction), so concurrent answers never lose one another.
Replacing a ballot (an edit before the deadline) keeps its place.

Each box also keeps its **tally** — counts per question and value (per section too, for named surveys), and
the first free-text answers — recomputed from the box's own ballots in the same UPDATE that rewrites them,
under the same lock. So a tally always equals a recount of its box, whatever ran concurrently, and results
read eight small tallies instead of parsing every ballot. The tally lives in the box's row and nowhere else:
a counter row of its own, updated in the answer's transaction, would carry that transaction's id (PostgreSQL's
xmin) next to the Recipient row's and tell which choice the last person to answer made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator

from kiban.surveys.models import BallotBox, Question, Survey

BOXES = 8
# Free-text answers kept per question in a box's tally (the results page lists at most this many in all;
# the exports read the ballots themselves).
TALLY_TEXTS = 500
# Per-section counts are kept for these kinds only (a date per section says nothing useful).
BY_SECTION = ("single", "multiple", "scale")
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


def kinds_of(survey_id: int) -> dict[str, str]:
    return {
        str(pk): kind for pk, kind in Question.objects.filter(survey_id=survey_id).values_list("pk", "kind")
    }


def tally(ballots: list[dict], kinds: dict[str, str]) -> dict:
    """What results need from a list of ballots: `n` answered per question, `c` counts per value, `d`
    counts per section and value (named ballots only), `t` the first free-text answers. JSON keys are
    strings: a scale value 4 is "4", a ballot without a section is counted under ""."""
    answered: dict[str, int] = {}
    counts: dict[str, dict[str, int]] = {}
    sections: dict[str, dict[str, dict[str, int]]] = {}
    texts: dict[str, list[str]] = {}
    for ballot in ballots:
        named = "s" in ballot
        section = "" if ballot.get("d") is None else str(ballot["d"])
        for key, value in ballot["a"].items():
            kind = kinds.get(key)
            if kind is None or value is None:
                continue  # a question since removed
            answered[key] = answered.get(key, 0) + 1
            if kind == "text":
                shown = texts.setdefault(key, [])
                if len(shown) < TALLY_TEXTS:
                    shown.append(value)
                continue
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            by_value = counts.setdefault(key, {})
            for v in values:
                by_value[v] = by_value.get(v, 0) + 1
            if named and kind in BY_SECTION:
                by_section = sections.setdefault(key, {}).setdefault(section, {})
                for v in values:
                    by_section[v] = by_section.get(v, 0) + 1
    return {"n": answered, "c": counts, "d": sections, "t": texts}


def _write(box_pk: int, ballots: list[dict], kinds: dict[str, str]) -> None:
    BallotBox.objects.filter(pk=box_pk).update(
        ballots=_dump(ballots), count=len(ballots), tally=_dump(tally(ballots, kinds))
    )


def insert(survey: Survey, ballot: dict) -> None:
    """Inside a transaction: put a ballot in a random box at a random position."""
    box = BallotBox.objects.select_for_update().get(survey=survey, shard=_random.randrange(BOXES))
    ballots = json.loads(box.ballots)
    ballots.insert(_random.randrange(len(ballots) + 1), ballot)
    _write(box.pk, ballots, kinds_of(survey.pk))


def replace(survey: Survey, match: Callable[[dict], bool], ballot: dict) -> bool:
    """Inside a transaction: replace the ballot `match` picks, in place. False when there is none."""
    for box in BallotBox.objects.select_for_update().filter(survey=survey).order_by("shard"):
        ballots = json.loads(box.ballots)
        for i, old in enumerate(ballots):
            if match(old):
                ballots[i] = ballot
                _write(box.pk, ballots, kinds_of(survey.pk))
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


def tallies(survey: Survey) -> Iterator[dict]:
    """The boxes' tallies (without loading their ballots)."""
    for text in BallotBox.objects.filter(survey=survey).values_list("tally", flat=True):
        yield json.loads(text)
