"""A trainee's data: the export zip holds everything about them (and nobody else); identity
corrections are logged by field name; another organisation's trainee is 404."""

import io
import json
import zipfile

from sqlalchemy import select

from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import EvidenceEntry
from tests.factories import gen_org, gen_user, make_archive, token_for


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_export_holds_identity_sign_ins_signatures_devices_and_the_certificate(app, client):
    archive = make_archive(n_old=2)
    trainee, other = archive.old
    headers = token_for(archive.billing)

    bundle = _zip(client.get(f"/api/trainees/{trainee.id}/donnees", headers=headers))

    data = json.loads(bundle.read("donnees.json"))
    assert data["stagiaire"]["last_name"] == trainee.last_name
    assert data["stagiaire"]["email"] == trainee.email
    assert len(data["emargements"]) == 4
    assert {e["trainee_id"] for e in data["emargements"]} == {trainee.id}
    assert len(data["telephones"]) == 1 and len(data["invitations"]) == 1
    assert "jti" not in data["invitations"][0] and "pin_hash" not in data["borne"][0]
    assert data["journal_de_preuves"] and all(
        e["payload"]["trainee_id"] == trainee.id for e in data["journal_de_preuves"]
    )
    names = bundle.namelist()
    assert sum(n.startswith("signatures/") for n in names) == 4
    assert bundle.read(names[names.index(data["emargements"][0]["signature"])])[:4] == b"\x89PNG"
    assert bundle.read("documents/certificat-de-realisation.pdf")[:5] == b"%PDF-"
    assert other.last_name not in bundle.read("donnees.json").decode()


def test_another_organisations_trainee_is_not_found(app, client):
    archive = make_archive(n_old=1)
    stranger = gen_user(gen_org(), "admin")
    headers = token_for(stranger)
    trainee_id = archive.old[0].id
    response = client.get(f"/api/trainees/{trainee_id}/donnees", headers=headers)
    assert response.status_code == 404 and response.json["code"] == "NOT_FOUND"
    patch = client.patch(f"/api/trainees/{trainee_id}", json={"phone": "0611"}, headers=headers)
    assert patch.status_code == 404


def test_trainers_cannot_export(app, client):
    archive = make_archive(n_old=1)
    trainer = gen_user(archive.org, "trainer")
    response = client.get(f"/api/trainees/{archive.old[0].id}/donnees", headers=token_for(trainer))
    assert response.status_code == 403


def test_a_correction_is_logged_by_field_without_the_values(app, client):
    archive = make_archive(n_old=1)
    trainee = archive.old[0]
    headers = token_for(archive.billing)
    response = client.patch(
        f"/api/trainees/{trainee.id}",
        json={"last_name": "Martin-Durand", "phone": "0611223344", "boe": trainee.boe},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json["last_name"] == "Martin-Durand"
    entry = db.session.scalar(
        select(EvidenceEntry).where(EvidenceEntry.kind == "trainee_rectified")
    )
    assert entry.payload == {
        "trainee_id": trainee.id,
        "fields": ["last_name", "phone"],
        "by": archive.billing.id,
    }
    assert "Martin" not in json.dumps(entry.payload)
    assert verify_chain(db.session, archive.org).ok


def test_an_anonymised_trainee_can_no_longer_be_exported_or_corrected(app, client, runner):
    archive = make_archive(n_old=1)
    runner.invoke(args=["retention"])
    headers = token_for(archive.billing)
    trainee_id = archive.old[0].id
    export = client.get(f"/api/trainees/{trainee_id}/donnees", headers=headers)
    assert export.status_code == 409 and export.json["code"] == "TRAINEE_ANONYMISED"
    patch = client.patch(f"/api/trainees/{trainee_id}", json={"phone": "0611"}, headers=headers)
    assert patch.status_code == 409
