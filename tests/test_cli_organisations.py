"""Two organisations sharing a BDC number: every command acts on the one named by --siret.

BDC numbers are unique only within an organisation (two Regions may number alike), so a
command that found a BDC by number alone would validate, invoice or export another
organisation's month.
"""

import io
import zipfile

import pytest
from sqlalchemy import func, select

from attendance import evidence
from attendance.extensions import db
from attendance.models import Emargement, Invoice, MonthDeclaration, MonthPeriod, Organisation, User
from tests.factories import month_setting

BDC = "BDC-2026-42"


@pytest.fixture
def two_orgs(app):
    """Organisation A and B, each with BDC-2026-42 ready for March 2026; B's trainees have
    other names and B has one slot fewer, so every output tells them apart."""
    a = month_setting()
    b = month_setting()
    for trainee, name in zip(b.trainees, ("Durand", "Leroy"), strict=True):
        trainee.last_name = name
    gone = db.session.scalars(select(Emargement).filter_by(slot_id=b.slots[1].id)).all()
    # A deletion on purpose goes into the log, or audit verify names the missing records.
    chain = evidence.slot_chain(b.slots[1].id)
    evidence.lock_chain(db.session, b.org.id, chain)
    evidence.append(db.session, b.org.id, "records_deleted", evidence.deleted(gone), chain=chain)
    for emargement in gone:
        db.session.delete(emargement)
    db.session.flush()
    db.session.delete(b.slots[1])
    db.session.commit()
    return a, b


def _billing(org) -> User:
    return db.session.scalars(
        select(User).where(User.organisation_id == org.id, User.role == "billing")
    ).one()


def _periods(org) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(MonthPeriod.state).where(MonthPeriod.organisation_id == org.id))
    )


def _cli(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def test_without_siret_a_command_refuses_to_guess_the_organisation(runner, two_orgs):
    result = _cli(runner, "month", "sync", "--bdc", BDC, "--month", "2026-03")
    assert result.exit_code == 2 and "--siret" in result.output
    assert db.session.scalar(select(func.count()).select_from(MonthDeclaration)) == 0


def test_month_sync_and_validate_act_on_the_named_organisation_only(runner, two_orgs):
    a, b = two_orgs
    siret = ("--siret", b.org.siret)
    result = _cli(runner, "month", "sync", "--bdc", BDC, "--month", "2026-03", *siret)
    assert result.exit_code == 0, result.output
    # B has one slot of 210 minutes for two trainees: 7.00 h, where A would show 10.33 h.
    assert "2 stagiaire(s), présentiel 7,00 h" in result.output
    assert _periods(a.org) == [] and _periods(b.org) == ["synchronised"]

    refused = _cli(
        runner, "month", "validate", "--bdc", BDC, "--month", "2026-03", "--by",
        _billing(a.org).email, *siret,
    )  # fmt: skip
    assert refused.exit_code == 2 and "introuvable" in refused.output
    assert _periods(b.org) == ["synchronised"]

    result = _cli(
        runner, "month", "validate", "--bdc", BDC, "--month", "2026-03", "--by",
        _billing(b.org).email, *siret,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _periods(a.org) == [] and _periods(b.org) == ["validated"]


def test_invoice_is_issued_for_the_named_organisations_bdc(runner, two_orgs):
    a, b = two_orgs
    siret = ("--siret", b.org.siret)
    _cli(runner, "month", "sync", "--bdc", BDC, "--month", "2026-03", *siret)
    _cli(
        runner, "month", "validate", "--bdc", BDC, "--month", "2026-03", "--by",
        _billing(b.org).email, *siret,
    )  # fmt: skip
    result = _cli(runner, "invoice", "--bdc", BDC, "--month", "2026-03", "--issue", *siret)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    invoices = db.session.scalars(select(Invoice)).all()
    assert [(i.organisation_id, i.purchase_order_id) for i in invoices] == [(b.org.id, b.order.id)]
    # A's month was never validated: asking A for an invoice is refused, nothing issued.
    refused = _cli(
        runner, "invoice", "--bdc", BDC, "--month", "2026-03", "--issue", "--siret", a.org.siret
    )
    assert refused.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_documents_zip_holds_the_named_organisations_trainees(runner, two_orgs, tmp_path):
    a, b = two_orgs
    out = tmp_path / "b.zip"
    result = _cli(
        runner, "documents", "--bdc", BDC, "--month", "2026-03", "--out", str(out),
        "--kinds", "certificats", "--siret", b.org.siret,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = " ".join(zipfile.ZipFile(io.BytesIO(out.read_bytes())).namelist()).lower()
    assert "durand" in names and "leroy" in names
    assert "martin" not in names and "petit" not in names


def test_account_audit_and_retention_commands_scope_to_the_named_organisation(runner, two_orgs):
    a, b = two_orgs
    result = _cli(
        runner, "create-user", "--email", "nouveau@b.example", "--name", "Nouveau",
        "--role", "trainer", "--siret", b.org.siret, "--password", "mot-de-passe-long",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = db.session.scalars(select(User).where(User.email == "nouveau@b.example")).one()
    assert created.organisation_id == b.org.id

    for args in (("audit", "verify"), ("retention", "--dry-run")):
        result = _cli(runner, *args, "--siret", b.org.siret)
        assert result.exit_code == 0, result.output
        assert b.org.siret in result.output and a.org.siret not in result.output
    assert db.session.get(Organisation, a.org.id) is not None
