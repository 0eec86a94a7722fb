"""Where slots happen: an organisation's sites and their rooms, each with a capacity."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db


class Site(db.Model):
    """A training site (« Toulouse — Compans »): the address trainees come to."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")

    rooms: Mapped[list["Room"]] = relationship(back_populates="site", order_by="Room.name")


class Room(db.Model):
    """A room of a site; its capacity is checked against the group planned in it."""

    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]

    site: Mapped[Site] = relationship(back_populates="rooms")

    @property
    def label(self) -> str:
        return f"{self.site.name} — {self.name}"
