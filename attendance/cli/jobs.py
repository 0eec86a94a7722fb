"""``attendance jobs run``: run every waiting background job in this process."""

import click
from flask.cli import with_appcontext

from attendance import jobs
from attendance.extensions import db


@click.group("jobs")
def jobs_group():
    """Travaux en arrière-plan (zip de documents…)."""


@jobs_group.command("run")
@with_appcontext
def run_command():
    """Exécute les travaux en attente, et ceux dont le processus s'est arrêté en route."""
    count = jobs.run_waiting(db.session)
    click.echo(f"{count} travail(s) exécuté(s).")


COMMANDS = (jobs_group,)
