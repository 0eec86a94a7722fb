"""Privacy (retention): data older than the retention limit. A 2018 BDC whose trainees
signed through the real sign-in path (so the evidence log covers them), a validated,
declared and invoiced month; next to it a co-financed 2018 BDC and a current one, which
must be kept."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from attendance.extensions import db
from attendance.models import Device, Invitation, KioskCredential, Organisation, Trainee, User
from attendance.signing import roster
from attendance.signing.common import record_signin
from billing.invoices import issue_invoice
from billing.numbering import run_with_retries
from tests.factories.accounts import gen_org, gen_user
from tests.factories.contract import (
    enrol,
    gen_composante,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
)
from tests.factories.images import signature_data_url, signature_png
from tests.factories.months import validate_month

MARCH_2018 = date(2018, 3, 1)


@dataclass
class Archive:
    org: Organisation
    billing: User
    old_order_id: int
    old: list[Trainee]
    kept: list[Trainee] = field(default_factory=list)


def _sign(slot, trainee, minutes_after=3):
    record_signin(
        db.session,
        slot,
        trainee.id,
        {
            "status": "present",
            "signed_at": slot.starts_at + timedelta(minutes=minutes_after),
            "method": "qr",
            "signature_png": signature_png(),
            "ip_address": "192.0.2.10",
            "user_agent": "Mozilla/5.0 (Android)",
            "device_id": f"dev-{trainee.id}",
            "evidence": {"ip": "192.0.2.10", "user_agent": "Mozilla/5.0", "phone_id": "p1"},
        },
    )


def _order_with_trainees(org, n, start: date, **order_fields):
    order = gen_purchase_order(
        org, planned_start=start, planned_end=start.replace(year=start.year + 1), **order_fields
    )
    composante = gen_composante(order)
    trainees = enrol(
        composante,
        [
            gen_trainee(
                org,
                phone=f"06000000{i:02d}",
                birth_date=date(1990, 1, 1 + i),
                external_id=f"FT-{order.number}-{i}",
            )
            for i in range(n)
        ],
        entry_date=start,
        planned_exit_date=start + timedelta(days=110),
        prescribed_centre_minutes=100 * 60,
        prescribed_company_minutes=0,
    )
    return order, composante, trainees


def _old_device_and_kiosk(org, trainee) -> None:
    """An opened invitation, a bound phone and a kiosk PIN: what retention must erase."""
    db.session.add_all(
        [
            Invitation(
                organisation_id=org.id,
                trainee_id=trainee.id,
                kind="device",
                jti="inv-old-1",
                email=trainee.email,
                expires_at=datetime(2018, 3, 10, tzinfo=UTC),
            ),
            KioskCredential(organisation_id=org.id, trainee_id=trainee.id, pin_hash="x"),
        ]
    )
    db.session.flush()
    db.session.add(
        Device(
            organisation_id=org.id,
            trainee_id=trainee.id,
            public_id="pub-old-1",
            phone_id="p1",
            invitation_id=db.session.query(Invitation.id).filter_by(jti="inv-old-1").scalar(),
        )
    )
    db.session.commit()


def _declare_and_invoice(org, billing, trainer, order) -> None:
    """March 2018: the trainer validates its slots, billing staff synchronise and validate
    it, and invoice it on 3 April 2018."""
    validate_month(order, MARCH_2018, billing, trainer)
    db.session.commit()
    run_with_retries(
        db.session,
        lambda: issue_invoice(
            db.session,
            org,
            billing,
            order.id,
            MARCH_2018,
            issued_at=datetime(2018, 4, 3, 9, 0, tzinfo=UTC),
        ),
    )


def _kept_trainees(org) -> list[Trainee]:
    """One trainee of a co-financed 2018 BDC and one of a current BDC, each signed once."""
    _, cofinanced_composante, cofinanced = _order_with_trainees(
        org, 1, date(2018, 3, 5), co_financed=True
    )
    _, current_composante, current = _order_with_trainees(org, 1, date(2026, 3, 2))
    db.session.commit()
    for composante_, trainee in (
        (cofinanced_composante, cofinanced[0]),
        (current_composante, current[0]),
    ):
        slot = gen_slot(
            composante_, datetime(trainee.pathways[0].entry_date.year, 3, 6, 8, 0, tzinfo=UTC)
        )
        db.session.commit()
        _sign(slot, trainee)
    return [cofinanced[0], current[0]]


def make_archive(n_old: int = 3) -> Archive:
    org = gen_org()
    trainer = gen_user(org, "trainer")
    billing = gen_user(org, "billing")
    order, composante, old = _order_with_trainees(org, n_old, date(2018, 3, 5))
    slots = [
        gen_slot(
            composante,
            datetime(2018, 3, day, 8, 0, tzinfo=UTC),
            trainer_id=trainer.id,
            title="Remise à niveau",
        )
        for day in (5, 6, 7, 8)
    ]
    _old_device_and_kiosk(org, old[0])
    for slot in slots:
        for trainee in old[:-1]:
            _sign(slot, trainee)
    # The last trainee missed the first slot: the trainer marks the absence with a reason,
    # then validates (the absence and the validation go to the log).
    roster.mark(
        db.session, slots[0], old[-1], trainer, {"status": "absent", "absence_reason": "malade"}
    )
    roster.validate_slot(db.session, slots[0], trainer, signature_data_url())
    for slot in slots[1:]:
        _sign(slot, old[-1], minutes_after=20)  # late
    _declare_and_invoice(org, billing, trainer, order)
    archive = Archive(org, billing, order.id, old)
    archive.kept = _kept_trainees(org)
    return archive
