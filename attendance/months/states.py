"""Month states of a BDC (R11, FAQ 44): draft → synchronised (re-sync allowed) → validated.

Synchronising freezes the declaration as a numbered snapshot; validating locks the month for
every write path (``lock.ensure_open``); reopening is an administrator's act with a reason,
recorded as evidence.
"""

import hashlib
import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import Conflict, DomainError, Forbidden, RuleViolation
from attendance.models import MonthDeclaration, MonthPeriod, Organisation, PurchaseOrder, User
from attendance.models.types import utcnow
from attendance.months.lock import month_label
from attendance.tenancy import get_owned

DRAFT, SYNCHRONISED, VALIDATED = "draft", "synchronised", "validated"
STATE_LABELS = {DRAFT: "Brouillon", SYNCHRONISED: "Synchronisé", VALIDATED: "Validé"}


def checksum(content: dict) -> str:
    """A stable digest of the declared figures: equal figures, equal checksum."""
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def get_period(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    *,
    create: bool,
    lock: bool = False,
) -> MonthPeriod | None:
    """The BDC's month; ``lock`` holds its row FOR UPDATE until commit, so writes that check
    the month lock (``lock.ensure_open``) wait for a validation in progress."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    month = month.replace(day=1)
    statement = select(MonthPeriod).where(
        MonthPeriod.purchase_order_id == order.id, MonthPeriod.month == month
    )
    if lock:
        statement = statement.with_for_update()
    period = session.scalar(statement)
    if period is None and create:
        period = MonthPeriod(organisation_id=org.id, purchase_order_id=order.id, month=month)
        session.add(period)
        session.flush()
    return period


def latest_declaration(session: Session, period: MonthPeriod) -> MonthDeclaration | None:
    return session.scalar(
        select(MonthDeclaration)
        .where(MonthDeclaration.month_period_id == period.id)
        .order_by(MonthDeclaration.version.desc())
        .limit(1)
    )


def refuse_if_validated(period: MonthPeriod) -> None:
    if period.state == VALIDATED:
        raise Conflict(
            "MONTH_VALIDATED",
            f"Le mois de {month_label(period.month)} est validé : il ne peut plus être "
            "synchronisé ni modifié. Un administrateur peut le rouvrir avec un motif.",
            {"month": f"{period.month:%Y-%m}"},
        )


def record_snapshot(
    session: Session, period: MonthPeriod, content: dict, actor: User | None
) -> MonthDeclaration:
    """Freeze ``content`` (rows, grid, totals) as the next version of the month."""
    refuse_if_validated(period)
    period.version += 1
    declaration = MonthDeclaration(
        organisation_id=period.organisation_id,
        month_period_id=period.id,
        version=period.version,
        created_by_id=actor.id if actor else None,
        checksum=checksum(content),
        rows=content["rows"],
        grid=content["grid"],
        totals=content["totals"],
    )
    session.add(declaration)
    period.state = SYNCHRONISED
    period.synchronised_at = utcnow()
    session.flush()
    return declaration


def mark_validated(
    session: Session,
    period: MonthPeriod,
    current: dict,
    blockers: list[dict],
    actor: User,
    figures: dict,
) -> MonthPeriod:
    """Lock the month when it was synchronised, nothing changed since, and nothing blocks;
    ``figures`` are its billing figures, frozen with it (``hours.billable``)."""
    refuse_if_validated(period)
    latest = latest_declaration(session, period)
    if period.state != SYNCHRONISED or latest is None:
        raise Conflict(
            "MONTH_NOT_SYNCHRONISED",
            f"Synchronisez le mois de {month_label(period.month)} avant de le valider.",
        )
    if blockers:
        raise RuleViolation(
            "MONTH_HAS_BLOCKERS",
            f"Le mois de {month_label(period.month)} ne peut pas être validé : "
            f"{len(blockers)} point(s) à régler (séances non signées ou non validées, "
            "corrections en attente).",
            {"blockers": blockers},
        )
    if checksum(current) != latest.checksum:
        raise Conflict(
            "MONTH_CHANGED_SINCE_SYNC",
            "Des heures ont changé depuis la dernière synchronisation : synchronisez de "
            "nouveau, vérifiez, puis validez.",
            {"version": latest.version},
        )
    period.state = VALIDATED
    period.figures = figures
    period.validated_at = utcnow()
    period.validated_by_id = actor.id
    session.flush()
    return period


def reopen(session: Session, period: MonthPeriod, actor: User, reason: str) -> MonthPeriod:
    """An administrator's act: the month goes back to synchronised, the reason is kept."""
    if actor.role != "admin":
        raise Forbidden("Seul un administrateur peut rouvrir un mois validé.")
    if period.state != VALIDATED:
        raise Conflict("MONTH_NOT_VALIDATED", "Ce mois n'est pas validé : rien à rouvrir.")
    if not reason or not reason.strip():
        raise DomainError("REASON_REQUIRED", "Indiquez le motif de la réouverture.")
    period.state = SYNCHRONISED
    period.figures = None
    period.validated_at = None
    period.validated_by_id = None
    session.flush()
    return period
