"""Pages refuse what cannot be stored: a control character in any form field is a French
422 page naming the field, and a month outside 2000–2100 in an address is never a 500."""

import pytest

from attendance.extensions import db
from attendance.models import MonthPeriod
from tests.factories import (
    MARCH,
    PASSWORD,
    csrf_form,
    gen_org,
    gen_purchase_order,
    gen_user,
    validate_month,
)


def _login(client, role="billing"):
    org = gen_org()
    user = gen_user(org, role)
    order = gen_purchase_order(org)
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    return order


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x7f", "\n"])
def test_a_control_character_in_a_form_field_is_a_french_422_page(client, app, character):
    order = _login(client)
    validate_month(order, MARCH)
    response = client.post(
        f"/mois/{order.id}/2026-03/rouvrir",
        data=csrf_form(client, {"reason": f"Erreur{character} de saisie"}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert "caractère interdit" in html and "Motif" in html
    db.session.expire_all()
    assert db.session.scalars(db.select(MonthPeriod.state)).one() == "validated"


def test_a_nul_in_the_login_e_mail_is_refused_not_a_database_error(client, app):
    response = client.post(
        "/login", data=csrf_form(client, {"email": "a\x00@example.org", "password": "x"})
    )
    assert response.status_code == 422
    assert "caractère interdit" in response.get_data(as_text=True)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12"])
def test_a_month_out_of_range_in_a_page_address_is_never_a_500(client, app, month):
    order = _login(client)
    for url in (
        f"/mois/{order.id}/{month}",
        f"/heures/{order.id}/{month}",
        f"/documents/{order.id}/{month}",
        f"/documents/{order.id}/{month}/documents.zip",
        f"/facturation/{order.id}/{month}",
        f"/facturation/{order.id}/{month}/lignes.csv",
    ):
        response = client.get(url)
        assert response.status_code in (404, 422), (url, response.status_code)
