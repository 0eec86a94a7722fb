"""Benchmark: 1,000 certificates of a BDC in one batch against the bare template rendering.

The data is the hours benchmark's (``benchmarks/hours.py`` ``load``): trainees in groups of
20, 44 half-day slots each in March 2026 (centre, FAD, autoformation), sign-ins with some
absences, late arrivals and early departures, plus validated corrections for about 1 % of
the trainees (their certificates carry the correction notice); here each trainee also gets
a pathway, and the organisation a stamp and a signature image. Then, in the same run:

* batch: ``reports.batch.documents_zip`` for the certificates of the whole BDC and month:
  the hours engine's GROUP BY and the pathways read once for the BDC, one WeasyPrint
  render per trainee (one PDF each), all written into a zip;
* baseline: the same template rendered with one fixed certificate (three hour classes, no
  correction), as many times, interleaved with the batch (one after each of its files).

Both share the warm renderer (fonts, stylesheet, image cache), warmed once before timing.
The last line is ``RESULT docs=… batch_s=… baseline_s=… ratio=…`` (target ratio ≤ 1.3).

    PYTHONPATH=$PWD python benchmarks/documents.py                 # 1,000 certificates
    PYTHONPATH=$PWD python benchmarks/documents.py --docs 200      # quicker
"""

import argparse
import io
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import hours as hours_benchmark  # noqa: E402  (the sibling benchmark's data loader)

from attendance import create_app  # noqa: E402
from attendance.extensions import db  # noqa: E402
from attendance.models import Organisation  # noqa: E402
from reports.batch import documents_zip  # noqa: E402
from reports.certificates import CertificateData, document_context, render_certificates  # noqa: E402
from reports.period import Period  # noqa: E402
from tests.reports.images import tiny_png  # noqa: E402

MONTH = date(2026, 3, 1)


def add_pathways(connection, org_id: int, purchase_order_id: int) -> int:
    """One pathway per trainee on the composante of their group's slots."""
    rows = connection.execute(
        text(
            "SELECT e.trainee_id, MIN(s.composante_id) FROM emargement e "
            "JOIN slot s ON s.id = e.slot_id WHERE s.organisation_id = :org "
            "GROUP BY e.trainee_id"
        ),
        {"org": org_id},
    ).all()
    now = hours_benchmark.stamp(hours_benchmark.datetime.now(hours_benchmark.UTC), "sqlite")
    hours_benchmark.bulk(
        connection,
        "pathway",
        [
            "organisation_id",
            "trainee_id",
            "composante_id",
            "entry_date",
            "planned_exit_date",
            "prescribed_centre_minutes",
            "prescribed_company_minutes",
            "status",
            "created_at",
        ],
        [
            (org_id, trainee, composante, "2026-03-02", "2026-07-03", 9000, 0, "in_training", now)
            for trainee, composante in rows
        ],
    )
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="trainees, so certificates")
    parser.add_argument("--slots", type=int, default=44, help="half-day slots per group")
    parser.add_argument(
        "--corrections", type=int, default=None, help="validated corrections (default 1 %%)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.corrections is None:
        args.corrections = max(1, args.docs // 100)  # as in benchmarks/hours.py

    folder = tempfile.mkdtemp(prefix="bench-documents-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-long-enough-for-hs256-0123456789ab",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-"),
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            org_id, purchase_order_id, sign_ins, _ = hours_benchmark.load(
                connection, args.docs, args.slots, args.corrections, args.seed
            )
            pathways = add_pathways(connection, org_id, purchase_order_id)
        org = db.session.get(Organisation, org_id)
        org.address = "12 allée Jean Jaurès, 31000 Toulouse"
        org.signatory_name, org.signatory_title = "Claire Bernard", "Directrice"
        org.stamp_png = tiny_png((180, 30, 30), (120, 120))
        org.signature_png = tiny_png((20, 20, 120), (160, 50))
        db.session.commit()
        print(f"loaded {sign_ins} sign-ins, {pathways} pathways", flush=True)

        period = Period.month(MONTH)
        shared = document_context(org)
        fixed = CertificateData(
            trainee_id=1,
            trainee_name="DUPONT Marie",
            external_id=None,
            order_number="BENCH-1",
            programme="Benchmark",
            action_titles=["C0"],
            start=date(2026, 3, 2),
            end=date(2026, 3, 31),
            period=period,
            minutes_by_class={"centre": 4200, "distance": 2100, "autoformation": 1900},
        )
        render_certificates([fixed], shared)  # warm fonts, stylesheet and image cache

        # The baseline renders are interleaved with the batch's, one after each certificate
        # the batch writes (its progress callback), so a neighbour's load on this shared
        # machine weighs on both alike; their time is counted to the baseline only.
        baseline_s = 0.0

        def baseline_render(_step: int) -> None:
            nonlocal baseline_s
            started = time.perf_counter()
            render_certificates([fixed], shared)
            baseline_s += time.perf_counter() - started

        buffer = io.BytesIO()
        started = time.perf_counter()
        written = documents_zip(
            db.session,
            org,
            purchase_order_id,
            period,
            buffer,
            kinds=("certificats",),
            progress=baseline_render,
        )
        batch_s = time.perf_counter() - started - baseline_s

        archive = zipfile.ZipFile(buffer)
        assert written == args.docs == len(archive.namelist()), (written, args.docs)
        print(f"zip: {written} PDFs, {buffer.tell() / 1e6:.1f} MB")
        print(
            f"RESULT docs={written} batch_s={batch_s:.2f} baseline_s={baseline_s:.2f} "
            f"ratio={batch_s / baseline_s:.2f}"
        )


if __name__ == "__main__":
    main()
