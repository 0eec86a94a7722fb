"""Documents (reports/): a small BDC month with every kind of line the documents show."""

from datetime import UTC, date, datetime

from attendance.extensions import db
from tests.factories.accounts import gen_user
from tests.factories.contract import enrol, gen_slot, gen_trainee, half_day, order_with
from tests.factories.hours import gen_correction
from tests.factories.images import tiny_png
from tests.factories.signing import gen_emargement


def march_group(org=None):
    """Two trainees on one composante in March 2026 (Paris time, UTC+1 until the 29th):

    * 2 March morning (centre, 09:00–12:30 Paris): Dupont signs with a signature image,
      Martin arrives 20 minutes late; the trainer signed and validated the slot;
    * 3 March afternoon (distance): Dupont by link, Martin absent with a reason;
    * 4 March (company, Dupont's own slot at « Garage Occitan »), tutor-confirmed;
    * a validated correction of Martin's 3 March distance hours to 2 h.
    """
    org, order, (composante,) = order_with(org, title="Soudure TIG")
    trainer = gen_user(org, "trainer")
    dupont = gen_trainee(org, last_name="Dupont", first_name="Marie")
    martin = gen_trainee(org, last_name="Martin", first_name="Luc")
    enrol(composante, (dupont, martin))
    morning = half_day(
        composante,
        date(2026, 3, 2),
        trainer_id=trainer.id,
        title="Lecture de plans",
    )
    morning.trainer_signature_png = tiny_png((0, 0, 120))
    morning.validated_at = datetime(2026, 3, 2, 11, 35, tzinfo=UTC)
    gen_emargement(
        morning,
        dupont,
        signed_at=datetime(2026, 3, 2, 8, 3, 12, tzinfo=UTC),
        signature_png=tiny_png((10, 10, 10)),
    )
    gen_emargement(
        morning, martin, signed_at=datetime(2026, 3, 2, 8, 21, tzinfo=UTC), late_minutes=20
    )
    remote = half_day(
        composante, date(2026, 3, 3), afternoon=True, kind="distance", trainer_id=trainer.id
    )
    gen_emargement(remote, dupont, method="link", signed_at=remote.starts_at)
    gen_emargement(remote, martin, status="absent", method="trainer", absence_reason="Malade")
    company = gen_slot(
        composante,
        starts_at=datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
        minutes=420,
        kind="company",
        trainee_id=dupont.id,
        company_name="Garage Occitan",
        site=None,
    )
    gen_emargement(company, dupont, method="tutor", signed_at=company.ends_at)
    gen_correction(
        martin, composante, date(2026, 3, 3), 120, hour_class="distance", reason="Feuille papier"
    )
    db.session.commit()
    return org, order, composante, trainer, dupont, martin, (morning, remote, company)
