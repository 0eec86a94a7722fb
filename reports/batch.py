"""Every document of a BDC and period in one zip: certificates (one PDF per trainee),
monthly attestations d'assiduité and per-slot sign-in sheets.

The data is read first, with a fixed number of GROUP BY / IN statements for the whole BDC
(never one query per trainee); then each document is rendered on its own and streamed into
the zip, reporting progress after each, so the CLI can show a bar.
"""

import gc
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.clock import months_between, window
from attendance.errors import DomainError
from attendance.models import Composante, Organisation, PurchaseOrder, Slot
from attendance.tenancy import get_owned
from reports.assiduite import attestations_for_order, render_attestations
from reports.certificates import certificates_for_order, document_context, render_certificates
from reports.period import Period
from reports.sheets import render_slot_sheets, slot_sheets

KINDS = ("certificats", "assiduite", "emargement")
MAX_MONTHS = 24


@dataclass
class BatchItem:
    """One file of the zip: its name and how to render it (rendering waits for the writer)."""

    name: str
    render: Callable[[], bytes]


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def batch_items(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    period: Period,
    kinds: Iterable[str] = KINDS,
) -> list[BatchItem]:
    """The files of the zip, data already loaded; rendering happens in ``write_zip``."""
    kinds = tuple(kinds)
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise DomainError(
            "INVALID_DOCUMENT_KIND",
            f"Type de document inconnu {unknown} : choisissez parmi {', '.join(KINDS)}.",
            {"kinds": list(kinds)},
        )
    months = months_between(period.first_month, period.last_month)
    if len(months) > MAX_MONTHS:
        raise DomainError(
            "PERIOD_TOO_LONG",
            f"Période trop longue ({len(months)} mois) : un lot de documents couvre au plus "
            f"{MAX_MONTHS} mois. Demandez plusieurs lots.",
            {"months": len(months), "max_months": MAX_MONTHS},
            status=422,
        )
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    shared = document_context(org, order)
    items: list[BatchItem] = []
    if "certificats" in kinds:
        for cert in certificates_for_order(session, org, order.id, period):
            items.append(
                BatchItem(
                    f"certificats/{_safe(cert.file_stem)}.pdf",
                    lambda cert=cert: render_certificates([cert], shared),
                )
            )
    if "assiduite" in kinds:
        for month in months:
            for att in attestations_for_order(session, org, order.id, month):
                items.append(
                    BatchItem(
                        f"assiduite/{_safe(att.file_stem)}.pdf",
                        lambda att=att: render_attestations([att], shared),
                    )
                )
    if "emargement" in kinds:
        win = window(period.first_month, period.last_month)
        slots = session.scalars(
            select(Slot)
            .join(Composante, Composante.id == Slot.composante_id)
            .where(
                Slot.organisation_id == org.id,
                Composante.purchase_order_id == order.id,
                win.holds(Slot.starts_at),
            )
            .order_by(Slot.starts_at, Slot.id)
        ).all()
        for sheet in slot_sheets(session, org, list(slots)):
            stem = f"{sheet.slot.day:%Y-%m-%d}_{sheet.slot.half_day}_seance_{sheet.slot.id}"
            items.append(
                BatchItem(
                    f"emargement/{_safe(stem)}.pdf",
                    lambda sheet=sheet: render_slot_sheets([sheet], shared),
                )
            )
    return items


def write_zip(
    items: list[BatchItem], out: BinaryIO, progress: Callable[[int], object] | None = None
) -> int:
    """Render each item into ``out`` as a zip; PDFs are compressed already, so stored as is.
    Returns the number of files written.

    The data loaded for the batch lives until the end; ``gc.freeze`` sets it (and the app)
    aside so the collector's full passes during a thousand renders scan only what each
    render allocates.
    """
    gc.freeze()
    try:
        return _write(items, out, progress)
    finally:
        gc.unfreeze()


def _write(items, out, progress) -> int:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for item in items:
            archive.writestr(item.name, item.render())
            if progress is not None:
                progress(1)
    return len(items)


def documents_zip(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    period: Period,
    out: BinaryIO,
    kinds: Iterable[str] = KINDS,
    progress: Callable[[int], object] | None = None,
) -> int:
    """The whole batch for a BDC and period written to ``out``; returns the file count."""
    return write_zip(batch_items(session, org, purchase_order_id, period, kinds), out, progress)
