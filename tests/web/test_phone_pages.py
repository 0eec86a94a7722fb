"""A trainee's phone and kiosk page for billing staff: invitation by e-mail (opened on a
phone, it binds), printed invitation, revoking, kiosk PIN and card, other organisations."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from attendance.clock import display
from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import Device, EvidenceEntry, Invitation, KioskCredential, User
from attendance.signing import devices, kiosk
from attendance.signing.common import Client
from tests.factories import (
    PASSWORD,
    bind_phone,
    csrf_form,
    enrol,
    gen_composante,
    gen_emargement,
    gen_org,
    gen_purchase_order,
    gen_trainee,
    gen_user,
    make_room,
    signature_data_url,
)

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def _login(client, role="billing"):
    org = gen_org("Centre Garonne")
    user = gen_user(org, role)
    trainee = gen_trainee(org, first_name="Léa", last_name="Martin", email="lea@example.org")
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    return org, trainee


def _open_on_a_phone(app, link: str, user_agent: str = PHONE_UA):
    """What the trainee does: open the link, then touch « Enregistrer ce téléphone »."""
    phone = app.test_client()
    html = phone.get(link).get_data(as_text=True)
    assert "Enregistrer ce téléphone" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return phone.post(link, data={"csrf_token": token}, headers={"User-Agent": user_agent})


def _page(client, trainee) -> str:
    return unescape(client.get(f"/stagiaires/{trainee.id}/telephone").get_data(as_text=True))


def test_invitation_email_carries_a_link_that_binds_the_phone(client, app, smtp):
    _, trainee = _login(client)
    assert 'data-phone="none"' in _page(client, trainee)
    sent = client.post(
        f"/stagiaires/{trainee.id}/telephone/invitation",
        data=csrf_form(client),
        follow_redirects=True,
    )
    html = sent.get_data(as_text=True)
    assert "Invitation envoyée par e-mail à lea@example.org" in html
    assert "par e-mail à lea@example.org" in html and 'data-invitation="' in html

    (mail,) = smtp.to("lea@example.org")
    assert "enregistrez votre téléphone" in mail.subject
    assert "Bonjour Léa" in mail.body
    link = re.search(r"http://localhost(/i/\S+)", mail.body).group(1)

    bound = _open_on_a_phone(app, link)
    assert bound.status_code == 200 and "Téléphone enregistré" in bound.get_data(as_text=True)

    db.session.rollback()
    device = db.session.scalar(select(Device).where(Device.trainee_id == trainee.id))
    assert device.revoked_at is None
    html = _page(client, trainee)
    assert 'data-phone="bound"' in html and "Android 14 · Chrome" in html
    assert "Aucune invitation en attente" in html  # the used invitation is no longer pending


def test_a_trainee_without_email_gets_no_invitation_and_a_french_reason(client, app, smtp):
    org, _ = _login(client)
    nomail = gen_trainee(org, email=None)
    db.session.commit()
    response = client.post(
        f"/stagiaires/{nomail.id}/telephone/invitation",
        data=csrf_form(client),
        follow_redirects=True,
    )
    assert "n'a pas d'adresse e-mail" in unescape(response.get_data(as_text=True))
    assert db.session.scalars(select(Invitation)).all() == []
    assert smtp.received == []


def test_an_unreachable_mail_server_leaves_no_pending_invitation(client, app, smtp):
    _, trainee = _login(client)
    smtp.refuse = True
    response = client.post(
        f"/stagiaires/{trainee.id}/telephone/invitation",
        data=csrf_form(client),
        follow_redirects=True,
    )
    assert "L'e-mail n'a pas pu partir" in unescape(response.get_data(as_text=True))
    db.session.rollback()
    assert db.session.scalars(select(Invitation)).all() == []


def test_the_printed_invitation_shows_a_qr_code_and_a_working_link(client, app):
    _, trainee = _login(client)
    response = client.post(
        f"/stagiaires/{trainee.id}/telephone/invitation-imprimee", data=csrf_form(client)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<svg role="img" aria-label="QR code"' in html and "sheet.css" in html
    link = re.search(r"http://localhost(/i/[^<\s]+)", html).group(1)
    assert "Enregistrer ce téléphone" in app.test_client().get(link).get_data(as_text=True)
    assert "imprimée" in _page(client, trainee)


def test_revoking_unbinds_the_phone_and_says_a_new_invitation_is_needed(client, app):
    _, trainee = _login(client)
    bind_phone(trainee)
    db.session.commit()
    html = _page(client, trainee)
    assert 'data-phone="bound"' in html and "devra ouvrir une nouvelle invitation" in html
    response = client.post(
        f"/stagiaires/{trainee.id}/telephone/retirer",
        data=csrf_form(client),
        follow_redirects=True,
    )
    assert "Téléphone retiré" in response.get_data(as_text=True)
    db.session.rollback()
    device = db.session.scalar(select(Device).where(Device.trainee_id == trainee.id))
    assert device.revoked_at is not None
    assert 'data-phone="none"' in _page(client, trainee)


def test_a_cancelled_invitation_link_no_longer_binds(client, app):
    _, trainee = _login(client)
    html = client.post(
        f"/stagiaires/{trainee.id}/telephone/invitation-imprimee", data=csrf_form(client)
    ).get_data(as_text=True)
    link = re.search(r"http://localhost(/i/[^<\s]+)", html).group(1)
    invitation = db.session.scalar(select(Invitation))
    client.post(
        f"/stagiaires/{trainee.id}/telephone/invitations/{invitation.id}/annuler",
        data=csrf_form(client),
    )
    answer = app.test_client().get(link)
    assert answer.status_code == 409 and "annulé" in answer.get_data(as_text=True)
    assert "Aucune invitation en attente" in _page(client, trainee)


def test_the_pin_set_on_the_page_signs_at_the_kiosk_and_a_bad_one_is_refused(client, app):
    room = make_room(n_trainees=1)
    trainee = room.trainee
    client.post("/login", data=csrf_form(client, {"email": room.admin.email, "password": PASSWORD}))
    refused = client.post(
        f"/stagiaires/{trainee.id}/telephone/code-pin",
        data=csrf_form(client, {"pin": "12a4"}),
        follow_redirects=True,
    )
    assert "Le code PIN compte de 4 à 8 chiffres" in refused.get_data(as_text=True)
    assert 'data-pin="unset"' in _page(client, trainee)
    client.post(
        f"/stagiaires/{trainee.id}/telephone/code-pin", data=csrf_form(client, {"pin": "4821"})
    )
    db.session.rollback()
    assert 'data-pin="set"' in _page(client, trainee)

    tablet = kiosk.start_kiosk(db.session, room.slot)
    with pytest.raises(kiosk.PinRefused):
        kiosk.sign_at_kiosk(
            db.session, tablet, trainee.id, signature_data_url(), Client(), pin="4822"
        )
    signed = kiosk.sign_at_kiosk(
        db.session, tablet, trainee.id, signature_data_url(), Client(), pin="4821"
    )
    assert (signed.method, signed.evidence["kiosk_proof"]) == ("kiosk", "pin")


def test_issuing_a_kiosk_card_prints_its_qr_and_marks_it_issued(client, app):
    _, trainee = _login(client)
    html = client.post(
        f"/stagiaires/{trainee.id}/telephone/carte-borne", data=csrf_form(client)
    ).get_data(as_text=True)
    assert 'aria-label="QR code"' in html and "Carte d'émargement" in html
    db.session.rollback()
    assert db.session.scalar(select(KioskCredential)).card_nonce
    assert 'data-card="issued"' in _page(client, trainee)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", "/invitation"),
        ("post", "/invitation-imprimee"),
        ("post", "/retirer"),
        ("post", "/code-pin"),
        ("post", "/carte-borne"),
    ],
)
def test_another_organisations_trainee_is_not_found(client, app, smtp, method, path):
    _login(client)
    stranger = gen_trainee(gen_org("Autre organisme"), email="autre@example.org")
    bind_phone(stranger)
    db.session.commit()
    url = f"/stagiaires/{stranger.id}/telephone{path}"
    response = (
        client.get(url)
        if method == "get"
        else client.post(url, data=csrf_form(client, {"pin": "1234"}))
    )
    assert response.status_code == 404
    assert "Stagiaire introuvable" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(select(Invitation).where(Invitation.used_at.is_(None))).all() == []
    assert db.session.scalar(select(Device)).revoked_at is None
    assert db.session.scalars(select(KioskCredential)).all() == []
    assert smtp.received == []


def test_auditors_see_the_phone_state_but_cannot_act(client, app):
    _, trainee = _login(client, "auditor")
    html = _page(client, trainee)
    assert 'data-phone="none"' in html and "Envoyer l'invitation" not in html
    response = client.post(f"/stagiaires/{trainee.id}/telephone/retirer", data=csrf_form(client))
    assert response.status_code == 403


def test_the_overview_lists_a_bdcs_trainees_without_a_phone_first(client, app):
    org, lea = _login(client)
    order = gen_purchase_order(org, number="BDC-PHONES")
    bound, waiting = gen_trainee(org, last_name="Bernard"), gen_trainee(org, last_name="Durand")
    enrol(gen_composante(order), [lea, bound, waiting])
    elsewhere = gen_trainee(org, last_name="Ailleurs")
    enrol(gen_composante(gen_purchase_order(org, number="BDC-AUTRE")), [elsewhere])
    bind_phone(bound)
    devices.create_invitation(db.session, org, waiting, None)
    kiosk.set_pin(db.session, org, bound, "1234")
    db.session.commit()

    html = unescape(client.get(f"/telephones?bdc={order.id}").get_data(as_text=True))
    assert "2 stagiaire(s) sur 3 sans téléphone enregistré" in html
    rows = re.findall(r'data-trainee="(\d+)"', html)
    assert rows == [str(waiting.id), str(lea.id), str(bound.id)]  # unbound first, by name
    assert "Ailleurs" not in html
    waiting_row = html.split(f'data-trainee="{waiting.id}"')[1].split("</tr>")[0]
    assert "jusqu'au" in waiting_row
    bound_row = html.split(f'data-trainee="{bound.id}"')[1].split("</tr>")[0]
    assert "enregistré le" in bound_row and "défini" in bound_row

    stranger = gen_purchase_order(gen_org("Autre organisme"))
    db.session.commit()
    assert client.get(f"/telephones?bdc={stranger.id}").status_code == 404


def test_the_bound_phone_shows_its_last_sign_in(client, app):
    room = make_room(n_trainees=1)
    bind_phone(room.trainee)
    device = db.session.scalar(select(Device))
    gen_emargement(room.slot, room.trainee, device_id=device.public_id)
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": room.admin.email, "password": PASSWORD}))
    html = _page(client, room.trainee)
    assert f"dernier émargement le {display(room.slot.starts_at)}" in html
    assert "pytest-phone" in html  # the full user agent, behind the summary


def test_one_click_invites_only_the_bdcs_trainees_with_neither_phone_nor_invitation(
    client, app, smtp
):
    org, lea = _login(client)
    order = gen_purchase_order(org)
    bound, waiting = gen_trainee(org), gen_trainee(org)
    nomail = gen_trainee(org, last_name="Sansmail", email=None)
    enrol(gen_composante(order), [lea, bound, waiting, nomail])
    bind_phone(bound)
    devices.create_invitation(db.session, org, waiting, None)
    db.session.commit()
    before = len(db.session.scalars(select(Invitation)).all())

    smtp.refuse = True  # the relay is down: nothing is left pending for Léa
    down = client.post(
        "/telephones/invitations", data=csrf_form(client, {"bdc": order.id}), follow_redirects=True
    )
    assert "n'a pas pu partir pour : MARTIN Léa" in unescape(down.get_data(as_text=True))
    db.session.rollback()
    assert len(db.session.scalars(select(Invitation)).all()) == before

    smtp.refuse = False
    html = unescape(
        client.post(
            "/telephones/invitations",
            data=csrf_form(client, {"bdc": order.id}),
            follow_redirects=True,
        ).get_data(as_text=True)
    )
    assert "1 invitation(s) envoyée(s)" in html
    assert "Sans adresse e-mail (invitation à imprimer) : SANSMAIL" in html
    assert [m.to for m in smtp.received] == [["lea@example.org"]]
    db.session.rollback()
    assert db.session.scalar(
        select(Invitation).where(Invitation.trainee_id == lea.id, Invitation.used_at.is_(None))
    )


def test_revoking_a_phone_is_logged_as_evidence_with_who_did_it(client, app):
    """Bug: binding a phone was logged in the evidence chain, unbinding it was not, so the
    log could not tell why a trainee's phone stopped signing."""
    org, trainee = _login(client)
    bind_phone(trainee)
    db.session.commit()
    device = db.session.scalar(select(Device).where(Device.trainee_id == trainee.id))
    staff = db.session.scalar(select(User).where(User.organisation_id == org.id))
    client.post(f"/stagiaires/{trainee.id}/telephone/retirer", data=csrf_form(client))
    db.session.rollback()
    entry = db.session.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "device_revoked"))
    assert entry is not None and entry.organisation_id == org.id
    assert entry.payload == {
        "trainee_id": trainee.id,
        "device_ids": [device.public_id],
        "by": staff.id,
    }
    assert verify_chain(db.session, org).ok
    page = _page(client, trainee)
    assert 'data-phone="none"' in page and "Dernier téléphone retiré le" in page
    assert f"par {staff.full_name}" in page
    # Nothing left to unbind: refused on the page, nothing logged.
    client.post(f"/stagiaires/{trainee.id}/telephone/retirer", data=csrf_form(client))
    db.session.rollback()
    kinds = db.session.scalars(select(EvidenceEntry.kind)).all()
    assert kinds.count("device_revoked") == 1
