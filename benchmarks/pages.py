"""Staff pages at scale: p95 latency of the trainee list, a trainee's page, the week planning
and the month page, served by gunicorn, against a bare Jinja render of the same rows.

For each database (SQLite file, PostgreSQL in a database created and dropped here): the
schema is migrated and seeded in bulk through SQLAlchemy core — 30,000 trainees with one
pathway each, spread over 51 BDCs; the measured BDC has 10 groups of 15 trainees with a
year of slots (two half-days every weekday) all signed — then gunicorn serves the app.

The baseline is the same work without the framework: each page is first fetched once
in-process with every SQL statement it sends recorded (text and driver parameters); a tiny
WSGI app (``bare_app``), under the same gunicorn settings, replays those statements with
the bare driver (sqlite3, psycopg2) on one connection per thread and renders every row
they return with a minimal Jinja template. Both servers run at once and are measured in
turns, page by page, so they share the same (busy) machine. The CPU each request costs in
the web workers (read from /proc) is printed beside the latency: on a shared machine it
moves less than the latency does.

    PYTHONPATH=$PWD python benchmarks/pages.py                 # both databases
    PYTHONPATH=$PWD python benchmarks/pages.py --db sqlite --quick

A fifth path is measured for reference, not counted: the password page, the cheapest staff
page (session check, user and organisation, layout, one form). Its ratio is what the framework
alone costs over the bare app on any staff page: no page can do better than it.

The last line is ``RESULT pages=N worst_p95_ms=… worst_ratio=…`` for the worst page of the
databases run (highest ratio). The week planning is measured only when the app has it.
"""

import argparse
import http.client
import os
import pickle
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import signin as bench  # noqa: E402  (database helpers, the app's secret)
from benchmarks.common import cpu_snapshot, p95, start_gunicorn  # noqa: E402

PASSWORD = "benchmark-password"
EMAIL = "facturation@bench.example"
MONTH = date(2026, 3, 1)
WEEK = "2026-W11"
GROUP = 15
GROUPS = 10
FLOOR = "password page"
BARE_TEMPLATE = (
    "<!doctype html><title>{{ path }}</title><table>{% for rows in results %}"
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
    "{% endfor %}{% endfor %}</table>"
)


def _app(url: str):
    from attendance import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": bench.SECRET,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-"),
        }
    )


def _weekday_slots(composante_ids, start: date, days: int):
    """Two half-days (09:00–12:30, 13:30–17:00 Paris in winter) every weekday per group."""
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in (8, 12):
            starts = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
            for composante_id in composante_ids:
                yield composante_id, starts


