"""The declaration connector against a real HTTP server on loopback, started by the test."""

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import DeclarationPush, MonthDeclaration, MonthPeriod
from attendance.months.connector import Endpoint, push_declaration
from tests.factories import gen_org, gen_purchase_order


class Receiver:
    """A declaration endpoint that de-duplicates on Idempotency-Key, like a careful Region."""

    def __init__(self, script):
        self.script = list(script)  # per request: "fail", "ok" or "slow_ok"
        self.stored: dict[str, dict] = {}
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.requests += 1
                action = receiver.script.pop(0) if receiver.script else "ok"
                if action == "fail":
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"maintenance")
                    return
                receiver.stored.setdefault(self.headers["Idempotency-Key"], body)
                if action == "slow_ok":
                    threading.Event().wait(1.5)  # stored, but the answer comes too late
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/declarations"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def declaration(app):
    org = gen_org()
    order = gen_purchase_order(org, number="BDC-2026-42")
    period = MonthPeriod(
        organisation_id=org.id,
        purchase_order_id=order.id,
        month=date(2026, 11, 1),
        state="synchronised",
        version=1,
    )
    db.session.add(period)
    db.session.flush()
    snapshot = MonthDeclaration(
        organisation_id=org.id,
        month_period_id=period.id,
        version=1,
        checksum="abc",
        rows=[{"last_name": "Martin"}],
        grid=[],
        totals={"centre_minutes": 600},
    )
    db.session.add(snapshot)
    db.session.commit()
    return snapshot


def _attempts():
    db.session.expire_all()
    return db.session.scalars(db.select(DeclarationPush).order_by(DeclarationPush.id)).all()


def test_a_first_failure_is_retried_and_stored_once(declaration):
    receiver = Receiver(["fail", "ok"])
    delays = []
    try:
        push_declaration(
            db.session, declaration, Endpoint(receiver.url, backoff_s=0.5), sleep=delays.append
        )
    finally:
        receiver.close()
    attempts = _attempts()
    assert [(a.attempt, a.outcome, a.http_status) for a in attempts] == [
        (1, "http_error", 503),
        (2, "success", 200),
    ]
    assert attempts[0].detail == "maintenance"
    assert delays == [0.5]
    assert list(receiver.stored) == ["BDC-2026-42:2026-11:v1"]
    assert receiver.stored["BDC-2026-42:2026-11:v1"]["totals"] == {"centre_minutes": 600}


def test_a_timed_out_push_is_retried_without_a_duplicate(declaration):
    receiver = Receiver(["slow_ok", "ok"])
    try:
        push_declaration(
            db.session,
            declaration,
            Endpoint(receiver.url, timeout_s=0.5, backoff_s=0),
            sleep=lambda s: None,
        )
    finally:
        receiver.close()
    attempts = _attempts()
    assert [a.outcome for a in attempts] == ["network_error", "success"]
    assert receiver.requests == 2
    assert len(receiver.stored) == 1


def test_giving_up_says_so_in_french_and_keeps_every_attempt(declaration):
    receiver = Receiver(["fail"] * 5)
    try:
        with pytest.raises(DomainError) as caught:
            push_declaration(
                db.session, declaration, Endpoint(receiver.url, attempts=3), sleep=lambda s: None
            )
    finally:
        receiver.close()
    assert caught.value.code == "DECLARATION_PUSH_FAILED"
    assert "3 tentative(s)" in caught.value.message
    assert [a.outcome for a in _attempts()] == ["http_error"] * 3
    assert receiver.stored == {}
