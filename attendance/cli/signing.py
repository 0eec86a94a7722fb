"""``attendance audit verify`` and ``attendance keys rotate``."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from attendance.cli.common import organisations
from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import SigningKey
from attendance.signing.keys import rotate_keys


@click.group("audit")
def audit_group():
    """Contrôles du journal de preuves."""


@audit_group.command("verify")
@click.option("--siret", help="Un seul organisme (par défaut : tous)")
@with_appcontext
def verify_command(siret):
    """Vérifie le chaînage du journal de preuves et nomme la première entrée rompue."""
    broken = False
    for org in organisations(siret):
        report = verify_chain(db.session, org)
        if report.broken_at is not None or report.problem:
            broken = True
            click.secho(
                f"{org.name} (SIRET {org.siret}) : journal ROMPU à l'{report.where} — "
                f"{report.problem}.",
                fg="red",
            )
            continue
        line = (
            f"{org.name} (SIRET {org.siret}) : {report.entries} entrée(s) dans "
            f"{report.chains} chaîne(s), chaînes intègres."
        )
        if report.altered_records:
            broken = True
            ids = ", ".join(map(str, report.altered_records[:20]))
            click.secho(f"{line} Émargement(s) modifié(s) hors journal : {ids}.", fg="red")
            continue
        click.secho(line, fg="green")
        if report.unlogged_records:
            click.echo(
                f"  {len(report.unlogged_records)} émargement(s) antérieur(s) au journal "
                "(import ou démonstration) : non couverts."
            )
    sys.exit(1 if broken else 0)


@click.group("keys")
def keys_group():
    """Clés de signature des QR codes et liens."""


@keys_group.command("rotate")
@click.option(
    "--alg",
    type=click.Choice(["HS256", "EdDSA"]),
    default=None,
    help="Algorithme de la nouvelle clé (par défaut : SIGNING_ALG)",
)
@with_appcontext
def rotate_command(alg):
    """Crée une nouvelle clé de signature ; les anciennes vérifient encore ce qu'elles ont signé."""
    key = rotate_keys(db.session, alg or current_app.config.get("SIGNING_ALG", "HS256"))
    db.session.commit()
    click.echo(f"Nouvelle clé {key.kid} ({key.alg}) active.")


@keys_group.command("list")
@with_appcontext
def list_command():
    """Liste les clés (jamais leur secret)."""
    for key in db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)):
        state = f"retirée le {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else "active"
        click.echo(f"{key.kid}  {key.alg}  créée le {key.created_at:%Y-%m-%d %H:%M}  {state}")


COMMANDS = (audit_group, keys_group)
