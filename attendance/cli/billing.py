"""``attendance invoice``: a BDC's month lines on the terminal, exported, or issued."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from attendance.cli.common import SIRET_OPTION, fail, organisation, purchase_order
from attendance.clock import parse_month
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.french import hours_fr
from billing import pricing
from billing.exports import lines_csv, lines_xlsx
from billing.invoices import issue_invoice
from billing.lines import Statement, month_statement
from billing.numbering import run_with_retries
from billing.pdf import invoice_pdf


def _print(statement: Statement) -> None:
    head = f"{statement.order.number} — {statement.month:%Y-%m} — {statement.label}"
    click.secho(head, bold=True, fg="yellow" if statement.preview else None)
    for line in statement.lines:
        unit = "h-groupe" if line.billing_unit == "group_hour" else "h-stagiaire"
        click.echo(
            f"  {line.code:<14} {hours_fr(line.billable_minutes):>11} {unit:<11} × "
            f"{pricing.price_fr(line.unit_price):>10} = {pricing.euros_fr(line.amount):>14}"
        )
        for item in line.not_billed:
            click.echo(f"      non facturé : {item.reason}")
    click.echo(f"  Total HT : {pricing.euros_fr(statement.total_excl_vat)}")
    if statement.vat_exempt:
        click.echo(f"  {pricing.VAT_EXEMPT_MENTION_FR}")
    else:
        click.echo(f"  TVA : {pricing.euros_fr(statement.vat_amount)}")
    click.echo(f"  Total TTC : {pricing.euros_fr(statement.total_incl_vat)}")
    click.echo(
        f"  Cumul facturé depuis le début du BDC : {pricing.euros_fr(statement.cumulative_total)}"
    )
    click.echo(f"  {statement.rounding_note}")


@click.command("invoice")
@click.option("--bdc", "number", required=True, help="Numéro du bon de commande")
@click.option("--month", required=True, help="Mois AAAA-MM")
@SIRET_OPTION
@click.option("--preview", is_flag=True, help="Aperçu d'un mois non validé (non facturable)")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--issue", is_flag=True, help="Émettre la facture (mois validé uniquement)")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def invoice_command(number, month, siret, preview, csv_path, xlsx_path, issue, pdf_path):
    """Lignes de facturation d'un bon de commande pour un mois ; --issue émet la facture."""
    from tqdm import tqdm

    org = organisation(siret)
    order = purchase_order(org, number)
    if issue and preview:
        raise click.UsageError("--issue et --preview s'excluent : un aperçu ne se facture pas.")
    if pdf_path and not issue:
        raise click.UsageError("--pdf accompagne --issue : seule une facture émise a un PDF.")
    try:
        first = parse_month(month)
        with tqdm(desc="Mois lus", unit=" mois", disable=None, leave=False) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(1)

            statement = month_statement(
                db.session, org, order.id, first, preview=preview, progress=progress
            )
        _print(statement)
        if csv_path:
            csv_path.write_bytes(lines_csv(statement))
            click.echo(f"CSV écrit : {csv_path}")
        if xlsx_path:
            xlsx_path.write_bytes(lines_xlsx(statement))
            click.echo(f"Classeur écrit : {xlsx_path}")
        if issue:
            invoice = run_with_retries(
                db.session, lambda: issue_invoice(db.session, org, None, order.id, first)
            )
            click.secho(f"Facture émise : {invoice.number}", fg="green")
            if pdf_path:
                pdf_path.write_bytes(invoice_pdf(invoice))
                click.echo(f"PDF écrit : {pdf_path}")
    except DomainError as error:
        db.session.rollback()
        fail(error)
