"""The per-slot definition of realised minutes, by hand."""

from attendance.hours.classes import CENTRE_CLASSES, HOUR_CLASSES, centre_minutes
from attendance.hours.realised import realised_minutes


def test_late_early_absent_and_unconfirmed_autoformation():
    assert realised_minutes(210, "present", late_minutes=10) == 200
    assert realised_minutes(210, "present", early_leave_minutes=45) == 165
    assert realised_minutes(210, "present", 10, 45) == 155
    assert realised_minutes(210, "absent") == 0
    assert realised_minutes(210, None) == 0  # no sign-in at all
    assert realised_minutes(210, "present", confirmed=False, kind="autoformation") == 0
    assert realised_minutes(210, "present", confirmed=False, kind="centre") == 210
    assert realised_minutes(60, "present", 40, 40) == 0  # never negative


def test_company_hours_are_not_centre_hours():
    by_class = dict.fromkeys(HOUR_CLASSES, 60)

    assert centre_minutes(by_class) == 60 * len(CENTRE_CLASSES) == 240