def seed(url: str, trainees: int, days: int) -> dict:
    """Migrate and fill a fresh database in bulk; returns the ids the pages need."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from attendance.accounts import create_user
    from attendance.contract.purchase_orders import create_composante, create_purchase_order
    from attendance.extensions import db
    from attendance.models import Emargement, Organisation, Pathway, PathwayEvent, Slot, Trainee

    app = _app(url)
    with app.app_context():
        upgrade()
        session = db.session
        org = Organisation(name="Organisme banc d'essai", siret="12345678900014")
        session.add(org)
        session.flush()
        billing = create_user(session, org, EMAIL, "Facturation", "billing", PASSWORD)
        trainer = create_user(
            session, org, "formateur@bench.example", "Formateur", "trainer", PASSWORD
        )
        orders, composantes = [], []
        for n in range(51):
            order = create_purchase_order(
                session,
                org,
                {
                    "number": f"BDC-2026-{n:03d}",
                    "title": f"Compétences Plus {n}",
                    "dispositif": "COMPETENCES_PLUS",
                    "mode": "presentiel",
                    "planned_start": date(2026, 1, 5),
                    "planned_end": date(2027, 6, 30),
                    "sites": ["Toulouse"],
                },
            )
            orders.append(order)
            for g in range(GROUPS):
                composantes.append(
                    create_composante(
                        session,
                        org,
                        {
                            "purchase_order_id": order.id,
                            "code": f"G{g}",
                            "title": f"Groupe {g}",
                            "contracted_centre_minutes": 200 * 60 * 1000,
                            "contracted_company_minutes": 0,
                            "unit_price": Decimal("12.50"),
                        },
                    )
                )
        session.commit()
        measured = [c.id for c in composantes[:GROUPS]]
        others = [c.id for c in composantes[GROUPS:]]
        connection = session.connection()
        connection.execute(
            insert(Trainee.__table__),
            [
                {
                    "organisation_id": org.id,
                    "last_name": f"Nom{(i * 7919) % trainees:05d}",
                    "first_name": f"Prénom{i % 97}",
                    "email": f"stagiaire{i}@bench.example",
                    "external_id": f"FT{i:06d}",
                    "boe": i % 20 == 0,
                    "aah": False,
                }
                for i in range(trainees)
            ],
        )
        trainee_ids = session.scalars(select(Trainee.id).order_by(Trainee.id)).all()
        in_measured = GROUP * GROUPS
        pathways = []
        for index, trainee_id in enumerate(trainee_ids):
            if index < in_measured:
                composante_id = measured[index // GROUP]
            else:
                composante_id = others[index % len(others)]
            pathways.append(
                {
                    "organisation_id": org.id,
                    "trainee_id": trainee_id,
                    "composante_id": composante_id,
                    "entry_date": date(2026, 1, 5),
                    "planned_exit_date": date(2026, 12, 18),
                    "prescribed_centre_minutes": 190 * 60,
                    "prescribed_company_minutes": 0,
                    "status": "in_training",
                }
            )
        connection.execute(insert(Pathway.__table__), pathways)
        pathway_rows = session.execute(select(Pathway.id, Pathway.trainee_id)).all()
        connection.execute(
            insert(PathwayEvent.__table__),
            [
                {
                    "organisation_id": org.id,
                    "pathway_id": pathway_id,
                    "kind": "created",
                    "changes": {"entry_date": "2026-01-05", "planned_exit_date": "2026-12-18"},
                    "reason": "",
                    "user_id": billing.id,
                }
                for pathway_id, _ in pathway_rows
            ],
        )
        slots = [
            {
                "organisation_id": org.id,
                "composante_id": composante_id,
                "kind": "centre",
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=210),
                "title": "",
                "site": "Toulouse",
                "trainer_id": trainer.id,
                "validated_at": starts + timedelta(minutes=215),
                "validated_by_id": trainer.id,
            }
            for composante_id, starts in _weekday_slots(measured, date(2026, 1, 5), days)
        ]
        connection.execute(insert(Slot.__table__), slots)
        members = {c: trainee_ids[i * GROUP : (i + 1) * GROUP] for i, c in enumerate(measured)}
        slot_rows = session.execute(
            select(Slot.id, Slot.composante_id, Slot.starts_at).where(
                Slot.composante_id.in_(measured)
            )
        ).all()
        batch = []
        for slot_id, composante_id, starts in slot_rows:
            for trainee_id in members[composante_id]:
                batch.append(
                    {
                        "organisation_id": org.id,
                        "slot_id": slot_id,
                        "trainee_id": trainee_id,
                        "status": "present",
                        "signed_at": starts + timedelta(minutes=2),
                        "method": "qr",
                        "evidence": {},
                    }
                )
                if len(batch) >= 20_000:
                    connection.execute(insert(Emargement.__table__), batch)
                    batch = []
        if batch:
            connection.execute(insert(Emargement.__table__), batch)
        session.commit()
        if db.engine.dialect.name == "postgresql":
            # Planner statistics, as autovacuum keeps them on a live database: without them
            # PostgreSQL plans the month's aggregates for empty tables.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                raw.exec_driver_sql("ANALYZE")
        ids = {
            "order_id": orders[0].id,
            "trainee_id": trainee_ids[GROUP + 3],
            "slots": len(slots),
            "emargements": len(slot_rows) * GROUP,
            "has_planning": "planning_pages.week" in app.view_functions,
        }
        db.engine.dispose()
    return ids


def page_paths(ids: dict) -> dict[str, str]:
    paths = {
        "trainee list": "/stagiaires?page=2",
        "trainee page": f"/stagiaires/{ids['trainee_id']}",
        "week planning": f"/planning?semaine={WEEK}&bdc={ids['order_id']}",
        "month page": f"/mois/{ids['order_id']}/{MONTH:%Y-%m}",
    }
    # Not a page of the issue: the cheapest staff page (sign-in check, layout, one form, no
    # query of its own). Its ratio is the floor the framework sets for any staff page.
    paths[FLOOR] = "/compte/mot-de-passe"
    if not ids["has_planning"]:
        print("notice: this app has no week planning (planning_pages.week): page not measured")
        del paths["week planning"]
    return paths


def record_queries(url: str, paths: dict[str, str]) -> dict[str, list]:
    """Every statement each page sends to the database, as the driver receives it."""
    from sqlalchemy import event

    from attendance.extensions import db

    app = _app(url)
    recorded: dict[str, list] = {}
    with app.app_context():
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        current: list = []

        def keep(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                current.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        for name, path in paths.items():
            current.clear()
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{name} {path} answered {response.status_code}")
            recorded[path] = list(current)
        event.remove(db.engine, "before_cursor_execute", keep)
        db.engine.dispose()
    return recorded


def bare_app():
    """The baseline WSGI app: replay a page's recorded statements with the bare driver on a
    per-thread connection and render all the rows with a minimal Jinja template."""
    from jinja2 import Environment

    url = os.environ["BENCH_BARE_URL"]
    with open(os.environ["BENCH_QUERIES"], "rb") as handle:
        queries = pickle.load(handle)
    template = Environment(autoescape=True).from_string(BARE_TEMPLATE)
    local = threading.local()

    def connect():
        if url.startswith("sqlite"):
            import sqlite3

            return sqlite3.connect(url.split("///", 1)[1], check_same_thread=False)
        import psycopg2

        return psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))

    def application(environ, start_response):
        path = environ["PATH_INFO"] + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if not hasattr(local, "connection"):
            local.connection = connect()
        cursor = local.connection.cursor()
        results = []
        for statement, parameters in queries[path]:
            cursor.execute(statement, parameters)
            results.append(cursor.fetchall())
        local.connection.rollback()
        body = template.render(path=path, results=results).encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    return application


def start_server(target: str, port: int, env: dict, args):
    return start_gunicorn(target, port, args.workers, args.threads, env)


def login_cookie(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    from urllib.parse import urlencode

    body = urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"login failed: {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def measure(port: int, path: str, requests: int, clients: int, cookie: str | None) -> list[float]:
    """Latencies (ms) of ``requests`` GETs by ``clients`` keep-alive clients at once."""
    latencies: list[float] = []
    lock = threading.Lock()
    headers = {"Cookie": cookie} if cookie else {}

    def client(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        for _ in range(count):
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1000)
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(requests // clients,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def run(kind: str, args) -> list[dict]:
    url, drop = bench.database(kind)
    servers = []
    try:
        began = time.perf_counter()
        ids = seed(url, args.trainees, args.days)
        print(
            f"[{kind}] seeded {args.trainees} trainees, {ids['slots']} slots, "
            f"{ids['emargements']} sign-ins in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        paths = page_paths(ids)
        queries = record_queries(url, paths)
        queries_file = Path(tempfile.mkdtemp(prefix="bench-pages-")) / "queries.pickle"
        queries_file.write_bytes(pickle.dumps(queries))
        port = args.port + (0 if kind == "sqlite" else 2)
        app_env = {"DATABASE_URL": url, "SECRET_KEY": bench.SECRET, "SIGNING_COOKIE_SECURE": "0"}
        servers.append(start_server("attendance:create_app()", port, app_env, args))
        bare_env = {"BENCH_BARE_URL": url, "BENCH_QUERIES": str(queries_file)}
        servers.append(start_server("benchmarks.pages:bare_app()", port + 1, bare_env, args))
        cookie = login_cookie(port)
        results = []
        for name, path in paths.items():
            # The month page costs seconds: fewer requests keep the run within minutes.
            requests = args.month_requests if name == "month page" else args.requests
            measure(port, path, args.clients, args.clients, cookie)  # warm every worker
            measure(port + 1, path, args.clients, args.clients, None)
            app_p95, bare_p95, app_cpu, bare_cpu = [], [], [], []
            for _ in range(args.runs):
                for server, p95s, cpus, target, credential in (
                    (servers[0], app_p95, app_cpu, port, cookie),
                    (servers[1], bare_p95, bare_cpu, port + 1, None),
                ):
                    before = cpu_snapshot(server)["app"]
                    latencies = measure(target, path, requests, args.clients, credential)
                    p95s.append(p95(latencies))
                    used = cpu_snapshot(server)["app"] - before
                    cpus.append(used / len(latencies) * 1000)
            page_p95, base = statistics.median(app_p95), statistics.median(bare_p95)
            cpu, cpu_base = statistics.median(app_cpu), statistics.median(bare_cpu)
            result = {
                "db": kind,
                "page": name,
                "p95": page_p95,
                "bare": base,
                "ratio": page_p95 / base,
            }
            results.append(result)
            print(
                f"[{kind}] {name:<14} {path:<32} p95 {page_p95:7.1f} ms  bare {base:7.1f} ms  "
                f"ratio {result['ratio']:.2f}  ({len(queries[path])} statements; runs "
                + ", ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(app_p95, bare_p95, strict=True))
                + ")",
                flush=True,
            )
            print(
                f"[{kind}] {name:<14} CPU per request in the web workers: page {cpu:.1f} ms, "
                f"bare {cpu_base:.1f} ms (ratio {cpu / cpu_base:.2f}; steadier than latency on "
                "a busy machine)",
                flush=True,
            )
        return results
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--trainees", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=365, help="days of slots in the BDC")
    parser.add_argument("--requests", type=int, default=200, help="per page and run")
    parser.add_argument("--month-requests", type=int, default=20, help="month page, per run")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs per page")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=18_761)
    parser.add_argument("--quick", action="store_true", help="smoke run: small data, few requests")
    args = parser.parse_args()
    if args.quick:
        args.trainees, args.days, args.requests, args.runs = 2_000, 90, 40, 1
        args.month_requests = 8
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    measured = [result for kind in kinds for result in run(kind, args)]
    for floor in (r for r in measured if r["page"] == FLOOR):
        print(
            f"[{floor['db']}] framework floor (empty staff page): ratio {floor['ratio']:.2f}, "
            f"p95 {floor['p95']:.1f} ms against {floor['bare']:.1f} ms"
        )
    results = [r for r in measured if r["page"] != FLOOR]
    worst = max(results, key=lambda r: r["ratio"])
    pages = len({result["page"] for result in results})
    print(
        f"worst: {worst['page']} on {worst['db']}; the machine is shared with other work, "
        "so absolute times vary from run to run"
    )
    print(
        f"RESULT pages={pages} worst_p95_ms={max(r['p95'] for r in results):.1f} "
        f"worst_ratio={worst['ratio']:.2f}"
    )


if __name__ == "__main__":
    main()
