"""Organisation settings and staff accounts pages (admin only), and the activation link."""

import io
import re

import pytest
from sqlalchemy import select

from attendance.accounts import activation_token, issue_api_token
from attendance.extensions import db
from attendance.models import ApiToken, Organisation, User
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user, tiny_png

NEW_PASSWORD = "un mot de passe tout neuf"


def _login(client, user, password=PASSWORD):
    return client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": password})
    )


def _admin():
    org = gen_org("Centre Garonne", signatory_name="Claire Fabre")
    admin = gen_user(org, "admin")
    db.session.commit()
    return org, admin


def _settings_form(client, org, **changes):
    data = {
        "name": org.name, "siret": org.siret, "address": org.address,
        "signatory_name": org.signatory_name, "signatory_title": org.signatory_title,
        "payment_terms": org.payment_terms, "invoice_mentions": org.invoice_mentions,
        "reminder_trainee_delay_minutes": "15", "reminder_trainer_delay_minutes": "30",
        "retention_years": "6", "retention_cofinanced_years": "10", "vat_exempt": "1",
    }  # fmt: skip
    return csrf_form(client, {**data, **changes})


@pytest.mark.parametrize("role", ["billing", "trainer", "auditor"])
def test_only_admins_open_the_settings(client, app, role):
    org = gen_org()
    user = gen_user(org, role)
    db.session.commit()
    _login(client, user)
    for url in ("/parametres", "/parametres/comptes"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Réservé aux administrateurs" in response.get_data(as_text=True)


def test_an_invalid_siret_is_shown_next_to_its_field_and_nothing_is_saved(client, app):
    org, admin = _admin()
    _login(client, admin)
    form = _settings_form(client, org, name="Nouveau nom", siret="73282932000075")
    response = client.post("/parametres", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="f-siret"[^>]*aria-describedby="e-siret"', html)
    assert re.search(r'id="e-siret"[^>]*>SIRET invalide', html)
    assert 'value="Nouveau nom"' in html  # what was typed stays in the form
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).name == "Centre Garonne"


def test_settings_are_saved_with_their_multi_line_text_and_stamp(client, app):
    org, admin = _admin()
    _login(client, admin)
    form = _settings_form(
        client, org, siret="732 829 320 00074", signatory_title="Directrice",
        address="12 allée Jean Jaurès\n31000 Toulouse", invoice_mentions="NDA 76 31\nIBAN FR76",
        payment_terms="Virement à 45 jours.", retention_years="8",
    )  # fmt: skip
    form["stamp"] = (io.BytesIO(tiny_png((200, 0, 0))), "cachet.png")
    response = client.post("/parametres", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organisation, org.id)
    assert org.siret == "73282932000074" and org.signatory_title == "Directrice"
    assert org.address == "12 allée Jean Jaurès\n31000 Toulouse"
    assert org.payment_terms == "Virement à 45 jours." and org.retention_years == 8
    assert org.stamp_png.startswith(b"\x89PNG")
    assert client.get("/parametres/images/stamp.png").data == org.stamp_png
    client.post("/parametres/images/stamp/retirer", data=csrf_form(client))
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).stamp_png is None


