"""What billing staff do with a month: synchronise, validate, reopen, export, push.

The API, the pages and the CLI call these; each takes the session and the organisation.
"""

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.errors import DomainError
from attendance.hours import billable
from attendance.models import MonthDeclaration, MonthPeriod, Organisation, PurchaseOrder, User
from attendance.months import declaration as builder
from attendance.months import states
from attendance.months.connector import Endpoint, push_declaration
from attendance.tenancy import get_owned


def synchronise(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    actor: User | None,
    progress=None,
) -> MonthDeclaration:
    """R11: freeze the month's figures as a new numbered version (allowed until validated)."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    period = states.get_period(session, org, order.id, month, create=True)
    states.refuse_if_validated(period)
    content = builder.build_declaration(session, org, order, period.month, progress)
    return states.record_snapshot(session, period, content, actor)


def validate(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    actor: User,
    progress=None,
) -> MonthPeriod:
    """R11: lock the month and freeze its billing figures; an exceeded cap never stops it
    (its excess is in the figures, unbilled), only unsigned slots and pending corrections."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    period = states.get_period(session, org, order.id, month, create=True, lock=True)
    states.refuse_if_validated(period)
    current = builder.build_declaration(session, org, order, period.month, progress)
    found = builder.blockers(session, org, order, period.month)
    figures = billable.month_figures(session, org, order, period.month)
    states.mark_validated(session, period, current, found, actor, figures.to_json())
    _log(session, period, "month_validated", actor, version=period.version)
    _anchor(session, org, period)
    return period


def reopen(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    actor: User,
    reason: str,
) -> MonthPeriod:
    period = states.get_period(session, org, purchase_order_id, month, create=False)
    if period is None:
        raise DomainError("MONTH_NOT_VALIDATED", "Ce mois n'a jamais été validé.", status=409)
    states.reopen(session, period, actor, reason)
    _log(session, period, "month_reopened", actor, reason=reason.strip())
    return period


def _log(session: Session, period: MonthPeriod, kind: str, actor: User | None, **extra) -> None:
    """Validation and reopening go into the organisation's hash-chained evidence log."""
    evidence.lock_chain(session, period.organisation_id)
    evidence.append(
        session,
        period.organisation_id,
        kind,
        {
            "purchase_order_id": period.purchase_order_id,
            "month": f"{period.month:%Y-%m}",
            "by": actor.id if actor else None,
            **extra,
        },
    )


def _anchor(session: Session, org: Organisation, period: MonthPeriod) -> None:
    """The validated declaration keeps the heads of the chains it rests on (the
    organisation's, its slots'), so a chain rewound after validation is caught."""
    chains = evidence.month_chains(session, period.purchase_order_id, period.month)
    declaration = states.latest_declaration(session, period)
    declaration.evidence_heads = evidence.take_anchor(session, org, chains)
    session.flush()


def declaration_for(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    version: int | None = None,
) -> MonthDeclaration:
    """The latest (or a given) synchronised version of the month."""
    period = states.get_period(session, org, purchase_order_id, month, create=False)
    latest = states.latest_declaration(session, period) if period else None
    if latest is None:
        raise DomainError(
            "MONTH_NOT_SYNCHRONISED",
            "Ce mois n'a pas encore été synchronisé : synchronisez-le pour obtenir la déclaration.",
            status=409,
        )
    if version is None or version == latest.version:
        return latest
    chosen = session.scalar(
        select(MonthDeclaration).where(
            MonthDeclaration.month_period_id == period.id, MonthDeclaration.version == version
        )
    )
    if chosen is None:
        raise DomainError("VERSION_NOT_FOUND", f"La version {version} n'existe pas.", status=404)
    return chosen


def configured_endpoint() -> Endpoint | None:
    url = current_app.config.get("DECLARATION_PUSH_URL")
    if not url:
        return None
    return Endpoint(url=url, token=current_app.config.get("DECLARATION_PUSH_TOKEN"))


def push(session: Session, declaration: MonthDeclaration):
    endpoint = configured_endpoint()
    if endpoint is None:
        raise DomainError(
            "NO_ENDPOINT",
            "Aucun point d'envoi n'est configuré (DECLARATION_PUSH_URL) : téléchargez le "
            "fichier de la déclaration à la place.",
            status=409,
        )
    return push_declaration(session, declaration, endpoint)
