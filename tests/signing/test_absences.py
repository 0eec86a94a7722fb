"""Absence justification: justified, unjustified or to decide, a reason from the one list, a
supporting document judged by its content; open until the month is validated (R11), kept in
the roster's history and evidence log; a refused request changes nothing."""

import io

from sqlalchemy import func, select

from attendance.clock import local_day
from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import (
    AbsenceJustification,
    Emargement,
    EmargementRevision,
    EvidenceEntry,
)
from attendance.signing import absences, roster
from tests.factories import (
    gen_emargement,
    gen_user,
    mark_month_validated,
    signature_data_url,
    tiny_pdf,
    tiny_png,
    token_for,
)


def _count(model) -> int:
    db.session.commit()  # a fresh snapshot
    return db.session.scalar(select(func.count()).select_from(model))


def _line_url(room, trainee=None) -> str:
    return f"/api/slots/{room.slot.id}/roster/{(trainee or room.trainee).id}"


def _upload(client, room, headers, content: bytes, name="justificatif.pdf", mimetype=None):
    return client.put(
        f"{_line_url(room)}/absence-document",
        headers=headers,
        data={"document": (io.BytesIO(content), name, mimetype or "application/pdf")},
        content_type="multipart/form-data",
    )


def _mark_absent(client, room, headers):
    response = client.patch(_line_url(room), headers=headers, json={"status": "absent"})
    assert response.status_code == 200, response.get_json()


def test_trainer_marks_absent_and_justifies_in_one_request_with_history(
    client, room, trainer_headers
):
    response = client.patch(
        _line_url(room),
        headers=trainer_headers,
        json={
            "status": "absent",
            "justification": "justified",
            "justification_reason": "maladie",
        },
    )
    assert response.status_code == 200, response.get_json()
    line = {x["trainee_id"]: x for x in response.get_json()["lines"]}[room.trainee.id]
    assert line["state"] == "absent"
    assert line["justification"]["justification"] == "justified"
    assert line["justification"]["reason"] == "maladie"
    assert line["justification"]["reason_label"] == "Maladie"
    revisions = db.session.scalars(select(EmargementRevision).order_by(EmargementRevision.id))
    words = [roster.change_lines(r.before, r.after) for r in revisions]
    assert words[0][0] == "Statut : absent"
    assert words[1:] == [["Absence justifiée : maladie"]]
    logged = db.session.scalars(
        select(EvidenceEntry).where(EvidenceEntry.kind == "absence_justification")
    ).one()
    assert logged.payload["changes"] == {
        "justification": "justified",
        "justification_reason": "maladie",
    }
    assert verify_chain(db.session, room.org).ok


def test_a_justified_absence_without_reason_is_refused_and_nothing_is_marked(
    client, room, trainer_headers
):
    response = client.patch(
        _line_url(room),
        headers=trainer_headers,
        json={"status": "absent", "justification": "justified"},
    )
    assert (response.status_code, response.get_json()["code"]) == (422, "ABSENCE_REASON_REQUIRED")
    assert "motif" in response.get_json()["message"]
    assert _count(Emargement) == 0  # the absence the same request asked for is not recorded
    assert _count(EmargementRevision) == 0


def test_a_reason_outside_the_list_is_refused(client, room, trainer_headers):
    response = client.patch(
        _line_url(room),
        headers=trainer_headers,
        json={"status": "absent", "justification": "justified", "justification_reason": "grippe"},
    )
    assert response.status_code == 422
    assert _count(Emargement) == 0


def test_only_an_absence_is_justified(client, room, trainer_headers):
    gen_emargement(room.slot, room.trainee)
    db.session.commit()
    response = client.patch(
        _line_url(room),
        headers=trainer_headers,
        json={"justification": "unjustified", "justification_reason": "transport"},
    )
    assert (response.status_code, response.get_json()["code"]) == (422, "NOT_ABSENT")
    assert _count(AbsenceJustification) == 0


def test_a_fake_pdf_is_refused_by_its_content(client, room, trainer_headers):
    _mark_absent(client, room, trainer_headers)
    revisions = _count(EmargementRevision)
    for content, name, mimetype in (
        (b"%PDF-1.7\nce n'est pas un PDF\n", "arret.pdf", "application/pdf"),
        (b"Arret de travail du 3 mars", "arret.pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\nnot an image at all", "scan.png", "image/png"),
        (b"MZ\x90\x00 an executable", "scan.jpg", "image/jpeg"),
    ):
        response = _upload(client, room, trainer_headers, content, name, mimetype)
        body = response.get_json()
        assert (response.status_code, body["code"]) == (415, "ABSENCE_DOCUMENT_INVALID"), name
        assert body["message"].startswith("Justificatif refusé")
    assert _count(AbsenceJustification) == 0
    assert _count(EmargementRevision) == revisions


def test_a_document_over_5_mb_is_refused(client, room, trainer_headers):
    _mark_absent(client, room, trainer_headers)
    big = tiny_pdf().replace(b"%%EOF", b"%" + b"x" * (5 * 1024 * 1024) + b"\n%%EOF")
    response = _upload(client, room, trainer_headers, big)
    assert (response.status_code, response.get_json()["code"]) == (413, "ABSENCE_DOCUMENT_INVALID")
    assert _count(AbsenceJustification) == 0


