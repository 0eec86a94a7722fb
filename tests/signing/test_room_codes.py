"""The room's codes: the compact code of the projected QR (a short URL, a small grid) and
the 6-character short code under it; both rotate together and are refused outside their
rotation plus grace, forged, or for another slot."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import Emargement, RateLimitCounter
from attendance.signing import room_codes
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.keys import rotate_keys
from attendance.signing.qr import make_qr
from attendance.signing.signins import open_slot_code, open_typed_code, shown_slot_code
from tests.factories import (
    bind_phone,
    gen_short_code,
    gen_slot,
    gen_slot_code,
    make_room,
    signature_data_url,
)

ROTATION, GRACE = 15, 10


@pytest.fixture(autouse=True)
def _no_leeway(app):
    app.config.update(
        SIGNIN_QR_ROTATION_SECONDS=ROTATION, SIGNIN_QR_GRACE_SECONDS=GRACE, SIGNING_LEEWAY_SECONDS=0
    )


@pytest.fixture
def phone(room):
    return bind_phone(room.trainee)


def _rotation_start(now: datetime) -> datetime:
    return datetime.fromtimestamp(room_codes.counter_at(now) * ROTATION, UTC)


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    db.session.rollback()
    return refused.value


def _failures() -> int:
    db.session.rollback()
    keys = db.session.scalars(select(RateLimitCounter)).all()
    return sum(row.hits for row in keys if row.key.startswith("signin_client_failures:"))


def test_the_projected_url_is_short_and_its_qr_at_most_41_modules(app, room):
    """The JWT link made a 69×69 grid; a typical host with the compact code stays under 80
    characters and version 6 (41×41), even for large organisation and slot ids."""
    shown = shown_slot_code(db.session, room.slot)
    biggest = room_codes.compact_code(
        room_codes.keyring().active(db.session, "HS256"), 10**6, 10**7, 2**40
    )
    for code in (shown.code, biggest):
        url = f"https://emargement.organisme-formation.fr/q/{code}"
        assert len(url) < 80, url
        qr = make_qr(url)
        assert qr.version <= 6 and qr.modules_count <= 41, (url, qr.version)
    short = make_qr(f"https://emargement.example.fr/q/{shown.code}")
    assert short.modules_count <= 37  # version 5 at most for the example host
    assert len(shown.short) == 6 and not set(shown.short) & set("0O1IL")


def test_a_compact_code_is_accepted_until_the_end_of_its_rotation_plus_grace(app, room, phone):
    start = _rotation_start(datetime.now(UTC))
    code = gen_slot_code(room.slot, at=start)
    last = start + timedelta(seconds=ROTATION + GRACE)
    slot, _, ticket = open_slot_code(db.session, code, phone, room.slot.id, now=last)
    assert slot.id == room.slot.id and ticket.count(".") == 2  # the page's JWT ticket
    db.session.commit()
    late = _refusal(
        lambda: open_slot_code(
            db.session, code, phone, room.slot.id, now=last + timedelta(seconds=1)
        )
    )
    assert (late.code, late.status) == ("TOKEN_EXPIRED", 401) and "expiré" in late.message
    early = _refusal(
        lambda: open_slot_code(db.session, code, phone, None, now=start - timedelta(seconds=1))
    )
    assert early.code == "TOKEN_NOT_YET_VALID"


def test_the_projector_changes_code_each_rotation_and_says_when(app, room):
    start = _rotation_start(datetime.now(UTC))
    first = shown_slot_code(db.session, room.slot, start + timedelta(seconds=3))
    same = shown_slot_code(db.session, room.slot, start + timedelta(seconds=14))
    second = shown_slot_code(db.session, room.slot, start + timedelta(seconds=ROTATION))
    assert (first.code, first.short) == (same.code, same.short)
    assert first.code != second.code and first.short != second.short
    assert first.changes_at == start + timedelta(seconds=ROTATION)
    assert first.expires_at == first.changes_at + timedelta(seconds=GRACE)


@pytest.mark.parametrize("tamper", ["mac", "slot", "garbage", "jwt-looking"])
def test_a_forged_compact_code_is_refused_as_not_genuine(app, room, phone, tamper):
    code = gen_slot_code(room.slot)
    other = gen_slot(room.composante, starts_at=room.slot.starts_at, trainer_id=room.trainer.id)
    db.session.commit()
    forged = {
        "mac": code[:-2] + ("AA" if not code.endswith("AA") else "BB"),
        # The other slot's numbers with this slot's MAC.
        "slot": gen_slot_code(other)[:-11] + code[-11:],
        "garbage": "%%%not-base64",
        "jwt-looking": "abc.def.ghi",
    }[tamper]
    refused = _refusal(lambda: open_slot_code(db.session, forged, phone, None))
    assert (refused.code, refused.status) == ("TOKEN_INVALID", 401)
    assert refused.message[0].isupper()


def test_a_code_of_another_slot_is_refused_for_this_slot(app, room, phone):
    other = gen_slot(room.composante, starts_at=room.slot.starts_at, trainer_id=room.trainer.id)
    db.session.commit()
    refused = _refusal(
        lambda: open_slot_code(db.session, gen_slot_code(other), phone, room.slot.id)
    )
    assert refused.code == "TOKEN_OTHER_SLOT"


def test_a_code_shown_before_a_key_rotation_still_works_through_its_grace(app, room, phone):
    code = gen_slot_code(room.slot)
    short = gen_short_code(room.slot)
    rotate_keys(db.session, "EdDSA")
    db.session.commit()
    assert open_slot_code(db.session, code, phone, room.slot.id)[0].id == room.slot.id
    assert open_typed_code(db.session, short, phone)[0].id == room.slot.id
    assert gen_slot_code(room.slot) != code  # the new key signs from now on


def test_the_short_code_of_the_previous_rotation_is_accepted_through_the_grace(app, room, phone):
    start = _rotation_start(datetime.now(UTC))
    short = gen_short_code(room.slot, at=start)
    within = start + timedelta(seconds=ROTATION + GRACE)
    assert open_typed_code(db.session, short.lower(), phone, now=within)[0].id == room.slot.id
    db.session.commit()
    after = within + timedelta(seconds=1)
    refused = _refusal(lambda: open_typed_code(db.session, short, phone, now=after))
    assert refused.code == "TOKEN_EXPIRED"


def test_the_short_code_is_looked_up_among_open_slots_of_the_phone_s_organisation(app, room, phone):
    elsewhere = make_room()
    refused = _refusal(lambda: open_typed_code(db.session, gen_short_code(elsewhere.slot), phone))
    assert (refused.code, refused.status) == ("SHORT_CODE_UNKNOWN", 401)
    assert "6 caractères" in refused.message
    # A slot of the phone's organisation that is not open now is not found either.
    later = gen_slot(room.composante, starts_at=room.slot.starts_at + timedelta(hours=5))
    db.session.commit()
    refused = _refusal(lambda: open_typed_code(db.session, gen_short_code(later), phone))
    assert refused.code == "SHORT_CODE_UNKNOWN"


def test_simultaneous_slots_sharing_a_short_code_are_told_apart_or_refused(app, monkeypatch):
    """Two open slots with the same code at the same rotation (odds ~1e-9 each): the
    phone's organisation tells them apart; within one organisation the trainee is asked to
    type the next code."""
    first, second = make_room(), make_room()
    twin = gen_slot(first.composante, starts_at=first.slot.starts_at)
    gen_slot_code(twin)  # the projector has shown a code: the signing key exists
    monkeypatch.setattr(room_codes, "short_code", lambda key, org, slot, counter: "ABCDEF")
    now = datetime.now(UTC)
    found = room_codes.find_short(db.session, "abc-def", now, second.org.id)
    assert found["slot"] == second.slot.id
    assert room_codes.verify_compact(db.session, found["jti"], now)["slot"] == second.slot.id
    for org in (None, first.org.id):
        refused = _refusal(lambda org=org: room_codes.find_short(db.session, "ABCDEF", now, org))
        assert (refused.code, refused.status) == ("SHORT_CODE_AMBIGUOUS", 409)
        assert "code suivant" in refused.message
    assert twin.id != first.slot.id


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDE0", "ABCDEFG1", "ÀBCDEF"])
def test_a_malformed_short_code_is_unknown(app, room, phone, typed):
    refused = _refusal(lambda: open_typed_code(db.session, typed, phone))
    assert refused.code == "SHORT_CODE_UNKNOWN"


def test_a_typed_code_signs_like_a_scan_and_names_the_shown_rotation(client, room, phone):
    short = gen_short_code(room.slot)
    client.set_cookie(DEVICE_COOKIE, phone)
    page = client.get("/q", query_string={"code": f"{short[:3].lower()} {short[3:]}"})
    assert page.status_code == 302
    assert page.location.startswith(f"/e/{room.slot.id}?t=")
    ticket = page.location.split("?t=", 1)[1]
    sign_page = client.get(page.location)
    assert "Je signe ma présence" in sign_page.get_data(as_text=True)
    response = client.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": ticket, "signature": signature_data_url()},
    )
    assert response.status_code == 201, response.get_json()
    stored = db.session.scalars(select(Emargement)).one()
    assert stored.method == "qr" and stored.trainee_id == room.trainee.id
    # The evidence names the compact code of the rotation the short code was shown with.
    shown = room_codes.verify_compact(db.session, stored.token_jti, datetime.now(UTC))
    assert shown["slot"] == room.slot.id


def test_a_wrong_typed_code_gets_a_french_page_and_counts_as_a_refusal(client, room, phone):
    client.set_cookie(DEVICE_COOKIE, phone)
    before = _failures()
    page = client.get("/q", query_string={"code": "ZZZZZZ"})
    text = page.get_data(as_text=True)
    assert page.status_code == 401 and "aucune séance en cours" in text
    assert _failures() == before + 1
    code = gen_slot_code(room.slot)
    forged = client.get("/q/" + code[:-1] + ("A" if not code.endswith("A") else "B"))
    assert forged.status_code == 401, (code, forged.location)
    assert "authentique" in forged.get_data(as_text=True)
    assert _failures() == before + 2
    assert db.session.scalars(select(Emargement)).all() == []


def test_an_unbound_phone_is_led_to_the_slot_s_names_or_to_the_kiosk(client, room):
    """Never a dead end (``signing.binding_requests``): « C'est moi » or the kiosk."""
    for page in (
        client.get("/q", query_string={"code": gen_short_code(room.slot)}),
        client.get(f"/q/{gen_slot_code(room.slot)}"),
    ):
        assert page.status_code == 302
        assert f"/e/{room.slot.id}/c-est-moi?t=" in page.location
        text = unescape(client.get(page.location).get_data(as_text=True))
        assert "C'est moi" in text and "borne" in text
    assert db.session.scalars(select(Emargement)).all() == []


def test_the_phone_home_page_offers_the_code_field(client):
    text = client.get("/e").get_data(as_text=True)
    assert "Code affiché au tableau" in text and 'action="/q"' in text
