"""Composante and BDC writes the pages share with the API: a code taken inside the BDC is a
409 (not a database error), and deleting is refused while anything hangs on the row."""

from attendance.extensions import db
from attendance.models import Composante, PurchaseOrder
from tests.api.helpers import assert_error, count
from tests.factories import (
    enrol,
    gen_trainee,
    gen_user,
    half_day,
    order_with,
    token_for,
)


def test_renaming_a_composante_to_a_code_taken_in_its_bdc_is_a_409(client, app):
    org, order, (first, second) = order_with(composantes=2)
    headers = token_for(gen_user(org, "billing"))
    response = client.patch(
        f"/api/composantes/{second.id}", headers=headers, json={"code": first.code}
    )
    body = assert_error(response, 409, "COMPOSANTE_CODE_TAKEN")
    assert body["details"]["code"] == first.code
    db.session.expire_all()
    assert db.session.get(Composante, second.id).code != first.code


def test_a_composante_without_pathways_or_slots_is_deleted(client, app):
    org, order, (composante,) = order_with()
    headers = token_for(gen_user(org, "billing"))
    response = client.delete(f"/api/composantes/{composante.id}", headers=headers)
    assert response.status_code == 204, response.get_json()
    assert count(Composante) == 0


def test_a_composante_with_a_pathway_or_a_slot_is_not_deleted(client, app):
    org, order, (composante,) = order_with()
    enrol(composante, [gen_trainee(org)])
    half_day(composante, order.planned_start.replace(month=3, day=2))
    headers = token_for(gen_user(org, "billing"))
    response = client.delete(f"/api/composantes/{composante.id}", headers=headers)
    body = assert_error(response, 409, "COMPOSANTE_IN_USE")
    assert body["details"] == {"pathways": 1, "slots": 1, "corrections": 0, "invoice_lines": 0}
    assert count(Composante) == 1


def test_a_bdc_is_deleted_with_its_unused_composantes_but_not_once_used(client, app):
    org, order, (composante,) = order_with()
    headers = token_for(gen_user(org, "billing"))
    enrol(composante, [gen_trainee(org)])
    db.session.commit()
    refused = client.delete(f"/api/purchase-orders/{order.id}", headers=headers)
    assert assert_error(refused, 409, "BDC_IN_USE")["details"]["pathways"] == 1
    assert count(PurchaseOrder) == 1

    _, unused, _ = order_with(org, composantes=2)
    db.session.commit()
    response = client.delete(f"/api/purchase-orders/{unused.id}", headers=headers)
    assert response.status_code == 204, response.get_json()
    assert count(PurchaseOrder) == 1 and count(Composante) == 1


def test_an_auditor_cannot_delete_a_bdc(client, app):
    org, order, _ = order_with()
    headers = token_for(gen_user(org, "auditor"))
    response = client.delete(f"/api/purchase-orders/{order.id}", headers=headers)
    assert_error(response, 403, "FORBIDDEN")
    assert count(PurchaseOrder) == 1
