"""Contract rules checked when data is written, as plain functions over plain values.

Each raises ``RuleViolation`` with a stable code and a French message naming the fix.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from attendance.errors import RuleViolation
from attendance.french import hours_fr as hours
from attendance.hours import limits


def check_pathway_hours(
    centre_minutes: int,
    company_minutes: int,
    max_pathway_minutes: int | None,
    max_company_minutes: int | None,
    dispositif_name: str,
) -> None:
    """R1 (CCTP §3.1.2) pathway ≤ 200 h and R2 (§3.1.5) company ≤ 70 h for Compétences Plus,
    on prescribed hours; the limits belong to the dispositif and are compared by the same
    check as realised hours (``limits.check_pathway``)."""
    if centre_minutes < 0 or company_minutes < 0:
        raise RuleViolation(
            "NEGATIVE_HOURS", "Les heures prescrites ne peuvent pas être négatives."
        )
    r1, r2 = limits.check_pathway(
        None,
        None,
        centre_minutes,
        company_minutes,
        max_pathway_minutes,
        max_company_minutes,
        measured="prescrites",
    )
    if r2.status == limits.EXCEEDED:
        raise RuleViolation(
            "R2_COMPANY_HOURS_EXCEEDED",
            f"La période en entreprise est limitée à {hours(max_company_minutes)} pour "
            f"{dispositif_name} : {hours(company_minutes)} prescrites. "
            "Réduisez les heures entreprise.",
            {"company_minutes": company_minutes, "max_company_minutes": max_company_minutes},
        )
    if r1.status == limits.EXCEEDED:
        total = r1.figures["total_minutes"]
        raise RuleViolation(
            "R1_PATHWAY_HOURS_EXCEEDED",
            f"Un parcours {dispositif_name} est limité à {hours(max_pathway_minutes)} "
            f"(centre + entreprise) : {hours(total)} prescrites. Réduisez les heures prescrites.",
            {"total_minutes": total, "max_pathway_minutes": max_pathway_minutes},
        )


def check_entry_date(entry: date, planned_start: date, planned_end: date) -> None:
    """R6 (CCTP §3.1.2): trainees enter during the calendar year of the BDC's planned start;
    the following year only finishes pathways already begun."""
    if entry.year != planned_start.year:
        raise RuleViolation(
            "R6_ENTRY_YEAR",
            f"Les entrées en formation ont lieu pendant l'année {planned_start.year} du bon de "
            f"commande ; l'année suivante sert seulement à terminer les parcours. "
            f"Choisissez une date d'entrée en {planned_start.year}.",
            {"entry_date": entry.isoformat(), "allowed_year": planned_start.year},
        )
    if entry < planned_start or entry > planned_end:
        raise RuleViolation(
            "ENTRY_OUTSIDE_BDC",
            f"La date d'entrée doit être comprise dans la période du bon de commande "
            f"({planned_start:%d/%m/%Y} – {planned_end:%d/%m/%Y}).",
            {"entry_date": entry.isoformat()},
        )


def check_period_holds_entries(
    first_entry: date, last_entry: date, planned_start: date, planned_end: date
) -> None:
    """R6 and R8 when a BDC's dates move under trainees already entered: entries stay in the
    year of the planned start, the action opened on the first entry (R8) so the start cannot
    come after it, and the end cannot come before the last entry. ``field`` in the details
    names the date to fix."""
    if first_entry.year != planned_start.year or last_entry.year != planned_start.year:
        entered = first_entry if first_entry.year != planned_start.year else last_entry
        raise RuleViolation(
            "R6_ENTRY_YEAR",
            f"Un stagiaire est entré le {entered:%d/%m/%Y} : les entrées ont lieu pendant "
            f"l'année du début prévu, qui doit donc rester en {entered.year}.",
            {"entry_date": entered.isoformat(), "field": "planned_start"},
        )
    if planned_start > first_entry:
        raise RuleViolation(
            "ENTRY_OUTSIDE_BDC",
            f"L'action a ouvert le {first_entry:%d/%m/%Y}, à l'entrée du premier stagiaire "
            "(R8) : le début prévu ne peut pas être postérieur à cette date.",
            {"entry_date": first_entry.isoformat(), "field": "planned_start"},
        )
    if planned_end < last_entry:
        raise RuleViolation(
            "ENTRY_OUTSIDE_BDC",
            f"Un stagiaire est entré le {last_entry:%d/%m/%Y} : la fin prévue ne peut pas "
            "précéder cette date.",
            {"entry_date": last_entry.isoformat(), "field": "planned_end"},
        )


def check_planned_exit(planned_exit: date, planned_end: date) -> None:
    """R6 (CCTP §3.1.2): the year after the BDC's start only finishes pathways, and they end
    by the BDC's planned end; a later planned exit would leave hours the BDC cannot pay."""
    if planned_exit > planned_end:
        raise RuleViolation(
            "EXIT_AFTER_BDC_END",
            f"La sortie prévue du {planned_exit:%d/%m/%Y} est postérieure à la fin prévue du bon "
            f"de commande, le {planned_end:%d/%m/%Y} : les parcours se terminent avant cette "
            "date. Avancez la sortie prévue.",
            {"planned_exit_date": planned_exit.isoformat(), "planned_end": planned_end.isoformat()},
        )


