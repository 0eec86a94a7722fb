"""The month page shows each class, the corrections and the site apart; the compliance page
offers FAQ 55's remedy for departed trainees, behind a confirmation."""

from datetime import date

from attendance.extensions import db
from attendance.models import Pathway, PathwayEvent
from tests.factories import (
    PASSWORD,
    csrf_form,
    gen_composante,
    gen_correction,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
    month_setting,
)


def _login(client, org, role="billing"):
    user = gen_user(org, role)
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))


def test_the_month_page_shows_corrections_regroupement_site_and_siret(client, app):
    setting = month_setting()
    gen_correction(setting.trainees[1], setting.composante, date(2026, 3, 3), 180)
    db.session.commit()
    _login(client, setting.org)
    client.post(f"/mois/{setting.order.id}/2026-03/synchroniser", data=csrf_form(client))
    page = client.get(f"/mois/{setting.order.id}/2026-03").get_data(as_text=True)
    for heading in ("Regroupement", "Corrections", "Site", "Par composante"):
        assert f"<th>{heading}</th>" in page or f"<h3>{heading}</h3>" in page
    assert f"SIRET {setting.org.siret}" in page
    assert "Toulouse" in page
    assert "3,00 h" in page  # Petit's correction, in its own column


def _departed():
    """A trainee who attended 3 h 30 and abandoned, 150 h prescribed."""
    org = gen_org()
    order = gen_purchase_order(org)
    composante = gen_composante(order)
    trainee = gen_trainee(org, last_name="Roux")
    pathway = gen_pathway(trainee, composante, prescribed_company_minutes=0, status="abandon")
    pathway.effective_exit_date = date(2026, 3, 20)
    gen_emargement(gen_slot(composante), trainee)
    return org, order, pathway


def test_the_compliance_page_brings_a_departed_trainee_down_after_confirmation(client, app):
    org, order, pathway = _departed()
    _login(client, org)
    url = f"/heures/{order.id}/2026-03"
    page = client.get(url).get_data(as_text=True)
    assert "Ramener les heures prescrites aux heures réalisées" in page
    assert f'data-pathway="{pathway.id}"' in page
    action = f"{url}/parcours/{pathway.id}/aligner"

    refused = client.post(action, data=csrf_form(client), follow_redirects=True)
    assert "Cochez la case de confirmation" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).prescribed_centre_minutes == 150 * 60

    done = client.post(action, data=csrf_form(client, {"confirm": "oui"}), follow_redirects=True)
    assert "ramenées aux heures réalisées" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).prescribed_centre_minutes == 210
    assert db.session.scalars(db.select(PathwayEvent.kind)).all()[-1] == "prescribed_aligned"
    assert f'data-pathway="{pathway.id}"' not in done.get_data(as_text=True)


def test_only_staff_who_write_the_contract_may_align(client, app):
    org, order, pathway = _departed()
    _login(client, org, "auditor")
    url = f"/heures/{order.id}/2026-03"
    assert "Ramener les heures prescrites" not in client.get(url).get_data(as_text=True)
    response = client.post(
        f"{url}/parcours/{pathway.id}/aligner", data=csrf_form(client, {"confirm": "oui"})
    )
    assert response.status_code == 403
