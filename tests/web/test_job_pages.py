"""The whole-BDC zip from the documents page: built in the background, its page shows the
count, then the link; the file opens; another organisation's job is absent."""

import io
import time
import zipfile

import pytest

from attendance.extensions import db
from attendance.models import Job
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user, march_group


def _world():
    org, order, *_ = march_group()
    billing = gen_user(org, "billing")
    db.session.commit()
    return order, billing


def _login(client, user):
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))


def _until_done(client, job_id, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(f"/travaux/{job_id}.json").get_json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError("the job never ended")


def test_the_zip_is_prepared_in_the_background_then_downloaded(client, app):
    order, billing = _world()
    _login(client, billing)
    response = client.post(f"/documents/{order.id}/2026-03/documents.zip", data=csrf_form(client))
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = db.session.get(Job, job_id)
    assert (job.kind, job.created_by_id, job.params["first"]) == (
        "documents_zip",
        billing.id,
        "2026-03",
    )

    status = _until_done(client, job_id)
    assert status["state"] == "done" and status["progress_label"] == "7 / 7 documents"
    download = client.get(status["download_url"])
    assert download.mimetype == "application/zip"
    assert f"documents_{order.number}_2026-03.zip" in download.headers["Content-Disposition"]
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == 7


def test_another_organisations_job_is_absent(client, app):
    order, billing = _world()
    _login(client, billing)
    job_url = client.post(
        f"/documents/{order.id}/2026-03/documents.zip", data=csrf_form(client)
    ).headers["Location"]
    _until_done(client, job_url.rsplit("/", 1)[1])
    intruder = gen_user(gen_org(), "admin")
    db.session.commit()
    client.post("/logout", data=csrf_form(client))
    _login(client, intruder)
    for url in (job_url, job_url + ".json", job_url + "/fichier"):
        assert client.get(url).status_code == 404, url


def test_trainers_cannot_start_or_see_jobs(client, app):
    order, billing = _world()
    trainer = gen_user(db.session.get(type(billing), billing.id).organisation, "trainer")
    db.session.commit()
    _login(client, trainer)
    response = client.post(f"/documents/{order.id}/2026-03/documents.zip", data=csrf_form(client))
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 0


@pytest.mark.browser
def test_the_zip_page_shows_progress_then_the_download_link(live_server, page, app):
    order, billing = _world()
    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(billing.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")
    page.goto(f"{live_server}/documents/{order.id}/2026-03")
    page.get_by_role("button", name="Préparer le zip de tous les documents").click()
    page.wait_for_url(f"{live_server}/travaux/*")
    assert page.get_by_role("progressbar").count() == 1
    page.wait_for_selector("#job-ready:not([hidden])", timeout=60_000)
    assert page.locator("#job-count").inner_text() == "7 / 7 documents"
    assert page.locator("#job-state").inner_text() == "Terminé"
    assert page.get_by_role("progressbar").get_attribute("max") == "7"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le fichier").click()
    download = download_info.value
    assert download.suggested_filename == f"documents_{order.number}_2026-03.zip"
    with open(download.path(), "rb") as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert len(names) == 7 and any(name.startswith("emargement/") for name in names)
