"""The ``attendance`` command: Flask's CLI (with ``db`` from Flask-Migrate) plus our own."""

import os
import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import Organisation


def _create_app():
    from attendance import create_app

    return create_app()


def _fail(error: DomainError):
    click.secho(f"Erreur ({error.code}) : {error.message}", fg="red", err=True)
    for item in error.details.get("errors", []):
        click.echo(f"  - {item['message']}", err=True)
    sys.exit(1)


def _organisation(siret: str | None) -> Organisation:
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


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Nom affiché")
@click.option(
    "--role", type=click.Choice(["admin", "billing", "trainer", "auditor"]), required=True
)
@click.option("--siret", help="SIRET de l'organisme (s'il y en a plusieurs)")
@click.password_option("--password", help="Au moins 10 caractères")
@with_appcontext
def create_user_command(email, full_name, role, siret, password):
    """Crée un compte (administrateur, facturation, formateur ou auditeur)."""
    from attendance.services.auth import create_user

    org = _organisation(siret)
    try:
        user = create_user(db.session, org, email, full_name, role, password)
    except DomainError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({user.role}) pour {org.name}.")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--siret", help="SIRET de l'organisme (s'il y en a plusieurs)")
@with_appcontext
def import_command(path, siret):
    """Importe stagiaires et parcours depuis un fichier xlsx ou CSV (tout ou rien)."""
    from tqdm import tqdm

    from attendance.services.importer import import_file

    org = _organisation(siret)
    content = path.read_bytes()
    with tqdm(desc="Lignes", unit=" ligne", disable=None) as bar:
        try:
            result = import_file(db.session, org, path.name, content, progress=bar.update)
        except DomainError as error:
            db.session.rollback()
            _fail(error)
    db.session.commit()
    click.echo(
        f"Import terminé : {result['trainees_created']} stagiaire(s) créé(s), "
        f"{result['trainees_matched']} retrouvé(s), {result['pathways_created']} parcours."
    )


@click.command("demo")
@click.option(
    "--password",
    default="demo-password",
    show_default=True,
    help="Mot de passe des comptes de démonstration",
)
@with_appcontext
def demo_command(password):
    """Met la base à jour et charge un organisme de démonstration (une seule fois)."""
    from flask_migrate import upgrade

    from attendance.services.demo import load_demo

    upgrade()
    summary = load_demo(db.session, password)
    db.session.commit()
    click.echo(summary)


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@click.command("serve")
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000"
)
@click.option(
    "--workers",
    default=lambda: int(os.environ.get("WEB_CONCURRENCY", "2")),
    type=int,
    show_default="2",
)
def serve_command(host, port, workers):
    """Sert l'application avec gunicorn (SQLite par défaut, DATABASE_URL sinon)."""
    if host in LOOPBACK_HOSTS:
        # The demo over plain http on this machine only: browsers drop Secure cookies there.
        os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
        os.environ.setdefault("SIGNING_COOKIE_SECURE", "0")
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--logger-class",
        "attendance.security.logs.RedactingLogger",
        "attendance:create_app()",
    ]
    click.echo(f"Service sur http://{host}:{port}/ (API : /api/docs)")
    os.execvp(args[0], args)


@click.command("documents")
@click.option("--bdc", "number", required=True, help="Numéro du bon de commande")
@click.option("--month", required=True, help="Mois AAAA-MM (premier mois si --to)")
@click.option("--to", "last_month", help="Dernier mois AAAA-MM (par défaut : --month)")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Fichier zip à écrire",
)
@click.option(
    "--kinds",
    default="certificats,assiduite,emargement",
    show_default=True,
    help="Documents à produire, séparés par des virgules",
)
@click.option("--siret", help="SIRET de l'organisme (s'il y en a plusieurs)")
@with_appcontext
def documents_command(number, month, last_month, out, kinds, siret):
    """Produit en un zip les certificats, attestations et feuilles d'émargement d'un BDC."""
    from tqdm import tqdm

    from attendance.models import PurchaseOrder
    from reports.batch import batch_items, write_zip
    from reports.period import Period

    org = _organisation(siret)
    order = db.session.scalar(
        select(PurchaseOrder).where(
            PurchaseOrder.organisation_id == org.id, PurchaseOrder.number == number
        )
    )
    if order is None:
        raise click.UsageError(f"Bon de commande « {number} » introuvable pour {org.name}.")
    try:
        period = Period.parse(month, last_month)
        items = batch_items(db.session, org, order.id, period, kinds.split(","))
    except DomainError as error:
        _fail(error)
    partial = out.with_name(out.name + ".partial")
    with (
        partial.open("wb") as handle,
        tqdm(total=len(items), desc="Documents", unit=" pdf", disable=None) as bar,
    ):
        count = write_zip(items, handle, progress=bar.update)
    partial.replace(out)
    click.echo(f"{count} document(s) écrit(s) dans {out}.")


def register_commands(app) -> None:
    from attendance.months.cli import month_group
    from attendance.notify.cli import COMMANDS as notify_commands
    from attendance.operations.cli import COMMANDS as operations_commands
    from attendance.privacy.cli import COMMANDS as privacy_commands
    from attendance.signing.cli import COMMANDS as signing_commands
    from billing.cli import invoice_command

    for command in (
        create_user_command,
        import_command,
        demo_command,
        serve_command,
        month_group,
        documents_command,
        invoice_command,
        *signing_commands,
        *notify_commands,
        *privacy_commands,
        *operations_commands,
    ):
        app.cli.add_command(command)


main = FlaskGroup(
    create_app=_create_app, add_version_option=False, help="Émargement électronique et facturation."
)
