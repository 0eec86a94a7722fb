"""The planning pages: sites and rooms, the week view with its filters, a series refused as
a whole, and each trainer's iCalendar feed (session or signed address)."""

import re
from datetime import UTC, date, datetime

from icalendar import Calendar

from attendance.accounts import change_password
from attendance.extensions import db
from attendance.models import Room, Site, Slot
from tests.factories import (
    PASSWORD,
    csrf_form,
    gen_room,
    gen_slot,
    gen_user,
    half_day,
    order_with,
    validate_month,
)


def _login(client, user):
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))


def _slots() -> list[Slot]:
    return db.session.scalars(db.select(Slot).order_by(Slot.starts_at)).all()


def test_billing_staff_add_a_site_and_a_room_with_its_capacity(client, app):
    org, _, _ = order_with()
    billing = gen_user(org, "billing")
    db.session.commit()
    _login(client, billing)
    client.post("/planning/salles/site", data=csrf_form(client, {"name": "Albi", "address": ""}))
    site = db.session.scalars(db.select(Site)).one()
    page = client.post(
        "/planning/salles/salle",
        data=csrf_form(client, {"site_id": site.id, "name": "Salle Tarn", "capacity": "0"}),
        follow_redirects=True,
    )
    assert "au moins 1" in page.get_data(as_text=True)
    client.post(
        "/planning/salles/salle",
        data=csrf_form(client, {"site_id": site.id, "name": "Salle Tarn", "capacity": "14"}),
    )
    room = db.session.scalars(db.select(Room)).one()
    assert (room.name, room.capacity, room.site.name) == ("Salle Tarn", 14, "Albi")
    html = client.get("/planning/salles").get_data(as_text=True)
    assert 'value="Salle Tarn"' in html


def test_a_trainer_may_not_manage_rooms(client, app):
    org, _, _ = order_with()
    trainer = gen_user(org, "trainer")
    db.session.commit()
    _login(client, trainer)
    assert client.get("/planning/salles").status_code == 403


def test_the_week_view_shows_the_week_filtered_by_room(client, app):
    org, _, [composante] = order_with()
    billing = gen_user(org, "billing")
    room = gen_room(org, name="Salle Garonne")
    half_day(composante, date(2026, 3, 9), title="Dans la salle", room_id=room.id)
    half_day(composante, date(2026, 3, 10), afternoon=True, title="Ailleurs")
    half_day(composante, date(2026, 3, 16), title="La semaine 12")
    db.session.commit()
    _login(client, billing)
    html = client.get("/planning?semaine=2026-W11").get_data(as_text=True)
    assert "Dans la salle" in html and "Ailleurs" in html and "La semaine 12" not in html
    assert 'href="/planning?semaine=2026-W12"' in html
    filtered = client.get(f"/planning?semaine=2026-W11&salle={room.id}").get_data(as_text=True)
    assert "Dans la salle" in filtered and "Ailleurs" not in filtered


def test_a_series_page_with_a_conflict_saves_nothing_and_lists_it_in_french(client, app):
    org, _, [composante] = order_with()
    billing, trainer = gen_user(org, "billing"), gen_user(org, "trainer", full_name="Paul Roy")
    gen_slot(composante, datetime(2026, 3, 11, 9, 0, tzinfo=UTC), trainer_id=trainer.id)
    db.session.commit()
    _login(client, billing)
    form = {
        "first_day": "2026-03-09", "weeks": "2", "start": "09:00", "end": "12:30",
        "composante_id": composante.id, "kind": "centre", "trainer_id": trainer.id,
        "weekdays": ["0", "1", "2", "3", "4"],
    }  # fmt: skip
    response = client.post("/planning/serie", data=csrf_form(client, form))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Rien n&#39;a été enregistré : 1 conflit(s) de planning." in html
    assert "Mercredi 11 mars 2026" in html and "Paul Roy anime déjà" in html
    db.session.rollback()
    assert len(_slots()) == 1


def _events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def test_a_trainers_ics_feed_holds_their_slots_in_utc_with_stable_uids(client, app):
    org, _, [composante] = order_with()
    trainer, other = gen_user(org, "trainer"), gen_user(org, "trainer")
    room = gen_room(org, name="Salle Ariège")
    mine = gen_slot(composante, datetime(2030, 3, 4, 8, 0, tzinfo=UTC), trainer_id=trainer.id,
                    room_id=room.id, title="Bureautique", group_name="G1")  # fmt: skip
    gen_slot(composante, datetime(2030, 3, 5, 8, 0, tzinfo=UTC), trainer_id=other.id)
    db.session.commit()
    _login(client, trainer)
    response = client.get(f"/planning/formateur/{trainer.id}.ics")
    assert response.mimetype == "text/calendar"
    [event] = _events(response.data)
    assert event["SUMMARY"] == "Bureautique"
    assert event["LOCATION"] == "Salle Ariège, Toulouse — Compans"
    assert "Groupe : G1" in event["DESCRIPTION"]
    assert event.decoded("DTSTART") == datetime(2030, 3, 4, 8, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2030, 3, 4, 11, 30, tzinfo=UTC)
    assert b"DTSTART:20300304T080000Z" in response.data
    assert str(event["UID"]) == f"slot-{mine.id}@{org.siret}.emargement"
    [again] = _events(client.get(f"/planning/formateur/{trainer.id}.ics").data)
    assert again["UID"] == event["UID"]
    assert client.get(f"/planning/formateur/{other.id}.ics").status_code == 404


