"""``attendance remind`` (cron, every few minutes) and ``attendance digest`` (cron, daily)."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from attendance.extensions import db
from attendance.notify.channels import email_channel
from attendance.notify.digest import send_digests
from attendance.notify.reminders import send_due_reminders


@click.command("remind")
@with_appcontext
def remind_command():
    """Envoie les relances dues (stagiaires sans signature, séances non validées).

    Sans risque de double envoi si plusieurs serveurs la lancent en même temps."""
    from tqdm import tqdm

    with tqdm(desc="Relances", unit=" relance", disable=None) as bar:
        report = send_due_reminders(
            db.session, email_channel(current_app.config), progress=bar.update
        )
    click.echo(
        f"{report.sent} relance(s) envoyée(s), {report.failed} en échec (nouvel essai au "
        f"prochain passage), {report.taken_elsewhere} prise(s) en charge par un autre passage."
    )
    for error in report.errors[:20]:
        click.echo(f"  - échec : {error}", err=True)
    sys.exit(1 if report.failed else 0)


@click.command("digest")
@with_appcontext
def digest_command():
    """Envoie au service facturation le récapitulatif quotidien des séances à régulariser."""
    report = send_digests(db.session, email_channel(current_app.config))
    click.echo(
        f"{report.sent} récapitulatif(s) envoyé(s), {report.failed} en échec ; "
        f"{report.nothing_to_report} organisme(s) sans point ouvert."
    )
    for error in report.errors[:20]:
        click.echo(f"  - échec : {error}", err=True)
    sys.exit(1 if report.failed else 0)


COMMANDS = (remind_command, digest_command)
