"""``attendance month sync|validate``: the billing staff's monthly job from a terminal."""

import click
from flask.cli import with_appcontext

from attendance.cli.common import SIRET_OPTION, fail, organisation, purchase_order, staff_account
from attendance.clock import parse_month
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.french import hours_fr as hours
from attendance.months import operations
from attendance.months.lock import month_label


def _context(siret: str | None, bdc: str, month: str, email: str | None):
    org = organisation(siret)
    order = purchase_order(org, bdc)
    actor = staff_account(org, email) if email else None
    try:
        return org, order, parse_month(month), actor
    except DomainError as error:
        raise click.UsageError(error.message) from error


def _run(action):
    from tqdm import tqdm

    with tqdm(desc="Stagiaires", unit=" stagiaire", disable=None) as bar:
        try:
            result = action(bar)
        except DomainError as error:
            db.session.rollback()
            fail(error, key="blockers")
    db.session.commit()
    return result


@click.group("month")
def month_group():
    """Cycle mensuel : synchroniser, valider."""


@month_group.command("sync")
@click.option("--bdc", required=True, help="Numéro du bon de commande")
@click.option("--month", "month_text", required=True, help="Mois, AAAA-MM")
@click.option("--by", "email", help="E-mail du compte qui synchronise (historique)")
@SIRET_OPTION
@with_appcontext
def sync_command(bdc, month_text, email, siret):
    """Synchronise le mois : nouvelle version figée de la déclaration."""
    org, order, month, actor = _context(siret, bdc, month_text, email)
    declaration = _run(
        lambda bar: operations.synchronise(db.session, org, order.id, month, actor, bar)
    )
    click.echo(
        f"{month_label(month).capitalize()} synchronisé : version {declaration.version}, "
        f"{declaration.totals['trainees']} stagiaire(s), "
        + " ; ".join(
            f"{label} {hours(declaration.totals[key])}"
            for key, label in (
                ("presentiel_minutes", "présentiel"),
                ("fad_minutes", "FAD"),
                ("autoformation_minutes", "autoformation"),
                ("company_minutes", "entreprise"),
            )
        )
        + "."
    )


@month_group.command("validate")
@click.option("--bdc", required=True, help="Numéro du bon de commande")
@click.option("--month", "month_text", required=True, help="Mois, AAAA-MM")
@click.option("--by", "email", required=True, help="E-mail du compte qui valide")
@SIRET_OPTION
@with_appcontext
def validate_command(bdc, month_text, email, siret):
    """Valide le mois (il sera verrouillé)."""
    org, order, month, actor = _context(siret, bdc, month_text, email)
    _run(lambda bar: operations.validate(db.session, org, order.id, month, actor, bar))
    click.echo(f"{month_label(month).capitalize()} validé et verrouillé.")
