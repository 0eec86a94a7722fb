"""Planning: what is checked before a slot is saved, series, copies of a week, the week view.

Refused (nothing is saved): a trainer or a room booked twice at the same time. Warned (saved
only once the person confirms): a room smaller than the group, a French public holiday, and
a trainee expected on two slots at once. The last is a warning, not a refusal, because a
trainee is expected on every slot of their composante (pathways carry no group): two halves
of a group taught in parallel would otherwise be refused; the sign-in still accepts one
presence per slot, and the overlap is shown with the trainees' names.

A series or a copied week is all or nothing: one refused slot refuses all of them, with the
whole list of conflicts.
"""

import functools
from dataclasses import asdict, dataclass
from datetime import date, time, timedelta

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.clock import at_local, half_day, local_day, local_midnight_utc, local_time
from attendance.contract.slots import new_slot
from attendance.errors import Conflict, DomainError
from attendance.french import MONTHS_FR
from attendance.models import (
    Composante,
    Organisation,
    Pathway,
    Room,
    Site,
    Slot,
    Trainee,
    User,
)
from attendance.models.trainee import on_pathway

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
PERIODS = (("morning", "Matin"), ("afternoon", "Après-midi"), ("evening", "Soir"))
MAX_SERIES_WEEKS = 52
COPIED_FIELDS = (
    "composante_id", "kind", "title", "site", "company_name", "online_url", "objective",
    "group_name", "trainer_id", "trainee_id", "room_id",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One thing the planning checks found on a slot: refused, or only warned."""

    code: str
    message: str
    refused: bool
    day: str

    def to_dict(self) -> dict:
        return asdict(self)


def day_fr(day: date) -> str:
    """« Lundi 25 décembre 2026 »."""
    weekday = WEEKDAYS_FR[day.weekday()].capitalize()
    return f"{weekday} {day.day} {MONTHS_FR[day.month - 1]} {day.year}"


@functools.lru_cache(maxsize=32)
def _holidays(year: int) -> dict:
    return dict(holidays.France(years=year, language="fr"))


def holiday_name(day: date) -> str | None:
    """The French public holiday (jour férié) on ``day``, by its French name."""
    return _holidays(day.year).get(day)


def _when(slot: Slot) -> str:
    start, end = local_time(slot.starts_at), local_time(slot.ends_at)
    return f"{day_fr(start.date())} {start:%H:%M}–{end:%H:%M}"


def _expected(session: Session, slot: Slot) -> set[int]:
    """Trainees expected on a slot: the company slot's trainee, or the composante's group."""
    if slot.trainee_id is not None:
        return {slot.trainee_id}
    day = local_day(slot.starts_at)
    statement = select(Pathway.trainee_id).where(
        *on_pathway(slot.composante_id, slot.organisation_id, day)
    )
    return set(session.scalars(statement))


def _names(session: Session, trainee_ids: set[int]) -> str:
    rows = session.scalars(select(Trainee).where(Trainee.id.in_(trainee_ids))).all()
    names = sorted(t.display_name for t in rows)
    more = f" et {len(names) - 5} autre(s)" if len(names) > 5 else ""
    return ", ".join(names[:5]) + more


def _double_bookings(session: Session, slot: Slot, others: list[Slot], when: str, day: str):
    for other in others:
        if slot.trainer_id is not None and other.trainer_id == slot.trainer_id:
            trainer = session.get(User, slot.trainer_id)
            yield Finding(
                "TRAINER_DOUBLE_BOOKED",
                f"{when} : {trainer.full_name} anime déjà « {_label(other)} » ({_when(other)}).",
                True,
                day,
            )
        if slot.room_id is not None and other.room_id == slot.room_id:
            room = session.get(Room, slot.room_id)
            yield Finding(
                "ROOM_DOUBLE_BOOKED",
                f"{when} : la salle {room.label} est déjà réservée pour « {_label(other)} » "
                f"({_when(other)}).",
                True,
                day,
            )


def _label(slot: Slot) -> str:
    return slot.title or slot.group_name or f"séance {slot.id}"


def check_slot(session: Session, slot: Slot) -> list[Finding]:
    """Every planning check on ``slot`` (not yet saved, or being changed) against the slots
    already saved; ``slot`` itself is left out of the comparison."""
    when, day = _when(slot), local_day(slot.starts_at)
    others = session.scalars(
        select(Slot).where(
            Slot.organisation_id == slot.organisation_id,
            Slot.starts_at < slot.ends_at,
            Slot.ends_at > slot.starts_at,
            Slot.id != (slot.id or 0),
        )
    ).all()
    findings = list(_double_bookings(session, slot, others, when, day.isoformat()))
    expected = _expected(session, slot)
    if slot.room_id is not None:
        room = session.get(Room, slot.room_id)
        if len(expected) > room.capacity:
            findings.append(
                Finding(
                    "ROOM_CAPACITY_EXCEEDED",
                    f"{when} : {len(expected)} stagiaires attendus pour {room.capacity} places "
                    f"dans la salle {room.label}.",
                    False,
                    day.isoformat(),
                )
            )
    for other in others:
        both = expected & _expected(session, other)
        if both:
            findings.append(
                Finding(
                    "TRAINEE_OVERLAP",
                    f"{when} : {_names(session, both)} "
                    f"{'est' if len(both) == 1 else 'sont'} aussi attendu(s) à "
                    f"« {_label(other)} » ({_when(other)}).",
                    False,
                    day.isoformat(),
                )
            )
    name = holiday_name(day)
    if name:
        message = f"{day_fr(day)} : {name}"
        findings.append(Finding("PUBLIC_HOLIDAY", message, False, day.isoformat()))
    return findings


def _refuse(findings: list[Finding], confirmed: bool) -> None:
    refused = [f for f in findings if f.refused]
    if refused:
        raise Conflict(
            "PLANNING_CONFLICT",
            f"Rien n'a été enregistré : {len(refused)} conflit(s) de planning.",
            {"conflicts": [f.to_dict() for f in refused], "warnings": _warned(findings)},
        )
    if not confirmed and _warned(findings):
        raise Conflict(
            "PLANNING_NEEDS_CONFIRMATION",
            "Rien n'a été enregistré : vérifiez les avertissements puis confirmez "
            "(« Créer quand même »).",
            {"conflicts": [], "warnings": _warned(findings)},
        )


def _warned(findings: list[Finding]) -> list[dict]:
    return [f.to_dict() for f in findings if not f.refused]


def plan_slots(
    session: Session, org: Organisation, items: list[dict], confirmed: bool = False
) -> list[Slot]:
    """Save ``items`` (slot fields) all together, or none: each is checked against what is
    saved and against the ones before it; a refusal or an unconfirmed warning raises (the
    edge rolls back what was flushed)."""
    created, findings = [], []
    for data in items:
        slot = new_slot(session, org, data)
        findings.extend(check_slot(session, slot))
        session.add(slot)
        session.flush()
        created.append(slot)
    _refuse(findings, confirmed)
    return created


PLANNED_FIELDS = frozenset(
    {"starts_at", "ends_at", "trainer_id", "room_id", "composante_id", "trainee_id"}
)


def check_update(session: Session, slot: Slot, changed, confirmed: bool = False) -> None:
    """The planning checks on a slot being changed (``contract.slots.update_slot`` ran),
    when what changed is when, who or where: a new title asks nothing."""
    if PLANNED_FIELDS & set(changed):
        _refuse(check_slot(session, slot), confirmed)


def series_items(
    template: dict,
    monday: date,
    weeks: int,
    weekdays: list[int],
    start: time,
    end: time,
    skip_holidays: bool = False,
) -> tuple[list[dict], list[str]]:
    """The slots of a series: ``template`` on each chosen weekday (0 = Monday) of ``weeks``
    weeks from ``monday``'s week, ``start``–``end`` local time. Returns the items and the
    public holidays skipped (« Lundi 25 mai 2026 : Lundi de Pentecôte »)."""
    if not 1 <= weeks <= MAX_SERIES_WEEKS:
        raise DomainError(
            "SERIES_WEEKS_INVALID",
            f"Le nombre de semaines va de 1 à {MAX_SERIES_WEEKS}.",
            {"weeks": weeks},
            status=422,
        )
    if not weekdays:
        raise DomainError(
            "SERIES_NO_WEEKDAY", "Choisissez au moins un jour de la semaine.", status=422
        )
    items, skipped = [], []
    first = monday - timedelta(days=monday.weekday())
    for week in range(weeks):
        for weekday in sorted(set(weekdays)):
            day = first + timedelta(days=7 * week + weekday)
            name = holiday_name(day)
            if name and skip_holidays:
                skipped.append(f"{day_fr(day)} : {name}")
                continue
            starts_at = at_local(day, start.hour, start.minute)
            ends_at = at_local(day, end.hour, end.minute)
            items.append({**template, "starts_at": starts_at, "ends_at": ends_at})
    return items, skipped


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_filtered(statement, org: Organisation, monday: date, filters: dict, joined=False):
    """``statement`` (over ``Slot``) narrowed to the local week starting ``monday`` and the
    view's filters: BDC (``purchase_order_id``), ``group_name``, ``trainer_id``, ``room_id``."""
    statement = statement.where(
        Slot.organisation_id == org.id,
        Slot.starts_at >= local_midnight_utc(monday),
        Slot.starts_at < local_midnight_utc(monday + timedelta(days=7)),
    )
    if filters.get("purchase_order_id"):
        if not joined:
            statement = statement.join(Composante, Composante.id == Slot.composante_id)
        statement = statement.where(Composante.purchase_order_id == filters["purchase_order_id"])
    for key in ("group_name", "trainer_id", "room_id"):
        if filters.get(key):
            statement = statement.where(getattr(Slot, key) == filters[key])
    return statement.order_by(Slot.starts_at, Slot.id)


def week_slots(session: Session, org: Organisation, monday: date, filters: dict) -> list[Slot]:
    """The slots of the local week starting ``monday`` with the view's filters, as ORM
    objects (copying a week needs every field)."""
    return list(session.scalars(_week_filtered(select(Slot), org, monday, filters)))


PERIOD_OF_HALF_DAY = {"matin": "morning", "après-midi": "afternoon", "soirée": "evening"}


def period_of(slot: Slot) -> str:
    """The week view's row: the half-day the slot starts in (``clock.half_day``, the one
    home of where the evening begins)."""
    return PERIOD_OF_HALF_DAY[half_day(slot.starts_at)]


@dataclass(frozen=True, slots=True)
class WeekCard:
    """A slot as the week view shows it. Read as one plain row per slot (composante,
    trainer and room joined in the same statement), not as ORM objects with three
    relationship loads: the view is read far more often than a slot is written."""

    id: int
    weekday: int
    period: str
    starts: str
    ends: str
    title: str
    code: str
    group_name: str | None
    trainer: str | None
    place: str | None
    validated: bool


def week_cards(session: Session, org: Organisation, monday: date, filters: dict) -> list[WeekCard]:
    """The week view's slots (same week and filters as ``week_slots``), as ``WeekCard``s."""
    statement = (
        select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.title,
            Composante.title,
            Composante.code,
            Slot.group_name,
            User.full_name,
            Site.name,
            Room.name,
            Slot.site,
            Slot.validated_at,
        )
        .join(Composante, Composante.id == Slot.composante_id)
        .outerjoin(User, User.id == Slot.trainer_id)
        .outerjoin(Room, Room.id == Slot.room_id)
        .outerjoin(Site, Site.id == Room.site_id)
    )
    cards = []
    for (
        slot_id, starts_at, ends_at, title, composante_title, code, group_name, trainer,
        site_name, room_name, site, validated_at,
    ) in session.execute(_week_filtered(statement, org, monday, filters, joined=True)):  # fmt: skip
        start = local_time(starts_at)
        cards.append(
            WeekCard(
                id=slot_id,
                weekday=start.weekday(),
                period=PERIOD_OF_HALF_DAY[half_day(starts_at)],
                starts=start.strftime("%H:%M"),
                ends=local_time(ends_at).strftime("%H:%M"),
                title=title or composante_title,
                code=code,
                group_name=group_name,
                trainer=trainer,
                place=f"{site_name} — {room_name}" if room_name else site,
                validated=validated_at is not None,
            )
        )
    return cards


