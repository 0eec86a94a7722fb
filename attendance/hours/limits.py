"""Contract checks on realised hours as plain functions over plain values (R1–R4, R7, R10).

Which checks apply, and where their limit comes from, is data (``CAP_RULES``): each limit is a
column of the BDC's dispositif, chosen by the BDC's mode. Every check returns a ``CapCheck``
with its status (ok / warning / exceeded) and the figures behind it; none raises, because
realised hours are facts to flag, not writes to refuse. The write-time checks
(``attendance.contract.rules``) run these same functions on prescribed hours and refuse the
write when one says exceeded, so each limit is compared in one place.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from attendance.french import hours_fr as hours
from attendance.models import BDC_MODES, Dispositif

OK, WARNING, EXCEEDED = "ok", "warning", "exceeded"
STATUSES = (OK, WARNING, EXCEEDED)
# A limit reached at 90 % is worth a look before the month closes.
WARNING_PERCENT = 90


@dataclass(frozen=True)
class CapRule:
    """One contract check: its limit is ``Dispositif.<limit_column>`` (or, for Occitanie
    e-formation BDCs, ``<eformation_limit_column>``), applied to BDCs of ``modes``."""

    code: str
    label_fr: str
    source: str
    scope: str  # what one check is about: pathway, bdc, composante, slot
    limit_column: str
    eformation_limit_column: str | None = None
    modes: frozenset[str] = frozenset(BDC_MODES)
    over_limit: str = EXCEEDED  # R7 is a recommendation: over the limit is only a warning

    def limit(self, dispositif: Dispositif, mode: str) -> int | None:
        column = self.limit_column
        if mode == "e_formation" and self.eformation_limit_column:
            column = self.eformation_limit_column
        return getattr(dispositif, column)

    def applies_to(self, mode: str) -> bool:
        return mode in self.modes


CAP_RULES: dict[str, CapRule] = {
    rule.code: rule
    for rule in (
        CapRule(
            "R1",
            "Durée du parcours (centre + entreprise)",
            "CCTP §3.1.2",
            "pathway",
            "max_pathway_minutes",
        ),
        CapRule("R2", "Période en entreprise", "CCTP §3.1.5", "pathway", "max_company_minutes"),
        CapRule(
            "R3",
            "Part d'autoformation",
            "CCTP §3.2.2.2, §3.3",
            "bdc",
            "autoformation_cap_percent",
            "eformation_autoformation_cap_percent",
        ),
        CapRule(
            "R4",
            "Part à distance d'un parcours hybride",
            "CCTP §3.2.2.1",
            "bdc",
            "hybrid_distance_cap_percent",
            modes=frozenset({"hybride"}),
        ),
        CapRule(
            "R7",
            "Stagiaires simultanés dans un groupe",
            "CCTP §3.1.2",
            "slot",
            "max_group_size",
            over_limit=WARNING,
        ),
        CapRule(
            "R10",
            "Volume contractualisé (fongibilité)",
            "FAQ 55, CCTP §3.1.2",
            "composante",
            "contracted_centre_minutes",
        ),
    )
}


@dataclass(frozen=True)
class CapCheck:
    """Outcome of one check on one subject, with the figures a controller would ask for.

    ``excess_minutes`` is the realised time beyond the limit; ``billable_minutes``, where the
    rule caps billing (R3, R10), is what may be billed under it.
    """

    rule: str
    status: str
    message: str
    figures: dict = field(default_factory=dict)
    trainee_id: int | None = None
    composante_id: int | None = None
    slot_id: int | None = None
    excess_minutes: int = 0
    billable_minutes: int | None = None


def grade(value: int, limit: int | None, over_limit: str = EXCEEDED) -> str:
    """ok under 90 % of the limit, warning from 90 % up to the limit, ``over_limit`` beyond."""
    if limit is None:
        return OK
    if value > limit:
        return over_limit
    if limit > 0 and value * 100 >= limit * WARNING_PERCENT:
        return WARNING
    return OK


def percent_of(minutes: int, percent: int) -> int:
    """Whole minutes of a percentage, rounded down: a cap never grows by rounding."""
    return minutes * percent // 100


def check_pathway(
    trainee_id: int,
    composante_id: int,
    centre: int,
    company: int,
    max_pathway: int | None,
    max_company: int | None,
    measured: str = "réalisées",
) -> list[CapCheck]:
    """R1 (CCTP §3.1.2) pathway ≤ 200 h and R2 (§3.1.5) company ≤ 70 h for Compétences Plus,
    on realised minutes to date (or prescribed ones, at write time); the limits belong to
    the dispositif."""
    total = centre + company
    r1 = grade(total, max_pathway)
    r2 = grade(company, max_company)
    limit1 = "sans limite" if max_pathway is None else hours(max_pathway)
    limit2 = "sans limite" if max_company is None else hours(max_company)
    return [
        CapCheck(
            "R1",
            r1,
            f"Parcours : {hours(total)} {measured} (centre + entreprise) pour {limit1} au plus.",
            {
                "centre_minutes": centre,
                "company_minutes": company,
                "total_minutes": total,
                "limit_minutes": max_pathway,
            },
            trainee_id=trainee_id,
            composante_id=composante_id,
            excess_minutes=max(total - max_pathway, 0) if max_pathway is not None else 0,
        ),
        CapCheck(
            "R2",
            r2,
            f"Entreprise : {hours(company)} {measured} pour {limit2} au plus.",
            {"company_minutes": company, "limit_minutes": max_company},
            trainee_id=trainee_id,
            composante_id=composante_id,
            excess_minutes=max(company - max_company, 0) if max_company is not None else 0,
        ),
    ]


def check_autoformation(autoformation: int, centre_base: int, percent: int) -> CapCheck:
    """R3 (CCTP §3.2.2.2, §3.3): autoformation ≤ 20 % (50 % for Occitanie e-formation) of the
    BDC's total centre hours, read as its contracted centre volume; the excess is flagged and
    not billed."""
    cap = percent_of(centre_base, percent)
    excess = max(autoformation - cap, 0)
    return CapCheck(
        "R3",
        grade(autoformation, cap),
        f"Autoformation : {hours(autoformation)} réalisées pour {hours(cap)} autorisées "
        f"({percent} % de {hours(centre_base)} d'heures centre du bon de commande)"
        + (f" ; {hours(excess)} au-delà ne sont pas facturables." if excess else "."),
        {
            "autoformation_minutes": autoformation,
            "centre_base_minutes": centre_base,
            "limit_percent": percent,
            "cap_minutes": cap,
        },
        excess_minutes=excess,
        billable_minutes=min(autoformation, cap),
    )


def check_distance_share(distance: int, centre: int, percent: int) -> CapCheck:
    """R4 (CCTP §3.2.2.1): a hybrid présentiel course has at most 50 % of its centre hours at
    distance (FAD and autoformation)."""
    cap = percent_of(centre, percent)
    share = round(distance * 100 / centre, 2) if centre else 0
    return CapCheck(
        "R4",
        grade(distance, cap),
        f"À distance : {hours(distance)} sur {hours(centre)} d'heures centre ({share} %), "
        f"{percent} % au plus pour un parcours hybride.",
        {
            "distance_minutes": distance,
            "centre_minutes": centre,
            "share_percent": share,
            "limit_percent": percent,
            "cap_minutes": cap,
        },
        excess_minutes=max(distance - cap, 0),
    )


def check_group_size(slot_id: int, present: int, max_group: int) -> CapCheck:
    """R7 (CCTP §3.1.2): at most 20 trainees at the same time, a recommendation: warn only."""
    status = WARNING if present > max_group else OK
    return CapCheck(
        "R7",
        status,
        f"{present} stagiaires présents ensemble pour {max_group} recommandés au plus.",
        {"present": present, "limit": max_group},
        slot_id=slot_id,
    )


def check_volumes(
    realised: Mapping[int, int], contracted: Mapping[int, int], label: str = "centre"
) -> list[CapCheck]:
    """R10 (FAQ 55, CCTP §3.1.2) on realised hours: each composante within its contracted
    volume is ok; beyond it, the unused hours of the BDC's other composantes cover it
    (fongibilité, a warning); what no unused hour covers is exceeded and not billable.

    Unused hours go to the composantes over their volume in composante id order, so the
    allocation is the same on every run; the BDC never bills more than its total.
    """
    own = {cid: min(realised.get(cid, 0), volume) for cid, volume in contracted.items()}
    pool = sum(volume - own[cid] for cid, volume in contracted.items())
    bdc_realised, bdc_contracted = (
        sum(realised.get(c, 0) for c in contracted),
        sum(contracted.values()),
    )
    checks = []
    for cid in sorted(contracted):
        done, volume = realised.get(cid, 0), contracted[cid]
        overflow = done - own[cid]
        moved = min(overflow, pool)
        pool -= moved
        billable = own[cid] + moved
        if overflow == 0:
            status = OK
            message = (
                f"Heures {label} : {hours(done)} réalisées pour {hours(volume)} contractualisées."
            )
        elif moved == overflow:
            status = WARNING
            message = (
                f"Heures {label} : {hours(done)} réalisées pour {hours(volume)} contractualisées ; "
                f"{hours(moved)} prises sur les heures non utilisées des autres composantes "
                "(fongibilité)."
            )
        else:
            status = EXCEEDED
            message = (
                f"Heures {label} : le volume réalisé est supérieur au volume contractualisé pour "
                f"cette composante ({hours(done)} pour {hours(volume)}) et le bon de commande "
                f"n'a plus d'heures non utilisées : {hours(done - billable)} non facturables."
            )
        checks.append(
            CapCheck(
                "R10",
                status,
                message,
                {
                    "hour_type": label,
                    "realised_minutes": done,
                    "contracted_minutes": volume,
                    "fungible_minutes": moved,
                    "bdc_realised_minutes": bdc_realised,
                    "bdc_contracted_minutes": bdc_contracted,
                },
                composante_id=cid,
                excess_minutes=done - billable,
                billable_minutes=billable,
            )
        )
    return checks


def room_in_month(month: int, cap: int, billed_before: int) -> int:
    """R3, R4: what of this month's ``month`` minutes may be billed under ``cap``, given the
    minutes already billed under it in earlier months. The first hours realised are the ones
    billed, and an excess stays unbilled for good: room that opens later (the cap grows with
    the hours realised, or a volume is raised) is used by later hours, never by old ones."""
    return max(min(month, cap - billed_before), 0)


@dataclass(frozen=True)
class VolumeAllocation:
    """R10 for one month: billable minutes per composante, each composante's volume used
    after the month (its own hours and what it lent), and who lent to whom."""

    billable: dict[int, int]
    used_after: dict[int, int]
    borrowed: dict[int, dict[int, int]]


def allocate_volumes(
    quantity: Mapping[int, int], contracted: Mapping[int, int], used: Mapping[int, int]
) -> VolumeAllocation:
    """R10 (FAQ 55, CCTP §3.1.2) month by month. Each composante bills its month's quantity
    within what remains of its own volume; beyond it, it borrows what remains unused on the
    BDC's other composantes (*fongibilité*, lenders in id order so every run gives the same
    allocation); what nobody can lend is not billed. ``used`` is what earlier months already
    took from each volume (own hours and loans): an allocation once made is never undone, so
    a validated month's figures never move and the BDC never bills more than its total."""
    room = {cid: max(volume - used.get(cid, 0), 0) for cid, volume in contracted.items()}
    used_after = {cid: used.get(cid, 0) for cid in contracted}
    billable, borrowed = {}, {}
    for cid in sorted(contracted):
        own = min(quantity.get(cid, 0), room[cid])
        room[cid] -= own
        used_after[cid] += own
        billable[cid] = own
    for cid in sorted(contracted):
        overflow = quantity.get(cid, 0) - billable[cid]
        for lender in sorted(contracted):
            if overflow <= 0:
                break
            take = min(overflow, room[lender]) if lender != cid else 0
            if take:
                room[lender] -= take
                used_after[lender] += take
                billable[cid] += take
                borrowed.setdefault(cid, {})[lender] = take
                overflow -= take
    return VolumeAllocation(billable, used_after, borrowed)


def allocate(total: int, weights: Mapping, order_key=None) -> dict:
    """Share ``total`` whole minutes in proportion to ``weights`` (largest remainder, ties by
    key), so the parts add up to exactly ``total`` and none exceeds its weight when
    ``total`` ≤ the sum of weights."""
    whole = sum(weights.values())
    if whole <= 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    total = min(total, whole)
    shares = {key: total * weight // whole for key, weight in weights.items()}
    remainders = sorted(
        weights,
        key=lambda key: (-(total * weights[key] % whole), order_key(key) if order_key else key),
    )
    for key in remainders[: total - sum(shares.values())]:
        shares[key] += 1
    return shares