def test_the_signed_feed_address_works_without_a_cookie_until_the_password_changes(client, app):
    org, _, [composante] = order_with()
    trainer = gen_user(org, "trainer")
    gen_slot(composante, datetime(2030, 3, 4, 8, 0, tzinfo=UTC), trainer_id=trainer.id)
    db.session.commit()
    _login(client, trainer)
    html = client.get("/planning?semaine=2030-W10").get_data(as_text=True)
    address = re.search(r'href="(http://localhost/planning/formateur/[^"]+)"', html).group(1)
    address = address.replace("&amp;", "&").removeprefix("http://localhost")
    anonymous = app.test_client()
    assert len(_events(anonymous.get(address).data)) == 1
    change_password(db.session, trainer, "un tout nouveau mot de passe")
    db.session.commit()
    revoked = anonymous.get(address)
    assert revoked.status_code == 401
    assert "révoqué" in revoked.get_data(as_text=True)


def test_a_validated_month_refuses_a_planning_edit_and_a_series_in_french(client, app):
    org, order, [composante] = order_with()
    billing = gen_user(org, "billing")
    slot = half_day(composante, date(2026, 3, 9), title="Validée")
    validate_month(order)
    db.session.commit()
    _login(client, billing)
    form = {"date": "2026-03-09", "start": "10:00", "end": "12:00", "kind": "centre",
            "composante_id": composante.id, "title": "Déplacée"}  # fmt: skip
    edited = client.post(f"/planning/seance/{slot.id}", data=csrf_form(client, form))
    assert edited.status_code == 409
    assert "Le mois de mars 2026 est validé" in edited.get_data(as_text=True)
    series = {**form, "first_day": "2026-03-16", "weeks": "1", "weekdays": ["0", "1"]}
    refused = client.post("/planning/serie", data=csrf_form(client, series))
    assert refused.status_code == 409
    db.session.rollback()
    assert [s.title for s in _slots()] == ["Validée"]


def test_copying_a_week_from_the_page_copies_the_shown_slots(client, app):
    org, _, [composante] = order_with()
    billing = gen_user(org, "billing")
    half_day(composante, date(2026, 3, 9), title="Lundi", group_name="G1")
    half_day(composante, date(2026, 3, 11), title="Autre groupe", group_name="G2")
    db.session.commit()
    _login(client, billing)
    form = {"semaine": "2026-W11", "vers": "2026-W13", "groupe": "G1"}
    response = client.post("/planning/copier", data=csrf_form(client, form))
    assert response.headers["Location"].endswith("/planning?semaine=2026-W13")
    db.session.rollback()
    copied = [s for s in _slots() if s.starts_at.date() > date(2026, 3, 15)]
    assert [(s.title, s.starts_at, s.group_name) for s in copied] == [
        ("Lundi", datetime(2026, 3, 23, 8, 0, tzinfo=UTC), "G1")
    ]


def test_a_trainer_sees_only_their_own_slots_and_cannot_plan(client, app):
    org, _, [composante] = order_with()
    trainer, other = gen_user(org, "trainer"), gen_user(org, "trainer")
    half_day(composante, date(2026, 3, 9), title="La mienne", trainer_id=trainer.id)
    half_day(composante, date(2026, 3, 10), title="Pas la mienne", trainer_id=other.id)
    db.session.commit()
    _login(client, trainer)
    html = client.get(f"/planning?semaine=2026-W11&formateur={other.id}").get_data(as_text=True)
    assert "La mienne" in html and "Pas la mienne" not in html
    assert "Nouvelle séance" not in html
    assert client.get("/planning/serie").status_code == 403


def test_an_evening_class_at_17_30_is_in_the_evening_row(client, app):
    """The week view's rows follow clock.half_day, the roster's naming: a class starting at
    17:30 (Paris) is an evening class there too, not an afternoon one."""
    org, _, [composante] = order_with()
    billing = gen_user(org, "billing")
    # 16:30 UTC on 10 March 2026 is 17:30 in Paris (winter time).
    evening = gen_slot(composante, starts_at=datetime(2026, 3, 10, 16, 30, tzinfo=UTC), minutes=120)
    db.session.commit()
    _login(client, billing)
    html = client.get("/planning?semaine=2026-W11").get_data(as_text=True)
    row = re.search(rf'<tr data-period="(\w+)">(?:(?!</tr>).)*data-slot="{evening.id}"', html, re.S)
    assert row is not None and row.group(1) == "evening"
