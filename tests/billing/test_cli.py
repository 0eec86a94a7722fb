"""``attendance invoice --bdc … --month …`` through Flask's CLI runner."""

from pypdf import PdfReader

from attendance.extensions import db
from attendance.models import Invoice
from tests.factories import presentiel_march, validate_month


def test_invoice_command_refuses_a_draft_month_and_previews_it_on_request(runner, app):
    org, order = presentiel_march()
    db.session.commit()
    refused = runner.invoke(args=["invoice", "--bdc", order.number, "--month", "2026-03"])
    assert refused.exit_code == 1
    assert "MONTH_NOT_VALIDATED" in refused.output
    preview = runner.invoke(
        args=["invoice", "--bdc", order.number, "--month", "2026-03", "--preview"]
    )
    assert preview.exit_code == 0, preview.output
    assert "Aperçu — mois non validé" in preview.output
    assert "210,42 €" in preview.output


def test_invoice_command_exports_and_issues_a_validated_month(runner, app, tmp_path):
    org, order = presentiel_march()
    validate_month(order)
    db.session.commit()
    csv, pdf = tmp_path / "lignes.csv", tmp_path / "facture.pdf"
    args = ["invoice", "--bdc", order.number, "--month", "2026-03", "--csv", str(csv)]
    result = runner.invoke(args=[*args, "--issue", "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "16,83 h" in result.output and "210,42 €" in result.output
    assert "TVA non applicable" in result.output
    assert "Facture émise : FA-" in result.output
    assert "210,42" in csv.read_bytes().decode("utf-8-sig")
    assert "210,42 €" in PdfReader(str(pdf)).pages[0].extract_text()
    db.session.expire_all()
    assert db.session.query(Invoice).count() == 1
    twice = runner.invoke(args=[*args, "--issue"])
    assert twice.exit_code == 1 and "INVOICE_EXISTS" in twice.output


def test_invoice_command_names_an_unknown_bdc(runner, app):
    presentiel_march()
    db.session.commit()
    result = runner.invoke(args=["invoice", "--bdc", "BDC-INCONNU", "--month", "2026-03"])
    assert result.exit_code == 2 and "BDC-INCONNU" in result.output
