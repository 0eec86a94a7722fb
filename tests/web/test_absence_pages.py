"""Absence pages: the roster's justification form (document checked by content) and the
billing staff's month list, filtered by justification, with the document to download."""

import io

from sqlalchemy import select

from attendance.clock import local_day
from attendance.extensions import db
from attendance.models import AbsenceJustification, MonthPeriod
from attendance.signing import absences
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user, march_group, tiny_pdf


def _login(client, user):
    response = client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD})
    )
    assert response.status_code == 302


def test_trainer_justifies_from_the_roster_and_a_fake_pdf_changes_nothing(client, app):
    org, order, _, trainer, _, martin, (_, remote, _) = march_group()
    _login(client, trainer)
    page = client.get(f"/seances/{remote.id}").get_data(as_text=True)
    assert 'id="absences"' in page and "Maladie" in page
    url = f"/seances/{remote.id}/absences/{martin.id}"
    fields = {"justification": "justified", "justification_reason": "maladie"}
    refused = client.post(
        url,
        data=csrf_form(client, {**fields, "document": (io.BytesIO(b"%PDF-1.4 faux"), "a.pdf")}),
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Justificatif refusé" in refused.get_data(as_text=True)
    assert db.session.scalars(select(AbsenceJustification)).first() is None
    client.post(
        url,
        data=csrf_form(client, {**fields, "document": (io.BytesIO(tiny_pdf()), "arret.pdf")}),
        content_type="multipart/form-data",
    )
    db.session.rollback()
    row = db.session.scalars(select(AbsenceJustification)).one()
    assert (row.justification, row.reason_code, row.document_type) == (
        "justified",
        "maladie",
        "application/pdf",
    )
    html = client.get(f"/seances/{remote.id}").get_data(as_text=True)
    assert "Absence justifiée : maladie, Justificatif joint" in html


def _justified_for_illness():
    """The March group, with Martin's absence from the distance slot justified (illness,
    a PDF attached) by the trainer."""
    org, order, _, trainer, _, martin, (_, remote, _) = march_group()
    absences.justify(
        db.session,
        remote,
        martin,
        trainer,
        {"justification": "justified", "justification_reason": "maladie"},
        tiny_pdf(),
    )
    return org, order, trainer, martin, remote


def test_billing_staff_filter_the_month_absences_and_download_the_document(client, app):
    org, order, trainer, martin, remote = _justified_for_illness()
    billing = gen_user(org, "billing")
    db.session.commit()
    _login(client, billing)
    documents = client.get(f"/documents/{order.id}/2026-03").get_data(as_text=True)
    assert f"/absences/{order.id}/2026-03" in documents
    base = f"/absences/{order.id}/2026-03"
    listed = client.get(f"{base}?justification=justified").get_data(as_text=True)
    assert "MARTIN Luc" in listed and "Maladie" in listed
    row = db.session.scalars(select(AbsenceJustification)).one()
    link = f"/absences/justificatif/{row.emargement_id}"
    assert link in listed
    download = client.get(link)
    assert download.mimetype == "application/pdf" and download.data.startswith(b"%PDF-")
    assert "MARTIN Luc" not in client.get(f"{base}?justification=unjustified").get_data(True)
    assert "MARTIN Luc" not in client.get(f"{base}?justification=undecided").get_data(True)


def test_another_organisation_sees_neither_the_list_nor_the_document(client, app):
    org, order, _, trainer, _, martin, (_, remote, _) = march_group()
    absences.justify(db.session, remote, martin, trainer, {}, tiny_pdf())
    row = db.session.scalars(select(AbsenceJustification)).one()
    stranger = gen_user(gen_org(), "billing")
    db.session.commit()
    _login(client, stranger)
    assert client.get(f"/absences/{order.id}/2026-03").status_code == 404
    assert client.get(f"/absences/justificatif/{row.emargement_id}").status_code == 404


def test_once_the_month_is_validated_the_roster_shows_justifications_without_a_form(client, app):
    """Bug: the form stayed on the roster after the month's validation and every save
    answered 409 MONTH_VALIDATED; now the justifications are shown, closed, and why."""
    org, order, trainer, martin, remote = _justified_for_illness()
    _login(client, trainer)
    assert 'class="absence"' in client.get(f"/seances/{remote.id}").get_data(as_text=True)
    db.session.add(
        MonthPeriod(
            organisation_id=org.id,
            purchase_order_id=order.id,
            month=local_day(remote.starts_at).replace(day=1),
            state="validated",
            version=1,
        )
    )
    db.session.commit()
    page = client.get(f"/seances/{remote.id}").get_data(as_text=True)
    assert 'id="absences"' in page and 'class="absence"' not in page
    assert "les justifications sont closes" in page
    assert "Justifiée" in page and "Maladie" in page
    assert "/absences/justificatif/" in page  # the document stays downloadable
