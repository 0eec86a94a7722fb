"""The staff digest: every morning, billing staff get the month's finished slots that still
miss a trainee's sign-in or the trainer's validation, so they chase them before the month
closes rather than after (DOMAIN "What users expect"). The figures are the hours engine's
compliance view (``attendance.hours.compliance``), the one the month page shows.

Each mail also carries an anchor of the evidence log (``evidence.anchors``): the heads of
the chains written to in the last two days, as one JSON line that ``attendance audit verify
--anchors`` reads from the saved mail, so the mailbox keeps a copy of the heads outside the
database."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import clock, evidence
from attendance.hours.compliance import SlotLine, compliance_view
from attendance.models import Organisation, PurchaseOrder, User
from attendance.models.types import utcnow
from attendance.months.lock import month_label
from attendance.notify.channels import Channel, Message

ANCHOR_WINDOW = timedelta(days=2)  # the digest runs daily: a missed day is still covered


@dataclass
class OrderDigest:
    number: str
    unsigned: list[SlotLine] = field(default_factory=list)
    not_validated: list[SlotLine] = field(default_factory=list)


@dataclass
class DigestReport:
    sent: int = 0
    failed: int = 0
    nothing_to_report: int = 0
    errors: list[str] = field(default_factory=list)


def staff_recipients(session: Session, org: Organisation) -> list[User]:
    """Billing staff; an organisation without any gets its administrators."""
    users = session.scalars(
        select(User).where(User.organisation_id == org.id, User.active.is_(True)).order_by(User.id)
    ).all()
    billing = [u for u in users if u.role == "billing"]
    return billing or [u for u in users if u.role == "admin"]


def month_digest(session: Session, org: Organisation, month: date, now: datetime):
    """Per BDC running in the month, its finished slots missing a sign-in or a validation."""
    end = clock.next_month(month)
    orders = session.scalars(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.organisation_id == org.id,
            PurchaseOrder.planned_start < end,
            PurchaseOrder.planned_end >= month,
        )
        .order_by(PurchaseOrder.number)
    ).all()
    digests = []
    for order in orders:
        view = compliance_view(session, org, order.id, month, now)
        finished = [s for s in view.slots if s.ends_at <= now]
        digest = OrderDigest(
            order.number,
            [s for s in finished if s.missing_trainees],
            [s for s in finished if not s.validated],
        )
        if digest.unsigned or digest.not_validated:
            digests.append(digest)
    return digests


def _line(slot: SlotLine, zone: ZoneInfo) -> str:
    start = slot.starts_at.astimezone(zone)
    trainer = f" — {slot.trainer_name}" if slot.trainer_name else ""
    return f"{slot.title or slot.composante_code} du {start:%d/%m à %H:%M}{trainer}"


def digest_message(
    org: Organisation,
    month: date,
    digests: list[OrderDigest],
    to: str,
    anchor: dict | None = None,
):
    zone = clock.zone()
    parts = [
        "Bonjour,\n",
        f"Points à régler avant la clôture de {month_label(month)} ({org.name}) :",
    ]
    for digest in digests:
        parts.append(f"\nBDC {digest.number}")
        if digest.unsigned:
            parts.append(f"  Émargements manquants ({len(digest.unsigned)} séance(s)) :")
            parts += [
                f"    - {_line(s, zone)} : {', '.join(s.missing_trainees)}" for s in digest.unsigned
            ]
        if digest.not_validated:
            parts.append(f"  Séances non validées ({len(digest.not_validated)}) :")
            parts += [f"    - {_line(s, zone)}" for s in digest.not_validated]
    parts.append("\nCe message est envoyé chaque jour tant qu'il reste des points ouverts.")
    if anchor is not None:
        parts.append(
            f"\nEmpreinte du journal de preuves : {anchor['digest']}\n"
            "Ancre à conserver (vérifiable par « attendance audit verify --anchors ») :\n"
            + evidence.anchor_line(anchor)
        )
    unsigned = sum(len(d.unsigned) for d in digests)
    waiting = sum(len(d.not_validated) for d in digests)
    subject = (
        f"Émargement — {month_label(month)} : {unsigned} séance(s) incomplète(s), "
        f"{waiting} non validée(s)"
    )
    return Message(to, subject, "\n".join(parts) + "\n")


def send_digests(session: Session, channel: Channel, now: datetime | None = None) -> DigestReport:
    """``attendance digest``: one e-mail per staff member of each organisation and month with
    open points; nothing is sent where nothing is open. The month of today's slots and, on
    the 1st, the month that just ended (the digest runs each morning: that month is the one
    to close)."""
    now = now or utcnow()
    months = sorted(
        {
            clock.first_of_month(clock.local_day(now - timedelta(days=1))),
            clock.first_of_month(clock.local_day(now)),
        }
    )
    report = DigestReport()
    for org in session.scalars(select(Organisation).order_by(Organisation.id)).all():
        found = [(month, month_digest(session, org, month, now)) for month in months]
        found = [(month, digests) for month, digests in found if digests]
        if not found:
            report.nothing_to_report += 1
            continue
        chains = evidence.recent_chains(session, org, now - ANCHOR_WINDOW)
        anchor = evidence.take_anchor(session, org, chains)
        for month, digests in found:
            for user in staff_recipients(session, org):
                try:
                    channel.send(digest_message(org, month, digests, user.email, anchor))
                except (OSError, ValueError) as error:
                    report.failed += 1
                    report.errors.append(f"{user.email} : {error}")
                    continue
                report.sent += 1
    return report