def check_pathway_dates(entry: date, planned_exit: date, effective_exit: date | None) -> None:
    if planned_exit < entry:
        raise RuleViolation(
            "EXIT_BEFORE_ENTRY",
            "La date de sortie prévue précède la date d'entrée : corrigez l'une des deux.",
        )
    if effective_exit is not None and effective_exit < entry:
        raise RuleViolation(
            "EXIT_BEFORE_ENTRY",
            "La date de sortie effective précède la date d'entrée : corrigez l'une des deux.",
        )


def check_boe_aah(boe: bool, aah: bool) -> None:
    """R15 (FAQ 47): an AAH beneficiary is BOE, so AAH without BOE is inconsistent."""
    if aah and not boe:
        raise RuleViolation(
            "R15_BOE_AAH_INCONSISTENT",
            "Un bénéficiaire de l'AAH est obligatoirement BOE : cochez BOE ou décochez AAH.",
            {"boe": boe, "aah": aah},
        )


def opening_date(entry_dates: Iterable[date]) -> date | None:
    """R8 (FAQ 34): the action opens on the first trainee's entry date."""
    return min(entry_dates, default=None)


@dataclass(frozen=True)
class VolumeCheck:
    """Outcome of R10 for one composante: within its own volume, or covered by fungibility."""

    composante_id: int
    prescribed: int
    contracted: int
    bdc_prescribed: int
    bdc_contracted: int

    @property
    def uses_fungibility(self) -> bool:
        return self.prescribed > self.contracted


def check_contracted_volume(
    composante_id: int,
    prescribed_by_composante: Mapping[int, int],
    contracted_by_composante: Mapping[int, int],
    label: str,
) -> VolumeCheck:
    """R10 (FAQ 55, CCTP §3.1.2): prescribed hours stay within the contracted volume; in a
    multi-composante BDC unused hours of one composante cover another (fongibilité) up to
    the BDC's total."""
    prescribed = prescribed_by_composante.get(composante_id, 0)
    contracted = contracted_by_composante[composante_id]
    bdc_prescribed = sum(prescribed_by_composante.values())
    bdc_contracted = sum(contracted_by_composante.values())
    result = VolumeCheck(composante_id, prescribed, contracted, bdc_prescribed, bdc_contracted)
    checks = limits.check_volumes(prescribed_by_composante, contracted_by_composante, label)
    if any(check.status == limits.EXCEEDED for check in checks):
        raise RuleViolation(
            "R10_CONTRACTED_VOLUME_EXCEEDED",
            f"Heures {label} : le volume saisi est supérieur au volume contractualisé pour cette "
            f"composante ({hours(prescribed)} prescrites pour {hours(contracted)} "
            f"contractualisées, {hours(bdc_prescribed)} pour {hours(bdc_contracted)} sur "
            f"l'ensemble du bon de commande). Réajustez les heures prescrites.",
            {
                "hour_type": label,
                "prescribed_minutes": prescribed,
                "contracted_minutes": contracted,
                "bdc_prescribed_minutes": bdc_prescribed,
                "bdc_contracted_minutes": bdc_contracted,
            },
        )
    return result
