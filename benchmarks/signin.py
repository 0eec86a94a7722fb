"""Sign-in throughput under gunicorn: many phones signing at once, against a trivial
endpoint of the same app (``/healthz``) measured in the same run.

For each database (SQLite file in WAL mode, PostgreSQL): a fresh database is migrated and
seeded (one organisation, slots of 25 trainees, one bound phone per trainee, the page
ticket each phone got when it opened the QR code), gunicorn serves the app, then
``--clients`` concurrent clients (keep-alive HTTP/1.1, one thread each) post
``POST /api/signins`` with a drawn PNG signature, each a distinct (slot, trainee), after
one untimed sign-in per client to warm the workers as /healthz is warmed. Every
answer must be 201 and the evidence chain must verify afterwards.

    PYTHONPATH=$PWD python benchmarks/signin.py                # both databases, 50 clients
    PYTHONPATH=$PWD python benchmarks/signin.py --db sqlite --signins 400

Each database also gets the CPU one request costs, split between the app (gunicorn and its
workers), the database server (PostgreSQL's processes) and the clients, read from /proc:
the cost of a sign-in next to what a ratio of 0.5 would allow it.

The last line is ``RESULT signin_per_s=… baseline_per_s=… ratio=… p95_ms=…`` for the worse
of the databases run (lowest ratio); one line per database precedes it.
"""

import argparse
import base64
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SECRET = "benchmark-secret-key-with-more-than-256-bits-of-entropy-0123456789"
ROOM_SIZE = 25


def signature_data_url() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (160, 90), (280, 30)], fill="#102a5c", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def seed(url: str, signins: int) -> list[tuple[int, str, str]]:
    """Migrate and fill a fresh database; returns (slot_id, ticket, device credential)."""
    from flask_migrate import upgrade

    from attendance import create_app
    from attendance.accounts import create_user
    from attendance.contract.pathways import create_pathway
    from attendance.contract.purchase_orders import create_composante, create_purchase_order
    from attendance.contract.slots import create_slot
    from attendance.contract.trainees import create_trainee
    from attendance.extensions import db
    from attendance.models import Organisation
    from attendance.signing import devices
    from attendance.signing.signins import issue_slot_qr, open_slot_code

    instance = tempfile.mkdtemp(prefix="bench-instance-")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "INSTANCE_PATH": instance}
    )
    work = []
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
        rooms = (signins + ROOM_SIZE - 1) // ROOM_SIZE
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
            slot = create_slot(
                session,
                org,
                {
                    "composante_id": composante.id,
                    "kind": "centre",
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(hours=3),
                    "site": "Toulouse",
                    "trainer_id": trainer.id,
                    "title": f"Groupe {r}",
                },
            )
            for t in range(min(ROOM_SIZE, signins - r * ROOM_SIZE)):
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
                work.append((slot, trainee))
        session.commit()
        qr = {}
        prepared = []
        for slot, trainee in work:
            _, invitation = devices.create_invitation(session, org, trainee, None)
            session.commit()
            _, credential = devices.bind_device(session, invitation, "bench-phone")
            if slot.id not in qr:
                qr[slot.id] = issue_slot_qr(session, slot)[0]
            _, _, ticket = open_slot_code(session, qr[slot.id], credential, slot.id)
            prepared.append((slot.id, ticket, credential))
        session.commit()
        db.engine.dispose()
    return prepared


def verify(url: str, expected: int) -> None:
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
    if stored != expected or not report.ok:
        raise SystemExit(
            f"integrity check failed: {stored} records for {expected} sign-ins, "
            f"chain ok={report.ok} ({report.problem})"
        )


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


def start_gunicorn(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "PYTHONPATH": str(ROOT),
        "SIGNING_COOKIE_SECURE": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            "attendance:create_app()",
        ],
        env=env,
        cwd=str(ROOT),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def run_clients(port: int, jobs: list[list], request) -> tuple[float, list[float], int]:
    """Each client thread runs its jobs on one keep-alive connection; returns
    (elapsed seconds, latencies in ms, failures)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs) + 1)

    def client(my_jobs):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        barrier.wait()
        for job in my_jobs:
            began = time.perf_counter()
            ok = request(connection, job)
            mine.append((time.perf_counter() - began) * 1000)
            if not ok:
                with lock:
                    failures[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(j,)) for j in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures[0]


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, command name, CPU seconds used so far, user + system, all
    threads) of every process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    text = stat.read()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            found.append((int(entry), int(fields[1]), name, cpu))
    return found


def cpu_snapshot(server: subprocess.Popen) -> dict[str, float]:
    """CPU seconds used so far by the app (gunicorn and its workers), the database server's
    processes (PostgreSQL; SQLite works inside the app) and this process (the clients)."""
    processes = _processes()
    return {
        "app": sum(cpu for pid, parent, _, cpu in processes if server.pid in (pid, parent)),
        "database": sum(cpu for _, _, name, cpu in processes if name.startswith("postgres")),
        "clients": sum(cpu for pid, _, _, cpu in processes if pid == os.getpid()),
    }


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by kind of process."""
    return {kind: (after[kind] - before[kind]) / requests * 1000 for kind in before}


