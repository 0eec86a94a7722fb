"""Billing API: lines, exports, invoices, credit notes, PDF; roles and tenant isolation."""

import io

import pytest
from openpyxl import load_workbook

from attendance.extensions import db
from attendance.models import Invoice, InvoiceCounter
from tests.api.helpers import assert_error, count
from tests.factories import gen_user, presentiel_march, token_for, validate_month

BASE = "/api/billing"


def _setup(validated=True, role="billing"):
    org, order = presentiel_march()
    if validated:
        validate_month(order)
    headers = token_for(gen_user(org, role))
    return org, order, headers


def _lines_url(order, suffix=""):
    return f"{BASE}/purchase-orders/{order.id}/months/2026-03/lines{suffix}"


def test_lines_of_a_draft_month_are_refused_but_previewed_with_a_mark(client, app):
    _, order, headers = _setup(validated=False)
    body = assert_error(client.get(_lines_url(order), headers=headers), 409, "MONTH_NOT_VALIDATED")
    assert "aperçu" in body["message"]
    preview = client.get(_lines_url(order) + "?preview=true", headers=headers).get_json()
    assert preview["preview"] is True and preview["label"] == "Aperçu — mois non validé"
    assert preview["lines"][0]["amount"] == "210.42"
    csv = client.get(_lines_url(order, ".csv") + "?preview=true", headers=headers)
    assert csv.status_code == 200 and "apercu" in csv.headers["Content-Disposition"]


def test_lines_show_billable_and_not_billed_hours_with_exact_money(client, app):
    _, order, headers = _setup()
    body = client.get(_lines_url(order), headers=headers).get_json()
    [line] = body["lines"]
    assert line["billable_minutes"] == 1010 and line["billable_hours"] == 16.83
    assert line["realised_hours_by_class"]["company"] == 7.0
    assert line["not_billed"][0]["code"] == "company"
    assert body["total_excl_vat"] == body["total_incl_vat"] == "210.42"
    assert body["vat_mention"] == "TVA non applicable, art. 261-4-4° du CGI"
    assert "ROUND_HALF_UP" in body["rounding_note"]


def test_exports_download_csv_and_xlsx(client, app):
    _, order, headers = _setup()
    csv = client.get(_lines_url(order, ".csv"), headers=headers)
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    assert "210,42" in csv.data.decode("utf-8-sig")
    xlsx = client.get(_lines_url(order, ".xlsx"), headers=headers)
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.data)).active["D5"].value == order.composantes[0].title


def test_issue_then_credit_an_invoice_through_the_api(client, app):
    _, order, headers = _setup()
    issued = client.post(
        f"{BASE}/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=headers,
    )
    assert issued.status_code == 201, issued.get_json()
    invoice = issued.get_json()
    assert invoice["number"].startswith("FA-") and invoice["number"].endswith("-0001")
    assert invoice["lines"][0]["amount"] == "210.42"
    again = client.post(
        f"{BASE}/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=headers,
    )
    assert_error(again, 409, "INVOICE_EXISTS")
    assert count(Invoice) == 1
    pdf = client.get(f"{BASE}/invoices/{invoice['id']}/pdf", headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    note = client.post(
        f"{BASE}/invoices/{invoice['id']}/credit-note", json={"reason": "Erreur"}, headers=headers
    )
    assert note.status_code == 201
    assert note.get_json()["total_excl_vat"] == "-210.42"
    assert note.get_json()["corrects_invoice_id"] == invoice["id"]
    listed = client.get(f"{BASE}/invoices?purchase_order_id={order.id}", headers=headers)
    assert [i["kind"] for i in listed.get_json()["items"]] == ["credit_note", "invoice"]


def test_a_refused_issue_writes_nothing_not_even_a_counter(client, app):
    _, order, headers = _setup(validated=False)
    refused = client.post(
        f"{BASE}/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=headers,
    )
    assert_error(refused, 409, "MONTH_NOT_VALIDATED")
    bad = client.post(
        f"{BASE}/invoices", json={"purchase_order_id": order.id, "month": "mars"}, headers=headers
    )
    assert bad.status_code == 422
    assert count(Invoice) == 0 and count(InvoiceCounter) == 0


@pytest.mark.parametrize("role", ["trainer"])
def test_trainers_see_no_billing(client, app, role):
    _, order, headers = _setup(role=role)
    assert_error(client.get(_lines_url(order), headers=headers), 403, "FORBIDDEN")


def test_auditors_read_but_do_not_issue(client, app):
    _, order, headers = _setup(role="auditor")
    assert client.get(_lines_url(order), headers=headers).status_code == 200
    refused = client.post(
        f"{BASE}/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=headers,
    )
    assert_error(refused, 403, "FORBIDDEN")
    assert count(Invoice) == 0


def test_another_organisations_bdc_and_invoices_answer_404_everywhere(client, app):
    _, order, headers = _setup()
    issued = client.post(
        f"{BASE}/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=headers,
    ).get_json()
    _, _, stranger = _setup()
    for url in (
        _lines_url(order),
        _lines_url(order, ".csv"),
        _lines_url(order, ".xlsx"),
        f"{BASE}/invoices/{issued['id']}",
        f"{BASE}/invoices/{issued['id']}/pdf",
        f"{BASE}/invoices?purchase_order_id={order.id}",
    ):
        assert_error(client.get(url, headers=stranger), 404, "NOT_FOUND")
    post = client.post(
        f"{BASE}/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=stranger,
    )
    assert_error(post, 404, "NOT_FOUND")
    credit = client.post(
        f"{BASE}/invoices/{issued['id']}/credit-note", json={"reason": "x"}, headers=stranger
    )
    assert_error(credit, 404, "NOT_FOUND")
    assert count(Invoice) == 1
    db.session.rollback()
