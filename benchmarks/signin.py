"""Sign-in throughput under gunicorn, against a raw floor measured in the same run: the
same sign-ins served by a bare WSGI app on the bare database driver.

For each database (SQLite file in WAL mode, PostgreSQL): a fresh database is migrated and
seeded (one organisation; rooms of 25 trainees, each room with ``--slots-per-room`` slots
running now; one bound phone per trainee and the page ticket each phone got when it opened
each slot's QR code). Then three servers run at once under the same gunicorn settings: the
raw floor, the framework floor and the app:

- a closed loop: ``--clients`` concurrent clients (keep-alive HTTP/1.1, one thread each)
  post ``POST /api/signins`` with a drawn PNG signature, each a distinct (slot, trainee),
  after one untimed sign-in per client to warm the workers. It runs in ``--rounds`` rounds,
  the three servers taking turns in each (the order turning), and the ratios are the
  medians of the rounds' ratios: this machine's speed changes from one minute to the next
  (the same floor took 2.6 ms of CPU per sign-in in one run and 5.0 in the next, no steal
  time reported), and a floor measured before the app compared two machines;
- an open loop at fixed arrival rates (``--rates``, default 100/s then 200/s, ``--seconds``
  each), the floor then the app: a request starts at its scheduled time whatever the
  others do, each on a new connection, and its latency counts from that time, so queueing
  counts.

An answer other than 201 (or no answer) is an error. The records and the evidence chain are
verified (``verify_chain``) at the end: a chain that does not verify stops the run.

The framework floor (``framework_app``) serves the raw floor's sign-in through Flask and
flask-smorest with the app's own request and answer schemas: what the web stack the project
is built on costs by itself.

The floor (``floor_app``) is a plain WSGI function, no Flask, no SQLAlchemy, no marshmallow.
It does what the app must do for a sign-in that succeeds: checks the device cookie and the
ticket (PyJWT, the app's keys read from the database), base64-decodes the signature (PNG
magic only, not the app's structure check), applies the app's refusals (quotas, slot,
phone, window, enrolment, already signed, validated slot or month), and hashes with the
project's own functions (``evidence.record_digest``, ``evidence.entry_hash``). On
PostgreSQL it makes the app's statements in seven round trips, one transaction: BEGIN, read
the quotas, read the slot + phone + enrolment, count the attempt (upsert), lock the chain +
insert the record + re-check the slot and its month, write the evidence entry + move the
head, COMMIT. It takes no failure hit (the app holds one and gives it back in the same
transaction), and counts the attempt in the sign-in's transaction. On SQLite it takes the
app's writer gate (the lock file next to the database) and runs the statements SQLite can
run: the reads outside, the writes in one BEGIN IMMEDIATE. A slot's first sign-in opens its
chain, as ``evidence.lock_chain`` does.

CPU per sign-in is read from /proc, split between the app (gunicorn and its workers), the
database server (PostgreSQL's processes serving the benchmark), the clients (this process);
the kernel's threads are shown apart, and anything else running meanwhile is summed
process by process (the busiest named). A run where anything else used more than 0.5 ms of
CPU per request in a measured phase is void (a ``VOID`` line is printed before the result).

    PYTHONPATH=$PWD python benchmarks/signin.py                # both databases, 50 clients
    PYTHONPATH=$PWD python benchmarks/signin.py --db sqlite --quick

The last line is ``RESULT signin_per_s=… floor_per_s=… vs_floor=… open200_p95_ms=…
open200_p99_ms=… errors=… framework_per_s=… vs_framework=…`` (``void=1`` appended for a void
run) for the worse of the databases run (lowest vs_floor, closed loop), after a
``RESULT[db]`` line per database; ``errors`` counts the app's failed sign-ins in every phase
and database.
"""

import argparse
import base64
import hashlib
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402  (re-exported for pages.py and storm.py)
    cpu_per_request,
    cpu_snapshot,
    p95,
    percentile,
    stop,
)
from benchmarks.common import start_gunicorn as _start  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SECRET = "benchmark-secret-key-with-more-than-256-bits-of-entropy-0123456789"
ROOM_SIZE = 25
OTHER_CPU_LIMIT_MS = 0.5  # per request: above it, the machine was too busy to measure
APP_TARGET = "attendance:create_app()"
FLOOR_TARGET = "benchmarks.signin:floor_app()"
FRAMEWORK_TARGET = "benchmarks.signin:framework_app()"

__all__ = ["cpu_per_request", "cpu_snapshot", "p95", "percentile"]


