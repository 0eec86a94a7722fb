"""The daily staff digest: billing staff get the month's finished slots still missing a
sign-in or a validation; nothing is sent when nothing is open."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from attendance.extensions import db
from attendance.models import EvidenceEntry, EvidenceHead
from attendance.notify.channels import email_channel
from attendance.notify.digest import send_digests
from tests.factories import gen_user, make_group


def test_billing_staff_get_the_unsigned_and_unvalidated_slots_of_the_month(app, smtp):
    group = make_group(late=2, signed=1)
    billing = gen_user(group.org, "billing")
    gen_user(group.org, "trainer")
    db.session.commit()
    now = group.slot.ends_at + timedelta(days=1)

    report = send_digests(db.session, email_channel(app.config), now=now)

    assert report.sent == 1
    [mail] = smtp.received
    assert mail.to == [billing.email]
    assert "mars 2026" in mail.subject
    assert "Émargements manquants (1 séance(s))" in mail.body
    for trainee in group.late:
        assert f"{trainee.last_name.upper()} {trainee.first_name}" in mail.body
    assert group.signed[0].last_name.upper() not in mail.body
    assert "Séances non validées (1)" in mail.body
    assert "Bureautique du 03/03 à 09:00" in mail.body


def test_no_digest_when_every_finished_slot_is_signed_and_validated(app, smtp):
    group = make_group(late=0, signed=2)
    gen_user(group.org, "billing")
    group.slot.validated_at = group.slot.ends_at
    group.slot.trainer_signature_png = b"png"
    db.session.commit()
    report = send_digests(
        db.session, email_channel(app.config), now=group.slot.ends_at + timedelta(hours=2)
    )
    assert report.sent == 0 and report.nothing_to_report == 1
    assert smtp.received == []


def test_slots_not_yet_finished_are_not_listed(app, smtp):
    group = make_group(late=2, signed=0)
    gen_user(group.org, "billing")
    db.session.commit()
    before_end = group.slot.starts_at + timedelta(minutes=30)
    assert send_digests(db.session, email_channel(app.config), now=before_end).sent == 0


def test_digest_command_reports_in_french(app, runner, smtp):
    now = datetime.now(UTC).replace(microsecond=0)
    group = make_group(late=1, signed=0, starts_at=now - timedelta(hours=5))
    gen_user(group.org, "billing")
    db.session.commit()
    result = runner.invoke(args=["digest"])
    assert result.exit_code == 0, result.output
    assert "1 récapitulatif(s) envoyé(s)" in result.output


def test_digest_carries_an_anchor_that_audit_verify_reads_from_the_saved_mail(
    app, smtp, runner, tmp_path
):
    """The mailbox keeps the chain heads outside the database: a chain rewound afterwards
    is named from the saved mail."""
    group = make_group(late=1, signed=2)
    gen_user(group.org, "billing")
    db.session.commit()
    send_digests(db.session, email_channel(app.config), now=group.slot.ends_at + timedelta(days=1))
    [mail] = smtp.received
    assert "Empreinte du journal de preuves" in mail.body
    (tmp_path / "digest.txt").write_text(mail.body)
    chain = f"slot:{group.slot.id}"
    last = db.session.scalar(
        select(EvidenceEntry).where(EvidenceEntry.chain == chain).order_by(EvidenceEntry.seq.desc())
    )
    db.session.execute(delete(EvidenceEntry).where(EvidenceEntry.id == last.id))
    db.session.execute(
        update(EvidenceHead)
        .where(EvidenceHead.chain == chain)
        .values(seq=last.seq - 1, last_hash=last.prev_hash)
    )
    db.session.commit()

    result = runner.invoke(args=["audit", "verify", "--anchors", str(tmp_path)])

    assert result.exit_code == 1, result.output
    assert f"entrée n° {last.seq} de la chaîne séance {group.slot.id} a disparu" in result.output
