"""Operations on BDCs and their composantes: what the API and the pages both call."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance.contract import rules
from attendance.contract.volumes import check_volumes
from attendance.errors import Conflict, DomainError
from attendance.models import (
    Composante,
    Correction,
    Dispositif,
    Invoice,
    InvoiceLine,
    MonthPeriod,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
)
from attendance.months.lock import ensure_no_validated_month
from attendance.tenancy import get_owned


def dispositif_by_code(session: Session, code: str) -> Dispositif:
    dispositif = session.scalar(select(Dispositif).where(Dispositif.code == code))
    if dispositif is None:
        known = ", ".join(session.scalars(select(Dispositif.code).order_by(Dispositif.code)))
        raise DomainError(
            "UNKNOWN_DISPOSITIF",
            f"Dispositif inconnu « {code} » : choisissez parmi {known}.",
            {"dispositif": code},
        )
    return dispositif


def orders_with_counts(session: Session, org: Organisation) -> list[tuple[PurchaseOrder, int, int]]:
    """Every BDC of the organisation, latest first, with its number of composantes and of
    pathways: what the home page and the BDC list show (two GROUP BYs, no query per BDC)."""
    orders = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.organisation_id == org.id)
        .order_by(PurchaseOrder.planned_start.desc(), PurchaseOrder.number)
    ).all()
    composantes = dict(
        session.execute(
            select(Composante.purchase_order_id, func.count(Composante.id))
            .where(Composante.organisation_id == org.id)
            .group_by(Composante.purchase_order_id)
        ).all()
    )
    pathways = dict(
        session.execute(
            select(Composante.purchase_order_id, func.count(Pathway.id))
            .join(Pathway, Pathway.composante_id == Composante.id)
            .where(Composante.organisation_id == org.id)
            .group_by(Composante.purchase_order_id)
        ).all()
    )
    return [(o, composantes.get(o.id, 0), pathways.get(o.id, 0)) for o in orders]


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise DomainError(
            "END_BEFORE_START", "La date de fin prévue précède la date de début : corrigez-les."
        )


def _ensure_number_free(session: Session, org: Organisation, number: str) -> None:
    """A BDC number is unique within the organisation (the Region numbers its orders)."""
    taken = session.scalar(
        select(func.count())
        .select_from(PurchaseOrder)
        .where(PurchaseOrder.organisation_id == org.id, PurchaseOrder.number == number)
    )
    if taken:
        raise Conflict(
            "BDC_NUMBER_TAKEN",
            f"Le bon de commande n° {number} existe déjà.",
            {"number": number},
        )


def create_purchase_order(session: Session, org: Organisation, data: dict) -> PurchaseOrder:
    data = dict(data)
    dispositif = dispositif_by_code(session, data.pop("dispositif"))
    _check_period(data["planned_start"], data["planned_end"])
    _ensure_number_free(session, org, data["number"])
    order = PurchaseOrder(organisation_id=org.id, dispositif_id=dispositif.id, **data)
    session.add(order)
    session.flush()
    return order


def update_purchase_order(
    session: Session, org: Organisation, order: PurchaseOrder, data: dict
) -> PurchaseOrder:
    data = dict(data)
    has_pathways = bool(
        session.scalar(
            select(func.count())
            .select_from(Pathway)
            .join(Composante)
            .where(Composante.purchase_order_id == order.id)
        )
    )
    if "dispositif" in data:
        dispositif = dispositif_by_code(session, data.pop("dispositif"))
        if has_pathways and dispositif.id != order.dispositif_id:
            raise Conflict(
                "BDC_HAS_PATHWAYS",
                "Des parcours sont inscrits sur ce bon de commande : son dispositif ne peut plus "
                "changer.",
            )
        order.dispositif_id = dispositif.id
    if data.get("mode", order.mode) != order.mode:
        # R11: the mode sets the caps (R3, R4) that decided what the validated months bill.
        ensure_no_validated_month(session, org, order.id)
    if "number" in data and data["number"] != order.number:
        _ensure_number_free(session, org, data["number"])
    for key, value in data.items():
        setattr(order, key, value)
    _check_period(order.planned_start, order.planned_end)
    # R6 and R8 must still hold for every trainee already entered: the first and the last
    # entries bound them all.
    first, last = session.execute(
        select(func.min(Pathway.entry_date), func.max(Pathway.entry_date))
        .join(Composante)
        .where(Composante.purchase_order_id == order.id)
    ).one()
    if first is not None:
        rules.check_period_holds_entries(first, last, order.planned_start, order.planned_end)
    session.flush()
    return order


def _ensure_code_free(order: PurchaseOrder, code: str, composante_id: int | None = None) -> None:
    """A composante's code is unique inside its BDC (the Region's declaration names it)."""
    if any(c.code == code and c.id != composante_id for c in order.composantes):
        raise Conflict(
            "COMPOSANTE_CODE_TAKEN",
            f"La composante « {code} » existe déjà dans ce bon de commande.",
            {"code": code},
        )


def create_composante(session: Session, org: Organisation, data: dict) -> Composante:
    data = dict(data)
    order = get_owned(session, PurchaseOrder, data.pop("purchase_order_id"), org, "bon de commande")
    if order.mode == "e_formation":
        data.setdefault("billing_unit", "group_hour")
    _ensure_code_free(order, data["code"])
    composante = Composante(organisation_id=org.id, purchase_order_id=order.id, **data)
    session.add(composante)
    session.flush()
    return composante


def update_composante(
    session: Session, org: Organisation, composante: Composante, data: dict
) -> Composante:
    lowered = (
        data.get("contracted_centre_minutes", composante.contracted_centre_minutes)
        < composante.contracted_centre_minutes
        or data.get("contracted_company_minutes", composante.contracted_company_minutes)
        < composante.contracted_company_minutes
    )
    if data.get("code", composante.code) != composante.code:
        _ensure_code_free(composante.purchase_order, data["code"], composante.id)
    for key, value in data.items():
        setattr(composante, key, value)
    session.flush()
    if lowered:
        check_volumes(session, composante)
    return composante


def _usage(session: Session, composante_ids) -> dict[str, int]:
    """What hangs on composantes: the rows a deletion would orphan or whose evidence it
    would erase (pathways, slots, R12 corrections, invoiced lines)."""

    def counted(model) -> int:
        return session.scalar(
            select(func.count()).select_from(model).where(model.composante_id.in_(composante_ids))
        )

    return {
        "pathways": counted(Pathway),
        "slots": counted(Slot),
        "corrections": counted(Correction),
        "invoice_lines": counted(InvoiceLine),
    }


def _in_use_fr(usage: dict[str, int]) -> str:
    labels = {
        "pathways": "parcours",
        "slots": "séance(s)",
        "corrections": "correctif(s) horaire(s)",
        "invoice_lines": "ligne(s) de facture",
        "months": "mois synchronisé(s) ou validé(s)",
        "invoices": "facture(s)",
    }
    return ", ".join(f"{n} {labels[key]}" for key, n in usage.items() if n)


def delete_composante(session: Session, org: Organisation, composante: Composante) -> None:
    """A composante entered by mistake can go while nothing refers to it; once a pathway, a
    slot, a correction or an invoice line does, deleting it would erase hours and evidence."""
    usage = _usage(session, [composante.id])
    if any(usage.values()):
        raise Conflict(
            "COMPOSANTE_IN_USE",
            f"La composante « {composante.code} » ne peut pas être supprimée : "
            f"{_in_use_fr(usage)} y sont rattachés. Supprimez-les d'abord, ou gardez la "
            "composante.",
            usage,
        )
    session.delete(composante)
    session.flush()


def delete_purchase_order(session: Session, org: Organisation, order: PurchaseOrder) -> None:
    """A BDC entered by mistake goes with its unused composantes. One with pathways, slots,
    a synchronised month (its declaration is evidence, R11) or an invoice stays."""
    usage = _usage(session, [c.id for c in order.composantes])
    for key, model in (("months", MonthPeriod), ("invoices", Invoice)):
        usage[key] = session.scalar(
            select(func.count()).select_from(model).where(model.purchase_order_id == order.id)
        )
    if any(usage.values()):
        raise Conflict(
            "BDC_IN_USE",
            f"Le bon de commande n° {order.number} ne peut pas être supprimé : "
            f"{_in_use_fr(usage)} y sont rattachés.",
            usage,
        )
    for composante in order.composantes:
        session.delete(composante)
    session.flush()
    session.expire(order, ["composantes"])
    session.delete(order)
    session.flush()
