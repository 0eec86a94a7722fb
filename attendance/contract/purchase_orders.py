"""Operations on BDCs and their composantes."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance.contract import rules
from attendance.contract.volumes import check_volumes
from attendance.errors import Conflict, DomainError
from attendance.models import Composante, Dispositif, Organisation, Pathway, PurchaseOrder
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


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise DomainError(
            "END_BEFORE_START", "La date de fin prévue précède la date de début : corrigez-les."
        )


def create_purchase_order(session: Session, org: Organisation, data: dict) -> PurchaseOrder:
    data = dict(data)
    dispositif = dispositif_by_code(session, data.pop("dispositif"))
    _check_period(data["planned_start"], data["planned_end"])
    taken = session.scalar(
        select(func.count())
        .select_from(PurchaseOrder)
        .where(PurchaseOrder.organisation_id == org.id, PurchaseOrder.number == data["number"])
    )
    if taken:
        raise Conflict(
            "BDC_NUMBER_TAKEN",
            f"Le bon de commande n° {data['number']} existe déjà.",
            {"number": data["number"]},
        )
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
        taken = session.scalar(
            select(func.count())
            .select_from(PurchaseOrder)
            .where(PurchaseOrder.organisation_id == org.id, PurchaseOrder.number == data["number"])
        )
        if taken:
            raise Conflict(
                "BDC_NUMBER_TAKEN", f"Le bon de commande n° {data['number']} existe déjà."
            )
    for key, value in data.items():
        setattr(order, key, value)
    _check_period(order.planned_start, order.planned_end)
    # R6 must still hold for every trainee already entered.
    for entry in session.scalars(
        select(Pathway.entry_date).join(Composante).where(Composante.purchase_order_id == order.id)
    ):
        rules.check_entry_date(entry, order.planned_start, order.planned_end)
    session.flush()
    return order


def create_composante(session: Session, org: Organisation, data: dict) -> Composante:
    data = dict(data)
    order = get_owned(session, PurchaseOrder, data.pop("purchase_order_id"), org, "bon de commande")
    if order.mode == "e_formation":
        data.setdefault("billing_unit", "group_hour")
    if any(c.code == data["code"] for c in order.composantes):
        raise Conflict(
            "COMPOSANTE_CODE_TAKEN",
            f"La composante « {data['code']} » existe déjà dans ce bon de commande.",
        )
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
    for key, value in data.items():
        setattr(composante, key, value)
    session.flush()
    if lowered:
        check_volumes(session, composante)
    return composante