def week_grid(cards: list[WeekCard]) -> dict[tuple[str, int], list[WeekCard]]:
    """Cards by (period, weekday): the cells of the week view."""
    grid: dict[tuple[str, int], list[WeekCard]] = {}
    for card in cards:
        grid.setdefault((card.period, card.weekday), []).append(card)
    return grid


def copy_week_items(
    session: Session, org: Organisation, source: date, target: date, filters: dict
) -> list[dict]:
    """The slots of ``source``'s week (with the view's filters) moved to ``target``'s week,
    same weekday and local time; signatures and validation are not copied."""
    source, target = week_start(source), week_start(target)
    if source == target:
        raise DomainError(
            "COPY_SAME_WEEK", "Choisissez une autre semaine que celle copiée.", status=422
        )
    shift = target - source
    items = []
    for slot in week_slots(session, org, source, filters):
        start, end = local_time(slot.starts_at), local_time(slot.ends_at)
        day = start.date() + shift
        items.append(
            {
                **{name: getattr(slot, name) for name in COPIED_FIELDS},
                "starts_at": at_local(day, start.hour, start.minute),
                "ends_at": at_local(day + (end.date() - start.date()), end.hour, end.minute),
            }
        )
    if not items:
        raise DomainError(
            "COPY_EMPTY_WEEK", "La semaine copiée ne contient aucune séance.", status=422
        )
    return items


def parse_week(text: str | None, today: date) -> date:
    """« 2026-W10 » → the Monday of ISO week 10 of 2026; the current week when empty."""
    if not text:
        return week_start(today)
    try:
        year, week = text.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise DomainError(
            "INVALID_WEEK",
            f"Semaine invalide « {text} » : utilisez le format AAAA-Wss, par exemple 2026-W10.",
            {"week": text},
            status=404,
        ) from exc


def week_text(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"
