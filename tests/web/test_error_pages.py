"""Failures on pages answer a French page with the message and a way back home; the API and
JSON-asking clients keep the JSON error body."""

from attendance.errors import Conflict


def _is_french_error_page(response, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert 'href="/"' in html and "Retour à l'accueil" in html
    return html


def test_an_unknown_page_answers_a_french_page_with_a_link_home(client, app):
    html = _is_french_error_page(client.get("/pas-de-page-ici"), 404)
    assert "Page introuvable" in html and "Adresse introuvable." in html
    assert "Not Found" not in html


def test_a_wrong_method_on_a_page_answers_a_french_page(client, app):
    html = _is_french_error_page(client.post("/login/inconnu"), 404)
    assert "Adresse introuvable." in html
    html = _is_french_error_page(client.delete("/login"), 405)
    assert "Méthode non autorisée pour cette adresse." in html


def test_a_domain_error_on_a_page_answers_its_status_and_message_in_french(client, app):
    def refused():
        raise Conflict("MONTH_VALIDATED", "Le mois est validé : il ne change plus.")

    app.add_url_rule("/essai-refus", "essai_refus", refused)
    html = _is_french_error_page(client.get("/essai-refus"), 409)
    assert "Conflit" in html and "Le mois est validé : il ne change plus." in html


def test_the_api_still_answers_json_for_unknown_addresses(client, app):
    response = client.get("/api/pas-de-ressource")
    assert response.status_code == 404
    assert response.get_json() == {
        "code": "NOT_FOUND",
        "message": "Adresse introuvable.",
        "details": {},
    }


def test_a_client_asking_for_json_gets_json_on_a_page_address(client, app):
    response = client.get("/pas-de-page-ici", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"


def test_an_unexpected_failure_answers_a_french_500_page(client, app):
    """Outside tests Flask does not propagate exceptions: the 500 is ours, in French."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("bug")

    app.add_url_rule("/essai-panne", "essai_panne", broken)
    html = _is_french_error_page(client.get("/essai-panne"), 500)
    assert "Erreur interne" in html and "Internal Server Error" not in html


def test_werkzeug_aborts_answer_french_pages(client, app):
    from flask import abort

    cases = ((400, "Demande invalide"), (403, "Accès refusé"), (409, "Conflit"))
    for status, _ in cases:
        app.add_url_rule(f"/essai-{status}", f"essai_{status}", lambda s=status: abort(s))
    for status, title in cases:
        html = _is_french_error_page(client.get(f"/essai-{status}"), status)
        assert title in html
        for english in ("Bad Request", "Forbidden", "Conflict", "The requested URL"):
            assert english not in html


def test_an_error_page_offers_the_page_one_came_from(client, app):
    response = client.get("/pas-de-page", headers={"Referer": "http://localhost/login?x=1"})
    html = _is_french_error_page(response, 404)
    assert 'href="/login?x=1"' in html and "Revenir à la page précédente" in html


def test_an_error_page_never_sends_back_to_another_site(client, app):
    response = client.get("/pas-de-page", headers={"Referer": "https://evil.example/login"})
    html = _is_french_error_page(response, 404)
    assert "evil.example" not in html and "Revenir à la page précédente" not in html


def test_a_form_without_its_csrf_token_answers_a_french_page(client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    html = _is_french_error_page(client.post("/login", data={"email": "a@b.c"}), 400)
    assert "La page a expiré ou ne vient pas de ce site" in html


def test_the_favicon_answers_at_the_site_root_and_every_page_links_it(client, app):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="icon"' in html and 'name="viewport"' in html
