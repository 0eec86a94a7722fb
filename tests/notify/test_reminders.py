"""Reminders through a real SMTP server: one per late trainee, none for those who signed,
none twice even when two runs overlap; a failed send is recorded and retried."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Reminder
from attendance.notify.channels import email_channel
from attendance.notify.reminders import send_due_reminders
from tests.factories import SLOT_START, make_group

NOW = SLOT_START + timedelta(minutes=20)  # past the default 15-minute delay


def test_each_late_trainee_gets_one_reminder_and_those_who_signed_none(app, smtp):
    group = make_group(late=3, signed=2)

    report = send_due_reminders(db.session, email_channel(app.config), now=NOW)

    assert report.sent == 3
    for trainee in group.late:
        mails = smtp.to(trainee.email)
        assert len(mails) == 1
        assert "pas encore signé" in mails[0].body
        assert "Bureautique" in mails[0].body and "09:00" in mails[0].body
    for trainee in group.signed:
        assert smtp.to(trainee.email) == []
    rows = db.session.scalars(select(Reminder).order_by(Reminder.trainee_id)).all()
    assert [r.trainee_id for r in rows] == [t.id for t in group.late]
    assert {r.status for r in rows} == {"sent"}


def test_a_second_run_sends_nothing_again(app, smtp):
    make_group(late=2, signed=1)
    send_due_reminders(db.session, email_channel(app.config), now=NOW)
    again = send_due_reminders(
        db.session, email_channel(app.config), now=NOW + timedelta(minutes=5)
    )
    assert again.sent == 0
    assert len(smtp.received) == 2


def test_no_reminder_before_the_organisation_delay(app, smtp):
    group = make_group(late=2, signed=0)
    group.org.reminder_trainee_delay_minutes = 30
    db.session.commit()
    early = send_due_reminders(db.session, email_channel(app.config), now=NOW)
    assert early.sent == 0 and smtp.received == []
    later = send_due_reminders(
        db.session, email_channel(app.config), now=NOW + timedelta(minutes=15)
    )
    assert later.sent == 2


class SlowEmail:
    """The real e-mail channel, slowed down so that two runs really overlap."""

    name = "email"

    def __init__(self, channel, pause: float):
        self.channel, self.pause = channel, pause

    def send(self, message):
        threading.Event().wait(self.pause)
        self.channel.send(message)


def test_two_overlapping_runs_never_send_twice(app, smtp):
    group = make_group(late=6, signed=2)
    start = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait()
                channel = SlowEmail(email_channel(app.config), 0.05)
                reports.append(send_due_reminders(db.session, channel, now=NOW))
                db.session.remove()
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    # How many claims each run lost to the other depends on timing (a run that reads the
    # table after the other's claims skips them without a conflict); what must hold is that
    # every reminder went out once, in all.
    assert sum(r.sent for r in reports) == 6
    for trainee in group.late:
        assert len(smtp.to(trainee.email)) == 1
    assert len(smtp.received) == 6
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 6


def test_a_failed_send_is_recorded_and_retried_on_the_next_run(app, smtp):
    group = make_group(late=1, signed=0)
    smtp.refuse = True
    first = send_due_reminders(db.session, email_channel(app.config), now=NOW)
    assert first.sent == 0 and first.failed == 1
    row = db.session.scalar(select(Reminder))
    assert row.status == "failed" and "451" in row.last_error and row.attempts == 1

    smtp.refuse = False
    second = send_due_reminders(
        db.session, email_channel(app.config), now=NOW + timedelta(minutes=5)
    )
    assert second.sent == 1
    db.session.expire_all()
    row = db.session.scalar(select(Reminder))
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(smtp.to(group.late[0].email)) == 1


def test_a_failed_reminder_is_not_retried_once_the_trainee_has_signed(app, smtp):
    from tests.factories import gen_emargement

    group = make_group(late=1, signed=0)
    smtp.refuse = True
    send_due_reminders(db.session, email_channel(app.config), now=NOW)
    smtp.refuse = False
    gen_emargement(group.slot, group.late[0])
    db.session.commit()
    assert send_due_reminders(db.session, email_channel(app.config), now=NOW).sent == 0
    assert smtp.received == []


def test_the_trainer_is_reminded_once_after_the_slot_ends_unvalidated(app, smtp):
    group = make_group(late=2, signed=1)
    after_end = group.slot.ends_at + timedelta(minutes=31)
    report = send_due_reminders(db.session, email_channel(app.config), now=after_end)
    # The slot is over: trainees are no longer reminded, the trainer is.
    assert report.sent == 1
    mail = smtp.to(group.trainer.email)
    assert len(mail) == 1
    assert "pas encore validée" in mail[0].body and "2 stagiaire(s)" in mail[0].body
    assert send_due_reminders(db.session, email_channel(app.config), now=after_end).sent == 0


def test_the_roster_shows_who_was_reminded(app, client, smtp):
    group = make_group(late=1, signed=1)
    send_due_reminders(db.session, email_channel(app.config), now=NOW)
    send_due_reminders(
        db.session, email_channel(app.config), now=group.slot.ends_at + timedelta(hours=1)
    )
    with client.session_transaction() as cookie:
        cookie["user_id"] = group.trainer.id
        cookie["session_version"] = group.trainer.session_version
    page = client.get(f"/seances/{group.slot.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    assert html.count('data-reminder="sent"') == 1
    assert "relancé(e) à " in html  # when it was really sent, in Paris time
    assert 'id="trainer-reminder"' in html


def test_remind_command_sends_due_reminders_in_french(app, runner, smtp):
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(microsecond=0)
    make_group(late=1, signed=1, starts_at=now - timedelta(minutes=40))
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "1 relance(s) envoyée(s)" in result.output
    assert len(smtp.received) == 1
