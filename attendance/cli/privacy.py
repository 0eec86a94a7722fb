"""``attendance retention [--dry-run]``: anonymise trainees past the retention period."""

import click
from flask.cli import with_appcontext

from attendance import clock
from attendance.cli.common import organisations
from attendance.extensions import db
from attendance.privacy.retention import retention_candidates, run_retention


def _today():
    return clock.today()


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Liste ce qui serait anonymisé, sans rien modifier")
@click.option("--siret", help="Un seul organisme (par défaut : tous)")
@with_appcontext
def retention_command(dry_run, siret):
    """Anonymise les stagiaires dont la durée de conservation des preuves est échue.

    Noms, coordonnées, signatures, téléphones et invitations disparaissent ; heures,
    totaux mensuels et factures restent intacts ; le journal de preuves garde la trace."""
    from tqdm import tqdm

    today = _today()
    for org in organisations(siret):
        total = len(retention_candidates(db.session, org, today))
        db.session.commit()
        with tqdm(total=total, desc=org.name, unit=" stagiaire", disable=None) as bar:
            run = run_retention(db.session, org, today, dry_run, progress=bar.update)
        click.echo(
            f"{org.name} (SIRET {org.siret}) : conservation {org.retention_years} ans après la "
            f"fin de formation, {org.retention_cofinanced_years} ans si cofinancée."
        )
        for c in run.candidates:
            click.echo(
                f"  - {c.name} (stagiaire n° {c.trainee_id}) : formation terminée le "
                f"{c.training_end:%d/%m/%Y}, conservation jusqu'au {c.kept_until:%d/%m/%Y} ; "
                f"{c.signatures} signature(s), {c.devices} téléphone(s), "
                f"{c.invitations} invitation(s)."
            )
        if dry_run:
            click.echo(
                f"  Simulation : {len(run.candidates)} stagiaire(s) seraient anonymisé(s). "
                "Rien n'a été modifié."
            )
        else:
            click.echo(
                f"  {run.anonymised} stagiaire(s) anonymisé(s) ; heures, totaux et factures "
                "conservés ; chaque suppression est inscrite au journal de preuves."
            )


COMMANDS = (retention_command,)