def signature_data_url() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (160, 90), (280, 30)], fill="#102a5c", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def seed(url: str, signins: int, slots_per_room: int = 1) -> list[tuple[int, str, str]]:
    """Migrate and fill a fresh database; returns (slot_id, ticket, device credential) of
    ``signins`` distinct (slot, trainee): a room's trainees sign each of its
    ``slots_per_room`` slots (fewer phones to bind for as many sign-ins)."""
    from flask_migrate import upgrade

    from attendance import create_app
    from attendance.accounts import create_user
    from attendance.contract.pathways import create_pathway
    from attendance.contract.purchase_orders import create_composante, create_purchase_order
    from attendance.contract.slots import create_slot
    from attendance.contract.trainees import create_trainee
    from attendance.extensions import db
    from attendance.models import Organisation, Slot, Trainee
    from attendance.signing import devices
    from attendance.signing.signins import issue_slot_qr, open_slot_code

    instance = tempfile.mkdtemp(prefix="bench-instance-")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "INSTANCE_PATH": instance}
    )
    rooms_made = []  # (slots, trainees) of each room
    with app.app_context():
        upgrade()
        session = db.session
        org = Organisation(name="Organisme banc d'essai", siret="12345678900014")
        session.add(org)
        session.flush()
        trainer = create_user(
            session, org, "formateur@bench.example", "Formatrice", "trainer", "benchmark-password"
        )
        order = create_purchase_order(
            session,
            org,
            {
                "number": "BDC-BENCH",
                "title": "Banc",
                "dispositif": "COMPETENCES_PLUS",
                "mode": "presentiel",
                "planned_start": date(2026, 1, 5),
                "planned_end": date(2027, 6, 30),
                "sites": ["Toulouse"],
            },
        )
        # Slots running now: a sign-in outside its slot's window is refused.
        starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        per_room = ROOM_SIZE * slots_per_room
        rooms = (signins + per_room - 1) // per_room
        for r in range(rooms):
            composante = create_composante(
                session,
                org,
                {
                    "purchase_order_id": order.id,
                    "code": f"C{r}",
                    "title": f"Groupe {r}",
                    "contracted_centre_minutes": 200 * 60 * ROOM_SIZE,
                    "contracted_company_minutes": 0,
                    "unit_price": Decimal("12.50"),
                },
            )
            slots = [
                create_slot(
                    session,
                    org,
                    {
                        "composante_id": composante.id,
                        "kind": "centre",
                        "starts_at": starts_at,
                        "ends_at": starts_at + timedelta(hours=3),
                        "site": "Toulouse",
                        "trainer_id": trainer.id,
                        "title": f"Groupe {r}, séance {s}",
                    },
                )
                for s in range(slots_per_room)
            ]
            left = signins - r * per_room
            trainees = []
            for t in range(min(ROOM_SIZE, (left + slots_per_room - 1) // slots_per_room)):
                trainee = create_trainee(
                    session,
                    org,
                    {
                        "last_name": f"Nom{r}-{t}",
                        "first_name": "Prénom",
                        "boe": False,
                        "aah": False,
                    },
                )
                create_pathway(
                    session,
                    org,
                    {
                        "trainee_id": trainee.id,
                        "composante_id": composante.id,
                        "entry_date": date(2026, 3, 2),
                        "planned_exit_date": date(2027, 3, 1),
                        "prescribed_centre_minutes": 150 * 60,
                        "prescribed_company_minutes": 0,
                    },
                )
                trainees.append(trainee)
            rooms_made.append((slots, trainees))
        session.commit()
        rooms_made = [
            ([s.id for s in slots], [t.id for t in trainees]) for slots, trainees in rooms_made
        ]
        credentials = {}  # trainee id -> the bound phone's cookie
        for _, trainee_ids in rooms_made:
            for trainee_id in trainee_ids:
                trainee = session.get(Trainee, trainee_id)
                _, invitation = devices.create_invitation(session, org, trainee, None)
                session.commit()
                credentials[trainee_id] = devices.bind_device(session, invitation, "bench-phone")[1]
        session.commit()
        # Slot by slot across the rooms (each room's first slot, then each one's second…): the
        # sign-ins in flight at once are different phones, so they never wait on the same
        # phone's quota counter, while a room's 25 phones sign one slot together.
        prepared = []
        for s in range(slots_per_room):
            for slot_ids, trainee_ids in rooms_made:
                slot_id = slot_ids[s]
                qr = issue_slot_qr(session, session.get(Slot, slot_id))[0]
                for trainee_id in trainee_ids[: signins - len(prepared)]:
                    credential = credentials[trainee_id]
                    _, _, ticket = open_slot_code(session, qr, credential, slot_id)
                    prepared.append((slot_id, ticket, credential))
                session.commit()
        db.engine.dispose()
    return prepared


def verify(url: str, expected: int) -> str | None:
    """Fails loudly when the evidence chain does not verify; returns a problem when the
    number of records is not the number of sign-ins answered 201."""
    from sqlalchemy import func, select

    from attendance import create_app
    from attendance.evidence import verify_chain
    from attendance.extensions import db
    from attendance.models import Emargement, Organisation

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-"),
        }
    )
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Emargement))
        report = verify_chain(db.session, db.session.scalars(select(Organisation)).one())
        db.engine.dispose()
    if not report.ok:
        raise SystemExit(
            f"evidence chain check FAILED: {report.where}: {report.problem} "
            f"{report.record_problems[:3]}"
        )
    if stored != expected:
        return f"{stored} records for {expected} sign-ins answered 201"
    return None


def commit_floor(url: str, rounds: int = 200) -> float:
    """Milliseconds for one durable single-row INSERT + COMMIT on this database, in this run
    (PostgreSQL: synchronous_commit on, so a WAL flush each; SQLite: WAL, synchronous=NORMAL
    as the app sets it). A sign-in needs at least one; one chain's sign-ins commit in turn."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE bench_commit_probe (x INTEGER)"))
            connection.commit()
            began = time.perf_counter()
            for i in range(rounds):
                connection.execute(text("INSERT INTO bench_commit_probe VALUES (:x)"), {"x": i})
                connection.commit()
            elapsed = time.perf_counter() - began
            connection.execute(text("DROP TABLE bench_commit_probe"))
            connection.commit()
    finally:
        engine.dispose()
    return elapsed / rounds * 1000


def start_gunicorn(url: str, port: int, workers: int, threads: int, target: str = APP_TARGET):
    """The app (or ``target``) on ``url`` under the benchmark's gunicorn settings."""
    env = {
        "DATABASE_URL": url,
        "BENCH_FLOOR_URL": url,
        "SECRET_KEY": SECRET,
        "SIGNING_COOKIE_SECURE": "0",
    }
    return _start(target, port, workers, threads, env, deadline_s=30)


# --- The floor: the same sign-in on the bare driver ------------------------------------

