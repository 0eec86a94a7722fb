"""In Chromium: billing staff send a trainee's invitation from the phone page, see it
pending, print the A4 sheet with its QR code; the trainee opens the e-mailed link on a phone
and the staff page then shows the phone bound."""

import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader

from attendance.extensions import db
from tests.factories import PASSWORD, gen_org, gen_trainee, gen_user

pytestmark = pytest.mark.browser
zxingcpp = pytest.importorskip("zxingcpp")

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
}


def test_staff_invite_by_email_print_the_sheet_see_the_phone_bound_then_unbind_it(
    app, chromium, live_server, smtp
):
    org = gen_org("Centre Garonne")
    billing = gen_user(org, "billing")
    trainee = gen_trainee(org, first_name="Léa", last_name="Martin", email="lea@example.org")
    db.session.commit()
    staff = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    phone = chromium.new_context(**PHONE)
    errors = []
    try:
        page = staff.new_page()
        # Until the shell's favicon lands, /favicon.ico is the one 404 allowed.
        staff.on(
            "response",
            lambda r: r.status >= 400 and "favicon" not in r.url and errors.append(r.url),
        )
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.text.startswith("Failed to load resource")
                and errors.append(m.text)
            ),
        )
        page.goto(f"{live_server}/login")
        page.get_by_label("Adresse e-mail").fill(billing.email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server}/")

        page.goto(f"{live_server}/stagiaires/{trainee.id}/telephone")
        assert "Aucun téléphone enregistré" in page.locator("#phone").inner_text()
        page.get_by_role("button", name="Envoyer l'invitation par e-mail").click()
        assert (
            "Invitation envoyée par e-mail à lea@example.org" in page.locator(".flash").inner_text()
        )
        pending = page.locator("#invitations tbody tr")
        assert pending.count() == 1 and "par e-mail à lea@example.org" in pending.inner_text()

        with staff.expect_page() as opened:
            page.get_by_role("button", name="Imprimer une invitation").click()
        sheet = opened.value
        sheet.wait_for_load_state()
        qr = sheet.get_by_role("img", name="QR code")
        assert qr.is_visible()
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
        assert found and found[0].text.startswith(f"{live_server}/i/")
        sheet.emulate_media(media="print")
        assert not sheet.get_by_role("button", name="Imprimer").is_visible()
        pdf = PdfReader(io.BytesIO(sheet.pdf(format="A4")))
        assert len(pdf.pages) == 1  # the whole invitation fits on one A4 sheet
        assert "Martin" in pdf.pages[0].extract_text()

        (mail,) = smtp.to("lea@example.org")
        link = re.search(r"http://\S+/i/\S+", mail.body).group(0)
        assert link.startswith(live_server)
        mobile = phone.new_page()
        mobile.goto(link)
        mobile.get_by_role("button", name="Enregistrer ce téléphone").click()
        mobile.wait_for_selector("text=Téléphone enregistré")

        page.reload()
        bound = page.locator("#phone").inner_text()
        assert "Android 14 · Chrome" in bound and "Enregistré le" in bound
        assert "Retirer ce téléphone" in bound

        # The phone is lost: staff unbind it (asked first), and the page says when and who.
        questions = []
        page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="Retirer ce téléphone").click()
        page.wait_for_selector("[data-revoked]")
        assert questions and questions[0].startswith("Retirer ce téléphone ?")
        unbound = page.locator("#phone").inner_text()
        assert "Aucun téléphone enregistré" in unbound
        assert "Dernier téléphone retiré le" in unbound and billing.full_name in unbound
        assert not errors
    finally:
        phone.close()
        staff.close()
