"""The period a document covers: whole local months, one or several."""

from dataclasses import dataclass
from datetime import date, timedelta

from attendance.clock import first_of_month, next_month, parse_month
from attendance.errors import DomainError
from reports.pdf import month_fr


@dataclass(frozen=True)
class Period:
    """Local months ``first_month`` … ``last_month`` (first days of month), as the hours
    engine aggregates them."""

    first_month: date
    last_month: date

    @classmethod
    def month(cls, month: date) -> "Period":
        return cls(first_of_month(month), first_of_month(month))

    @classmethod
    def parse(cls, first: str, last: str | None = None) -> "Period":
        """« 2026-03 », or « 2026-03 » to « 2026-05 »; a French error if reversed."""
        start = parse_month(first)
        end = parse_month(last) if last else start
        if end < start:
            raise DomainError(
                "INVALID_PERIOD",
                "Le dernier mois précède le premier : inversez-les.",
                {"from": first, "to": last},
            )
        return cls(start, end)

    @classmethod
    def of_training(cls, pathways, today: date) -> "Period":
        """What a trainee's certificate covers by default (R13): from their first entry to
        the end of their last pathway (its effective exit, else its planned one), and no
        later than the current month, since later hours do not exist yet."""
        if not pathways:
            raise DomainError(
                "NO_PATHWAY", "Aucun parcours : pas encore de certificat.", status=404
            )
        first = min(p.entry_date for p in pathways)
        last = max(p.effective_exit_date or p.planned_exit_date for p in pathways)
        return cls(first_of_month(first), first_of_month(max(first, min(last, today))))

    @property
    def first_day(self) -> date:
        return self.first_month

    @property
    def last_day(self) -> date:
        return next_month(self.last_month) - timedelta(days=1)

    @property
    def label_fr(self) -> str:
        """« mars 2026 » or « mars 2026 à mai 2026 »."""
        if self.first_month == self.last_month:
            return month_fr(self.first_month)
        return f"{month_fr(self.first_month)} à {month_fr(self.last_month)}"

    @property
    def slug(self) -> str:
        """For file names: « 2026-03 » or « 2026-03_2026-05 »."""
        if self.first_month == self.last_month:
            return f"{self.first_month:%Y-%m}"
        return f"{self.first_month:%Y-%m}_{self.last_month:%Y-%m}"
