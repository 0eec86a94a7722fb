"""Programme rules held as data: each dispositif carries its own limits (R1–R4, R7)."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from attendance.extensions import db


class Dispositif(db.Model):
    """Reference data shared by every organisation: a Region programme and its limits.

    Durations are integer minutes; caps are whole percentages.
    """

    __tablename__ = "dispositif"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    max_pathway_minutes: Mapped[int | None]  # R1 (CCTP §3.1.2): 200 h for Compétences Plus
    max_company_minutes: Mapped[int | None]  # R2 (§3.1.5): 70 h
    autoformation_cap_percent: Mapped[int] = mapped_column(default=20)  # R3 (§3.2.2.2)
    eformation_autoformation_cap_percent: Mapped[int] = mapped_column(default=50)  # R3 (§3.3)
    hybrid_distance_cap_percent: Mapped[int] = mapped_column(default=50)  # R4 (§3.2.2.1)
    max_group_size: Mapped[int] = mapped_column(default=20)  # R7 (§3.1.2), a warning

    def __repr__(self) -> str:
        return f"<Dispositif {self.code}>"
