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
