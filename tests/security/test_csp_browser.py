"""The Content-Security-Policy holds on the real pages: Chromium reports no violation
(no inline script or style, no foreign origin) on the staff pages and the phone pages."""

import pytest

from attendance.extensions import db
from attendance.signing.signins import issue_slot_qr
from tests.factories import PASSWORD, gen_user, make_room, presentiel_march, synchronise_month


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def _login(page, base, user):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.console_errors
def test_a_csp_violation_on_a_page_is_detected(live_server, page, app):
    """The probe works: an inline style injected into a page is refused and reported."""
    found = _violations(page)
    page.goto(f"{live_server}/login")
    page.evaluate(
        "() => { const s = document.createElement('style'); s.textContent = 'body{}';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert found, "an injected inline style must be reported as a CSP violation"


@pytest.mark.browser
def test_the_main_pages_pass_the_content_security_policy(live_server, page, app):
    org, order = presentiel_march()
    synchronise_month(order)
    billing = gen_user(org, "billing")
    room = make_room(n_trainees=2)
    trainer = room.trainer
    db.session.commit()
    found = _violations(page)

    _login(page, live_server, billing)
    for path in (
        "/",
        "/heures",
        f"/mois/{order.id}",
        f"/mois/{order.id}/2026-03",
        "/facturation",
        f"/facturation/{order.id}/2026-03",
        f"/documents/{order.id}/2026-03",
    ):
        response = page.goto(live_server + path)
        assert response.status == 200, path
    page.click("text=Se déconnecter")

    _login(page, live_server, trainer)
    for path in (f"/seances/{room.slot.id}", f"/seances/{room.slot.id}/qr"):
        assert page.goto(live_server + path).status == 200, path
    page.wait_for_timeout(500)  # the QR page and the roster fetch and draw their content

    db.session.rollback()  # see what the server threads committed
    token, _ = issue_slot_qr(db.session, room.slot)
    db.session.commit()
    for path in ("/e", f"/e/{room.slot.id}?t={token}", "/login"):
        page.goto(live_server + path)
    page.wait_for_timeout(300)
    assert found == []
