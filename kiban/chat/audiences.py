"""The audience of a large conversation's events, resolved off the request path (`kiban.realtime.audiences`).

A post takes the conversation's lock (`actions.messages._next_seq`), which membership changes take too, and
reads there the highest member row id of the whole table (`member_horizon`). "The members of conversation
C with a row id ≤ that" is then exactly the membership at the post, whenever it is resolved: a member
added later gets a higher id (a new row, even someone who left and came back), a member removed before the
post has no row. Someone removed between the post and the fan-out (milliseconds later) is not told either —
they cannot read the conversation any more.
"""

from __future__ import annotations

from django.db import connection

from kiban.chat.models import Member
from kiban.realtime.audiences import Audience

MEMBERS = "chat.members"


def member_horizon() -> int:
    """The highest member row id (of every conversation): one step down the primary key index."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {Member._meta.db_table}")  # noqa: S608
        return int(cursor.fetchone()[0] or 0)


def members_upto(conv_id: int, upto: int) -> list[tuple[int, bool]]:
    """(staff id, muted) of the conversation's members whose row id is ≤ `upto`."""
    with connection.cursor() as cursor:  # plain tuples: thousands of rows without a model object each
        cursor.execute(
            f"SELECT staff_id, muted FROM {Member._meta.db_table} WHERE conversation_id = %s AND id <= %s",  # noqa: S608
            [conv_id, upto],
        )
        return [(int(staff_id), bool(muted)) for staff_id, muted in cursor.fetchall()]


def resolve_members(conv_id: int, upto: int) -> list[int]:
    return [staff_id for staff_id, _muted in members_upto(conv_id, upto)]


def members(conv_id: int, upto: int) -> Audience:
    return Audience(MEMBERS, conv_id, upto)
