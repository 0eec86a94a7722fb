"""The planning's checks before saving (contract.planning), series and copies of a week,
and the same checks answered by the API."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from attendance.contract.planning import copy_week_items, plan_slots, series_items
from attendance.errors import Conflict
from attendance.extensions import db
from attendance.models import Slot
from tests.factories import (
    enrol,
    gen_room,
    gen_slot,
    gen_trainee,
    gen_user,
    half_day,
    order_with,
    token_for,
)

MONDAY = date(2026, 3, 9)


def _slot_data(composante, day: date = MONDAY, hour=8, minutes=210, **fields) -> dict:
    starts = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
    return {
        "composante_id": composante.id,
        "kind": "centre",
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=minutes),
        **fields,
    }


def _count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Slot))


def _refusal(org, items, confirmed=False) -> Conflict:
    db.session.commit()
    before = _count()
    with pytest.raises(Conflict) as caught:
        plan_slots(db.session, org, items, confirmed)
    db.session.rollback()
    assert _count() == before  # nothing saved
    return caught.value


def test_a_trainer_booked_twice_at_the_same_time_is_refused(app):
    org, _, [composante] = order_with()
    trainer = gen_user(org, "trainer", full_name="Claire Martin")
    half_day(composante, MONDAY, trainer_id=trainer.id, title="Bureautique")
    error = _refusal(org, [_slot_data(composante, hour=10, trainer_id=trainer.id)])
    assert error.code == "PLANNING_CONFLICT"
    [conflict] = error.details["conflicts"]
    assert conflict["code"] == "TRAINER_DOUBLE_BOOKED"
    assert "Claire Martin anime déjà « Bureautique »" in conflict["message"]
    assert conflict["message"].startswith("Lundi 9 mars 2026")


def test_a_room_booked_twice_is_refused_but_back_to_back_is_not(app):
    org, _, [composante] = order_with()
    room = gen_room(org, name="Salle Garonne")
    half_day(composante, MONDAY, room_id=room.id)  # 08:00–11:30 UTC
    error = _refusal(org, [_slot_data(composante, hour=11, room_id=room.id)])
    assert [c["code"] for c in error.details["conflicts"]] == ["ROOM_DOUBLE_BOOKED"]
    assert "Salle Garonne est déjà réservée" in error.details["conflicts"][0]["message"]
    starts = datetime(2026, 3, 9, 11, 30, tzinfo=UTC)
    data = {**_slot_data(composante, room_id=room.id), "starts_at": starts,
            "ends_at": starts + timedelta(hours=3)}  # fmt: skip
    [saved] = plan_slots(db.session, org, [data])
    assert saved.site == "Toulouse — Compans"  # the room's site fills ``site``


def test_a_room_smaller_than_the_group_is_warned_then_saved_once_confirmed(app):
    org, _, [composante] = order_with()
    room = gen_room(org, capacity=2, name="Salle Lot")
    enrol(composante, [gen_trainee(org) for _ in range(3)])
    error = _refusal(org, [_slot_data(composante, room_id=room.id)])
    assert error.code == "PLANNING_NEEDS_CONFIRMATION"
    [warning] = error.details["warnings"]
    assert warning["code"] == "ROOM_CAPACITY_EXCEEDED"
    assert "3 stagiaires attendus pour 2 places" in warning["message"]
    [saved] = plan_slots(db.session, org, [_slot_data(composante, room_id=room.id)], True)
    assert saved.id and saved.room_id == room.id


def test_a_public_holiday_is_warned_with_its_french_name(app):
    org, _, [composante] = order_with()
    error = _refusal(org, [_slot_data(composante, day=date(2026, 4, 6))])
    [warning] = error.details["warnings"]
    assert warning["code"] == "PUBLIC_HOLIDAY"
    assert warning["message"] == "Lundi 6 avril 2026 : Lundi de Pâques"


def test_a_trainee_expected_on_two_slots_at_once_is_warned_by_name(app):
    org, _, [composante] = order_with()
    [trainee] = enrol(composante, [gen_trainee(org, last_name="Durand", first_name="Léa")])
    half_day(composante, MONDAY, title="Atelier CV")
    company = _slot_data(composante, kind="company", trainee_id=trainee.id,
                         company_name="Boulangerie Martin")  # fmt: skip
    error = _refusal(org, [company])
    [warning] = error.details["warnings"]
    assert warning["code"] == "TRAINEE_OVERLAP"
    assert "DURAND Léa est aussi attendu(s) à « Atelier CV »" in warning["message"]


def test_a_series_with_one_refused_slot_saves_none_and_lists_the_conflict(app):
    org, _, [composante] = order_with()
    trainer = gen_user(org, "trainer")
    gen_slot(composante, datetime(2026, 3, 18, 9, 0, tzinfo=UTC), trainer_id=trainer.id)
    template = {"composante_id": composante.id, "kind": "centre", "trainer_id": trainer.id}
    items, skipped = series_items(template, MONDAY, 2, [0, 1, 2, 3, 4], time(9), time(12, 30))
    assert len(items) == 10 and skipped == []
    error = _refusal(org, items)
    [conflict] = error.details["conflicts"]
    assert conflict["day"] == "2026-03-18"
    assert conflict["code"] == "TRAINER_DOUBLE_BOOKED"


def test_a_series_skips_public_holidays_when_asked(app):
    org, _, [composante] = order_with()
    template = {"composante_id": composante.id, "kind": "centre"}
    items, skipped = series_items(
        template, date(2026, 4, 8), 1, [0, 1, 2, 3, 4], time(9), time(12), skip_holidays=True
    )
    assert skipped == ["Lundi 6 avril 2026 : Lundi de Pâques"]
    created = plan_slots(db.session, org, items)
    assert created[0].starts_at == datetime(2026, 4, 7, 7, 0, tzinfo=UTC)  # 09:00 in Paris
    assert len(created) == 4


def test_copying_a_week_keeps_local_times_across_the_clock_change(app):
    org, _, [composante] = order_with()
    room = gen_room(org)
    # Week of 23 March 2026 (UTC+1), copied to the week of 30 March (UTC+2 from the 29th).
    gen_slot(composante, datetime(2026, 3, 23, 8, 0, tzinfo=UTC), room_id=room.id, title="A")
    gen_slot(composante, datetime(2026, 3, 26, 13, 0, tzinfo=UTC), title="B")
    items = copy_week_items(db.session, org, date(2026, 3, 23), date(2026, 3, 30), {})
    created = plan_slots(db.session, org, items)
    assert [(s.title, s.starts_at, s.room_id) for s in created] == [
        ("A", datetime(2026, 3, 30, 7, 0, tzinfo=UTC), room.id),
        ("B", datetime(2026, 4, 2, 12, 0, tzinfo=UTC), None),
    ]
    again = copy_week_items(db.session, org, date(2026, 3, 23), date(2026, 3, 30), {})
    error = _refusal(org, again)
    assert [c["code"] for c in error.details["conflicts"]] == ["ROOM_DOUBLE_BOOKED"]


def test_the_api_refuses_a_double_booking_and_asks_to_confirm_a_holiday(client, app):
    org, _, [composante] = order_with()
    trainer = gen_user(org, "trainer")
    half_day(composante, MONDAY, trainer_id=trainer.id)
    headers = token_for(gen_user(org, "billing"))

    def body(day, **fields):
        data = _slot_data(composante, day=day, trainer_id=trainer.id, **fields)
        return {**data, "starts_at": data["starts_at"].isoformat(),
                "ends_at": data["ends_at"].isoformat()}  # fmt: skip

    refused = client.post("/api/slots", json=body(MONDAY), headers=headers)
    assert refused.status_code == 409
    assert refused.json["code"] == "PLANNING_CONFLICT"
    assert refused.json["details"]["conflicts"][0]["code"] == "TRAINER_DOUBLE_BOOKED"
    holiday = client.post("/api/slots", json=body(date(2026, 5, 1)), headers=headers)
    assert holiday.status_code == 409
    assert holiday.json["code"] == "PLANNING_NEEDS_CONFIRMATION"
    assert (
        holiday.json["details"]["warnings"][0]["message"] == "Vendredi 1 mai 2026 : Fête du Travail"
    )
    confirmed = client.post(
        "/api/slots", json=body(date(2026, 5, 1), confirm=True), headers=headers
    )
    assert confirmed.status_code == 201
    moved = client.patch(
        f"/api/slots/{confirmed.json['id']}",
        json={"starts_at": "2026-03-09T09:00:00+00:00", "ends_at": "2026-03-09T10:00:00+00:00"},
        headers=headers,
    )
    assert moved.status_code == 409 and moved.json["code"] == "PLANNING_CONFLICT"
