"""What every staff form may hold: one check of every field, before any page reads it.

Every field of the pages is a single-line input (names, reasons, e-mail, PIN) except the few
text areas of ``MULTILINE`` (which keep their line breaks and tabs), so a control character
or a lone surrogate in any of them is refused with a French 422 page naming the field
(``attendance.text``), whichever page the form posts to.
"""

from flask import request

from attendance.text import check_text

# How the forms label their fields, so the refusal names what the person sees.
LABELS = {
    "email": "Adresse e-mail",
    "password": "Mot de passe",
    "reason": "Motif",
    "motif": "Motif",
    "absence_reason": "Motif d'absence",
    "status": "Statut",
    "signature": "Signature",
    "address": "Adresse",
    "payment_terms": "Conditions de paiement",
    "invoice_mentions": "Mentions des factures",
}
# The text areas (organisation settings): several lines are what they are for.
MULTILINE = {"address", "payment_terms", "invoice_mentions"}


def refuse_forbidden_form_text() -> None:
    """Before-request hook of the pages: form fields only (JSON bodies are the API's)."""
    if request.method != "POST" or request.is_json:
        return
    for name, value in request.form.items(multi=True):
        check_text(LABELS.get(name, name), value, multiline=name in MULTILINE)
