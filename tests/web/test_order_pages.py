"""BDC and composante pages: what the forms store, each refusal shown next to the field that
caused it in French, nothing written when refused, and who may read or write."""

import html as html_text
import re
from datetime import date
from decimal import Decimal

import pytest

from attendance.extensions import db
from attendance.models import Composante, Dispositif, PurchaseOrder
from tests.api.helpers import count
from tests.factories import (
    MARCH,
    PASSWORD,
    csrf_form,
    enrol,
    gen_composante,
    gen_org,
    gen_trainee,
    gen_user,
    half_day,
    order_with,
    validate_month,
)

BDC_FORM = {
    "number": "BDC-2026-77",
    "title": "Compétences Plus Albi",
    "dispositif": "COMPETENCES_PLUS",
    "mode": "hybride",
    "planned_start": "2026-02-02",
    "planned_end": "2027-03-31",
    "sites": "Albi ; Castres",
    "planned_trainees": "12",
    "co_financed": "on",
}
COMPOSANTE_FORM = {
    "code": "C1",
    "title": "Remise à niveau",
    "contracted_centre_hours": "1 800,5",
    "contracted_company_hours": "420",
    "billing_unit": "trainee_hour",
    "unit_price": "12,3456",
}


def _login(client, org=None, role="billing"):
    org = org or gen_org()
    user = gen_user(org, role)
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    return org


def _field_error(html: str, field: str) -> str:
    """The French message shown right below ``field`` (empty when none)."""
    found = re.search(
        rf'<p class="error field-error" id="[a-z_-]*" data-field="{field}">([^<]*)</p>', html
    )
    return html_text.unescape(found.group(1)) if found else ""


def _stored(order_id: int) -> PurchaseOrder:
    db.session.expire_all()
    return db.session.get(PurchaseOrder, order_id)


def _edit(order, **changes) -> dict:
    """The BDC form as its page shows it filled, with ``changes``."""
    values = {
        "number": order.number,
        "title": order.title,
        "dispositif": "COMPETENCES_PLUS",
        "mode": order.mode,
        "planned_start": order.planned_start.isoformat(),
        "planned_end": order.planned_end.isoformat(),
        "sites": "; ".join(order.sites),
        "planned_trainees": str(order.planned_trainees),
    }
    return {**values, **changes}


