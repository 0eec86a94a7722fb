"""A trainer's slots as an iCalendar feed (RFC 5545) their own calendar app subscribes to.

Each event's UID is the slot's, so a moved slot moves in the calendar instead of doubling;
times are UTC (``DTSTART:…Z``): every calendar app shows them in its own zone.
"""

from icalendar import Calendar, Event

from attendance.clock import display
from attendance.models import Organisation, Slot
from attendance.models.types import utcnow

KIND_FR = {
    "centre": "Formation en centre",
    "distance": "Formation à distance",
    "autoformation": "Autoformation",
    "company": "Période en entreprise",
    "regroupement": "Regroupement",
}


def _location(slot: Slot) -> str:
    if slot.room is not None:
        return f"{slot.room.name}, {slot.room.site.name}"
    return slot.site or slot.company_name or slot.online_url or ""


def _description(slot: Slot) -> str:
    composante = slot.composante
    lines = [
        f"{KIND_FR.get(slot.kind, slot.kind)} — {composante.code} {composante.title}",
        f"BDC {composante.purchase_order.number}",
    ]
    if slot.group_name:
        lines.append(f"Groupe : {slot.group_name}")
    if slot.online_url:
        lines.append(f"Lien : {slot.online_url}")
    lines.append(f"Horaires : {display(slot.starts_at)} – {display(slot.ends_at, '%H:%M')}")
    return "\n".join(lines)


def trainer_calendar(org: Organisation, trainer_name: str, slots: list[Slot]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Emargement et facturation//Planning//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Planning — {trainer_name}")
    stamp = utcnow()
    for slot in slots:
        event = Event()
        event.add("uid", f"slot-{slot.id}@{org.siret}.emargement")
        event.add("dtstamp", stamp)
        event.add("dtstart", slot.starts_at)
        event.add("dtend", slot.ends_at)
        event.add(
            "summary",
            slot.title or f"{KIND_FR.get(slot.kind, slot.kind)} — {slot.composante.title}",
        )
        event.add("location", _location(slot))
        event.add("description", _description(slot))
        calendar.add_component(event)
    return calendar.to_ical()
