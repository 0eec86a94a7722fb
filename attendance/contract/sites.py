"""Sites and rooms of an organisation: what the planning books, with each room's capacity."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance.errors import Conflict, DomainError
from attendance.models import Organisation, Room, Site, Slot
from attendance.tenancy import get_owned


def _name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("NAME_REQUIRED", f"Le nom {what} est obligatoire.", status=422)
    return value[:200]


def _capacity(value) -> int:
    try:
        capacity = int(value)
    except (TypeError, ValueError):
        capacity = 0
    if capacity < 1:
        raise DomainError(
            "ROOM_CAPACITY_INVALID",
            "La capacité d'une salle est un nombre de places, au moins 1.",
            status=422,
        )
    return capacity


def save_site(session: Session, org: Organisation, data: dict, site: Site | None = None) -> Site:
    site = site or Site(organisation_id=org.id)
    site.name = _name(data.get("name"), "du site")
    site.address = (data.get("address") or "").strip()[:500]
    session.add(site)
    session.flush()
    _rename_slots(session, site)
    return site


def _rename_slots(session: Session, site: Site) -> None:
    """``slot.site`` holds the room's site name for older readers: it follows a renaming,
    except on validated slots, whose record no longer changes."""
    for slot in session.scalars(
        select(Slot)
        .join(Room, Slot.room_id == Room.id)
        .where(Room.site_id == site.id, Slot.validated_at.is_(None))
    ):
        slot.site = site.name


def save_room(session: Session, org: Organisation, data: dict, room: Room | None = None) -> Room:
    site = get_owned(session, Site, int(data.get("site_id") or 0), org, "site")
    room = room or Room(organisation_id=org.id)
    room.site_id, room.site = site.id, site
    room.name = _name(data.get("name"), "de la salle")
    room.capacity = _capacity(data.get("capacity"))
    session.add(room)
    session.flush()
    return room


def delete_room(session: Session, room: Room) -> None:
    used = session.scalar(select(func.count()).select_from(Slot).where(Slot.room_id == room.id))
    if used:
        raise Conflict(
            "ROOM_IN_USE",
            f"La salle {room.name} est réservée pour {used} séance(s) : "
            "déplacez-les avant de la supprimer.",
            {"slots": used},
        )
    session.delete(room)
    session.flush()


def delete_site(session: Session, site: Site) -> None:
    if site.rooms:
        raise Conflict(
            "SITE_HAS_ROOMS",
            f"Le site {site.name} a encore des salles : supprimez-les d'abord.",
            {"rooms": len(site.rooms)},
        )
    session.delete(site)
    session.flush()
