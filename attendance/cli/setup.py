"""Setting up: staff accounts, the trainee import, the demo and the server."""

import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade
from tqdm import tqdm

from attendance.accounts import change_password, create_user
from attendance.cli.common import SIRET_OPTION, fail, organisation, staff_account
from attendance.contract.importer import import_file
from attendance.demo import load_demo
from attendance.errors import DomainError
from attendance.extensions import db


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Nom affiché")
@click.option(
    "--role", type=click.Choice(["admin", "billing", "trainer", "auditor"]), required=True
)
@SIRET_OPTION
@click.password_option("--password", help="Au moins 10 caractères")
@with_appcontext
def create_user_command(email, full_name, role, siret, password):
    """Crée un compte (administrateur, facturation, formateur ou auditeur)."""
    org = organisation(siret)
    try:
        user = create_user(db.session, org, email, full_name, role, password)
    except DomainError as error:
        db.session.rollback()
        fail(error)
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({user.role}) pour {org.name}.")


@click.command("set-password")
@click.option("--email", required=True)
@SIRET_OPTION
@click.password_option("--password", help="Au moins 10 caractères")
@with_appcontext
def set_password_command(email, siret, password):
    """Change le mot de passe d'un compte et ferme ses sessions et jetons d'accès."""
    org = organisation(siret)
    user = staff_account(org, email)
    try:
        change_password(db.session, user, password)
    except DomainError as error:
        db.session.rollback()
        fail(error)
    db.session.commit()
    click.echo(f"Mot de passe changé pour {user.email} : ses sessions et jetons sont fermés.")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@SIRET_OPTION
@with_appcontext
def import_command(path, siret):
    """Importe stagiaires et parcours depuis un fichier xlsx ou CSV (tout ou rien)."""
    org = organisation(siret)
    content = path.read_bytes()
    with tqdm(desc="Lignes", unit=" ligne", disable=None) as bar:
        try:
            result = import_file(db.session, org, path.name, content, progress=bar.update)
        except DomainError as error:
            db.session.rollback()
            fail(error)
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


COMMANDS = (create_user_command, set_password_command, import_command, demo_command, serve_command)
