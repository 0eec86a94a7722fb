"""A first-time phone in the room: the slot's code opened on a phone that is not bound leads
to the slot's list of names; « C'est moi » waits for the trainer, whose approval binds the
phone like an invitation (logged as evidence, shown as such); refusals and limits."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from attendance.contract.slots import delete_slot
from attendance.contract.trainees import delete_trainee
from attendance.extensions import db
from attendance.models import Device, DeviceBindingRequest, Emargement, EvidenceEntry
from attendance.signing import binding_requests
from attendance.signing.devices import DEVICE_COOKIE
from tests.factories import (
    PASSWORD,
    bind_phone,
    csrf_form,
    gen_short_code,
    gen_slot_code,
    gen_user,
    make_room,
    signature_data_url,
    token_for,
)

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _choose_page(phone, room):
    """The phone opens the projected code: redirected to the slot's « C'est moi » list."""
    response = phone.get(f"/q/{gen_slot_code(room.slot)}")
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert f"/e/{room.slot.id}/c-est-moi?t=" in location
    return location, phone.get(location).get_data(as_text=True)


def _ask(phone, room, trainee, page=None):
    location, html = page or _choose_page(phone, room)
    ticket = re.search(r'name="t" value="([^"]+)"', html).group(1)
    return phone.post(
        f"/e/{room.slot.id}/c-est-moi",
        data={"csrf_token": _csrf(html), "t": ticket, "trainee_id": trainee.id},
        headers={"User-Agent": PHONE_UA},
    )


def _login(app, user):
    trainer = app.test_client()
    trainer.post("/login", data=csrf_form(trainer, {"email": user.email, "password": PASSWORD}))
    return trainer


def _approve(app, room, request_id, user=None):
    trainer = _login(app, user or room.trainer)
    return trainer.post(
        f"/seances/{room.slot.id}/demandes/{request_id}/approuver",
        data=csrf_form(trainer),
    )


def _requests():
    db.session.rollback()
    return db.session.scalars(select(DeviceBindingRequest).order_by(DeviceBindingRequest.id)).all()


@pytest.fixture
def phone(app):
    return app.test_client()


def test_an_unbound_phone_gets_the_slot_s_names_and_nothing_else(phone, room):
    _, html = _choose_page(phone, room)
    text = unescape(html)
    for trainee in room.trainees:
        assert f"{trainee.first_name} {trainee.last_name}" in text
        assert (trainee.email or "@@") not in text
    assert "C'est moi" in text and "borne" in text


def test_the_typed_short_code_on_an_unbound_phone_leads_to_the_names_too(phone, room):
    response = phone.get("/q", query_string={"code": gen_short_code(room.slot)})
    assert response.status_code == 302
    assert f"/e/{room.slot.id}/c-est-moi?t=" in response.headers["Location"]


def test_a_wrong_code_on_an_unbound_phone_is_still_refused(phone, room):
    html = phone.get("/q/AAAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    assert "Émargement impossible" in html and "c-est-moi" not in html


def test_c_est_moi_stores_one_pending_request_per_phone_and_slot(phone, room):
    first = _ask(phone, room, room.trainee)
    assert first.status_code == 302 and first.headers["Location"].endswith("/e/demande")
    again = _ask(phone, room, room.trainee)
    assert again.status_code == 302
    (request,) = _requests()
    assert (request.status, request.trainee_id, request.slot_id) == (
        "pending",
        room.trainee.id,
        room.slot.id,
    )
    assert len(request.secret_hash) == 64 and request.qr_jti
    other = _ask(phone, room, room.trainees[1])
    assert other.status_code == 409
    assert "BINDING_REQUEST_PENDING" in other.get_data(as_text=True)
    assert len(_requests()) == 1
    waiting = phone.get("/e/demande").get_data(as_text=True)
    assert "En attente du formateur" in waiting and "binding.js" in waiting
    assert phone.get("/e/demande.json").get_json() == {"status": "pending"}


def test_a_name_not_on_the_slot_is_refused(phone, room):
    outsider = make_room().trainee
    response = _ask(phone, room, outsider)
    assert response.status_code == 422 and "NOT_ENROLLED" in response.get_data(as_text=True)
    assert _requests() == []


def test_outside_the_signing_window_no_request_is_made(app, phone):
    room = make_room(starts_at=None)
    _, html = _choose_page(phone, room)
    room.slot.starts_at -= timedelta(hours=6)
    room.slot.ends_at = room.slot.starts_at + timedelta(hours=3)
    db.session.commit()
    response = _ask(phone, room, room.trainee, ("", html))
    assert response.status_code == 409
    assert "OUTSIDE_SLOT_WINDOW" in response.get_data(as_text=True)
    assert _requests() == []


def test_trainer_approval_binds_the_phone_logs_it_and_the_phone_signs(app, phone, room):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    roster = _login(app, room.trainer).get(f"/seances/{room.slot.id}").get_data(as_text=True)
    assert "Téléphones à confirmer" in roster and "Approuver" in roster
    assert _approve(app, room, request.id).status_code == 302

    (request,) = _requests()
    device = db.session.scalars(select(Device)).one()
    assert request.status == "approved" and request.decided_by_id == room.trainer.id
    assert request.device_id == device.id and device.trainee_id == room.trainee.id
    assert device.phone_id == request.phone_id and device.invitation_id is None
    entry = db.session.scalars(
        select(EvidenceEntry).where(EvidenceEntry.kind == "device_bound")
    ).one()
    assert entry.chain == "organisation"
    assert entry.payload == {
        "trainee_id": room.trainee.id,
        "device_id": device.public_id,
        "phone_id": device.phone_id,
        "binding_request_id": request.id,
        "slot_id": room.slot.id,
        "approved_by": room.trainer.id,
    }

    assert phone.get("/e/demande.json").get_json() == {"status": "approved"}
    claimed = phone.get("/e/demande")
    assert claimed.status_code == 302
    ticket = re.search(r"[?&]t=([^&]+)", claimed.headers["Location"]).group(1)
    assert f"/e/{room.slot.id}?t=" in claimed.headers["Location"]
    assert phone.get_cookie(DEVICE_COOKIE) is not None
    assert phone.get_cookie(binding_requests.BINDING_COOKIE) is None
    sign_page = phone.get(claimed.headers["Location"]).get_data(as_text=True)
    assert "Je signe ma présence" in sign_page
    signed = phone.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": ticket, "signature": signature_data_url()},
    )
    assert signed.status_code == 201, signed.get_json()
    assert signed.get_json()["trainee_id"] == room.trainee.id
    db.session.rollback()
    assert db.session.scalars(select(Emargement)).one().device_id == device.public_id


def test_approval_replaces_the_trainee_s_other_phone(app, phone, room):
    bind_phone(room.trainee)
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    html = _login(app, room.trainer).get(f"/seances/{room.slot.id}").get_data(as_text=True)
    assert "remplace le téléphone lié le" in html
    _approve(app, room, request.id)
    db.session.rollback()
    phones = db.session.scalars(select(Device).order_by(Device.id)).all()
    assert [d.revoked_at is None for d in phones] == [False, True]


def test_approving_one_phone_refuses_the_trainee_s_other_requests(app, room):
    first, second = app.test_client(), app.test_client()
    _ask(first, room, room.trainee)
    _ask(second, room, room.trainee)
    one, two = _requests()
    _approve(app, room, one.id)
    assert [r.status for r in _requests()] == ["approved", "refused"]
    refused = second.get("/e/demande")
    assert refused.status_code == 403
    assert "borne" in unescape(refused.get_data(as_text=True))


def test_a_refused_request_points_to_the_kiosk(app, phone, room):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    trainer = _login(app, room.trainer)
    html = trainer.get(f"/seances/{room.slot.id}").get_data(as_text=True)
    trainer.post(
        f"/seances/{room.slot.id}/demandes/{request.id}/refuser", data={"csrf_token": _csrf(html)}
    )
    assert [r.status for r in _requests()] == ["refused"]
    page = phone.get("/e/demande")
    assert page.status_code == 403
    text = unescape(page.get_data(as_text=True))
    assert "BINDING_REQUEST_REFUSED" in text and "borne" in text
    assert db.session.scalars(select(Device)).all() == []


def test_only_the_slot_s_trainer_or_an_admin_approves(app, phone, room):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    other = gen_user(room.org, "trainer")
    db.session.commit()
    assert _approve(app, room, request.id, other).status_code == 404
    assert [r.status for r in _requests()] == ["pending"]


def test_the_phone_bound_in_the_room_shows_as_such_on_the_phones_page(app, phone, room):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    _approve(app, room, request.id)
    admin = _login(app, room.admin)
    html = unescape(admin.get(f"/stagiaires/{room.trainee.id}/telephone").get_data(as_text=True))
    assert f"Lié au téléphone en séance, approuvé par {room.trainer.full_name} le" in html


# --- API ---------------------------------------------------------------------------------


def test_api_lists_pending_requests_and_approves_one(app, phone, room, trainer_headers, client):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    listed = client.get(f"/api/slots/{room.slot.id}/binding-requests", headers=trainer_headers)
    assert listed.status_code == 200
    (line,) = listed.get_json()
    assert line["id"] == request.id and line["trainee_id"] == room.trainee.id
    assert line["phone"] == "Android 14 · Chrome" and line["replaces_phone_bound_at"] is None

    url = f"/api/slots/{room.slot.id}/binding-requests/{request.id}"
    approved = client.post(f"{url}/approve", headers=trainer_headers)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    assert approved.get_json()["decided_by_id"] == room.trainer.id
    again = client.post(f"{url}/refuse", headers=trainer_headers)
    assert again.status_code == 409
    body = again.get_json()
    assert body["code"] == "BINDING_REQUEST_DECIDED" and "réponse" in body["message"]
    assert (
        client.get(
            f"/api/slots/{room.slot.id}/binding-requests", headers=trainer_headers
        ).get_json()
        == []
    )


def test_api_refuses_another_organisation_s_request(app, phone, room, client):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    stranger = make_room()
    headers = token_for(stranger.admin)
    response = client.post(
        f"/api/slots/{room.slot.id}/binding-requests/{request.id}/approve", headers=headers
    )
    assert response.status_code == 404 and response.get_json()["code"] == "NOT_FOUND"
    mixed = client.post(
        f"/api/slots/{stranger.slot.id}/binding-requests/{request.id}/approve", headers=headers
    )
    assert mixed.status_code == 404
    assert [r.status for r in _requests()] == ["pending"]


# --- What goes with a trainee or a slot --------------------------------------------------


def test_a_deleted_slot_or_trainee_takes_its_phone_requests_along(app, room):
    for trainee in room.trainees[:2]:
        _ask(app.test_client(), room, trainee)
    db.session.rollback()
    delete_trainee(db.session, room.org, room.trainees[1])
    db.session.commit()
    assert [r.trainee_id for r in _requests()] == [room.trainee.id]
    delete_slot(db.session, room.org, room.slot)
    db.session.commit()
    assert _requests() == []


def test_a_name_flooded_with_phone_requests_is_refused(app, room):
    for _ in range(binding_requests.MAX_PENDING_PER_NAME):
        assert _ask(app.test_client(), room, room.trainee).status_code == 302
    flood = _ask(app.test_client(), room, room.trainee)
    assert flood.status_code == 409
    assert "BINDING_REQUESTS_TOO_MANY" in flood.get_data(as_text=True)
    assert len(_requests()) == binding_requests.MAX_PENDING_PER_NAME


def test_api_approval_after_the_window_closed_is_refused(phone, room, trainer_headers, client):
    _ask(phone, room, room.trainee)
    (request,) = _requests()
    room.slot.starts_at -= timedelta(hours=6)
    room.slot.ends_at = room.slot.starts_at + timedelta(hours=3)
    db.session.commit()
    response = client.post(
        f"/api/slots/{room.slot.id}/binding-requests/{request.id}/approve", headers=trainer_headers
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "OUTSIDE_SLOT_WINDOW"
    assert [r.status for r in _requests()] == ["pending"]
    assert db.session.scalars(select(Device)).all() == []
