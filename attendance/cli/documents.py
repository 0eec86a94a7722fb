"""``attendance documents``: a BDC's certificates, attestations and sheets as one zip."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from attendance.cli.common import SIRET_OPTION, fail, organisation, purchase_order
from attendance.errors import DomainError
from attendance.extensions import db
from reports.batch import batch_items, write_zip
from reports.period import Period


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
@SIRET_OPTION
@with_appcontext
def documents_command(number, month, last_month, out, kinds, siret):
    """Produit en un zip les certificats, attestations et feuilles d'émargement d'un BDC."""
    org = organisation(siret)
    order = purchase_order(org, number)
    try:
        period = Period.parse(month, last_month)
        items = batch_items(db.session, org, order.id, period, kinds.split(","))
    except DomainError as error:
        fail(error)
    partial = out.with_name(out.name + ".partial")
    with (
        partial.open("wb") as handle,
        tqdm(total=len(items), desc="Documents", unit=" pdf", disable=None) as bar,
    ):
        count = write_zip(items, handle, progress=bar.update)
    partial.replace(out)
    click.echo(f"{count} document(s) écrit(s) dans {out}.")