def test_a_file_that_is_not_an_image_is_refused_next_to_its_field(client, app):
    org, admin = _admin()
    _login(client, admin)
    form = _settings_form(client, org, name="Nouveau nom")
    form["stamp"] = (io.BytesIO(b"%PDF-1.4 un document"), "cachet.png")
    response = client.post("/parametres", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(
        r'id="e-stamp"[^>]*>Cachet : le fichier n\S+ pas une image', response.get_data(as_text=True)
    )
    db.session.expire_all()
    saved = db.session.get(Organisation, org.id)
    assert saved.stamp_png is None and saved.name == "Centre Garonne"


def _invite(client, email="marc@garonne.example", role="trainer"):
    data = csrf_form(client, {"full_name": "Marc Roux", "email": email, "role": role})
    return client.post("/parametres/comptes", data=data)


def _link(received) -> str:
    return re.search(r"http://\S+/compte/activer/\S+", received.body).group()


def test_an_invited_trainer_sets_a_password_once_through_the_link(client, app, smtp):
    org, admin = _admin()
    _login(client, admin)
    assert _invite(client).status_code == 302
    invited = db.session.scalar(select(User).where(User.email == "marc@garonne.example"))
    assert invited.role == "trainer" and invited.organisation_id == org.id
    [mail] = smtp.to("marc@garonne.example")
    assert "Centre Garonne" in mail.subject and "formateur" in mail.body
    path = _link(mail).split("localhost", 1)[1]

    visitor = app.test_client()
    assert _login(visitor, invited, "").status_code == 401  # no password before activation
    assert visitor.get(path).status_code == 200
    form = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert visitor.post(path, data=csrf_form(visitor, form)).status_code == 302
    assert _login(visitor, invited, NEW_PASSWORD).status_code == 302

    replay = app.test_client()
    response = replay.post(path, data=csrf_form(replay, form))
    assert response.status_code == 410 and "déjà servi" in response.get_data(as_text=True)


def test_inviting_an_address_already_used_is_refused_next_to_the_email(client, app, smtp):
    org, admin = _admin()
    _login(client, admin)
    response = _invite(client, email=admin.email)
    assert response.status_code == 422
    assert re.search(r'id="e-email"[^>]*>Un compte existe déjà', response.get_data(as_text=True))
    assert smtp.received == []


def test_a_deactivated_account_loses_its_session_and_tokens_and_cannot_log_in(client, app):
    org, admin = _admin()
    trainer = gen_user(org, "trainer")
    raw, _ = issue_api_token(db.session, trainer, 1)
    db.session.commit()
    theirs = app.test_client()
    _login(theirs, trainer)
    assert theirs.get("/").status_code == 200

    _login(client, admin)
    client.post(f"/parametres/comptes/{trainer.id}/desactiver", data=csrf_form(client))
    assert theirs.get("/").status_code == 302  # back to the login page
    assert _login(app.test_client(), trainer).status_code == 401
    assert (
        app.test_client()
        .get("/api/auth/me", headers={"Authorization": f"Bearer {raw}"})
        .status_code
        == 401
    )
    db.session.expire_all()
    assert db.session.scalars(
        select(ApiToken.revoked).where(ApiToken.user_id == trainer.id)
    ).all() == [True]


def test_an_admin_cannot_deactivate_themselves_nor_the_last_admin(client, app):
    org, admin = _admin()
    _login(client, admin)
    response = client.post(f"/parametres/comptes/{admin.id}/desactiver", data=csrf_form(client))
    assert response.status_code == 409
    assert "votre propre compte" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).active


def test_the_last_active_admin_cannot_be_deactivated(app):
    from attendance.accounts import deactivate_user
    from attendance.errors import Conflict

    org, admin = _admin()
    other = gen_user(org, "admin")
    deactivate_user(db.session, admin, other)
    again = gen_user(org, "admin", active=False)
    with pytest.raises(Conflict) as refused:
        deactivate_user(db.session, other, admin)  # other is inactive: admin is the last one
    assert refused.value.code == "LAST_ADMIN"
    assert admin.active and not again.active


def test_a_reset_ends_the_old_password_and_sends_a_new_link(client, app, smtp):
    org, admin = _admin()
    billing = gen_user(org, "billing")
    old_link = activation_token(billing, app.config["SECRET_KEY"])
    db.session.commit()
    _login(client, admin)
    client.post(f"/parametres/comptes/{billing.id}/reinitialiser", data=csrf_form(client))
    assert _login(app.test_client(), billing).status_code == 401
    [mail] = smtp.to(billing.email)
    assert "nouveau mot de passe" in mail.subject
    assert app.test_client().get(f"/compte/activer/{old_link}").status_code == 410
    assert app.test_client().get(_link(mail).split("localhost", 1)[1]).status_code == 200


def test_another_organisations_account_is_not_found(client, app):
    org, admin = _admin()
    stranger = gen_user(gen_org(), "trainer")
    db.session.commit()
    _login(client, admin)
    response = client.post(f"/parametres/comptes/{stranger.id}/desactiver", data=csrf_form(client))
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, stranger.id).active
