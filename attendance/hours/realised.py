"""Realised minutes of one trainee on one slot, as a pure function.

This is the definition the SQL aggregation in ``aggregate.py`` implements row by row; the
tests hold the two together. Use it where one sign-in is at hand (a slot page, a sign-in
receipt), never to add up a month: that is the database's job.
"""

from attendance.hours.classes import AUTOFORMATION


def realised_minutes(
    scheduled_minutes: int,
    status: str | None,
    late_minutes: int = 0,
    early_leave_minutes: int = 0,
    confirmed: bool = True,
    kind: str = "centre",
) -> int:
    """Scheduled time minus absence, late arrival and early departure (DOMAIN.md).

    ``status`` is the sign-in's status, ``None`` when there is no sign-in at all. An absent
    trainee, or one with no sign-in, realises nothing: "an absent trainee has no sign-in and
    so no billed hour" (R3, CCTP §3.2.2.2). Autoformation counts only once the trainer has
    confirmed it (DOMAIN.md, "How sign-in works"). Never negative, never above the schedule.
    """
    if status != "present":
        return 0
    if kind == AUTOFORMATION and not confirmed:
        return 0
    return max(scheduled_minutes - late_minutes - early_leave_minutes, 0)
