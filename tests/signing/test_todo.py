"""The staff home's to-do list: today, past slots still to validate (with their age), next."""

from datetime import timedelta

from attendance import clock
from attendance.extensions import db
from attendance.french import days_ago_fr
from attendance.hours.compliance import awaiting_validation
from attendance.models.types import utcnow
from attendance.signing.todo import todo
from tests.factories import gen_org, gen_slot, gen_user, order_with, validated_slot


def _at(days: int, hour: int = 9):
    """A local wall-clock time ``days`` from the local today (negative: in the past)."""
    return clock.at_local(clock.today() + timedelta(days=days), hour)


def _setting():
    org, _order, (composante,) = order_with()
    trainer = gen_user(org, "trainer")
    other = gen_user(org, "trainer")
    slots = {
        "three_days": gen_slot(composante, _at(-3), trainer_id=trainer.id),
        "yesterday": gen_slot(composante, _at(-1, 14), trainer_id=trainer.id),
        "done": validated_slot(composante, trainer, _at(-2)),
        "others": gen_slot(composante, _at(-1), trainer_id=other.id),
        "today": gen_slot(composante, _at(0, 0), trainer_id=trainer.id),
        "tomorrow": gen_slot(composante, _at(1), trainer_id=trainer.id),
    }
    db.session.flush()
    return org, trainer, slots


def test_a_trainer_sees_today_then_their_past_unvalidated_slots_oldest_first_then_next(app):
    org, trainer, slots = _setting()
    mine = todo(db.session, org, clock.today(), trainer)
    assert [s.id for s in mine.today] == [slots["today"].id]
    assert mine.awaiting.total == 2
    assert [(s.slot_id, s.days_ago) for s in mine.awaiting.slots] == [
        (slots["three_days"].id, 3),
        (slots["yesterday"].id, 1),
    ]
    assert [s.id for s in mine.upcoming] == [slots["tomorrow"].id]


def test_billing_staff_see_every_trainers_unvalidated_slots_and_the_full_count_past_the_cap(app):
    org, _trainer, slots = _setting()
    everyone = awaiting_validation(db.session, org, clock.today(), limit=2)
    assert everyone.total == 3
    assert [s.slot_id for s in everyone.slots] == [slots["three_days"].id, slots["others"].id]


def test_another_organisations_slots_never_show(app):
    _org, _trainer, _slots = _setting()
    assert awaiting_validation(db.session, gen_org(), clock.today()).total == 0


def test_validating_a_slot_takes_it_off_the_list(app):
    org, trainer, slots = _setting()
    slots["yesterday"].validated_at = utcnow()
    db.session.flush()
    left = awaiting_validation(db.session, org, clock.today(), trainer.id)
    assert [s.slot_id for s in left.slots] == [slots["three_days"].id]


def test_the_age_reads_in_french():
    assert [days_ago_fr(n) for n in (0, 1, 3)] == ["aujourd'hui", "hier", "il y a 3 jours"]