def test_billing_staff_create_a_bdc_through_the_page(client, app):
    _login(client)
    response = client.post("/bdc/nouveau", data=csrf_form(client, BDC_FORM))
    assert response.status_code == 302, response.get_data(as_text=True)
    order = db.session.scalars(db.select(PurchaseOrder)).one()
    assert response.location.endswith(f"/bdc/{order.id}")
    assert (order.number, order.title, order.dispositif.code, order.mode) == (
        "BDC-2026-77",
        "Compétences Plus Albi",
        "COMPETENCES_PLUS",
        "hybride",
    )
    assert (order.planned_start, order.planned_end) == (date(2026, 2, 2), date(2027, 3, 31))
    assert order.sites == ["Albi", "Castres"]
    assert order.planned_trainees == 12 and order.co_financed is True
    html = client.get(f"/bdc/{order.id}").get_data(as_text=True)
    assert "créé : ajoutez ses composantes" in html
    assert 'value="Albi; Castres"' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("planned_start", "31/02/2026", "Date attendue au format AAAA-MM-JJ."),
        ("number", "", "Champ obligatoire."),
        ("mode", "distanciel", "Choisissez un mode dans la liste."),
        ("planned_trainees", "douze", "Nombre entier attendu."),
    ],
)
def test_an_unreadable_bdc_field_is_a_french_error_next_to_it(client, app, field, value, message):
    _login(client)
    response = client.post("/bdc/nouveau", data=csrf_form(client, {**BDC_FORM, field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_error(html, field) == message, re.findall(r"field-error.*", html)
    assert 'value="Compétences Plus Albi"' in html  # what was typed is kept
    assert count(PurchaseOrder) == 0


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"planned_end": "2026-01-31"}, "planned_end", "précède la date de début"),
        ({"dispositif": "INCONNU"}, "dispositif", "Dispositif inconnu « INCONNU »"),
    ],
)
def test_a_rule_refusing_a_new_bdc_is_shown_next_to_its_field(client, app, changes, field, words):
    _login(client)
    response = client.post("/bdc/nouveau", data=csrf_form(client, {**BDC_FORM, **changes}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html
    assert words in _field_error(html, field)
    assert count(PurchaseOrder) == 0


def test_a_taken_number_is_shown_next_to_the_number_on_creation_and_edit(client, app):
    org, order, _ = order_with(composantes=0)
    _, other, _ = order_with(org, composantes=0)
    _login(client, org)
    created = client.post(
        "/bdc/nouveau", data=csrf_form(client, {**BDC_FORM, "number": order.number})
    )
    assert created.status_code == 409
    assert "existe déjà" in _field_error(created.get_data(as_text=True), "number")
    assert count(PurchaseOrder) == 2

    edited = client.post(
        f"/bdc/{other.id}", data=csrf_form(client, _edit(other, number=order.number, title="X"))
    )
    assert edited.status_code == 409
    assert "existe déjà" in _field_error(edited.get_data(as_text=True), "number")
    assert _stored(other.id).title != "X"


def test_the_bdc_page_saves_an_edit(client, app):
    org, order, _ = order_with(composantes=0)
    _login(client, org)
    response = client.post(
        f"/bdc/{order.id}",
        data=csrf_form(client, _edit(order, title="Albi 2", sites="Albi", mode="e_formation")),
    )
    assert response.status_code == 302
    stored = _stored(order.id)
    assert (stored.title, stored.sites, stored.mode) == ("Albi 2", ["Albi"], "e_formation")


def test_changing_the_mode_after_a_validated_month_is_refused_next_to_the_mode(client, app):
    org, order, (composante,) = order_with()
    enrol(composante, [gen_trainee(org)])
    half_day(composante, date(2026, 3, 2))
    validate_month(order, MARCH)
    _login(client, org)
    response = client.post(
        f"/bdc/{order.id}", data=csrf_form(client, _edit(order, mode="hybride", title="Autre"))
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Le mois de mars 2026 est validé" in _field_error(html, "mode")
    stored = _stored(order.id)
    assert (stored.mode, stored.title) == ("presentiel", "Compétences Plus")


def test_changing_the_dispositif_of_a_bdc_with_pathways_is_refused_next_to_it(client, app):
    db.session.add(Dispositif(code="AUTRE", name="Autre programme"))
    org, order, (composante,) = order_with()
    enrol(composante, [gen_trainee(org)])
    _login(client, org)
    response = client.post(
        f"/bdc/{order.id}", data=csrf_form(client, _edit(order, dispositif="AUTRE"))
    )
    assert response.status_code == 409
    assert "dispositif ne peut plus changer" in _field_error(
        response.get_data(as_text=True), "dispositif"
    )
    assert _stored(order.id).dispositif.code == "COMPETENCES_PLUS"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        # R6: entries happen in the year of the BDC's planned start.
        ({"planned_start": "2025-12-01"}, "planned_start", "doit donc rester en 2026"),
        # R8: the action opened on the first entry.
        ({"planned_start": "2026-04-01"}, "planned_start", "ne peut pas être postérieur"),
        ({"planned_end": "2026-02-27"}, "planned_end", "ne peut pas précéder cette date"),
    ],
)
def test_dates_that_would_leave_a_trainee_out_are_refused_next_to_the_date(
    client, app, changes, field, words
):
    org, order, (composante,) = order_with()
    enrol(composante, [gen_trainee(org)])  # entered on 2 March 2026
    _login(client, org)
    response = client.post(f"/bdc/{order.id}", data=csrf_form(client, _edit(order, **changes)))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    message = _field_error(html, field)
    assert "02/03/2026" in message and words in message
    stored = _stored(order.id)
    assert (stored.planned_start, stored.planned_end) == (date(2026, 1, 5), date(2027, 6, 30))


def test_a_composante_is_added_with_hours_and_price_typed_the_french_way(client, app):
    org, order, _ = order_with(composantes=0)
    _login(client, org)
    response = client.post(f"/bdc/{order.id}/composantes", data=csrf_form(client, COMPOSANTE_FORM))
    assert response.status_code == 302, response.get_data(as_text=True)
    composante = db.session.scalars(db.select(Composante)).one()
    assert composante.contracted_centre_minutes == 1800 * 60 + 30
    assert composante.contracted_company_minutes == 420 * 60
    assert composante.unit_price == Decimal("12.3456")
    html = client.get(f"/bdc/{order.id}").get_data(as_text=True)
    assert "1800,50 h" in html and "12,3456 €" in html


def test_an_e_formation_bdc_offers_group_hours_for_a_new_composante(client, app):
    org, order, _ = order_with(mode="e_formation", composantes=0)
    _login(client, org)
    html = client.get(f"/bdc/{order.id}").get_data(as_text=True)
    assert '<option value="group_hour" selected>Heure-groupe</option>' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"contracted_centre_hours": "beaucoup"},
            "contracted_centre_hours",
            "Nombre d'heures attendu",
        ),
        (
            {"contracted_company_hours": "-3"},
            "contracted_company_hours",
            "ne peut pas être négatif",
        ),
        ({"unit_price": "12,345678"}, "unit_price", "Au plus quatre décimales."),
        ({"unit_price": ""}, "unit_price", "Champ obligatoire."),
        ({"code": "C9"}, "code", "existe déjà dans ce bon de commande"),
    ],
)
def test_a_refused_composante_is_shown_next_to_its_field(client, app, changes, field, message):
    org, order, _ = order_with(composantes=0)
    gen_composante(order, code="C9")
    _login(client, org)
    response = client.post(
        f"/bdc/{order.id}/composantes", data=csrf_form(client, {**COMPOSANTE_FORM, **changes})
    )
    html = response.get_data(as_text=True)
    assert response.status_code in (409, 422)
    assert message in _field_error(html, field)
    assert count(Composante) == 1