def test_a_real_pdf_or_image_is_kept_and_downloaded_as_sent(client, room, trainer_headers):
    _mark_absent(client, room, trainer_headers)
    pdf = tiny_pdf()
    response = _upload(client, room, trainer_headers, pdf, "arret.txt", "text/plain")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["has_document"] is True
    assert response.get_json()["document_type"] == "application/pdf"
    download = client.get(f"{_line_url(room)}/absence-document", headers=trainer_headers)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf" and download.data == pdf
    png = tiny_png((200, 0, 0))
    assert _upload(client, room, trainer_headers, png, "photo").status_code == 200
    download = client.get(f"{_line_url(room)}/absence-document", headers=trainer_headers)
    assert (download.mimetype, download.data) == ("image/png", png)
    revisions = db.session.scalars(select(EmargementRevision).order_by(EmargementRevision.id))
    words = [roster.change_lines(r.before, r.after) for r in revisions]
    assert words[1:] == [["Justificatif joint"], ["Justificatif remplacé"]]
    removed = client.delete(f"{_line_url(room)}/absence-document", headers=trainer_headers)
    assert removed.status_code == 200 and removed.get_json()["has_document"] is False
    gone = client.get(f"{_line_url(room)}/absence-document", headers=trainer_headers)
    assert (gone.status_code, gone.get_json()["code"]) == (404, "NO_ABSENCE_DOCUMENT")


def test_justification_stays_open_after_the_slot_until_the_month_is_validated(
    client, room, trainer_headers
):
    _mark_absent(client, room, trainer_headers)
    validated = client.post(
        f"/api/slots/{room.slot.id}/validation",
        headers=trainer_headers,
        json={"signature": signature_data_url()},
    )
    assert validated.status_code == 200
    response = client.patch(
        _line_url(room),
        headers=trainer_headers,
        json={"justification": "justified", "justification_reason": "entretien_embauche"},
    )
    assert response.status_code == 200, response.get_json()
    assert _upload(client, room, trainer_headers, tiny_pdf()).status_code == 200
    # A mark (hours) after the slot's validation is still refused: that is a correction.
    locked = client.patch(_line_url(room), headers=trainer_headers, json={"late_minutes": 5})
    assert locked.get_json()["code"] == "SLOT_VALIDATED"

    mark_month_validated(room)
    before = (_count(EmargementRevision), _count(EvidenceEntry))
    refused = client.patch(
        _line_url(room),
        headers=trainer_headers,
        json={"justification": "unjustified"},
    )
    assert (refused.status_code, refused.get_json()["code"]) == (409, "MONTH_VALIDATED")
    upload = _upload(client, room, trainer_headers, tiny_pdf())
    assert (upload.status_code, upload.get_json()["code"]) == (409, "MONTH_VALIDATED")
    assert (_count(EmargementRevision), _count(EvidenceEntry)) == before
    row = db.session.scalars(select(AbsenceJustification)).one()
    assert (row.justification, row.reason_code) == ("justified", "entretien_embauche")


def test_billing_staff_justify_but_do_not_mark_and_other_trainers_do_neither(
    client, room, trainer_headers
):
    _mark_absent(client, room, trainer_headers)
    billing = token_for(gen_user(room.org, "billing"))
    response = client.patch(
        _line_url(room),
        headers=billing,
        json={"justification": "unjustified", "justification_reason": "transport"},
    )
    assert response.status_code == 200, response.get_json()
    assert (
        client.patch(_line_url(room), headers=billing, json={"status": "present"}).status_code
        == 404
    )
    other = token_for(gen_user(room.org, "trainer"))
    response = client.patch(_line_url(room), headers=other, json={"justification": "justified"})
    assert response.status_code == 404
    assert client.get(f"{_line_url(room)}/absence-document", headers=other).status_code == 404
    auditor = token_for(gen_user(room.org, "auditor"))
    response = client.patch(_line_url(room), headers=auditor, json={"justification": "undecided"})
    assert response.status_code == 403
    row = db.session.scalars(select(AbsenceJustification)).one()
    assert (row.justification, row.reason_code) == ("unjustified", "transport")


def test_the_month_list_filters_justified_unjustified_and_undecided(app, room):
    for trainee in room.trainees:
        roster.mark(db.session, room.slot, trainee, room.trainer, {"status": "absent"})
    first, second, _ = room.trainees
    absences.justify(
        db.session, room.slot, first, room.trainer,
        {"justification": "justified", "justification_reason": "rendez_vous_administratif"},
        tiny_pdf(),
    )  # fmt: skip
    absences.justify(db.session, room.slot, second, room.trainer, {"justification": "unjustified"})
    month = local_day(room.slot.starts_at).replace(day=1)
    order_id = room.composante.purchase_order_id

    def ids(justification):
        found = absences.absences_in_month(db.session, room.org.id, order_id, month, justification)
        return {a.trainee_id for a in found}

    assert ids(None) == {t.id for t in room.trainees}
    assert ids("justified") == {first.id}
    assert ids("unjustified") == {second.id}
    assert ids("undecided") == {room.trainees[2].id}
    (justified,) = absences.absences_in_month(db.session, room.org.id, order_id, month, "justified")
    assert justified.reason.startswith("Rendez-vous administratif (France Travail")
    assert justified.document_type == "application/pdf"