def healthz(connection, _job) -> bool:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status == 200


def make_signin(signature: str):
    def signin(connection, job) -> bool:
        slot_id, ticket, credential = job
        body = json.dumps({"slot_id": slot_id, "token": ticket, "signature": signature})
        connection.request(
            "POST",
            "/api/signins",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Cookie": f"attendance_device={credential}",
                "User-Agent": "bench-phone",
            },
        )
        response = connection.getresponse()
        payload = response.read()
        if response.status != 201:
            print(f"  unexpected {response.status}: {payload[:200]!r}", file=sys.stderr)
        return response.status == 201

    return signin


def _cpu_line(cpu: dict[str, float]) -> str:
    parts = " + ".join(f"{kind} {ms:.2f}" for kind, ms in cpu.items())
    return f"{parts} = {sum(cpu.values()):.2f}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) >= 20 else max(values)


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


def bench(kind: str, args) -> dict:
    url, drop = database(kind)
    try:
        began = time.perf_counter()
        prepared = seed(url, args.signins + args.clients)
        # One sign-in per client warms each worker (mappers configured, statements compiled,
        # keys cached) as the /healthz warm-up does; it is not timed.
        warm_signins, prepared = prepared[: args.clients], prepared[args.clients :]
        print(
            f"[{kind}] seeded {len(prepared) + len(warm_signins)} bound phones "
            f"in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        port = args.port + (0 if kind == "sqlite" else 1)
        server = start_gunicorn(url, port, args.workers, args.threads)
        try:
            warm = [[None] * 20 for _ in range(args.clients)]
            run_clients(port, warm, healthz)
            signin = make_signin(signature_data_url())
            run_clients(port, [[job] for job in warm_signins], signin)
            per_client = max(1, len(prepared) // args.clients * 2)
            base_jobs = [[None] * per_client for _ in range(args.clients)]
            before = cpu_snapshot(server)
            base_time, base_lat, base_fail = run_clients(port, base_jobs, healthz)
            base_cpu = cpu_per_request(before, cpu_snapshot(server), sum(map(len, base_jobs)))
            baseline = sum(map(len, base_jobs)) / base_time
            jobs = [prepared[i :: args.clients] for i in range(args.clients)]
            before = cpu_snapshot(server)
            sign_time, sign_lat, sign_fail = run_clients(port, jobs, signin)
            sign_cpu = cpu_per_request(before, cpu_snapshot(server), len(prepared))
            signins = len(prepared) / sign_time
        finally:
            server.terminate()
            server.wait(timeout=30)
        if base_fail or sign_fail:
            raise SystemExit(f"[{kind}] failures: baseline {base_fail}, sign-in {sign_fail}")
        verify(url, len(prepared) + len(warm_signins))
        floor = commit_floor(url)
        result = {
            "db": kind,
            "signin_per_s": signins,
            "baseline_per_s": baseline,
            "ratio": signins / baseline,
            "p95_ms": p95(sign_lat),
            "baseline_p95_ms": p95(base_lat),
        }
        print(
            f"[{kind}] {len(prepared)} sign-ins by {args.clients} clients: "
            f"{signins:.0f}/s, p95 {result['p95_ms']:.0f} ms; /healthz {baseline:.0f}/s "
            f"(p95 {result['baseline_p95_ms']:.0f} ms); ratio {result['ratio']:.2f}; "
            "records and evidence chain verified",
            flush=True,
        )
        server_share = (
            f"the database server alone uses {sign_cpu['database']:.1f}"
            if sign_cpu["database"]
            else "SQLite works inside the app"
        )
        print(
            f"[{kind}] CPU per request (ms): sign-in {_cpu_line(sign_cpu)}; "
            f"/healthz {_cpu_line(base_cpu)}. Ratio 0.5 allows a sign-in "
            f"{2 * sum(base_cpu.values()):.1f} ms in all; {server_share}",
            flush=True,
        )
        print(
            f"[{kind}] floor: one durable INSERT+COMMIT takes {floor:.2f} ms here "
            f"(at most {1000 / floor:.0f} commits/s in one chain, one after the other)",
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
        "--signins",
        type=int,
        default=1000,
        help="distinct (slot, trainee) sign-ins per database (smaller = faster)",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=18_731)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [bench(kind, args) for kind in kinds]
    worst = min(results, key=lambda r: r["ratio"])
    print(
        f"RESULT signin_per_s={worst['signin_per_s']:.1f} "
        f"baseline_per_s={worst['baseline_per_s']:.1f} ratio={worst['ratio']:.2f} "
        f"p95_ms={worst['p95_ms']:.1f}"
    )


if __name__ == "__main__":
    main()
