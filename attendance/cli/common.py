"""What every command shares: the organisation it acts on, its BDC, and how a refusal ends it.

A command acts on one organisation: the only one, or the one named with ``--siret``. Every
later lookup starts from it (``attendance.tenancy``), so a BDC number another organisation
also uses is never picked up by mistake.
"""

import sys

import click
from sqlalchemy import select

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import Organisation, PurchaseOrder, User
from attendance.tenancy import purchase_order_by_number, user_by_email

SIRET_OPTION = click.option("--siret", help="SIRET de l'organisme (s'il y en a plusieurs)")


def fail(error: DomainError, *, key: str = "errors"):
    """Print a refusal in French (with its per-line reasons) and exit non-zero."""
    click.secho(f"Refusé ({error.code}) : {error.message}", fg="red", err=True)
    for item in error.details.get(key, []):
        click.echo(f"  - {item['message']}", err=True)
    sys.exit(1)


def organisation(siret: str | None) -> Organisation:
    statement = select(Organisation)
    if siret:
        statement = statement.where(Organisation.siret == siret)
    orgs = db.session.scalars(statement).all()
    if len(orgs) != 1:
        raise click.UsageError(
            "Précisez l'organisme avec --siret."
            if orgs
            else "Aucun organisme : lancez « attendance demo » ou créez-en un."
        )
    return orgs[0]


def purchase_order(org: Organisation, number: str) -> PurchaseOrder:
    order = purchase_order_by_number(db.session, org, number)
    if order is None:
        raise click.UsageError(f"Bon de commande « {number} » introuvable pour {org.name}.")
    return order


def staff_account(org: Organisation, email: str) -> User:
    user = user_by_email(db.session, org, email)
    if user is None:
        raise click.UsageError(f"Compte « {email} » introuvable dans {org.name}.")
    return user


def organisations(siret: str | None) -> list[Organisation]:
    """Every organisation, or the one with ``siret`` (commands that can run for all)."""
    statement = select(Organisation).order_by(Organisation.id)
    if siret:
        statement = statement.where(Organisation.siret == siret)
    return list(db.session.scalars(statement))
