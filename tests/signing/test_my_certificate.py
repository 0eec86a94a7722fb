"""A trainee downloads their own certificate of realisation from the bound phone (R13)."""

import io

from pypdf import PdfReader

from attendance.signing.devices import DEVICE_COOKIE
from tests.factories import bind_phone, gen_emargement, gen_slot, make_room


def test_a_bound_phone_downloads_its_own_certificate(client, app):
    room = make_room(n_trainees=2)
    from datetime import UTC, datetime

    from attendance.extensions import db

    past = gen_slot(room.composante, starts_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    gen_emargement(past, room.trainee)
    db.session.commit()
    client.set_cookie(DEVICE_COOKIE, bind_phone(room.trainee))
    response = client.get("/e/certificat.pdf?de=2026-03&a=2026-03")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert room.trainee.last_name.upper() in text.upper()
    assert room.trainees[1].last_name.upper() not in text.upper()
    assert "3,50 h" in text


def test_a_phone_that_is_not_bound_gets_no_certificate(client, app):
    make_room()
    client.set_cookie(DEVICE_COOKIE, "forged-credential")
    response = client.get("/e/certificat.pdf")
    assert response.status_code in (401, 403)
    assert "application/pdf" not in response.content_type