# PostgreSQL: the app's statements (``signing.statements``, ``evidence.chain``,
# ``security.ratelimit``) as SQLAlchemy compiles them, one round trip each.
_PG_QUOTAS = 'SELECT key, "window", hits FROM rate_limit_counter WHERE key IN (%(k0)s, %(k1)s)'
_PG_CONTEXT = """
SELECT slot.id, slot.organisation_id, slot.composante_id, slot.trainee_id, slot.starts_at,
  slot.ends_at, slot.validated_at, slot.kind, device.organisation_id, device.trainee_id,
  device.phone_id, device.revoked_at,
  EXISTS (SELECT * FROM pathway WHERE pathway.trainee_id = device.trainee_id
    AND pathway.composante_id = slot.composante_id
    AND pathway.organisation_id = slot.organisation_id
    AND pathway.entry_date <= CAST(timezone(%(tz)s, slot.starts_at) AS DATE)
    AND (pathway.effective_exit_date IS NULL
      OR pathway.effective_exit_date >= CAST(timezone(%(tz)s, slot.starts_at) AS DATE))),
  (SELECT emargement.id FROM emargement
    WHERE emargement.slot_id = slot.id AND emargement.trainee_id = device.trainee_id)
FROM slot LEFT OUTER JOIN device ON device.public_id = %(device)s
WHERE slot.id = %(slot)s
"""
_PG_COUNT = """
INSERT INTO rate_limit_counter (key, "window", hits) VALUES (%(k0)s, %(w0)s, 1)
ON CONFLICT (key) DO UPDATE SET "window" = excluded."window",
  hits = CASE WHEN rate_limit_counter."window" = excluded."window"
    THEN rate_limit_counter.hits + 1 ELSE 1 END
RETURNING rate_limit_counter.hits
"""
_EMARGEMENT_COLUMNS = (
    "organisation_id",
    "slot_id",
    "trainee_id",
    "status",
    "late_minutes",
    "early_leave_minutes",
    "confirmed",
    "signature_png",
    "token_jti",
    "ip_address",
    "user_agent",
    "device_id",
    "evidence",
    "absence_reason",
    "created_at",
    "signed_at",
    "method",
)
_PG_LOCK_INSERT_CHECK = """
WITH head AS (UPDATE evidence_head SET seq=evidence_head.seq
    WHERE evidence_head.organisation_id = %(head_org)s AND evidence_head.chain = %(head_chain)s
    RETURNING evidence_head.seq, evidence_head.last_hash),
  new_row AS (INSERT INTO emargement ({columns}) SELECT {values} FROM head
    RETURNING emargement.id)
SELECT new_row.id, head.seq, head.last_hash, slot.validated_at, slot.starts_at,
  composante.purchase_order_id,
  (SELECT month_period.state FROM month_period
    WHERE month_period.organisation_id = %(org)s
      AND month_period.purchase_order_id = composante.purchase_order_id
      AND month_period.month = %(month)s FOR SHARE)
FROM head JOIN new_row ON true JOIN slot ON slot.id = %(slot)s
  JOIN composante ON composante.id = slot.composante_id
FOR SHARE OF slot
""".format(
    columns=", ".join(_EMARGEMENT_COLUMNS),
    values=", ".join(
        f"%(r_{name})s::JSON" if name == "evidence" else f"%(r_{name})s"
        for name in _EMARGEMENT_COLUMNS
    ),
)
_PG_APPEND = """
WITH entry AS (INSERT INTO evidence_entry
    (organisation_id, chain, seq, at, kind, payload, prev_hash, hash)
  VALUES (%(head_org)s, %(head_chain)s, %(new_seq)s, %(at)s, %(kind)s, %(payload)s::JSON,
    %(prev_hash)s, %(new_hash)s))
UPDATE evidence_head SET seq=%(new_seq)s, last_hash=%(new_hash)s
WHERE evidence_head.organisation_id = %(head_org)s AND evidence_head.chain = %(head_chain)s
"""
_PG_TAKE = (
    "UPDATE evidence_head SET seq=evidence_head.seq "
    "WHERE evidence_head.organisation_id = %(head_org)s AND evidence_head.chain = %(head_chain)s "
    "RETURNING evidence_head.seq, evidence_head.last_hash"
)
# A slot's first sign-in opens its chain (``evidence.lock_chain``), then goes step by step.
_PG_OPEN_HEAD = (
    "INSERT INTO evidence_head (organisation_id, chain, seq, last_hash) "
    "VALUES (%(head_org)s, %(head_chain)s, 0, %(genesis)s) ON CONFLICT DO NOTHING"
)
_PG_SLOT_STATE = """
SELECT slot.validated_at, slot.starts_at, composante.purchase_order_id,
  (SELECT month_period.state FROM month_period
    WHERE month_period.organisation_id = %(org)s
      AND month_period.purchase_order_id = composante.purchase_order_id
      AND month_period.month = %(month)s FOR SHARE)
FROM slot JOIN composante ON composante.id = slot.composante_id WHERE slot.id = %(slot)s
"""
_PG_INSERT = "INSERT INTO emargement ({}) VALUES ({}) RETURNING id".format(
    ", ".join(_EMARGEMENT_COLUMNS),
    ", ".join(
        f"%(r_{name})s::JSON" if name == "evidence" else f"%(r_{name})s"
        for name in _EMARGEMENT_COLUMNS
    ),
)

# SQLite: the app's SQLite statements (no INSERT in a WITH, no time zones in SQL).
_LITE_QUOTAS = 'SELECT "key", window, hits FROM rate_limit_counter WHERE "key" IN (:k0, :k1)'
_LITE_CONTEXT = """
SELECT slot.id, slot.organisation_id, slot.composante_id, slot.trainee_id, slot.starts_at,
  slot.ends_at, slot.validated_at, slot.kind, device.organisation_id, device.trainee_id,
  device.phone_id, device.revoked_at
FROM slot LEFT OUTER JOIN device ON device.public_id = :device
WHERE slot.id = :slot
"""
_LITE_ENROLMENT = """
SELECT EXISTS (SELECT * FROM pathway WHERE pathway.trainee_id = :trainee
    AND pathway.composante_id = :composante AND pathway.organisation_id = :org
    AND pathway.entry_date <= :day
    AND (pathway.effective_exit_date IS NULL OR pathway.effective_exit_date >= :day)),
  (SELECT emargement.id FROM emargement
    WHERE emargement.slot_id = :slot AND emargement.trainee_id = :trainee)
"""
_LITE_COUNT = """
INSERT INTO rate_limit_counter ("key", window, hits) VALUES (:k0, :w0, 1)
ON CONFLICT ("key") DO UPDATE SET window = excluded.window,
  hits = CASE WHEN rate_limit_counter.window = excluded.window
    THEN rate_limit_counter.hits + 1 ELSE 1 END
RETURNING hits
"""
_LITE_TAKE = (
    "UPDATE evidence_head SET seq=evidence_head.seq "
    "WHERE evidence_head.organisation_id = :head_org AND evidence_head.chain = :head_chain "
    "RETURNING seq, last_hash"
)
_LITE_OPEN_HEAD = (
    "INSERT INTO evidence_head (organisation_id, chain, seq, last_hash) "
    "VALUES (:head_org, :head_chain, 0, :genesis) ON CONFLICT DO NOTHING"
)
_LITE_SLOT_STATE = """
SELECT slot.validated_at, slot.starts_at, composante.purchase_order_id,
  (SELECT month_period.state FROM month_period
    WHERE month_period.organisation_id = :org
      AND month_period.purchase_order_id = composante.purchase_order_id
      AND month_period.month = :month)
FROM slot JOIN composante ON composante.id = slot.composante_id WHERE slot.id = :slot
"""
_LITE_INSERT = "INSERT INTO emargement ({}) VALUES ({}) RETURNING id".format(
    ", ".join(_EMARGEMENT_COLUMNS), ", ".join(f":r_{name}" for name in _EMARGEMENT_COLUMNS)
)
_LITE_ENTRY = (
    "INSERT INTO evidence_entry (organisation_id, chain, seq, at, kind, payload, prev_hash, "
    "hash) VALUES (:head_org, :head_chain, :new_seq, :at, :kind, :payload, :prev_hash, "
    ":new_hash)"
)
_LITE_ADVANCE = (
    "UPDATE evidence_head SET seq=:new_seq, last_hash=:new_hash "
    "WHERE evidence_head.organisation_id = :head_org AND evidence_head.chain = :head_chain"
)

# The app's defaults (``security.ratelimit``, ``signing.window``, ``signing.common``).
_ATTEMPTS = ("signin_client_attempts", 60, 60)  # name, hits, seconds
_FAILURES = ("signin_ip_failures", 200, 10 * 60)
_OPENING = timedelta(minutes=30)
_LATE_GRACE_MINUTES = 5
_LEEWAY = timedelta(seconds=5)
_REQUIRED = {"require": ["exp", "iat", "nbf", "jti", "aud"]}


class Refused(Exception):
    def __init__(self, status: int, code: str):
        super().__init__(code)
        self.status, self.code = status, code


