"""Online meetings in real Chromium (fake camera and microphone) against the real ASGI application: three
signed-in people in one room see and hear each other, a screen share arrives, a leaving peer is noticed, a
non-invitee and an expired guest link are refused, and with TURN only (coturn on loopback) peers connect
through the relay. Media statistics are read with RTCPeerConnection.getStats() (kibanMeeting.stats())."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from kiban.accounts.tests.factories import PASSWORD, StaffFactory
from kiban.meetings.models import GuestLink, Participant
from kiban.meetings.tests.coturn import coturn  # noqa: F401 (fixture)
from kiban.meetings.tests.helpers import room
from kiban.realtime.tests.servers import thread_server
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, CspWatcher
from tests.browser.helpers import sign_in

# Chromium's fake devices: a moving test pattern and a beeping microphone; the permission prompts answered
# yes; loopback addresses allowed as ICE candidates (every peer is on this machine); the screen picker
# answered with the fake screen.
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--auto-select-desktop-capture-source=Entire screen",
    "--autoplay-policy=no-user-gesture-required",
]
PC = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def media_browser(browser):
    media = browser.browser_type.launch(
        executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS
    )
    yield media
    media.close()


def _chromium() -> str:
    import os

    return os.environ.get("KIBAN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def server(transactional_db):
    with thread_server() as port:
        yield f"http://127.0.0.1:{port}"


def _page(media_browser, base_url: str, viewport=PC):
    context = media_browser.new_context(
        viewport=viewport, locale="ja-JP", base_url=base_url, has_touch=viewport == PHONE
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    return page


def wait_for(page, expression: str, timeout: float = 40) -> object:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = page.evaluate(expression)
        if last:
            return last
        page.wait_for_timeout(200)
    raise AssertionError(f"{expression} never became true (last {last!r})")


CONNECTED = """(n) => window.kibanMeeting && window.kibanMeeting.peers.size === n &&
  [...window.kibanMeeting.peers.values()].every((p) => p.pc.connectionState === 'connected')"""


def connected(page, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(CONNECTED, n):
            return
        page.wait_for_timeout(200)
    raise AssertionError(
        f"not connected to {n} peers: {page.evaluate('() => window.kibanMeeting && window.kibanMeeting.stats()')}"
    )


def stats(page) -> dict:
    """{peer: {"video": [framesDecoded…], "audio": [packetsReceived…], "type": candidate type}}"""
    result = {}
    for peer in page.evaluate("() => window.kibanMeeting.stats()"):
        result[peer["peer"]] = {
            "video": [
                s["framesDecoded"]
                for s in sorted(peer["inbound"], key=lambda s: s["trackIdentifier"])
                if s["kind"] == "video"
            ],
            "audio": [s["packetsReceived"] for s in peer["inbound"] if s["kind"] == "audio"],
            "type": peer["candidateType"],
        }
    return result


def assert_media_flows(page, *, video_streams_per_peer: int | None = 1) -> None:
    before = stats(page)
    page.wait_for_timeout(2000)
    after = stats(page)
    assert set(before) == set(after)
    for peer, now in after.items():
        then = before[peer]
        if video_streams_per_peer is not None:
            assert len(now["video"]) == video_streams_per_peer, (peer, now)
        assert len(now["audio"]) == 1, (peer, now)
        assert all(b > a for a, b in zip(then["video"], now["video"], strict=True)), (peer, then, now)
        assert now["audio"][0] > then["audio"][0], (peer, then, now)


def test_three_people_meet_share_a_screen_and_notice_one_leaving(media_browser, server, org_tree):
    people = [StaffFactory(family_name=n, given_name="職員") for n in ("佐藤", "鈴木", "高橋")]
    outsider = StaffFactory(family_name="田中")
    meeting = room(people[0], *people[1:], title="三者打合せ")
    pages = [_page(media_browser, server, viewport) for viewport in (PC, PC, PHONE)]
    try:
        for page, person in zip(pages, people, strict=True):
            sign_in(page, person.username, PASSWORD)
            page.goto(meeting.url)
            page.wait_for_selector('[data-meeting][data-state="joined"]')
        for page in pages:
            connected(page, 2)
        assert Participant.objects.filter(meeting=meeting, left_at__isnull=True).count() == 3
        for page in pages:
            assert_media_flows(page)
        # The phone's screen is usable at 360 px: the controls fit, nothing scrolls sideways.
        phone = pages[2]
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert phone.locator('[data-action="leave"]').is_visible()
        assert phone.locator(".tile").count() == 3

        # Screen share from the first page arrives at both others as a second video stream.
        pages[0].click('[data-action="screen"]')
        wait_for(pages[0], "() => window.kibanMeeting.screen !== null")
        for page in pages[1:]:
            wait_for(page, "() => document.querySelectorAll('.tile[data-screen=\"1\"]').length === 1")
        sharer = Participant.objects.get(meeting=meeting, staff=people[0], left_at__isnull=True).peer
        for page in pages[1:]:
            wait_for(
                page,
                f"async () => (await window.kibanMeeting.stats()).find((p) => p.peer === '{sharer}').inbound.filter((s) => s.kind === 'video').length === 2",
            )
            before = stats(page)[sharer]["video"]
            page.wait_for_timeout(2000)
            after = stats(page)[sharer]["video"]
            assert len(after) == 2
            assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)
        # Mute indicator: the second person mutes; the others see it on the tile.
        pages[1].click('[data-action="mic"]')
        for page in (pages[0], pages[2]):
            wait_for(
                page,
                "() => [...document.querySelectorAll('.tile-flags')].some((f) => f.textContent.includes('ミュート'))",
            )

        # An ICE restart (what a page does after a network blip) renegotiates while media keeps flowing.
        ufrag = "(p) => (p.pc.currentRemoteDescription.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1]"
        old_ufrags = pages[1].evaluate(f"() => [...window.kibanMeeting.peers.values()].map({ufrag})")
        pages[0].evaluate("() => window.kibanMeeting.peers.forEach((p) => p.restart())")
        wait_for(
            pages[1],
            f"() => {{ const now = [...window.kibanMeeting.peers.values()].map({ufrag}); return now[0] !== {old_ufrags[0]!r} || now[1] !== {old_ufrags[1]!r}; }}",
        )
        for page in pages:
            connected(page, 2)
        assert_media_flows(pages[1], video_streams_per_peer=None)

        # A connection lost for good (closed under the page) is rebuilt as a new session, media and all.
        second = Participant.objects.get(meeting=meeting, staff=people[1], left_at__isnull=True).peer
        pages[0].evaluate(f"() => window.kibanMeeting.peers.get('{second}').pc.close()")
        for page in pages[:2]:
            connected(page, 2)
        assert_media_flows(pages[0], video_streams_per_peer=None)

        # The third leaves: the others notice (roster, connections, tiles).
        pages[2].click('[data-action="leave"]')
        for page in pages[:2]:
            connected(page, 1)
            wait_for(page, "() => document.querySelectorAll('.roster li').length === 2")
        assert Participant.objects.filter(meeting=meeting, left_at__isnull=True).count() == 2
        for page in pages:
            assert page.csp.violations == []

        # Someone not invited: the room does not exist for them.
        stranger = _page(media_browser, server)
        sign_in(stranger, outsider.username, PASSWORD)
        response = stranger.goto(meeting.url)
        assert response.status == 404
        assert Participant.objects.filter(meeting=meeting, staff=outsider).count() == 0
        stranger.context.close()
    finally:
        for page in pages:
            page.context.close()


def test_expired_guest_link_is_refused_in_the_browser(media_browser, server, org_tree):
    from kiban.meetings.guests import do_create_guest_link

    host = StaffFactory()
    meeting = room(host)
    _link, token = do_create_guest_link(host, meeting, 1)
    GuestLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    guest = _page(media_browser, server, PHONE)
    try:
        response = guest.goto(f"/meet/g/{token}")
        assert response.status == 410
        assert "有効期限" in guest.locator("main").inner_text()
        assert guest.locator("form").count() == 0
    finally:
        guest.context.close()


def test_turn_only_connects_through_coturn_on_loopback(media_browser, server, org_tree, coturn, settings):  # noqa: F811
    settings.KIBAN_TURN_URLS = [coturn.url]
    settings.KIBAN_TURN_SECRET = coturn.secret
    people = [StaffFactory(family_name=n) for n in ("佐藤", "鈴木")]
    meeting = room(people[0], people[1])
    pages = [_page(media_browser, server) for _ in people]
    try:
        for page, person in zip(pages, people, strict=True):
            sign_in(page, person.username, PASSWORD)
            page.goto(f"{meeting.url}?relay=1")
            page.wait_for_selector('[data-meeting][data-state="joined"]')
        for page in pages:
            connected(page, 1)
            assert page.evaluate("() => window.kibanMeeting.iceConfig().iceTransportPolicy") == "relay"
        for page in pages:
            assert_media_flows(page)
            assert [s["type"] for s in stats(page).values()] == ["relay"]
        assert "ALLOCATE processed, success" in coturn.log.read_text(errors="replace")
    finally:
        for page in pages:
            page.context.close()


def test_guest_waits_in_the_lobby_is_admitted_and_connects(media_browser, server, org_tree):
    from kiban.meetings.guests import do_create_guest_link

    host = StaffFactory(family_name="佐藤", given_name="花子")
    meeting = room(host, title="広域連携会議")
    _link, token = do_create_guest_link(host, meeting, 2)
    organiser = _page(media_browser, server)
    guest = _page(media_browser, server, PHONE)
    try:
        sign_in(organiser, host.username, PASSWORD)
        organiser.goto(meeting.url)
        organiser.wait_for_selector('[data-meeting][data-state="joined"]')
        guest.goto(f"/meet/g/{token}")
        guest.fill("input[name=name]", "山田 太郎")
        guest.fill("input[name=organization]", "隣市 情報政策課")
        with guest.expect_navigation():
            guest.click("form button[type=submit]")
        guest.wait_for_selector(".meet-wait:not([hidden])")
        # The organiser sees the knock (live, on the participants button) and admits.
        organiser.wait_for_selector("[data-lobby-count]:not([hidden])")
        organiser.click('[data-action="panel"][data-panel="people"]')
        organiser.click('.lobby [data-action="admit"]')
        connected(guest, 1)
        connected(organiser, 1)
        assert_media_flows(guest)
        assert_media_flows(organiser)
        wait_for(
            organiser,
            "() => [...document.querySelectorAll('.roster li')].some((li) => li.textContent.includes('山田 太郎'))",
        )
        # The guest writes in the meeting's chat; the organiser reads it.
        guest.click('[data-action="panel"][data-panel="chat"]')
        guest.fill(".meet-chat-form input", "よろしくお願いします")
        guest.press(".meet-chat-form input", "Enter")
        organiser.click('[data-action="panel"][data-panel="chat"]')
        wait_for(
            organiser,
            "() => document.querySelector('.meet-chat').textContent.includes('よろしくお願いします')",
        )
        assert guest.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert guest.csp.violations == []
        assert organiser.csp.violations == []
    finally:
        guest.context.close()
        organiser.context.close()
