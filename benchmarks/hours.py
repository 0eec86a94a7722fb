"""Benchmark: one month of a BDC aggregated by the hours engine against hand-written SQL.

10,000 trainees in groups of 20, each group with 44 half-day slots in March 2026 (centre,
FAD, autoformation), so 440,000 sign-ins (some absent, late, leaving early, unconfirmed
autoformation) plus a few validated corrections. The data is bulk-loaded (executemany on
SQLite, COPY on PostgreSQL). Then, in the same run and on the same rows:

* engine: ``attendance.hours.aggregate.trainee_month_hours`` (per trainee, composante, class);
* raw SQL: the GROUP BY one would write by hand over emargement ⋈ slot, without corrections.

Each is timed as the best of ``--repeat`` runs, fetching every row. The rows untouched by a
correction must be identical; the last line is
``RESULT rows=… engine_s=… raw_sql_s=… ratio=…`` (target ratio ≤ 1.5).

    PYTHONPATH=$PWD python benchmarks/hours.py                       # SQLite, full size
    PYTHONPATH=$PWD python benchmarks/hours.py --db postgresql://postgres@127.0.0.1:5432/test
    PYTHONPATH=$PWD python benchmarks/hours.py --trainees 1000       # smaller, quicker
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attendance import create_app
from attendance.clock import window
from attendance.config import database_url as normalise_url
from attendance.extensions import db
from attendance.hours.aggregate import trainee_month_hours
from attendance.models import Organisation

MONTH = date(2026, 3, 1)
GROUP_SIZE = 20
COMPOSANTES = 5
KINDS = ("centre", "centre", "distance", "autoformation")  # by half-day index, morning first

RAW_SQL = {
    "sqlite": """
        SELECT e.trainee_id, s.composante_id, s.kind,
               SUM(CASE WHEN e.status = 'present' AND (s.kind <> 'autoformation' OR e.confirmed)
                        THEN max(CAST((julianday(s.ends_at) - julianday(s.starts_at)) * 86400
                                      + 0.5 AS INTEGER) / 60
                                 - e.late_minutes - e.early_leave_minutes, 0)
                        ELSE 0 END)
        FROM emargement e JOIN slot s ON s.id = e.slot_id
        JOIN composante c ON c.id = s.composante_id
        WHERE c.purchase_order_id = :order AND s.organisation_id = :org
          AND s.starts_at >= :start AND s.starts_at < :end
        GROUP BY e.trainee_id, s.composante_id, s.kind
        ORDER BY e.trainee_id, s.composante_id, s.kind""",
    "postgresql": """
        SELECT e.trainee_id, s.composante_id, s.kind,
               SUM(CASE WHEN e.status = 'present' AND (s.kind <> 'autoformation' OR e.confirmed)
                        THEN GREATEST(FLOOR(EXTRACT(EPOCH FROM s.ends_at - s.starts_at) / 60)::int
                                      - e.late_minutes - e.early_leave_minutes, 0)
                        ELSE 0 END)
        FROM emargement e JOIN slot s ON s.id = e.slot_id
        JOIN composante c ON c.id = s.composante_id
        WHERE c.purchase_order_id = :order AND s.organisation_id = :org
          AND s.starts_at >= :start AND s.starts_at < :end
        GROUP BY e.trainee_id, s.composante_id, s.kind
        ORDER BY e.trainee_id, s.composante_id, s.kind""",
}


def weekdays(month: date) -> list[date]:
    days, day = [], month
    while day.month == month.month:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def bulk(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """executemany on SQLite, COPY on PostgreSQL: never the ORM one row at a time."""
    raw = connection.connection.dbapi_connection
    cursor = raw.cursor()
    if connection.dialect.name == "postgresql":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(["\\N" if v is None else v for v in row])
        buffer.seek(0)
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )
    else:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    cursor.close()


def stamp(value: datetime, dialect: str) -> str:
    """How UTCDateTime stores an instant on each database."""
    if dialect == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def load(connection, trainees: int, slots_per_group: int, corrections: int, seed: int):
    dialect = connection.dialect.name
    rng = random.Random(seed)
    now = stamp(datetime.now(UTC), dialect)
    yes, no = (1, 0) if dialect == "sqlite" else ("t", "f")
    org_id = connection.execute(
        text(
            "INSERT INTO organisation (name, siret, address, signatory_name, signatory_title, "
            "vat_exempt, vat_rate, created_at) VALUES ('Bench', '12345678900001', '', '', '', "
            ":yes, '0', :now) RETURNING id"
        ),
        {"yes": True, "now": now},
    ).scalar_one()
    dispositif_id = connection.execute(
        text("SELECT id FROM dispositif WHERE code = 'COMPETENCES_PLUS'")
    ).scalar_one()
    purchase_order_id = connection.execute(
        text(
            "INSERT INTO purchase_order (organisation_id, number, title, dispositif_id, mode, "
            "planned_start, planned_end, sites, planned_trainees, created_at) VALUES "
            "(:org, 'BENCH-1', 'Benchmark', :disp, 'hybride', :start, :end, '[]', :n, :now) "
            "RETURNING id"
        ),
        {
            "org": org_id,
            "disp": dispositif_id,
            "start": "2026-01-05",
            "end": "2026-12-18",
            "n": trainees,
            "now": now,
        },
    ).scalar_one()
    composante_ids = [
        connection.execute(
            text(
                "INSERT INTO composante (organisation_id, purchase_order_id, code, title, "
                "contracted_centre_minutes, contracted_company_minutes, unit_price, "
                "billing_unit) VALUES (:org, :order, :code, :code, :centre, 0, :price, "
                "'trainee_hour') RETURNING id"
            ),
            {
                "org": org_id,
                "order": purchase_order_id,
                "code": f"C{n}",
                "centre": trainees * 200 * 60,
                "price": str(Decimal("12.5000")),
            },
        ).scalar_one()
        for n in range(COMPOSANTES)
    ]

    first_trainee = 1 + (
        connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM trainee")).scalar_one()
    )
    bulk(
        connection,
        "trainee",
        ["id", "organisation_id", "last_name", "first_name", "boe", "aah", "created_at"],
        [
            (first_trainee + n, org_id, f"Nom{n}", f"Prénom{n}", no, no, now)
            for n in range(trainees)
        ],
    )

    days = weekdays(MONTH)
    half_days = [(day, pm) for day in days for pm in (False, True)][:slots_per_group]
    groups = (trainees + GROUP_SIZE - 1) // GROUP_SIZE
    first_slot = 1 + connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM slot")).scalar_one()
    slot_rows, sign_in_rows = [], []
    slot_id = first_slot
    for group in range(groups):
        composante_id = composante_ids[group % COMPOSANTES]
        members = range(
            first_trainee + group * GROUP_SIZE,
            min(first_trainee + (group + 1) * GROUP_SIZE, first_trainee + trainees),
        )
        for index, (day, pm) in enumerate(half_days):
            kind = KINDS[index % len(KINDS)]
            starts = datetime(
                day.year, day.month, day.day, 12 if pm else 8, 30 if pm else 0, tzinfo=UTC
            )
            slot_rows.append(
                (
                    slot_id,
                    org_id,
                    composante_id,
                    kind,
                    stamp(starts, dialect),
                    stamp(starts + timedelta(minutes=210), dialect),
                    "",
                    f"G{group}",
                    now,
                )
            )
            for trainee_id in members:
                roll = rng.random()
                status = "absent" if roll < 0.05 else "present"
                late = rng.choice((5, 10, 15, 30)) if 0.05 <= roll < 0.10 else 0
                early = rng.choice((15, 30, 60)) if 0.10 <= roll < 0.13 else 0
                confirmed = no if kind == "autoformation" and rng.random() < 0.1 else yes
                sign_in_rows.append(
                    (org_id, slot_id, trainee_id, status, "qr", late, early, confirmed, "{}", now)
                )
            slot_id += 1
    bulk(
        connection,
        "slot",
        [
            "id",
            "organisation_id",
            "composante_id",
            "kind",
            "starts_at",
            "ends_at",
            "title",
            "group_name",
            "created_at",
        ],
        slot_rows,
    )
    bulk(
        connection,
        "emargement",
        [
            "organisation_id",
            "slot_id",
            "trainee_id",
            "status",
            "method",
            "late_minutes",
            "early_leave_minutes",
            "confirmed",
            "evidence",
            "created_at",
        ],
        sign_in_rows,
    )
    correction_rows = []
    for _ in range(corrections):
        trainee_index = rng.randrange(trainees)
        composante_id = composante_ids[(trainee_index // GROUP_SIZE) % COMPOSANTES]
        correction_rows.append(
            (
                org_id,
                first_trainee + trainee_index,
                composante_id,
                "day",
                rng.choice(days).isoformat(),
                "centre",
                rng.randrange(0, 420),
                "Feuille papier",
                yes,
                "{}",
                now,
            )
        )
    bulk(
        connection,
        "correction",
        [
            "organisation_id",
            "trainee_id",
            "composante_id",
            "scope",
            "day",
            "hour_class",
            "minutes",
            "reason",
            "validated",
            "details",
            "created_at",
        ],
        correction_rows,
    )
    if dialect == "postgresql":
        for table in ("trainee", "slot"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
            )
        connection.execute(text("ANALYZE"))
    else:
        connection.execute(text("ANALYZE"))
    corrected = {(row[1], row[2]) for row in correction_rows}
    return org_id, purchase_order_id, len(sign_in_rows), corrected


def best_of(repeat: int, run):
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        default="sqlite",
        help="sqlite (a temporary file) or a PostgreSQL URL for a scratch db",
    )
    parser.add_argument("--trainees", type=int, default=10_000)
    parser.add_argument("--slots", type=int, default=44, help="half-day slots per group")
    parser.add_argument("--corrections", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    scratch = None
    if args.db == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-hours-")
        url = f"sqlite:///{folder}/bench.sqlite"
    else:
        admin = create_engine(normalise_url(args.db), isolation_level="AUTOCOMMIT")
        scratch = f"bench_hours_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = normalise_url(args.db).rsplit("/", 1)[0] + "/" + scratch
    try:
        run(url, args)
    finally:
        if scratch:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


def run(url: str, args) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-long-enough-for-hs256-0123456789ab",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-"),
        }
    )
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            org_id, purchase_order_id, sign_ins, corrected = load(
                connection, args.trainees, args.slots, args.corrections, args.seed
            )
        dialect = db.engine.dialect.name
        print(
            f"{dialect}: loaded {sign_ins} sign-ins in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        org = db.session.get(Organisation, org_id)
        win = window(MONTH)
        params = {
            "order": purchase_order_id,
            "org": org_id,
            "start": win.utc_from,
            "end": win.utc_to,
        }
        if dialect == "sqlite":  # stored as naive UTC text, compared as text
            params["start"], params["end"] = (
                stamp(win.utc_from, "sqlite"),
                stamp(win.utc_to, "sqlite"),
            )
        raw_sql = text(RAW_SQL[dialect])

        def engine_run():
            return trainee_month_hours(db.session, org, purchase_order_id, MONTH)

        def raw_run():
            with db.engine.connect() as connection:
                return connection.execute(raw_sql, params).all()

        # Warm both once (statement caches, pages in memory), then alternate best-of runs.
        engine_run(), raw_run()
        raw_s, raw_rows = best_of(args.repeat, raw_run)
        engine_s, engine_rows = best_of(args.repeat, engine_run)

        raw = {(t, c, k): int(m) for t, c, k, m in raw_rows}
        engine = {(r.trainee_id, r.composante_id, r.hour_class): r.minutes for r in engine_rows}
        assert raw.keys() == engine.keys(), "the engine and the raw SQL see different groups"
        untouched = [key for key in raw if key[:2] not in corrected]
        mismatched = [key for key in untouched if raw[key] != engine[key]]
        assert not mismatched, f"engine differs from raw SQL on {mismatched[:5]}"
        changed = sum(1 for key in raw if raw[key] != engine[key])
        print(
            f"{len(untouched)} groups identical, {changed} changed by "
            f"{args.corrections} corrections; {sum(engine.values()) / 60:.2f} h realised"
        )
        print(
            f"RESULT rows={len(engine_rows)} engine_s={engine_s:.3f} raw_sql_s={raw_s:.3f} "
            f"ratio={engine_s / raw_s:.2f}"
        )


if __name__ == "__main__":
    main()
