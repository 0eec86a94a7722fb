"""A new organisation and its first administrator, for whoever hosts several."""

import os

import click
from flask import current_app, url_for
from flask.cli import with_appcontext

from attendance.accounts import activation_token, create_user
from attendance.cli.common import fail
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.organisations import create_organisation

PASSWORD_ENV = "ATTENDANCE_ADMIN_PASSWORD"


def _activation_link(user, base_url: str) -> str:
    token = activation_token(user, current_app.config["SECRET_KEY"])
    with current_app.test_request_context(base_url=base_url):
        return url_for("settings_pages.activate", token=token, _external=True)


@click.command("create-organisation")
@click.option("--name", required=True, help="Raison sociale")
@click.option("--siret", required=True, help="SIRET (14 chiffres, clé de contrôle vérifiée)")
@click.option("--address", default="", help="Adresse postale")
@click.option("--admin-email", required=True, help="E-mail du premier administrateur")
@click.option("--admin-name", required=True, help="Nom du premier administrateur")
@click.option(
    "--set-password",
    is_flag=True,
    help=f"Demander le mot de passe (ou le lire dans {PASSWORD_ENV}) au lieu d'un lien",
)
@click.option(
    "--url",
    "base_url",
    default=lambda: os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000"),
    show_default="PUBLIC_URL ou http://127.0.0.1:8000",
    help="Adresse publique du service, pour le lien d'activation",
)
@with_appcontext
def create_organisation_command(
    name, siret, address, admin_email, admin_name, set_password, base_url
):
    """Crée un organisme et son premier administrateur (lien d'activation ou mot de passe)."""
    password = None
    if set_password:
        password = os.environ.get(PASSWORD_ENV) or click.prompt(
            "Mot de passe (au moins 10 caractères)", hide_input=True, confirmation_prompt=True
        )
    try:
        org = create_organisation(db.session, name, siret, address)
        admin = create_user(db.session, org, admin_email, admin_name, "admin", password)
    except DomainError as error:
        db.session.rollback()
        for message in error.details.get("fields", {}).values():
            click.echo(f"  - {message}", err=True)
        fail(error)
    db.session.commit()
    click.echo(f"Organisme créé : {org.name} (SIRET {org.siret}).")
    if password is None:
        link = _activation_link(admin, base_url)
        click.echo(f"Administrateur {admin.email} : choisissez le mot de passe ici :\n{link}")
    else:
        click.echo(f"Administrateur {admin.email} créé avec son mot de passe.")


COMMANDS = (create_organisation_command,)
