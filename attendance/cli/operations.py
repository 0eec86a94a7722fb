"""``attendance backup`` and ``attendance restore``."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.operations.backups import backup, restore


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _fail(error: DomainError):
    click.secho(f"Erreur ({error.code}) : {error.message}", fg="red", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target):
    """Sauvegarde la base (SQLite : API de sauvegarde ; PostgreSQL : pg_dump, format custom)."""
    if target is None:
        suffix = "sqlite" if _url().startswith("sqlite") else "dump"
        target = Path(f"attendance-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{suffix}")
    try:
        written = backup(_url(), target)
    except DomainError as error:
        _fail(error)
    click.echo(f"Sauvegarde écrite : {written} ({written.stat().st_size} octets).")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation")
@with_appcontext
def restore_command(source, yes):
    """Remplace le contenu de la base par une sauvegarde (arrêtez d'abord le service)."""
    if not yes:
        click.confirm("Le contenu actuel de la base sera remplacé. Continuer ?", abort=True)
    db.session.remove()
    db.engine.dispose()  # the restore needs the database to itself
    try:
        restore(_url(), source)
    except DomainError as error:
        _fail(error)
    click.echo(f"Base restaurée depuis {source}.")


COMMANDS = (backup_command, restore_command)
