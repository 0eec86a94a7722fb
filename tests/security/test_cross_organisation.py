"""Every API path that names an object, called by another organisation's admin with this
organisation's ids, walked from the OpenAPI document (so a new endpoint is covered the day
it is added): never a 2xx, never another tenant's data, nothing changed."""

import re

from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import (
    Composante,
    Correction,
    DeviceBindingRequest,
    Emargement,
    Invoice,
    MonthPeriod,
    Pathway,
    Slot,
    Trainee,
)
from billing.invoices import issue_invoice
from tests.factories import (
    MARCH,
    gen_org,
    gen_pathway,
    gen_trainee,
    gen_user,
    presentiel_march,
    token_for,
    validate_month,
)

BODY_METHODS = {"post", "put", "patch"}
QUERY_VALUES = {"from": "2026-03", "to": "2026-03"}


def _victim() -> dict:
    """Organisation B with one of everything an id can name."""
    org, order = presentiel_march()
    mine = {"organisation_id": org.id}
    composante = db.session.scalars(select(Composante).filter_by(**mine)).first()
    trainee = db.session.scalars(select(Trainee).filter_by(**mine)).first()
    slot = db.session.scalars(select(Slot).filter_by(**mine)).first()
    pathway = gen_pathway(trainee, composante)
    validate_month(order)
    billing = gen_user(org, "billing")
    invoice = issue_invoice(db.session, org, billing, order.id, MARCH)
    binding_request = DeviceBindingRequest(
        organisation_id=org.id,
        slot_id=slot.id,
        trainee_id=trainee.id,
        secret_hash="0" * 64,
        phone_id="phone",
        qr_jti="code",
    )
    db.session.add(binding_request)
    db.session.commit()
    return {
        "owner": token_for(billing),
        "purchase_order_id": order.id,
        "composante_id": composante.id,
        "trainee_id": trainee.id,
        "pathway_id": pathway.id,
        "slot_id": slot.id,
        "invoice_id": invoice.id,
        "binding_request_id": binding_request.id,
        "month": "2026-03",
        "week": "2026-W10",
    }


def _fingerprint() -> tuple:
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Trainee, Pathway, Emargement, Correction, Invoice, MonthPeriod)
    )
    states = tuple(db.session.scalars(select(MonthPeriod.state).order_by(MonthPeriod.id)))
    return counts, states


def test_no_endpoint_serves_or_changes_another_organisations_objects(client, app):
    ids = _victim()
    intruder = gen_user(gen_org(), "admin")
    gen_trainee(intruder.organisation)  # the intruder has data of its own
    db.session.commit()
    headers = token_for(intruder)
    before = _fingerprint()
    spec = client.get("/api/openapi.json").get_json()
    walked, leaks, owner_ok = 0, [], 0
    for template, operations in spec["paths"].items():
        names = re.findall(r"{(\w+)}", template)
        if not any(name.endswith("_id") for name in names):
            continue
        path = template
        for name in names:
            path = path.replace("{" + name + "}", str(ids[name]))
        for method in operations:
            if method == "parameters":
                continue
            kwargs = {"json": {}} if method in BODY_METHODS else {}
            required = [
                p["name"]
                for p in operations[method].get("parameters", [])
                if p.get("in") == "query" and p.get("required")
            ]
            kwargs["query_string"] = {name: QUERY_VALUES[name] for name in required}
            if method == "get":  # the ids are real: their owner reads them
                own = client.get(path, headers=ids["owner"], query_string=kwargs["query_string"])
                owner_ok += own.status_code == 200
            response = client.open(path, method=method.upper(), headers=headers, **kwargs)
            walked += 1
            if response.status_code < 400 or response.status_code >= 500:
                leaks.append(f"{method.upper()} {path} -> {response.status_code}")
            elif method not in BODY_METHODS and response.status_code != 404:
                leaks.append(f"{method.upper()} {path} -> {response.status_code} (want 404)")
    assert walked > 40 and owner_ok > 20
    assert leaks == [], "\n".join(leaks)
    db.session.expire_all()
    assert _fingerprint() == before
