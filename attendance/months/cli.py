"""``attendance month sync|validate``: the billing staff's monthly job from a terminal."""

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.hours.periods import parse_month
from attendance.models import Organisation, PurchaseOrder, User
from attendance.months import operations
from attendance.months.lock import month_label


def _context(bdc: str, month: str, email: str | None):
    order = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == bdc))
    if order is None:
        raise click.UsageError(f"Bon de commande « {bdc} » introuvable.")
    actor = None
    if email:
        actor = db.session.scalar(
            select(User).where(
                User.email == email.lower(), User.organisation_id == order.organisation_id
            )
        )
        if actor is None:
            raise click.UsageError(f"Compte « {email} » introuvable dans cet organisme.")
    try:
        return order, parse_month(month), actor
    except DomainError as error:
        raise click.UsageError(error.message) from error


def _run(action):
    from tqdm import tqdm

    with tqdm(desc="Stagiaires", unit=" stagiaire", disable=None) as bar:
        try:
            result = action(bar)
        except DomainError as error:
            db.session.rollback()
            click.secho(f"Refusé ({error.code}) : {error.message}", fg="red", err=True)
            for item in error.details.get("blockers", []):
                click.echo(f"  - {item['message']}", err=True)
            sys.exit(1)
    db.session.commit()
    return result


@click.group("month")
def month_group():
    """Cycle mensuel : synchroniser, valider."""


@month_group.command("sync")
@click.option("--bdc", required=True, help="Numéro du bon de commande")
@click.option("--month", "month_text", required=True, help="Mois, AAAA-MM")
@click.option("--by", "email", help="E-mail du compte qui synchronise (historique)")
@with_appcontext
def sync_command(bdc, month_text, email):
    """Synchronise le mois : nouvelle version figée de la déclaration."""
    order, month, actor = _context(bdc, month_text, email)
    declaration = _run(
        lambda bar: operations.synchronise(db.session, _org(order), order.id, month, actor, bar)
    )
    click.echo(
        f"{month_label(month).capitalize()} synchronisé : version {declaration.version}, "
        f"{declaration.totals['trainees']} stagiaire(s), "
        f"{declaration.totals['centre_minutes'] / 60:.2f} h centre."
    )


@month_group.command("validate")
@click.option("--bdc", required=True, help="Numéro du bon de commande")
@click.option("--month", "month_text", required=True, help="Mois, AAAA-MM")
@click.option("--by", "email", required=True, help="E-mail du compte qui valide")
@with_appcontext
def validate_command(bdc, month_text, email):
    """Valide le mois (il sera verrouillé)."""
    order, month, actor = _context(bdc, month_text, email)
    _run(lambda bar: operations.validate(db.session, _org(order), order.id, month, actor, bar))
    click.echo(f"{month_label(month).capitalize()} validé et verrouillé.")


def _org(order: PurchaseOrder) -> Organisation:
    return db.session.get(Organisation, order.organisation_id)
