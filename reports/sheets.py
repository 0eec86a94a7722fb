"""Feuilles d'émargement: per slot (every trainee expected), and per week and trainee (every
half-day). Each line shows the trainee's signature image, the time and method of signing,
the trainer's signature and any correctif horaire covering it (R12, marked as exceptional).

What controllers check (DOMAIN.md, "Half-days"): one proof per half-day, signed by the
trainee and by the trainer who taught. A trainee expected but not signed shows as such.
The data is loaded with a fixed number of statements for any number of slots.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from attendance.clock import first_of_month, half_day, local_day, local_midnight_utc
from attendance.errors import DomainError
from attendance.hours.classes import LABELS_FR
from attendance.models import (
    Composante,
    Correction,
    Emargement,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
    User,
)
from attendance.tenancy import get_owned
from reports.certificates import document_context
from reports.pdf import date_fr, hours_fr, png_data_uri, render_pdf

SLOT_TEMPLATE = "sheet_slot.html"
WEEK_TEMPLATE = "sheet_week.html"
STATUS_FR = {"present": "Présent", "absent": "Absent", "missing": "Non signé"}


@dataclass
class SlotInfo:
    id: int
    starts_at: datetime
    ends_at: datetime
    day: date
    half_day: str
    kind_label: str
    title: str
    place: str
    composante: str
    order_number: str
    trainer_name: str
    trainer_signature: str | None
    validated_at: datetime | None


@dataclass
class SheetLine:
    slot: SlotInfo
    trainee_id: int
    trainee_name: str
    status: str
    signed_at: datetime | None = None
    method: str | None = None
    late_minutes: int = 0
    early_leave_minutes: int = 0
    signature: str | None = None
    absence_reason: str | None = None
    corrections: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_FR[self.status]


@dataclass
class SlotSheet:
    slot: SlotInfo
    lines: list[SheetLine]


@dataclass
class WeekSheet:
    trainee_name: str
    external_id: str | None
    monday: date
    lines: list[SheetLine]

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def _slot_info(slot: Slot, composante, order_number, trainer) -> SlotInfo:
    return SlotInfo(
        id=slot.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        day=local_day(slot.starts_at),
        half_day=half_day(slot.starts_at).capitalize(),
        kind_label=LABELS_FR.get(slot.kind, slot.kind),
        title=slot.title or composante.title,
        place=slot.site or slot.company_name or ("Classe virtuelle" if slot.online_url else "—"),
        composante=f"{composante.code} — {composante.title}",
        order_number=order_number,
        trainer_name=trainer.full_name if trainer else "—",
        trainer_signature=png_data_uri(slot.trainer_signature_png),
        validated_at=slot.validated_at,
    )


def _correction_text(correction: Correction) -> str:
    state = "validé" if correction.validated else "en attente de validation"
    scope = (
        f"journée du {date_fr(correction.day)}"
        if correction.scope == "day"
        else f"mois de {correction.day:%m/%Y}"
    )
    return (
        f"Correctif horaire {state} : {scope} portée à {hours_fr(correction.minutes)}"
        f" — {correction.reason}"
    )


def sheet_lines(
    session: Session, org: Organisation, slots: list[Slot], trainee_id: int | None = None
) -> list[SheetLine]:
    """One line per (slot, trainee expected or signed), in slot then name order; five
    statements whatever the number of slots."""
    if not slots:
        return []
    slot_ids = [slot.id for slot in slots]
    composante_ids = {slot.composante_id for slot in slots}
    composantes = {
        c.id: c
        for c in session.scalars(select(Composante).where(Composante.id.in_(composante_ids)))
    }
    orders = dict(
        session.execute(
            select(PurchaseOrder.id, PurchaseOrder.number).where(
                PurchaseOrder.id.in_({c.purchase_order_id for c in composantes.values()})
            )
        ).all()
    )
    trainer_ids = {slot.trainer_id for slot in slots if slot.trainer_id}
    trainers = {u.id: u for u in session.scalars(select(User).where(User.id.in_(trainer_ids)))}

    signed = select(Emargement, Trainee).join(Trainee, Trainee.id == Emargement.trainee_id)
    signed = signed.where(Emargement.organisation_id == org.id, Emargement.slot_id.in_(slot_ids))
    pathways = select(Pathway, Trainee).join(Trainee, Trainee.id == Pathway.trainee_id)
    pathways = pathways.where(
        Pathway.organisation_id == org.id, Pathway.composante_id.in_(composante_ids)
    )
    if trainee_id is not None:
        signed = signed.where(Emargement.trainee_id == trainee_id)
        pathways = pathways.where(Pathway.trainee_id == trainee_id)
    by_slot: dict[int, dict[int, tuple]] = defaultdict(dict)
    for emargement, trainee in session.execute(signed):
        by_slot[emargement.slot_id][trainee.id] = (trainee, emargement)
    running = defaultdict(list)
    for pathway, trainee in session.execute(pathways):
        exit_date = pathway.effective_exit_date or pathway.planned_exit_date
        running[pathway.composante_id].append((pathway.entry_date, exit_date, trainee))
    corrections = _corrections(session, org, slots, composante_ids, trainee_id)

    lines = []
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id)):
        composante = composantes[slot.composante_id]
        info = _slot_info(
            slot, composante, orders[composante.purchase_order_id], trainers.get(slot.trainer_id)
        )
        people = dict(by_slot[slot.id])
        if slot.trainee_id is not None:  # a company slot is one trainee's
            if trainee_id in (None, slot.trainee_id) and slot.trainee_id not in people:
                people[slot.trainee_id] = (slot.trainee, None)
        else:
            for entry, exit_date, trainee in running[slot.composante_id]:
                if entry <= info.day <= exit_date and trainee.id not in people:
                    people[trainee.id] = (trainee, None)
        for trainee, emargement in sorted(
            people.values(), key=lambda pair: (pair[0].last_name, pair[0].first_name, pair[0].id)
        ):
            line = SheetLine(info, trainee.id, trainee.display_name, "missing")
            if emargement is not None:
                line.status = emargement.status
                line.signed_at = emargement.signed_at
                line.method = emargement.method
                line.late_minutes = emargement.late_minutes
                line.early_leave_minutes = emargement.early_leave_minutes
                line.signature = png_data_uri(emargement.signature_png)
                line.absence_reason = emargement.absence_reason
            line.corrections = [
                _correction_text(c)
                for c in corrections.get((trainee.id, slot.composante_id, slot.kind), [])
                if (c.scope == "day" and c.day == info.day)
                or (c.scope == "month" and c.day == first_of_month(info.day))
            ]
            lines.append(line)
    return lines


def _corrections(session, org, slots, composante_ids, trainee_id) -> dict:
    """Corrections (validated or pending) of the days and months the slots cover."""
    days = [local_day(slot.starts_at) for slot in slots]
    statement = select(Correction).where(
        Correction.organisation_id == org.id,
        Correction.composante_id.in_(composante_ids),
        Correction.day >= first_of_month(min(days)),
        Correction.day <= max(days),
    )
    if trainee_id is not None:
        statement = statement.where(Correction.trainee_id == trainee_id)
    found = defaultdict(list)
    for correction in session.scalars(statement.order_by(Correction.id)):
        found[(correction.trainee_id, correction.composante_id, correction.hour_class)].append(
            correction
        )
    return found


def slot_sheets(session: Session, org: Organisation, slots: list[Slot]) -> list[SlotSheet]:
    lines = sheet_lines(session, org, slots)
    grouped = defaultdict(list)
    for line in lines:
        grouped[line.slot.id].append(line)
    infos = {line.slot.id: line.slot for line in lines}
    sheets = []
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id)):
        info = infos.get(slot.id)
        if info is None:  # nobody expected nor signed: still a sheet with the trainer's box
            composante = session.get(Composante, slot.composante_id)
            order = session.get(PurchaseOrder, composante.purchase_order_id)
            info = _slot_info(slot, composante, order.number, slot.trainer)
        sheets.append(SlotSheet(info, grouped.get(slot.id, [])))
    return sheets


def render_slot_sheets(sheets: list[SlotSheet], shared: dict) -> bytes:
    return render_pdf(SLOT_TEMPLATE, sheets=sheets, **shared)


def slot_sheet_pdf(session: Session, org: Organisation, slot_id: int) -> bytes:
    """The sign-in sheet of one slot (séance)."""
    slot = get_owned(session, Slot, slot_id, org, "séance")
    sheets = slot_sheets(session, org, [slot])
    order = session.get(PurchaseOrder, slot.composante.purchase_order_id)
    return render_slot_sheets(sheets, document_context(org, order))


def parse_week(text: str) -> date:
    """« 2026-W10 » (ISO week) or any date of the week « 2026-03-04 » → its Monday."""
    try:
        if "W" in text.upper():
            year, week = text.upper().split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        day = date.fromisoformat(text)
        return day - timedelta(days=day.weekday())
    except ValueError as exc:
        raise DomainError(
            "INVALID_WEEK",
            f"Semaine invalide « {text} » : utilisez 2026-W10 ou une date 2026-03-02.",
            {"week": text},
        ) from exc


def week_sheet(session: Session, org: Organisation, trainee_id: int, monday: date) -> WeekSheet:
    """Every half-day of one trainee's week: group slots of their composantes while their
    pathway runs, their company slots, and any slot they signed."""
    trainee = get_owned(session, Trainee, trainee_id, org, "stagiaire")
    start = local_midnight_utc(monday)
    end = local_midnight_utc(monday + timedelta(days=7))
    their_composantes = select(Pathway.composante_id).where(
        Pathway.organisation_id == org.id, Pathway.trainee_id == trainee.id
    )
    their_signed = select(Emargement.slot_id).where(
        Emargement.organisation_id == org.id, Emargement.trainee_id == trainee.id
    )
    slots = session.scalars(
        select(Slot).where(
            Slot.organisation_id == org.id,
            Slot.starts_at >= start,
            Slot.starts_at < end,
            or_(
                Slot.trainee_id == trainee.id,
                (Slot.trainee_id.is_(None)) & Slot.composante_id.in_(their_composantes),
                Slot.id.in_(their_signed),
            ),
        )
    ).all()
    lines = sheet_lines(session, org, list(slots), trainee_id=trainee.id)
    return WeekSheet(trainee.display_name, trainee.external_id, monday, lines)


def week_sheet_pdf(session: Session, org: Organisation, trainee_id: int, monday: date) -> bytes:
    sheet = week_sheet(session, org, trainee_id, monday)
    first_order = session.scalar(
        select(func.min(Composante.purchase_order_id))
        .join(Pathway, Pathway.composante_id == Composante.id)
        .where(Pathway.organisation_id == org.id, Pathway.trainee_id == trainee_id)
    )
    order = session.get(PurchaseOrder, first_order) if first_order else None
    return render_pdf(WEEK_TEMPLATE, sheet=sheet, **document_context(org, order))
