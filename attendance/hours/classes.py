"""Hour classes: every realised minute belongs to exactly one (DOMAIN.md, "Hour classification").

The class of a minute is the kind of the slot it was realised in, so the codes are the slot
kinds themselves (``Slot.kind``, ``Correction.hour_class``): the database groups by the
kind and no mapping can drift between SQL and Python.
"""

from attendance.models.slot import SLOT_KINDS

CENTRE = "centre"  # centre — présentiel, synchronous, billed per trainee-hour
DISTANCE = "distance"  # FAD — tutorat à distance, live, billed per trainee-hour
AUTOFORMATION = "autoformation"  # asynchronous, billed within the R3 cap, never if absent
REGROUPEMENT = "regroupement"  # e-formation gathering, billed per group-hour (R5)
COMPANY = "company"  # période en entreprise: tracked, capped (R2), not billed to the Region

HOUR_CLASSES: tuple[str, ...] = (CENTRE, DISTANCE, AUTOFORMATION, REGROUPEMENT, COMPANY)
assert set(HOUR_CLASSES) == set(SLOT_KINDS), "each slot kind is exactly one hour class"

LABELS_FR = {
    CENTRE: "Centre — présentiel",
    DISTANCE: "FAD — tutorat à distance",
    AUTOFORMATION: "Autoformation",
    REGROUPEMENT: "Regroupement",
    COMPANY: "Entreprise",
}

# "Heures centre" are the hours the organisation delivers: in the room, live at a distance,
# in autoformation or at a regroupement (DOMAIN.md, "Words"). Company hours are not.
CENTRE_CLASSES = frozenset({CENTRE, DISTANCE, AUTOFORMATION, REGROUPEMENT})
# R4 (CCTP §3.2.2.1): what counts as "at distance" in a hybrid course.
DISTANCE_CLASSES = frozenset({DISTANCE, AUTOFORMATION})
# Live sessions: a trainer is there at the time (the reminders watch these).
SYNCHRONOUS_CLASSES = frozenset({CENTRE, DISTANCE, REGROUPEMENT})
# R5 (CCTP §3.3 « Paiement de la formation »): e-formation is paid per group-hour on its
# synchronous hours, « regroupement + tutorat ». A centre class in a room is not one of them.
GROUP_HOUR_CLASSES = frozenset({DISTANCE, REGROUPEMENT})


def centre_minutes(by_class: dict[str, int]) -> int:
    """Centre hours (R1, R3, R10) out of minutes keyed by class."""
    return sum(minutes for cls, minutes in by_class.items() if cls in CENTRE_CLASSES)


def distance_minutes(by_class: dict[str, int]) -> int:
    """Hours at distance (R4) out of minutes keyed by class."""
    return sum(minutes for cls, minutes in by_class.items() if cls in DISTANCE_CLASSES)
