"""The roster in words a trainer reads without thinking (issue « In the room »): a presence
the trainer declared is not « Signé », the history is French, a message shows once, and the
half-day is named from its hours."""

import re
from datetime import UTC, datetime

import pytest

from tests.factories import PASSWORD, csrf_form

DECLARED = "Présence déclarée par le formateur"


def _login(client, user):
    response = client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD})
    )
    assert response.status_code == 302


def _row(page: str, trainee_id: int) -> str:
    match = re.search(rf'<tr data-trainee="{trainee_id}".*?</tr>', page, re.S)
    assert match, page
    return match.group(0)


def _mark(client, room, trainee, **fields):
    data = {"trainee_id": str(trainee.id), **{k: str(v) for k, v in fields.items()}}
    return client.post(
        f"/seances/{room.slot.id}/marquer", data=csrf_form(client, data), follow_redirects=True
    )


def test_a_presence_the_trainer_declared_is_not_called_signed(client, room):
    _login(client, room.trainer)
    page = _mark(client, room, room.trainees[1], status="present").get_data(as_text=True)
    row = _row(page, room.trainees[1].id)
    assert DECLARED in row
    assert "Signé" not in row
    assert "formateur" in row  # how: declared by the trainer, no time of signature


def test_history_lines_are_french(client, room):
    _login(client, room.trainer)
    _mark(client, room, room.trainees[1], status="present")
    page = _mark(client, room, room.trainees[1], late_minutes=15).get_data(as_text=True)
    history = page.split("Historique des modifications", 1)[1]
    assert "Retard : 15 min" in history
    assert "Statut : présent" in history
    for english in ("late_minutes", "status", "present", "True", "confirmed"):
        assert re.search(rf"\b{english}\b", history) is None, english


def test_a_success_message_shows_once(client, room):
    _login(client, room.trainer)
    page = _mark(client, room, room.trainees[1], status="absent").get_data(as_text=True)
    assert page.count("Feuille de présence mise à jour.") == 1


@pytest.mark.parametrize(
    ("utc_hour", "words"),
    [
        (7, "matin"),
        (10, "matin"),
        (12, "après-midi"),
        (15, "après-midi"),
        (17, "soirée"),
        (19, "soirée"),
    ],
)
def test_the_half_day_is_named_from_its_local_hours(utc_hour, words):
    from attendance.clock import half_day

    # 2 December 2026: Paris is UTC+1, so 17:00 UTC starts at 18:00 local.
    assert half_day(datetime(2026, 12, 2, utc_hour, 0, tzinfo=UTC)) == words
