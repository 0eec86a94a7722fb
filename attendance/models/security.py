"""Counters of the abuse limits (``attendance.security.ratelimit``).

In the database, not in a process's memory: behind a load balancer every app server must
see the same count, or an attacker gets one quota per server.
"""

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from attendance.extensions import db


class RateLimitCounter(db.Model):
    """Hits of one key in its current fixed window. The key is ``limit name:sha256(value)``:
    no e-mail address or IP address is stored in clear."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger)  # epoch seconds // window length
    hits: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<RateLimitCounter {self.key} window={self.window} hits={self.hits}>"
