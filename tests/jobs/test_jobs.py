"""Background jobs: queued, claimed by one worker only, progress counted, the file kept;
a failure in French; a dead worker's job taken back; ``attendance jobs run``."""

import io
import zipfile
from datetime import timedelta

from attendance import jobs
from attendance.extensions import db
from attendance.models import Job
from attendance.models.types import utcnow
from tests.factories import gen_org, gen_user, march_group


def _zip_job(order=None, org=None, user=None):
    if order is None:
        org, order, *_ = march_group()
    user = user or gen_user(org, "billing")
    params = {"purchase_order_id": order.id, "first": "2026-03"}
    job = jobs.enqueue(db.session, org, user, "documents_zip", params)
    db.session.commit()
    return job.id


def _fresh(job_id) -> Job:
    db.session.rollback()
    return db.session.get(Job, job_id)


def test_a_documents_job_runs_to_done_with_its_count_and_its_zip(app):
    job_id = _zip_job()
    assert _fresh(job_id).state == "queued"
    assert jobs.run(job_id) is True
    job = _fresh(job_id)
    assert (job.state, job.done, job.total, job.attempts) == ("done", 7, 7, 1)
    assert job.result_name.endswith("_2026-03.zip") and job.result_mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(job.result)).namelist()
    assert len(names) == 7 and any(name.startswith("certificats/") for name in names)


def test_only_one_worker_claims_a_job(app):
    job_id = _zip_job()
    assert jobs.claim(job_id) is True
    assert jobs.claim(job_id) is False
    assert jobs.run(job_id) is False  # a second worker leaves it alone
    assert _fresh(job_id).state == "running"


def test_a_job_whose_worker_died_is_taken_back_after_the_stale_delay(app):
    job_id = _zip_job()
    assert jobs.claim(job_id)
    job = _fresh(job_id)
    job.heartbeat_at = utcnow() - jobs.STALE_AFTER + timedelta(seconds=30)
    db.session.commit()
    assert jobs.claim(job_id) is False  # still beating recently enough
    job = _fresh(job_id)
    job.heartbeat_at = utcnow() - jobs.STALE_AFTER - timedelta(seconds=1)
    db.session.commit()
    assert jobs.run(job_id) is True
    job = _fresh(job_id)
    assert (job.state, job.attempts, job.done) == ("done", 2, 7)


def test_a_refused_job_fails_with_the_french_message(app):
    _org, order, *_ = march_group()
    other_org = gen_org()
    other_user = gen_user(other_org, "billing")
    db.session.commit()
    # Another organisation's BDC: the handler's own tenancy check refuses it.
    job_id = _zip_job(order, other_org, other_user)
    jobs.run(job_id)
    job = _fresh(job_id)
    assert job.state == "failed" and job.result is None
    assert "bon de commande" in job.error.lower()


def test_the_cli_runs_every_waiting_job(app, runner):
    first, second = _zip_job(), _zip_job()
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "2 travail(s) exécuté(s)." in result.output
    assert [_fresh(i).state for i in (first, second)] == ["done", "done"]
    assert "0 travail(s)" in runner.invoke(args=["jobs", "run"]).output


def test_finished_jobs_are_cleared_a_week_later_when_the_next_one_is_asked_for(app):
    org, order, *_ = march_group()
    user = gen_user(org, "billing")
    old, recent = _zip_job(order, org, user), _zip_job(order, org, user)
    for job_id in (old, recent):
        jobs.run(job_id)
    _fresh(old).finished_at = utcnow() - jobs.KEPT_FOR - timedelta(minutes=1)
    db.session.commit()
    elsewhere = _zip_job()  # another organisation's request clears nothing here
    assert _fresh(old) is not None
    _zip_job(order, org, user)
    db.session.rollback()
    assert db.session.get(Job, old) is None
    assert db.session.get(Job, recent).state == "done"
    assert db.session.get(Job, elsewhere).state == "queued"
