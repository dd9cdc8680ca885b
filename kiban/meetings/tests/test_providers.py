"""TURN credentials checked by a real coturn, and Jitsi room tokens for large meetings.

No Jitsi server can run here (it is a Java, Prosody and Nginx stack): these tests check the token's signature
and claims with PyJWT exactly as Prosody's token authentication checks them, and the exact URL the browser is
sent to. A real Jitsi is needed to see a browser enter the room.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from kiban.accounts.tests.factories import StaffFactory
from kiban.meetings import ice, jitsi
from kiban.meetings.models import Meeting, Participant
from kiban.meetings.tests.conftest import post
from kiban.meetings.tests.coturn import coturn  # noqa: F401 (fixture)
from kiban.meetings.tests.helpers import room

pytestmark = pytest.mark.django_db

JITSI = {
    "KIBAN_MEETING_PROVIDER": "jitsi",
    "KIBAN_JITSI_URL": "https://meet.pref.example.lg.jp",
    "KIBAN_JITSI_APP_ID": "kiban",
    "KIBAN_JITSI_SECRET": "a-long-shared-secret-for-prosody-token-auth",
}


def test_turn_rest_credential_is_hmac_sha1_of_expiry_and_who(settings):
    settings.KIBAN_TURN_SECRET = "coturn-static-auth-secret"
    username, password = ice.turn_credential("s42", now=1_800_000_000)
    assert username == f"{1_800_000_000 + ice.CREDENTIAL_TTL}:s42"
    expected = hmac.new(b"coturn-static-auth-secret", username.encode(), hashlib.sha1).digest()
    assert password == base64.b64encode(expected).decode()


def test_ice_servers_name_only_the_configured_servers(settings):
    settings.KIBAN_TURN_URLS = [
        "stun:turn.pref.lg.jp:3478",
        "turn:turn.pref.lg.jp:3478?transport=udp",
        "turns:turn.pref.lg.jp:5349",
    ]
    settings.KIBAN_TURN_SECRET = "s"
    servers = ice.ice_servers("s1", now=1000)
    assert servers[0] == {"urls": ["stun:turn.pref.lg.jp:3478"]}
    assert servers[1]["urls"] == ["turn:turn.pref.lg.jp:3478?transport=udp", "turns:turn.pref.lg.jp:5349"]
    assert servers[1]["username"] == f"{1000 + ice.CREDENTIAL_TTL}:s1"
    settings.KIBAN_TURN_URLS = []
    assert ice.ice_servers("s1") == []


def test_join_answer_carries_turn_credentials_for_the_person(api_as, clerk, settings):
    settings.KIBAN_TURN_URLS = ["turn:127.0.0.1:3478?transport=udp"]
    settings.KIBAN_TURN_SECRET = "k"
    meeting = room(clerk)
    servers = post(api_as(clerk), f"/api/v1/meetings/{meeting.pk}/join").json()["ice_servers"]
    assert len(servers) == 1
    expiry, who = servers[0]["username"].split(":")
    assert who == f"s{clerk.pk}"
    assert 0 < int(expiry) - time.time() <= ice.CREDENTIAL_TTL


def _allocate(turn, username: str, password: str) -> subprocess.CompletedProcess:
    """coturn's own client: allocate a relay and send a few packets through it (client to client)."""
    return subprocess.run(  # noqa: S603
        [
            "turnutils_uclient",
            "-p",
            str(turn.port),
            "-u",
            username,
            "-w",
            password,
            "-y",
            "-n",
            "3",
            "-X",
            "127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_coturn_accepts_kibans_credential_and_refuses_an_expired_or_forged_one(coturn, settings):  # noqa: F811
    settings.KIBAN_TURN_SECRET = coturn.secret
    username, password = ice.turn_credential("s1")
    good = _allocate(coturn, username, password)
    assert good.returncode == 0, good.stdout[-2000:]
    assert "Total lost packets 0" in good.stdout
    old_user, old_password = ice.turn_credential("s1", now=time.time() - ice.CREDENTIAL_TTL - 60)
    assert _allocate(coturn, old_user, old_password).returncode != 0
    forged_user, forged_password = ice.turn_credential("s1", secret="not-the-secret")
    assert _allocate(coturn, forged_user, forged_password).returncode != 0


def test_jitsi_room_token_has_the_claims_prosody_checks(settings, clerk):
    for name, value in JITSI.items():
        setattr(settings, name, value)
    token = jitsi.room_token(
        "kiban-abc",
        user_id="s7",
        name="佐藤 花子",
        email="sato@pref.example.lg.jp",
        moderator=True,
        now=1_900_000_000,
    )
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token,
        JITSI["KIBAN_JITSI_SECRET"],
        algorithms=["HS256"],
        audience="jitsi",
        issuer="kiban",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert claims == {
        "aud": "jitsi",
        "iss": "kiban",
        "sub": "meet.pref.example.lg.jp",
        "room": "kiban-abc",
        "iat": 1_900_000_000,
        "nbf": 1_900_000_000 - jitsi.CLOCK_SKEW,
        "exp": 1_900_000_000 + jitsi.TOKEN_TTL,
        "context": {
            "user": {"id": "s7", "name": "佐藤 花子", "email": "sato@pref.example.lg.jp", "moderator": True}
        },
    }
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-the-same-length-or-more", algorithms=["HS256"], audience="jitsi")


def test_jitsi_meeting_joins_with_one_click_through_a_signed_redirect(client, settings, clerk, section_head):
    for name, value in JITSI.items():
        setattr(settings, name, value)
    meeting = room(clerk, section_head)
    Meeting.objects.filter(pk=meeting.pk).update(provider="jitsi")
    client.force_login(section_head)
    response = client.get(meeting.url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    target = urlsplit(response["Location"])
    assert (
        f"{target.scheme}://{target.netloc}{target.path}"
        == f"https://meet.pref.example.lg.jp/{meeting.room_name}"
    )
    claims = jwt.decode(
        parse_qs(target.query)["jwt"][0], JITSI["KIBAN_JITSI_SECRET"], algorithms=["HS256"], audience="jitsi"
    )
    assert claims["room"] == meeting.room_name
    assert claims["context"]["user"] == {
        "id": f"s{section_head.pk}",
        "name": "髙橋 一郎",
        "email": section_head.email,
        "moderator": False,
    }
    # Attendance records the entry.
    assert list(Participant.objects.values_list("staff_id", flat=True)) == [section_head.pk]
    # The API gives the same link to a client.
    answer = post(client, f"/api/v1/meetings/{meeting.pk}/join").json()
    assert answer["provider"] == "jitsi"
    assert answer["url"].startswith(f"https://meet.pref.example.lg.jp/{meeting.room_name}?jwt=")


def test_jitsi_is_used_above_the_mesh_limit_or_when_chosen(api_as, settings, clerk):
    people = [StaffFactory() for _ in range(5)]
    small = post(
        api_as(clerk), "/api/v1/meetings", {"title": "大", "invitees": [p.username for p in people]}
    ).json()
    assert small["provider"] == "builtin"  # no Jitsi configured: the mesh, audio-only beyond the limit
    for name, value in JITSI.items():
        setattr(settings, name, value)
    big = post(
        api_as(clerk), "/api/v1/meetings", {"title": "大", "invitees": [p.username for p in people]}
    ).json()
    assert big["provider"] == "jitsi"
    few = post(api_as(clerk), "/api/v1/meetings", {"title": "小", "invitees": [people[0].username]}).json()
    assert few["provider"] == "builtin"
    chosen = post(
        api_as(clerk),
        "/api/v1/meetings",
        {"title": "小", "invitees": [people[0].username], "provider": "jitsi"},
    ).json()
    assert chosen["provider"] == "jitsi"


def test_settings_refuse_an_incomplete_configuration():
    env = {"KIBAN_MEETING_PROVIDER": "jitsi", "KIBAN_JITSI_URL": "https://meet.example"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import kiban.settings"], env={**_env(), **env}, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "KIBAN_JITSI_APP_ID" in result.stderr
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import kiban.settings"],
        env={**_env(), "KIBAN_TURN_URLS": "turn:turn.example:3478"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "KIBAN_TURN_SECRET" in result.stderr


def _env() -> dict:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KIBAN_MEETING", "KIBAN_JITSI", "KIBAN_TURN"))
    }