def _limit_key(name: str, value: str) -> str:
    return f"{name}:{hashlib.sha256(value.encode()).hexdigest()[:64]}"


def _lite_time(value: datetime) -> str:
    """An instant as SQLAlchemy stores it on SQLite (naive UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")


def _instant(value) -> datetime | None:
    """An instant read back: PostgreSQL gives aware datetimes, SQLite text in UTC."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class _Keys:
    """The app's JWT keys (HS256), read once per worker and again on an unknown kid."""

    def __init__(self, read):
        self.read, self.by_kid, self.lock = read, {}, threading.Lock()

    def get(self, kid: str) -> bytes:
        if kid not in self.by_kid:
            with self.lock:
                self.by_kid = {
                    row_kid: base64.urlsafe_b64decode(secret.encode())
                    for row_kid, alg, secret in self.read()
                    if alg == "HS256"
                }
        if kid not in self.by_kid:
            raise Refused(401, "TOKEN_INVALID")
        return self.by_kid[kid]


def _claims(keys: _Keys, token, typ: str, audience: str) -> dict:
    """Like ``signing.tokens.verify``: the kind from the header, the key by kid, the
    algorithm pinned by the key, audience, times and required claims checked by PyJWT."""
    import jwt

    if not isinstance(token, str) or not token or len(token) > 4096:
        raise Refused(401, "TOKEN_INVALID")
    head = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        raise Refused(401, "TOKEN_INVALID") from None
    if header.get("typ") != typ or header.get("alg") != "HS256":
        raise Refused(401, "TOKEN_INVALID")
    try:
        return jwt.decode(
            token,
            keys.get(str(header.get("kid", ""))),
            algorithms=["HS256"],
            audience=audience,
            leeway=_LEEWAY,
            options=_REQUIRED,
        )
    except jwt.PyJWTError:
        raise Refused(401, "TOKEN_INVALID") from None


