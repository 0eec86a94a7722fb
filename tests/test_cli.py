"""The ``attendance`` commands, run through Flask's CLI runner against the test database."""

from sqlalchemy import func, select

from attendance import clock
from attendance.contract.importer import TEMPLATE_HEADERS
from attendance.extensions import db
from attendance.models import (
    Emargement,
    Invitation,
    Invoice,
    MonthPeriod,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
    User,
)
from attendance.models.types import utcnow
from attendance.months.declaration import blockers
from billing.lines import month_statement
from tests.factories import gen_composante, gen_org, gen_purchase_order


def _count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_loads_a_realistic_organisation_once(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Démo prête" in result.output
    assert _count(Organisation) == 1
    assert _count(Trainee) == 12
    assert _count(Pathway) == 12
    assert _count(Slot) >= 80  # 2 composantes x 2 half-days x the month's working days
    assert {u.role for u in db.session.scalars(select(User))} == {
        "admin",
        "billing",
        "trainer",
        "auditor",
    }
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "déjà présent" in again.output
    assert _count(Trainee) == 12


def test_demo_tells_the_story_from_a_phone_to_an_invoice(runner, app):
    """Past months validated and invoiced; the last one ready, its autoformation beyond the
    cap shown « non facturé » and no blocker; a slot open now and nobody signed today; one
    pending invitation."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    org = db.session.scalars(select(Organisation)).one()
    order = db.session.scalars(select(PurchaseOrder)).one()
    current = clock.first_of_month(clock.today())
    ready = clock.previous_month(current)
    older = [clock.previous_month(ready), clock.previous_month(clock.previous_month(ready))]
    invoiced = {i.month for i in db.session.scalars(select(Invoice))}
    assert invoiced == set(older)
    states = dict(db.session.execute(select(MonthPeriod.month, MonthPeriod.state)).all())
    assert all(states[m] == "validated" for m in older) and ready not in states

    assert blockers(db.session, org, order, ready) == []
    statement = month_statement(db.session, org, order.id, ready, preview=True)
    capped = [
        n for line in statement.lines for n in line.not_billed if n.code == "autoformation_cap"
    ]
    assert capped and all("non facturées" in n.reason for n in capped)

    now = utcnow()
    assert (
        db.session.scalar(select(func.count()).where(Slot.starts_at <= now, Slot.ends_at > now))
        >= 1
    )
    today = [
        slot.id
        for slot in db.session.scalars(select(Slot))
        if clock.local_day(slot.starts_at) == clock.today()
    ]
    assert today
    assert not db.session.scalar(
        select(func.count()).select_from(Emargement).where(Emargement.slot_id.in_(today))
    )
    pending = db.session.scalars(select(Invitation).where(Invitation.used_at.is_(None))).all()
    assert len(pending) == 1


def test_demo_accounts_can_log_in(runner, client, app):
    runner.invoke(args=["demo", "--password", "mot-de-passe-demo"])
    response = client.post(
        "/api/auth/token", json={"email": "billing@demo.example", "password": "mot-de-passe-demo"}
    )
    assert response.status_code == 201
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert client.get("/api/trainees", headers=headers).get_json()["total"] == 12
    assert _count(Emargement) >= 0


def test_create_user_command(runner, app):
    gen_org()
    db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Formateur@Example.org",
            "--name",
            "Marc Roux",
            "--role",
            "trainer",
            "--password",
            "un-long-mot-de-passe",
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(User)).one().email == "formateur@example.org"


def test_create_user_command_refuses_a_short_password_in_french(runner, app):
    gen_org()
    db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--role",
            "admin",
            "--password",
            "court",
        ]
    )
    assert result.exit_code == 1
    assert "au moins 10 caractères" in result.output
    assert _count(User) == 0


def test_import_command_reports_row_errors_and_imports_nothing(runner, app, tmp_path):
    org = gen_org()
    gen_composante(gen_purchase_order(org, number="BDC-1"), code="BUR")
    db.session.commit()
    path = tmp_path / "liste.csv"
    rows = [
        [
            "Martin",
            "Léa",
            "",
            "",
            "",
            "",
            "non",
            "non",
            "BDC-1",
            "BUR",
            "02/03/2026",
            "03/07/2026",
            "150",
            "0",
        ],
        [
            "Roux",
            "Adam",
            "",
            "",
            "",
            "",
            "non",
            "oui",
            "BDC-1",
            "BUR",
            "02/03/2026",
            "03/07/2026",
            "150",
            "0",
        ],
    ]
    path.write_text("\n".join([";".join(TEMPLATE_HEADERS)] + [";".join(r) for r in rows]))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "Ligne 3" in result.output
    assert _count(Trainee) == 0
    path.write_text("\n".join([";".join(TEMPLATE_HEADERS), ";".join(rows[0])]))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert _count(Pathway) == 1