@pytest.mark.parametrize(
    ("field", "value", "hour_type"),
    [
        ("contracted_centre_hours", "100", "centre"),
        ("contracted_company_hours", "10", "entreprise"),
    ],
)
def test_lowering_a_volume_below_the_prescribed_hours_is_refused_next_to_it(
    client, app, field, value, hour_type
):
    """R10: 150 h centre and 35 h company are prescribed on the only composante."""
    org, order, (composante,) = order_with()
    enrol(composante, [gen_trainee(org)])
    _login(client, org)
    form = {
        **COMPOSANTE_FORM,
        "code": composante.code,
        "contracted_centre_hours": "1000",
        "contracted_company_hours": "300",
        "unit_price": "12,50",
        field: value,
    }
    response = client.post(
        f"/bdc/{order.id}/composantes/{composante.id}", data=csrf_form(client, form)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Heures {hour_type} : le volume saisi est supérieur" in _field_error(html, field)
    db.session.expire_all()
    stored = db.session.get(Composante, composante.id)
    assert (stored.contracted_centre_minutes, stored.contracted_company_minutes) == (60000, 18000)
    assert stored.title != "Remise à niveau"


def test_a_composante_edit_is_saved(client, app):
    org, order, (composante,) = order_with()
    _login(client, org)
    form = {**COMPOSANTE_FORM, "code": "C-NEW", "unit_price": "13"}
    response = client.post(
        f"/bdc/{order.id}/composantes/{composante.id}", data=csrf_form(client, form)
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Composante, composante.id)
    assert (stored.code, stored.unit_price) == ("C-NEW", Decimal("13"))


def test_a_used_composante_or_bdc_is_not_deleted_and_the_page_says_why(client, app):
    org, order, (used, unused) = order_with(composantes=2)
    enrol(used, [gen_trainee(org)])
    _login(client, org)
    detail = client.get(f"/bdc/{order.id}").get_data(as_text=True)
    assert "Suppression impossible : des parcours ou des séances y sont rattachés." in detail
    assert 'data-confirm="Supprimer la composante « ' + unused.code in detail

    refused = client.post(
        f"/bdc/{order.id}/composantes/{used.id}/supprimer",
        data=csrf_form(client),
        follow_redirects=True,
    )
    assert (
        f"La composante « {used.code} » ne peut pas être supprimée : 1 parcours"
        in refused.get_data(as_text=True)
    )
    refused = client.post(
        f"/bdc/{order.id}/supprimer", data=csrf_form(client), follow_redirects=True
    )
    assert "ne peut pas être supprimé : 1 parcours y sont rattachés." in refused.get_data(
        as_text=True
    )
    assert count(Composante) == 2 and count(PurchaseOrder) == 1

    deleted = client.post(
        f"/bdc/{order.id}/composantes/{unused.id}/supprimer",
        data=csrf_form(client),
        follow_redirects=True,
    )
    assert f"Composante « {unused.code} » supprimée." in deleted.get_data(as_text=True)
    assert count(Composante) == 1


def test_an_unused_bdc_is_deleted_with_its_composantes(client, app):
    org, order, _ = order_with(composantes=2)
    _login(client, org)
    response = client.post(
        f"/bdc/{order.id}/supprimer", data=csrf_form(client), follow_redirects=True
    )
    assert f"Bon de commande n° {order.number} supprimé." in response.get_data(as_text=True)
    assert count(PurchaseOrder) == 0 and count(Composante) == 0


def test_the_list_shows_each_bdc_with_its_counts_and_links(client, app):
    org, order, (composante, _) = order_with(composantes=2)
    enrol(composante, [gen_trainee(org), gen_trainee(org)])
    _login(client, org)
    html = client.get("/bdc").get_data(as_text=True)
    row = re.search(rf'<tr data-order="{order.number}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "2"]
    assert "Hybride" not in row and "Présentiel" in row and "05/01/2026 – 30/06/2027" in row
    for link in (
        f"/bdc/{order.id}",
        f"/mois/{order.id}",
        f"/heures?bdc={order.id}",
        f"/documents/{order.id}/",
    ):
        assert link in row
    assert "Nouveau bon de commande" in html


def test_an_auditor_reads_but_cannot_write(client, app):
    org, order, (composante,) = order_with()
    _login(client, org, "auditor")
    assert client.get("/bdc").status_code == 200
    html = client.get(f"/bdc/{order.id}").get_data(as_text=True)
    assert "<fieldset disabled>" in html and "Enregistrer" not in html and "Supprimer" not in html
    assert "Nouveau bon de commande" not in client.get("/bdc").get_data(as_text=True)
    for url, form in (
        ("/bdc/nouveau", BDC_FORM),
        (f"/bdc/{order.id}", _edit(order, title="Audit")),
        (f"/bdc/{order.id}/composantes", COMPOSANTE_FORM),
        (f"/bdc/{order.id}/supprimer", {}),
        (f"/bdc/{order.id}/composantes/{composante.id}/supprimer", {}),
    ):
        assert client.post(url, data=csrf_form(client, form)).status_code == 403, url
    assert count(PurchaseOrder) == 1 and count(Composante) == 1
    assert _stored(order.id).title == "Compétences Plus"


def test_a_trainer_has_no_bdc_pages_and_another_organisation_s_bdc_is_not_found(client, app):
    _, other_order, (other_composante,) = order_with()
    org = _login(client, role="trainer")
    assert client.get("/bdc").status_code == 403
    client.post("/logout", data=csrf_form(client))
    _login(client, org, "billing")
    assert client.get(f"/bdc/{other_order.id}").status_code == 404
    assert client.get(f"/bdc/{other_order.id}/composantes/{other_composante.id}").status_code == 404
    response = client.post(f"/bdc/{other_order.id}/supprimer", data=csrf_form(client))
    assert response.status_code == 404
    assert count(PurchaseOrder) == 1
