"""PostgreSQL stopped in the middle of a sign-in storm, on a throwaway cluster of its own.

Phones keep retrying with the same payload, as they do: during the outage they get a JSON
503 (SERVICE_UNAVAILABLE, French message), never a 500; once the database is back the
service recovers by itself (the pool drops its dead connections after the first failure,
with no ping before each request), every acknowledged sign-in is stored exactly
once and the evidence chain is intact (nothing half-written)."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from attendance import create_app
from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import Emargement, Organisation
from tests.operations.postgres_cluster import ThrowawayCluster

SECRET = "test-secret-key-with-more-than-256-bits-of-entropy-0123456789"


@pytest.fixture(scope="module")
def cluster():
    cluster = ThrowawayCluster()
    if not cluster.available:
        pytest.skip("initdb/pg_ctl (postgresql) are not installed")
    cluster.init()
    cluster.start()
    yield cluster
    cluster.destroy()


def _post(base: str, job, signature: str) -> tuple[int, dict]:
    slot_id, ticket, credential = job
    request = urllib.request.Request(
        base + "/api/signins",
        data=json.dumps({"slot_id": slot_id, "token": ticket, "signature": signature}).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"attendance_device={credential}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, {}  # connection refused or cut: a phone retries


def test_a_postgres_outage_mid_storm_gives_503s_and_loses_no_acknowledged_signin(cluster, tmp_path):
    from benchmarks import signin as bench

    prepared = bench.seed(cluster.url, 40)
    signature = bench.signature_data_url()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": cluster.url,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(tmp_path),
            "SIGNING_COOKIE_SECURE": False,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    acknowledged: dict[int, int] = {}  # job index -> emargement id
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()

    def phone(index: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, body = _post(base, prepared[index], signature)
            with lock:
                seen.append((status, body.get("code", "")))
            if status == 201:
                with lock:
                    acknowledged[index] = body["emargement_id"]
                return
            if status == 409 and body.get("code") == "ALREADY_SIGNED":
                return  # an earlier try was stored before its answer was lost
            if status and status not in (503,) and status < 500:
                return
            time.sleep(0.2)

    try:
        for index in range(20):  # the first half signs normally
            phone(index)
        assert len(acknowledged) == 20
        cluster.stop("fast")
        phones = [threading.Thread(target=phone, args=(i,)) for i in range(20, 40)]
        for thread in phones:
            thread.start()
        outage_ends = time.monotonic() + 10
        while time.monotonic() < outage_ends and sum(s == 503 for s, _ in seen) < 20:
            time.sleep(0.1)
        cluster.start()
        for thread in phones:
            thread.join(timeout=70)
    finally:
        server.shutdown()

    statuses = [status for status, _ in seen]
    assert 503 in statuses, statuses
    assert all(code == "SERVICE_UNAVAILABLE" for status, code in seen if status == 503)
    assert not [s for s in statuses if s >= 500 and s != 503], statuses
    assert len(acknowledged) == 40  # the service recovered without a restart

    with app.app_context():
        stored = db.session.execute(select(Emargement.id, Emargement.trainee_id)).all()
        assert {row.id for row in stored} >= set(acknowledged.values())
        per_trainee = db.session.execute(
            select(Emargement.trainee_id, func.count()).group_by(Emargement.trainee_id)
        ).all()
        assert len(stored) == 40 and all(n == 1 for _, n in per_trainee)
        report = verify_chain(db.session, db.session.scalars(select(Organisation)).one())
        assert report.ok, report.problem
        db.session.remove()
        db.engine.dispose()
