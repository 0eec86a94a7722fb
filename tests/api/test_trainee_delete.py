"""Deleting a trainee (issue #16, item 9): never a 500. What only served to sign in (phone,
invitations, kiosk PIN) goes with the trainee; attendance records refuse the deletion with
a clear code."""

from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Device, Invitation, KioskCredential, Trainee
from attendance.signing.devices import create_invitation
from attendance.signing.kiosk import set_pin
from tests.api.helpers import assert_error
from tests.factories import (
    bind_phone,
    gen_emargement,
    gen_org,
    gen_slot,
    gen_trainee,
    gen_user,
    order_with,
    token_for,
)


def _count(model, trainee_id) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.trainee_id == trainee_id)
    )


def test_a_trainee_with_an_invitation_a_phone_and_a_kiosk_pin_is_deleted_with_them(client, app):
    org = gen_org()
    admin = gen_user(org, "admin")
    trainee = gen_trainee(org)
    bind_phone(trainee)
    create_invitation(db.session, org, trainee, admin)
    set_pin(db.session, org, trainee, "482913")
    db.session.commit()
    trainee_id = trainee.id

    response = client.delete(f"/api/trainees/{trainee_id}", headers=token_for(admin))

    assert response.status_code == 204, response.get_json()
    assert db.session.get(Trainee, trainee_id) is None
    for model in (Invitation, Device, KioskCredential):
        assert _count(model, trainee_id) == 0


def test_a_trainee_with_only_absences_is_refused_with_a_clear_code(client, app):
    org, _, (composante,) = order_with(gen_org())
    admin = gen_user(org, "admin")
    trainee = gen_trainee(org)
    gen_emargement(gen_slot(composante), trainee, status="absent", signed_at=None)
    db.session.commit()

    response = client.delete(f"/api/trainees/{trainee.id}", headers=token_for(admin))

    body = assert_error(response, 409, "TRAINEE_HAS_RECORDS")
    assert "1 émargement" in body["message"]
    assert db.session.get(Trainee, trainee.id) is not None
