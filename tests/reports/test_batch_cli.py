"""`attendance documents`: the whole BDC and month as one zip, one PDF per trainee."""

import zipfile

from attendance.extensions import db
from tests.factories import march_group
from tests.reports.pdf_text import pdf_text


def test_cli_writes_one_zip_with_a_certificate_per_trainee(runner, tmp_path):
    org, order, *_ = march_group()
    db.session.commit()
    out = tmp_path / "lot.zip"
    result = runner.invoke(
        args=[
            "documents",
            "--bdc",
            order.number,
            "--month",
            "2026-03",
            "--out",
            str(out),
            "--siret",
            org.siret,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "7 document(s)" in result.output
    archive = zipfile.ZipFile(out)
    certificates = sorted(n for n in archive.namelist() if n.startswith("certificats/"))
    assert len(certificates) == 2
    texts = [pdf_text(archive.read(name)) for name in certificates]
    assert "DUPONT Marie" in texts[0] and "durée réalisée de 14,00 h" in texts[0]
    assert "MARTIN Luc" in texts[1] and "Correctif horaire" in texts[1]
    assert not (tmp_path / "lot.zip.partial").exists()


def test_cli_refuses_an_unknown_bdc_and_writes_nothing(runner, tmp_path):
    org, *_ = march_group()
    out = tmp_path / "lot.zip"
    result = runner.invoke(
        args=["documents", "--bdc", "NOPE", "--month", "2026-03", "--out", str(out)]
    )
    assert result.exit_code != 0
    assert "introuvable" in result.output
    assert not out.exists()


def test_cli_refuses_an_unknown_document_kind_in_french(runner, tmp_path):
    org, order, *_ = march_group()
    out = tmp_path / "lot.zip"
    result = runner.invoke(
        args=[
            "documents",
            "--bdc",
            order.number,
            "--month",
            "2026-03",
            "--out",
            str(out),
            "--kinds",
            "factures",
        ]
    )
    assert result.exit_code == 1
    assert "Type de document inconnu" in result.output
    assert not out.exists()
