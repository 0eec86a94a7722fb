"""Declaration export speed: our xlsx writer against plain openpyxl write-only mode.

Both write the same 10,000 trainee rows and the same day-by-day grid, in the same run; ours
adds the formatting (number and date formats, header style, widths, print setup, totals).
Run: python benchmarks/declaration.py [--trainees N]. Not part of the test suite.
"""

import argparse
import io
import random
import time
from datetime import date, timedelta

from openpyxl import Workbook

from reports.declaration_xlsx import COLUMNS, _value, write_declaration

MONTH = date(2026, 11, 1)
DAYS = [MONTH + timedelta(days=i) for i in range(30)]


def make_rows(count: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    rows, grid = [], []
    for index in range(count):
        per_day = {d.isoformat(): rng.choice((0, 180, 210, 420)) for d in DAYS if d.weekday() < 5}
        presentiel = sum(per_day.values())
        identity = {
            "last_name": f"Nom{index:05d}",
            "first_name": "Prénom",
            "composante_code": f"C{index % 3}",
        }
        rows.append(
            {
                **identity,
                "external_id": f"K{index}",
                "entry_date": "2026-09-01",
                "planned_exit_date": "2027-01-29",
                "effective_exit_date": None,
                "status": "in_training",
                "presentiel_minutes": presentiel,
                "fad_minutes": 60,
                "autoformation_minutes": 120,
                "autoformation_over_cap_minutes": 0,
                "regroupement_minutes": 0,
                "centre_minutes": presentiel + 180,
                "company_minutes": 0,
                "absence_minutes": rng.choice((0, 10, 210)),
                "correction_minutes": 0,
                "flags": ["R1 alerte"] if index % 50 == 0 else [],
            }
        )
        grid.append({**identity, "days": {k: v for k, v in per_day.items() if v}})
    return rows, grid


def raw_openpyxl(rows: list[dict], grid: list[dict]) -> bytes:
    """The baseline: the same cell values, write-only, no formatting at all."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Déclaration")
    sheet.append([header for header, *_ in COLUMNS])
    for row in rows:
        sheet.append([_value(row, key, kind) for _, key, kind, _ in COLUMNS])
    grid_sheet = book.create_sheet("Jour par jour")
    keys = [d.isoformat() for d in DAYS]
    grid_sheet.append(["Nom", "Prénom", "Composante", *[f"{d:%d/%m}" for d in DAYS], "Total"])
    for line in grid:
        days = line["days"]
        grid_sheet.append(
            [
                line["last_name"],
                line["first_name"],
                line["composante_code"],
                *[round(days[k] / 60, 2) if days.get(k) else None for k in keys],
                round(sum(days.values()) / 60, 2),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def best_of_interleaved(runs: int, *actions) -> list[float]:
    """Alternate the contenders so that neither always runs on a warmer (or busier) machine."""
    best = [float("inf")] * len(actions)
    for _ in range(runs):
        for index, action in enumerate(actions):
            start = time.perf_counter()
            action()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainees", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows, grid = make_rows(args.trainees)
    title = "Déclaration de suivi — BDC 2026-42 — novembre 2026"
    export_s, raw_s = best_of_interleaved(
        args.runs,
        lambda: write_declaration(rows, grid, DAYS, title),
        lambda: raw_openpyxl(rows, grid),
    )
    print(f"trainees={args.trainees} runs={args.runs} (best of)")
    print(
        f"RESULT rows={len(rows)} export_s={export_s:.3f} raw_openpyxl_s={raw_s:.3f} "
        f"ratio={export_s / raw_s:.2f}"
    )


if __name__ == "__main__":
    main()
