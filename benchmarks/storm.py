"""Sign-in storm: 50 slots of 20 trainees signing within one minute against the service
under gunicorn with PostgreSQL, each phone retrying as a phone does (timeout, 5xx or a cut
connection: the same payload again after a short back-off), then a count.

Every phone is bound and holds its page ticket (seeded with ``benchmarks/signin.py``'s
helpers); each starts at a random moment of the window. A phone's sign-in is *accepted*
when it got 201, or 409 ALREADY_SIGNED on a retry (its earlier try was stored but the answer
was lost). Afterwards: each accepted sign-in must be stored exactly once, none other stored,
no 5xx, and the evidence chain must verify.

    PYTHONPATH=$PWD python benchmarks/storm.py                  # 50 × 20 in 60 s, PostgreSQL
    PYTHONPATH=$PWD python benchmarks/storm.py --slots 10 --window 15 --db sqlite

Last line: ``RESULT accepted=… stored=… duplicates=… errors_5xx=… p99_ms=…``.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import signin as bench  # noqa: E402  (seed, gunicorn, database helpers)

TRAINEES_PER_SLOT = 20


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: dict[int, int | None] = {}  # phone -> emargement id (None: 409 retry)
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.retries = 0
        self.gave_up = 0


def _attempt(port: int, body: bytes, credential: str, timeout: float):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/api/signins",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Cookie": f"attendance_device={credential}",
                "User-Agent": "storm-phone",
            },
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def phone(index, job, port, signature, start_at, tally: Tally, timeout: float) -> None:
    slot_id, ticket, credential = job
    body = json.dumps({"slot_id": slot_id, "token": ticket, "signature": signature}).encode()
    time.sleep(max(0.0, start_at - time.monotonic()))
    delay, tries, deadline = 0.25, 0, time.monotonic() + 120
    while time.monotonic() < deadline:
        tries += 1
        began = time.perf_counter()
        try:
            status, payload = _attempt(port, body, credential, timeout)
        except OSError:  # timeout, refused, reset: retry the same payload
            status, payload = 0, b""
        elapsed = (time.perf_counter() - began) * 1000
        with tally.lock:
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status:
                tally.latencies.append(elapsed)
        if status == 201:
            with tally.lock:
                tally.accepted[index] = json.loads(payload)["emargement_id"]
            return
        if status == 409 and tries > 1 and json.loads(payload).get("code") == "ALREADY_SIGNED":
            with tally.lock:
                tally.accepted[index] = None
            return
        if status and status < 500 and status != 429:
            print(f"  phone {index}: refused {status} {payload[:160]!r}", file=sys.stderr)
            break
        with tally.lock:
            tally.retries += 1
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 4.0)
    with tally.lock:
        tally.gave_up += 1


def count_stored(url: str) -> tuple[int, int, set[int], bool]:
    from sqlalchemy import distinct, func, select, tuple_

    from attendance import create_app
    from attendance.evidence import verify_chain
    from attendance.extensions import db
    from attendance.models import Emargement, Organisation

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": bench.SECRET, "INSTANCE_PATH": "/tmp"}
    )
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Emargement))
        pairs = db.session.scalar(
            select(func.count(distinct(tuple_(Emargement.slot_id, Emargement.trainee_id))))
            if db.engine.dialect.name == "postgresql"
            else select(func.count()).select_from(
                select(Emargement.slot_id, Emargement.trainee_id).distinct().subquery()
            )
        )
        ids = set(db.session.scalars(select(Emargement.id)))
        report = verify_chain(db.session, db.session.scalars(select(Organisation)).one())
        db.engine.dispose()
    return rows, pairs, ids, report.ok


def storm(kind: str, args) -> dict:
    bench.ROOM_SIZE = TRAINEES_PER_SLOT  # seed() groups trainees by this module constant
    url, drop = bench.database(kind)
    try:
        total = args.slots * TRAINEES_PER_SLOT
        began = time.perf_counter()
        prepared = bench.seed(url, total)
        print(
            f"[{kind}] seeded {args.slots} slots × {TRAINEES_PER_SLOT} bound phones "
            f"in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        port = args.port + (0 if kind == "sqlite" else 1)
        server = bench.start_gunicorn(url, port, args.workers, args.threads)
        tally = Tally()
        signature = bench.signature_data_url()
        try:
            origin = time.monotonic() + 1
            threads = [
                threading.Thread(
                    target=phone,
                    args=(
                        i,
                        job,
                        port,
                        signature,
                        origin + random.uniform(0, args.window),
                        tally,
                        args.timeout,
                    ),
                )
                for i, job in enumerate(prepared)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - origin
        finally:
            server.terminate()
            server.wait(timeout=30)
        rows, pairs, ids, chain_ok = count_stored(url)
        acknowledged = {e for e in tally.accepted.values() if e is not None}
        lost = len(acknowledged - ids)
        result = {
            "db": kind,
            "accepted": len(tally.accepted),
            "stored": rows,
            "duplicates": rows - pairs,
            "errors_5xx": sum(n for s, n in tally.statuses.items() if s >= 500),
            "p99_ms": statistics.quantiles(tally.latencies, n=100)[98],
            "lost": lost,
        }
        print(
            f"[{kind}] {total} phones over {args.window:.0f} s (done in {elapsed:.1f} s): "
            f"accepted {result['accepted']}, stored {rows}, duplicates {result['duplicates']}, "
            f"acknowledged but missing {lost}, retries {tally.retries}, gave up {tally.gave_up}, "
            f"statuses {dict(sorted(tally.statuses.items()))}, p50 "
            f"{statistics.median(tally.latencies):.0f} ms, p99 {result['p99_ms']:.0f} ms, "
            f"evidence chain {'intact' if chain_ok else 'BROKEN'}",
            flush=True,
        )
        if lost or not chain_ok or rows != result["accepted"] or result["duplicates"]:
            print(f"[{kind}] INTEGRITY FAILURE", file=sys.stderr)
        return result
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    parser.add_argument("--slots", type=int, default=50)
    parser.add_argument("--window", type=float, default=60.0, help="seconds the storm lasts")
    parser.add_argument("--timeout", type=float, default=10.0, help="a phone's request timeout")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=18_741)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [storm(kind, args) for kind in kinds]
    worst = max(results, key=lambda r: (r["errors_5xx"], r["duplicates"], r["p99_ms"]))
    print(
        f"RESULT accepted={worst['accepted']} stored={worst['stored']} "
        f"duplicates={worst['duplicates']} errors_5xx={worst['errors_5xx']} "
        f"p99_ms={worst['p99_ms']:.1f}"
    )


if __name__ == "__main__":
    main()