def floor_app(framework: bool = False):
    """The raw floor: ``POST /api/signins`` as the app answers it, on the bare driver
    (``framework``: the sign-in function alone, for ``framework_app``)."""
    from zoneinfo import ZoneInfo

    from attendance.evidence import GENESIS, ORGANISATION, entry_hash, record_digest, slot_chain

    url = os.environ["BENCH_FLOOR_URL"]
    sqlite = url.startswith("sqlite")
    zone_name = os.environ.get("ATTENDANCE_TIMEZONE", "Europe/Paris")
    zone = ZoneInfo(zone_name)
    local = threading.local()

    if sqlite:
        import fcntl
        import sqlite3

        path = url.split("///", 1)[1]
        gate_lock, gate_fd = threading.Lock(), os.open(path + ".write-lock", os.O_RDWR | os.O_CREAT)

        def connect():
            connection = sqlite3.connect(path, isolation_level=None)  # BEGIN is ours
            pragmas = (
                "journal_mode=WAL",
                "busy_timeout=10000",
                "foreign_keys=ON",
                "synchronous=NORMAL",
            )
            for pragma in pragmas:
                connection.execute(f"PRAGMA {pragma}")  # as the app sets them
            return connection
    else:
        import psycopg2

        def connect():
            return psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))

    def connection():
        if not hasattr(local, "connection"):
            local.connection = connect()
        return local.connection

    def read_keys():
        cursor = connection().cursor()
        cursor.execute("SELECT kid, alg, secret FROM signing_key")
        rows = cursor.fetchall()
        if not sqlite:
            connection().rollback()  # the sign-in's transaction starts with its own reads
        return rows

    keys = _Keys(read_keys)

    def signin(environ) -> dict:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            data = json.loads(body)
            slot_id, token, signature = data["slot_id"], data["token"], data["signature"]
        except (ValueError, KeyError, TypeError):
            raise Refused(422, "INVALID_BODY") from None
        cookies = dict(
            part.strip().partition("=")[::2] for part in environ.get("HTTP_COOKIE", "").split(";")
        )
        return sign(
            slot_id,
            token,
            signature,
            cookies.get("attendance_device"),
            environ.get("REMOTE_ADDR"),
            environ.get("HTTP_USER_AGENT", ""),
        )

    def sign(slot_id, token, signature, credential, ip, user_agent) -> dict:
        """The sign-in once its body and cookie are read."""
        now = datetime.now(UTC)
        if not credential:
            raise Refused(401, "DEVICE_UNKNOWN")
        user_agent = user_agent[:500]
        ticket = _claims(keys, token, "signin+jwt", "attendance:signin")
        device = _claims(keys, credential, "device+jwt", "attendance:device")
        if ticket.get("slot") != slot_id:
            raise Refused(400, "TOKEN_OTHER_SLOT")
        if ticket.get("device") != device.get("sub"):
            raise Refused(403, "TOKEN_REPLAYED")
        if not isinstance(signature, str):
            raise Refused(422, "SIGNATURE_NOT_PNG")
        header, _, encoded = signature.partition(",")
        if header != "data:image/png;base64" or len(encoded) > 100_000 * 4 // 3 + 4:
            raise Refused(422, "SIGNATURE_NOT_PNG")
        try:
            png = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise Refused(422, "SIGNATURE_NOT_PNG") from None
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise Refused(422, "SIGNATURE_NOT_PNG")
        attempts = _limit_key(_ATTEMPTS[0], credential)
        failures = _limit_key(_FAILURES[0], ip or "unknown")
        attempts_window = int(time.time()) // _ATTEMPTS[2]
        failures_window = int(time.time()) // _FAILURES[2]
        cursor = connection().cursor()
        try:
            result = (_sign_lite if sqlite else _sign_pg)(
                cursor,
                now,
                slot_id,
                ticket,
                device,
                png,
                ip,
                user_agent,
                (attempts, attempts_window, failures, failures_window),
            )
        except BaseException:
            if not sqlite:
                connection().rollback()
            raise
        return result

    def check_quotas(rows, attempts, attempts_window, failures, failures_window):
        for key, window, hits in rows:
            if key == attempts and window == attempts_window and hits >= _ATTEMPTS[1]:
                raise Refused(429, "TOO_MANY_REQUESTS")
            if key == failures and window == failures_window and hits >= _FAILURES[1]:
                raise Refused(429, "TOO_MANY_REQUESTS")

    def check_context(row, ticket, device, now) -> tuple:
        """The app's checks on the slot and the phone; returns the slot's fields."""
        if row is None:
            raise Refused(404, "NOT_FOUND")
        slot = list(row[:8])
        slot[4], slot[5], slot[6] = _instant(slot[4]), _instant(slot[5]), _instant(slot[6])
        org, trainee_id = slot[1], row[9]
        if org != ticket.get("org"):
            raise Refused(403, "TOKEN_OTHER_ORGANISATION")
        if trainee_id is None or row[8] != device.get("org"):
            raise Refused(401, "DEVICE_UNKNOWN")
        if row[11] is not None:
            raise Refused(403, "DEVICE_NOT_BOUND")
        if row[8] != org:
            raise Refused(403, "TOKEN_OTHER_ORGANISATION")
        if slot[6] is not None:
            raise Refused(409, "SLOT_VALIDATED")
        if not slot[4] - _OPENING <= now <= slot[5]:
            raise Refused(409, "OUTSIDE_SLOT_WINDOW")
        return slot, trainee_id, row[10]

    def check_enrolment(slot, trainee_id, on_pathway, record_id) -> None:
        expected = on_pathway if slot[3] is None else slot[3] == trainee_id
        if not expected:
            raise Refused(403, "NOT_ENROLLED")
        if record_id is not None:
            raise Refused(409, "ALREADY_SIGNED")

    def new_row(slot, trainee_id, phone_id, ticket, device, png, ip, user_agent, now) -> dict:
        late = int((now - slot[4]).total_seconds() // 60)
        late = (
            0
            if late <= _LATE_GRACE_MINUTES
            else min(late, int((slot[5] - slot[4]).total_seconds() // 60))
        )
        return {
            "organisation_id": slot[1],
            "slot_id": slot[0],
            "trainee_id": trainee_id,
            "status": "present",
            "late_minutes": late,
            "early_leave_minutes": 0,
            "confirmed": True,
            "signature_png": png,
            "token_jti": ticket.get("qr", ticket["jti"]),
            "ip_address": ip,
            "user_agent": user_agent,
            "device_id": device["sub"],
            "evidence": {
                "ip": ip,
                "user_agent": user_agent,
                "phone_id": phone_id,
                "ticket_jti": ticket["jti"],
            },
            "absence_reason": None,
            "created_at": datetime.now(UTC),
            "signed_at": now,
            "method": "qr",
        }

    def check_state(slot, validated_at, starts_at, month_state) -> None:
        if validated_at is not None:
            raise Refused(409, "SLOT_VALIDATED")
        if _instant(starts_at) != slot[4]:
            raise Refused(409, "SLOT_MOVED")  # the app re-checks the new month; not here
        if month_state == "validated":
            raise Refused(409, "MONTH_VALIDATED")

    def entry(row, new_id, seq, last_hash) -> tuple[dict, str, str]:
        """The evidence payload, the entry's hash and the chain, as ``record_signin``."""
        record = dict(row, id=new_id)  # what ``evidence.emargement_state`` reads
        payload = {
            "emargement_id": new_id,
            "slot_id": row["slot_id"],
            "trainee_id": row["trainee_id"],
            "method": "qr",
            "record_sha256": record_digest(SimpleNamespace(**record)),
            "ip": row["ip_address"],
            "device_id": row["device_id"],
            "token_jti": row["token_jti"],
        }
        chain = slot_chain(row["slot_id"])
        digest = entry_hash(
            row["organisation_id"], seq + 1, row["signed_at"], "signin", payload, last_hash, chain
        )
        return payload, digest, chain

    def append(cursor, org, chain, seq, at, kind, payload, prev_hash, digest) -> None:
        """Write an entry and move its chain's head (PostgreSQL: one statement)."""
        values = {
            "head_org": org,
            "head_chain": chain,
            "new_seq": seq,
            "at": _lite_time(at) if sqlite else at,
            "kind": kind,
            "payload": json.dumps(payload),
            "prev_hash": prev_hash,
            "new_hash": digest,
        }
        if sqlite:
            cursor.execute(_LITE_ENTRY, values)
            cursor.execute(_LITE_ADVANCE, values)
        else:
            cursor.execute(_PG_APPEND, values)

    def open_chain(cursor, org, chain) -> tuple[int, str]:
        """``evidence.lock_chain`` of a chain without a head: make the head, take it, and
        log the chain's opening in the organisation's chain. Returns (seq, last hash)."""
        take = _LITE_TAKE if sqlite else _PG_TAKE
        opening = {"head_org": org, "head_chain": chain, "genesis": GENESIS}
        cursor.execute(_LITE_OPEN_HEAD if sqlite else _PG_OPEN_HEAD, opening)
        created = cursor.rowcount
        cursor.execute(take, {"head_org": org, "head_chain": chain})
        head = cursor.fetchone()
        if created:
            cursor.execute(take, {"head_org": org, "head_chain": ORGANISATION})
            organisation_head = cursor.fetchone()
            if organisation_head is None:
                raise Refused(500, "NO_ORGANISATION_CHAIN")
            seq, last_hash = organisation_head
            at, payload = datetime.now(UTC), {"chain": chain}
            digest = entry_hash(org, seq + 1, at, "chain_opened", payload, last_hash)
            append(
                cursor, org, ORGANISATION, seq + 1, at, "chain_opened", payload, last_hash, digest
            )
        return head

    def _sign_pg(cursor, now, slot_id, ticket, device, png, ip, user_agent, quota):
        attempts, attempts_window, failures, failures_window = quota
        cursor.execute(_PG_QUOTAS, {"k0": attempts, "k1": failures})  # BEGIN, then this
        check_quotas(cursor.fetchall(), *quota)
        cursor.execute(_PG_CONTEXT, {"tz": zone_name, "device": device.get("sub"), "slot": slot_id})
        row = cursor.fetchone()
        slot, trainee_id, phone_id = check_context(row, ticket, device, now)
        check_enrolment(slot, trainee_id, row[12], row[13])
        cursor.execute(_PG_COUNT, {"k0": attempts, "w0": attempts_window})
        if cursor.fetchone()[0] > _ATTEMPTS[1]:
            raise Refused(429, "TOO_MANY_REQUESTS")
        values = new_row(slot, trainee_id, phone_id, ticket, device, png, ip, user_agent, now)
        month = slot[4].astimezone(zone).date().replace(day=1)
        chain = slot_chain(slot_id)
        parameters = {f"r_{name}": value for name, value in values.items()}
        parameters["r_signature_png"] = psycopg2.Binary(png)
        parameters["r_evidence"] = json.dumps(values["evidence"])
        parameters |= {"head_org": slot[1], "head_chain": chain, "org": slot[1]}
        parameters |= {"month": month, "slot": slot_id}
        cursor.execute(_PG_LOCK_INSERT_CHECK, parameters)
        locked = cursor.fetchone()
        if locked is None:  # the slot's first sign-in: nothing inserted, one step at a time
            seq, last_hash = open_chain(cursor, slot[1], chain)
            cursor.execute(_PG_SLOT_STATE, parameters)
            validated_at, starts_at, _, month_state = cursor.fetchone()
            check_state(slot, validated_at, starts_at, month_state)
            cursor.execute(_PG_INSERT, parameters)
            new_id = cursor.fetchone()[0]
        else:
            new_id, seq, last_hash, validated_at, starts_at, _, month_state = locked
            check_state(slot, validated_at, starts_at, month_state)
        payload, digest, chain = entry(values, new_id, seq, last_hash)
        append(cursor, slot[1], chain, seq + 1, now, "signin", payload, last_hash, digest)
        connection().commit()
        return _answer(values, new_id)

    def _sign_lite(cursor, now, slot_id, ticket, device, png, ip, user_agent, quota):
        attempts, attempts_window, failures, failures_window = quota
        cursor.execute(_LITE_QUOTAS, {"k0": attempts, "k1": failures})
        check_quotas(cursor.fetchall(), *quota)
        cursor.execute(_LITE_CONTEXT, {"device": device.get("sub"), "slot": slot_id})
        row = cursor.fetchone()
        slot, trainee_id, phone_id = check_context(row, ticket, device, now)
        day = slot[4].astimezone(zone).date()
        cursor.execute(
            _LITE_ENROLMENT,
            {
                "trainee": trainee_id,
                "composante": slot[2],
                "org": slot[1],
                "day": day.isoformat(),
                "slot": slot_id,
            },
        )
        check_enrolment(slot, trainee_id, *cursor.fetchone())
        values = new_row(slot, trainee_id, phone_id, ticket, device, png, ip, user_agent, now)
        month = day.replace(day=1)
        chain = slot_chain(slot_id)
        parameters = {f"r_{name}": value for name, value in values.items()}
        parameters["r_evidence"] = json.dumps(values["evidence"])
        parameters["r_created_at"] = _lite_time(values["created_at"])
        parameters["r_signed_at"] = _lite_time(now)
        with gate_lock:  # the app's writer gate (``attendance.sql``): threads, then processes
            fcntl.flock(gate_fd, fcntl.LOCK_EX)
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(_LITE_COUNT, {"k0": attempts, "w0": attempts_window})
                if cursor.fetchone()[0] > _ATTEMPTS[1]:
                    raise Refused(429, "TOO_MANY_REQUESTS")
                cursor.execute(_LITE_TAKE, {"head_org": slot[1], "head_chain": chain})
                head = cursor.fetchone()
                seq, last_hash = head or open_chain(cursor, slot[1], chain)
                cursor.execute(
                    _LITE_SLOT_STATE, {"org": slot[1], "month": month.isoformat(), "slot": slot_id}
                )
                validated_at, starts_at, _, month_state = cursor.fetchone()
                check_state(slot, validated_at, starts_at, month_state)
                cursor.execute(_LITE_INSERT, parameters)
                new_id = cursor.fetchone()[0]
                payload, digest, chain = entry(values, new_id, seq, last_hash)
                append(cursor, slot[1], chain, seq + 1, now, "signin", payload, last_hash, digest)
                cursor.execute("COMMIT")
            except BaseException:
                if connection().in_transaction:
                    cursor.execute("ROLLBACK")  # before the next writer is let in
                raise
            finally:
                fcntl.flock(gate_fd, fcntl.LOCK_UN)
        return _answer(values, new_id)

    if framework:
        return sign

    def application(environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path != "/api/signins" or method != "POST":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"code":"NOT_FOUND"}']
        try:
            status, answer = "201 CREATED", signin(environ)
        except Refused as refusal:
            status, answer = f"{refusal.status} REFUSED", {"code": refusal.code}
        body = json.dumps(answer).encode()
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return application


def framework_app():
    """The framework floor: the raw floor's sign-in served by the web stack the project is
    built on (Flask, flask-smorest parsing the body into the app's ``PhoneSignIn`` schema
    and dumping the answer through its ``SignedSchema``), nothing else: no ORM session, no
    hooks of the app. What the stack alone costs over a bare WSGI function, measured in
    the same run, is what no sign-in built on it can save."""
    from flask import Flask, jsonify, request
    from flask_smorest import Api, Blueprint

    from attendance.api.signins import PhoneSignIn, SignedSchema

    sign = floor_app(framework=True)
    app = Flask(__name__)
    app.config.update(API_TITLE="floor", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    api = Api(app)
    blp = Blueprint("signins", __name__, url_prefix="/api/signins")

    @blp.post("")
    @blp.arguments(PhoneSignIn)
    @blp.response(201, SignedSchema)
    def post_phone_signin(data):
        answer = sign(
            data["slot_id"],
            data["token"],
            data["signature"],
            request.cookies.get("attendance_device"),
            request.remote_addr,
            request.headers.get("User-Agent", ""),
        )
        return {
            **answer,
            "id": answer["emargement_id"],
            "signed_at": datetime.fromisoformat(answer["signed_at"]),
        }

    api.register_blueprint(blp)

    @app.errorhandler(Refused)
    def refused(error):
        return jsonify(code=error.code), error.status

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def _answer(values: dict, new_id: int) -> dict:
    """The app's ``SignedSchema`` fields."""
    return {
        "confirmed": True,
        "emargement_id": new_id,
        "late_minutes": values["late_minutes"],
        "method": "qr",
        "signed_at": values["signed_at"].isoformat(),
        "slot_id": values["slot_id"],
        "status": "present",
        "trainee_id": values["trainee_id"],
    }


# --- Measuring ------------------------------------------------------------------------


def run_clients(port: int, jobs: list[list], request) -> tuple[float, list[float], int]:
    """Closed loop: each client thread runs its jobs on one keep-alive connection; returns
    (elapsed seconds, latencies in ms, failures)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs) + 1)

    def client(my_jobs):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, failed = [], 0
        barrier.wait()
        for job in my_jobs:
            began = time.perf_counter()
            try:
                ok = request(connection, job)
            except (OSError, http.client.HTTPException) as error:
                print(f"  request failed: {error!r}", file=sys.stderr)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            mine.append((time.perf_counter() - began) * 1000)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=client, args=(j,)) for j in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures[0]


def open_loop(port: int, jobs: list, rate: float, request) -> tuple[float, list[float], int]:
    """Open loop: job i starts at ``i / rate`` seconds, on a new connection, whether or not
    the earlier ones have answered; its latency counts from that scheduled time, so time
    spent waiting for a free client thread or a server worker counts too. Returns (elapsed
    seconds, latencies in ms, failures)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    cursor = [0]
    began = time.perf_counter() + 0.2

    def client():
        mine, failed = [], 0
        while True:
            with lock:
                index = cursor[0]
                cursor[0] += 1
            if index >= len(jobs):
                break
            scheduled = began + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                ok = request(connection, jobs[index], close=True)
            except (OSError, http.client.HTTPException) as error:
                print(f"  request failed: {error!r}", file=sys.stderr)
                ok = False
            finally:
                connection.close()
            mine.append((time.perf_counter() - scheduled) * 1000)
            failed += not ok
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    # Enough threads for a quarter of a second of arrivals in flight: more than the server
    # has workers, so a slow server, not the client, makes the queue.
    threads = [threading.Thread(target=client) for _ in range(max(16, int(rate / 4)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures[0]


def healthz(connection, _job) -> bool:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status == 200


def make_signin(signature: str):
    unexpected = [0]

    def signin(connection, job, close: bool = False) -> bool:
        slot_id, ticket, credential = job
        body = json.dumps({"slot_id": slot_id, "token": ticket, "signature": signature})
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"attendance_device={credential}",
            "User-Agent": "bench-phone",
        }
        if close:
            headers["Connection"] = "close"
        connection.request("POST", "/api/signins", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 201:
            unexpected[0] += 1
            if unexpected[0] <= 5:
                print(f"  unexpected {response.status}: {payload[:200]!r}", file=sys.stderr)
        return response.status == 201

    return signin


def _cpu_line(cpu: dict) -> str:
    """« app 3.24 + database 1.58 + clients 0.28 = 5.10 ms; kernel threads 0.02 ms; anything
    else 0.12 ms (busiest: name[pid] 0.05 ms) »."""
    mine = {kind: cpu[kind] for kind in MEASURED}
    parts = " + ".join(f"{kind} {ms:.2f}" for kind, ms in mine.items())
    return (
        f"{parts} = {sum(mine.values()):.2f} ms; kernel threads {cpu['kernel']:.2f} ms; "
        f"anything else {cpu['other']:.2f} ms (busiest: {cpu['busiest']})"
    )


MEASURED = ("app", "database", "clients")


def database(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="bench-sqlite-")
        return f"sqlite:///{directory}/bench.sqlite", lambda: None
    from sqlalchemy import create_engine, text

    from attendance.config import database_url

    admin = create_engine(database_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"attendance_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return database_url(POSTGRES_ADMIN_URL).rsplit("/", 1)[0] + "/" + name, drop


class Phases:
    """The measured phases of one database: their CPU per request, and whether anything
    else running used more than ``OTHER_CPU_LIMIT_MS`` per request in any of them."""

    def __init__(self, kind: str, url: str):
        self.kind = kind
        self.database = None if kind == "sqlite" else url.rsplit("/", 1)[1]
        self.busy: list[str] = []

    def measure(self, server, label: str, requests: int, run):
        before = cpu_snapshot(server, self.database)
        outcome = run()
        cpu = cpu_per_request(before, cpu_snapshot(server, self.database), requests)
        if cpu["other"] > OTHER_CPU_LIMIT_MS:
            self.busy.append(
                f"{self.kind} {label}: {cpu['other']:.2f} ms (busiest: {cpu['busiest']})"
            )
        return outcome, cpu


WHO = ("floor", "framework", "app")
TARGETS = {"floor": FLOOR_TARGET, "framework": FRAMEWORK_TARGET, "app": APP_TARGET}


class Server:
    """One of the three servers of a run, its sign-ins still to make and what it did."""

    def __init__(self, kind: str, who: str, url: str, port: int, args, jobs: list):
        self.who, self.port, self.jobs = who, port, list(jobs)
        self.tag = f"[{kind}] {who:<9}"
        self.process = start_gunicorn(url, port, args.workers, args.threads, TARGETS[who])
        self.ok = self.errors = 0
        self.closed = {"count": 0, "elapsed": 0.0, "latencies": [], "cpu": {}}
        self.open: dict[float, dict] = {}

    def take(self, n: int) -> list:
        taken, self.jobs = self.jobs[:n], self.jobs[n:]
        return taken

    def counted(self, batch: list, failed: int) -> None:
        self.ok += len(batch) - failed
        self.errors += failed


def _closed_round(server: Server, args, signin, phases: Phases, n: int) -> float:
    """One round of the closed loop on one server; its sign-ins per second."""
    batch = server.take(n)
    split = [batch[i :: args.clients] for i in range(args.clients)]
    (elapsed, latencies, failed), cpu = phases.measure(
        server.process,
        f"{server.who} closed loop",
        len(batch),
        lambda: run_clients(server.port, split, signin),
    )
    server.counted(batch, failed)
    closed = server.closed
    closed["count"] += len(batch)
    closed["elapsed"] += elapsed
    closed["latencies"] += latencies
    for kind_, ms in cpu.items():
        if kind_ in (*MEASURED, "kernel", "other"):
            closed["cpu"][kind_] = closed["cpu"].get(kind_, 0.0) + ms * len(batch)
    if cpu["other"] >= closed.get("worst_other", float("-inf")):
        closed["worst_other"], closed["busiest"] = cpu["other"], f"{cpu['busiest']}, worst round"
    return len(batch) / elapsed


def interleaved(kind: str, url: str, args, jobs: dict, phases: Phases) -> dict:
    """The three servers up at once; the closed loop in rounds, each round running the
    floor, the framework floor and the app one after the other (the order turning each
    round), so a change of the machine's speed during the run (seen here: the same work
    taking up to 1.8× the CPU from one minute to the next, with no steal time reported)
    falls on all three instead of on whichever ran then. The ratios are the median of the
    rounds' ratios. Then the open loop at each rate, floor then app."""
    signin = make_signin(signature_data_url())
    base = args.port + (0 if kind == "sqlite" else 3)
    servers: dict[str, Server] = {}
    try:
        for i, who in enumerate(WHO):
            servers[who] = Server(kind, who, url, base + i, args, jobs[who])
        for server in servers.values():
            run_clients(server.port, [[None] * 20 for _ in range(args.clients)], healthz)
            warm = server.take(args.clients)
            server.counted(warm, run_clients(server.port, [[job] for job in warm], signin)[2])
        per_round = args.signins // args.rounds
        ratios = {"vs_floor": [], "vs_framework": [], "framework_vs_floor": []}
        for r in range(args.rounds):
            order = WHO[r % 3 :] + WHO[: r % 3]
            rate = {
                who: _closed_round(servers[who], args, signin, phases, per_round) for who in order
            }
            ratios["vs_floor"].append(rate["app"] / rate["floor"])
            ratios["vs_framework"].append(rate["app"] / rate["framework"])
            ratios["framework_vs_floor"].append(rate["framework"] / rate["floor"])
            print(
                f"[{kind}] round {r + 1}/{args.rounds}: "
                + ", ".join(f"{who} {rate[who]:.0f}/s" for who in WHO)
                + f"; app/floor {ratios['vs_floor'][-1]:.2f}, "
                f"app/framework {ratios['vs_framework'][-1]:.2f}",
                flush=True,
            )
        for server in servers.values():
            closed = server.closed
            cpu = {kind_: ms / closed["count"] for kind_, ms in closed["cpu"].items()}
            cpu["busiest"] = closed["busiest"]
            closed["per_s"] = closed["count"] / closed["elapsed"]
            closed["cpu_ms"] = sum(cpu[kind_] for kind_ in MEASURED)
            print(
                f"{server.tag} closed loop, {closed['count']} sign-ins by {args.clients} "
                f"clients in {args.rounds} rounds: {closed['per_s']:.0f}/s, "
                f"p95 {p95(closed['latencies']):.0f} ms, {server.errors} errors; "
                f"CPU per sign-in: {_cpu_line(cpu)}",
                flush=True,
            )
        for rate in args.rates:
            for who in ("floor", "app"):
                if who == "floor" and args.no_floor_open:
                    continue
                _open(servers[who], args, signin, phases, rate)
    finally:
        for server in servers.values():
            stop(server.process)
    result = {who: server for who, server in servers.items()}
    result["ratios"] = {name: statistics.median(values) for name, values in ratios.items()}
    return result


def _open(server: Server, args, signin, phases: Phases, rate: float) -> None:
    batch = server.take(int(rate * args.seconds))
    (elapsed, latencies, failed), cpu = phases.measure(
        server.process,
        f"{server.who} open loop {rate:g}/s",
        len(batch),
        lambda: open_loop(server.port, batch, rate, signin),
    )
    server.counted(batch, failed)
    quantiles = {q: percentile(latencies, q) for q in (50, 95, 99)}
    server.open[rate] = {**quantiles, "errors": failed}
    print(
        f"{server.tag} open loop {rate:g}/s for {args.seconds:g} s ({len(batch)} sign-ins, "
        f"done in {elapsed:.1f} s, new connection each): p50 {quantiles[50]:.1f} ms, "
        f"p95 {quantiles[95]:.1f} ms, p99 {quantiles[99]:.1f} ms, "
        f"max {max(latencies):.0f} ms, {failed} errors; CPU per sign-in: {_cpu_line(cpu)}",
        flush=True,
    )


def needed(args, open_loops: bool = True) -> int:
    """Sign-ins one server uses: warm-up, closed loop, open loops."""
    opened = sum(int(rate * args.seconds) for rate in args.rates) if open_loops else 0
    return args.clients + args.signins + opened


def bench(kind: str, args) -> dict:
    url, drop = database(kind)
    try:
        began = time.perf_counter()
        counts = {
            "floor": needed(args, not args.no_floor_open),
            "framework": needed(args, open_loops=False),
            "app": needed(args),
        }
        prepared = seed(url, sum(counts.values()), args.slots_per_room)
        print(
            f"[{kind}] seeded {len(prepared)} (slot, bound phone) pairs, "
            f"{args.slots_per_room} slots per room of {ROOM_SIZE}, "
            f"in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        jobs, at = {}, 0
        for who in WHO:
            jobs[who], at = prepared[at : at + counts[who]], at + counts[who]
        phases = Phases(kind, url)
        run = interleaved(kind, url, args, jobs, phases)
        floor, framework, app = run["floor"], run["framework"], run["app"]
        problem = verify(url, floor.ok + framework.ok + app.ok)
        print(
            f"[{kind}] records and evidence chain verified (floor, framework floor and app)"
            + (f" (but {problem})" if problem else ""),
            flush=True,
        )
        for server in (floor, framework):
            if server.errors or problem:
                # A floor that fails sign-ins answers them cheaply: it is no floor.
                phases.busy.append(f"{kind} {server.who} failed {server.errors} sign-ins")
        durable = commit_floor(url)
        top = max(args.rates)
        ratios = run["ratios"]
        result = {
            "db": kind,
            "signin_per_s": app.closed["per_s"],
            "floor_per_s": floor.closed["per_s"],
            "vs_floor": ratios["vs_floor"],
            "framework_per_s": framework.closed["per_s"],
            "vs_framework": ratios["vs_framework"],
            "top_rate": top,
            "open_p95": app.open[top][95],
            "open_p99": app.open[top][99],
            "errors": app.errors + (1 if problem else 0),
            "busy": phases.busy,
        }
        print(
            f"[{kind}] sign-in {app.closed['per_s']:.0f}/s at {app.closed['cpu_ms']:.2f} ms CPU, "
            f"floor {floor.closed['per_s']:.0f}/s at {floor.closed['cpu_ms']:.2f} ms, framework "
            f"floor {framework.closed['per_s']:.0f}/s at {framework.closed['cpu_ms']:.2f} ms; "
            f"medians of the rounds: vs_floor {ratios['vs_floor']:.2f}, vs_framework "
            f"{ratios['vs_framework']:.2f}, framework/floor {ratios['framework_vs_floor']:.2f}; "
            f"one durable INSERT+COMMIT takes {durable:.2f} ms here",
            flush=True,
        )
        return result
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--signins", type=int, default=4000, help="closed-loop sign-ins per server and database"
    )
    parser.add_argument(
        "--rates",
        type=lambda text: [float(rate) for rate in text.split(",")],
        default=[100.0, 200.0],
        help="open-loop arrival rates per second, comma-separated (default 100,200)",
    )
    parser.add_argument("--seconds", type=float, default=30, help="open loop, per rate")
    parser.add_argument("--no-floor-open", action="store_true", help="no open loop for the floor")
    parser.add_argument(
        "--slots-per-room",
        type=int,
        default=20,
        help="slots each room's 25 trainees sign (fewer phones to seed)",
    )
    parser.add_argument(
        "--rounds", type=int, default=8, help="closed-loop rounds, servers taking turns"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=18_731)
    parser.add_argument(
        "--quick", action="store_true", help="sanity run: 200 closed-loop sign-ins, 5 s per rate"
    )
    args = parser.parse_args()
    if args.quick:
        args.clients, args.signins, args.seconds = min(args.clients, 20), 200, 5
        args.rounds = min(args.rounds, 2)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [bench(kind, args) for kind in kinds]
    worst = min(results, key=lambda r: r["vs_floor"])
    busy = [phase for result in results for phase in result["busy"]]
    if busy:
        print(
            f"VOID: anything else running used more than {OTHER_CPU_LIMIT_MS} ms CPU per "
            "request, or the floor failed: " + "; ".join(busy)
        )
    for result in results if len(results) > 1 else []:
        print(f"RESULT[{result['db']}] {_result_fields(result, result['errors'])}")
    errors = sum(result["errors"] for result in results)
    print(f"RESULT {_result_fields(worst, errors)}" + (" void=1" if busy else ""))


def _result_fields(result: dict, errors: int) -> str:
    top = f"open{result['top_rate']:g}"
    return (
        f"signin_per_s={result['signin_per_s']:.1f} "
        f"floor_per_s={result['floor_per_s']:.1f} vs_floor={result['vs_floor']:.2f} "
        f"{top}_p95_ms={result['open_p95']:.1f} {top}_p99_ms={result['open_p99']:.1f} "
        f"errors={errors} framework_per_s={result['framework_per_s']:.1f} "
        f"vs_framework={result['vs_framework']:.2f}"
    )


if __name__ == "__main__":
    main()
