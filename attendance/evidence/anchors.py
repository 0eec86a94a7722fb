"""Anchors: chain heads ({chain: (seq, hash)}) kept outside the log's own tables, so a chain
whose last entries were deleted and its head moved back — which the chain alone cannot
show — is caught: the anchored entry is gone, or is another one.

Where they are kept: each validated month's declaration and each issued invoice (with the
digest printed on the PDF), the daily staff e-mail, and ``attendance audit anchor`` files
an operator keeps on another machine (docs/operations.md). An anchor is one JSON line:
``{"siret", "taken_at", "heads", "digest"}``; ``digest`` is ``heads_digest(heads)``.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.evidence.chain import ORGANISATION, canonical, slot_chain
from attendance.models import (
    Composante,
    EvidenceEntry,
    EvidenceHead,
    Invoice,
    MonthDeclaration,
    MonthPeriod,
    Organisation,
    PurchaseOrder,
    Slot,
)
from attendance.models.types import utcnow

_HEADS = EvidenceHead.__table__


@dataclass
class Anchor:
    source: str  # French, for reports: « la facture F-2026-0001 », « l'ancre du … »
    heads: dict[str, tuple[int, str]]
    digest_ok: bool = True


def heads_digest(heads: dict) -> str:
    """One compact digest over the heads, printed where a whole map would not fit."""
    plain = {chain: [int(seq), str(last)] for chain, (seq, last) in heads.items()}
    return hashlib.sha256(canonical(plain)).hexdigest()


def take_anchor(session: Session, org: Organisation, chains: Iterable[str] | None = None) -> dict:
    """The organisation's heads as they stand in this transaction (all of them, or those of
    ``chains``), read from the table so heads moved by ``append`` in this very transaction
    are seen."""
    statement = select(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.last_hash).where(
        _HEADS.c.organisation_id == org.id, _HEADS.c.seq > 0
    )
    if chains is not None:
        statement = statement.where(_HEADS.c.chain.in_(set(chains)))
    heads = {chain: [seq, last] for chain, seq, last in session.execute(statement)}
    return {
        "siret": org.siret,
        "taken_at": utcnow().isoformat(timespec="seconds"),
        "heads": dict(sorted(heads.items())),
        "digest": heads_digest(heads),
    }


def anchor_line(anchor: dict) -> str:
    return json.dumps(anchor, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def month_chains(session: Session, purchase_order_id: int, month: date) -> list[str]:
    """The organisation's chain and those of the BDC's slots in the month: what a month's
    declaration, or its invoice, rests on."""
    window = clock.window(month)
    slot_ids = session.scalars(
        select(Slot.id)
        .join(Composante, Composante.id == Slot.composante_id)
        .where(Composante.purchase_order_id == purchase_order_id, window.holds(Slot.starts_at))
    )
    return [ORGANISATION, *(slot_chain(slot_id) for slot_id in slot_ids)]


def recent_chains(session: Session, org: Organisation, since: datetime) -> list[str]:
    """The organisation's chain and every chain written to since ``since`` (the daily mail)."""
    written = session.scalars(
        select(EvidenceEntry.chain)
        .where(EvidenceEntry.organisation_id == org.id, EvidenceEntry.at >= since)
        .distinct()
    )
    return sorted({ORGANISATION, *written})


def _anchor(source: str, data: dict) -> Anchor:
    heads = {chain: (int(seq), str(last)) for chain, (seq, last) in data["heads"].items()}
    digest_ok = data.get("digest") in (None, heads_digest(heads))
    return Anchor(source, heads, digest_ok)


def stored_anchors(session: Session, org: Organisation) -> list[Anchor]:
    """The anchors kept with the organisation's validated months and invoices."""
    found = []
    declarations = session.execute(
        select(MonthDeclaration, MonthPeriod.month, PurchaseOrder.number)
        .join(MonthPeriod, MonthPeriod.id == MonthDeclaration.month_period_id)
        .join(PurchaseOrder, PurchaseOrder.id == MonthPeriod.purchase_order_id)
        .where(
            MonthDeclaration.organisation_id == org.id,
            MonthDeclaration.evidence_heads.is_not(None),
        )
        .order_by(MonthDeclaration.id)
    )
    for declaration, month, number in declarations:
        source = f"la déclaration de {month:%m/%Y} du BDC {number} (v{declaration.version})"
        found.append(_anchor(source, declaration.evidence_heads))
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.organisation_id == org.id, Invoice.evidence_heads.is_not(None))
        .order_by(Invoice.id)
    )
    for invoice in invoices:
        label = "l'avoir" if invoice.kind == "credit_note" else "la facture"
        found.append(_anchor(f"{label} {invoice.number}", invoice.evidence_heads))
    return found


def read_anchor_files(path: Path) -> Iterator[tuple[str, Anchor]]:
    """(siret, anchor) for every anchor line in ``path`` (a file, or every file under a
    directory): JSON lines from ``audit anchor``, or the line in a saved staff e-mail.
    Other lines are skipped, so whole mails can be kept as they are."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not (line.startswith("{") and '"heads"' in line):
                continue
            try:
                data = json.loads(line)
                siret, taken_at = data["siret"], data.get("taken_at", "?")
                anchor = _anchor(f"l'ancre du {taken_at} ({file.name}:{number})", data)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            yield siret, anchor
