"""The API documentation page works offline: Swagger UI comes from the package, under the
site's Content-Security-Policy, and asks nothing of another site."""

import pytest


def test_the_docs_page_loads_swagger_ui_from_this_site_only(client, app):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "http" not in html.replace('name="viewport"', ""), "no absolute URL in the page"
    assert "<script>" not in html, "no inline script: the CSP forbids it"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    asset = client.get("/api/docs/ui/swagger-ui-bundle.js")
    assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.data


def test_an_unknown_swagger_asset_is_a_json_404(client, app):
    response = client.get("/api/docs/ui/pas-de-fichier.js")
    assert response.status_code == 404 and response.get_json()["code"] == "NOT_FOUND"


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_offline_without_console_errors(live_server, page):
    """The ``page`` fixture fails the test on any console error (a CSP refusal included)."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock-summary", timeout=15000)
    assert page.locator(".opblock").count() > 20
    assert "/api/purchase-orders" in page.locator("#swagger-ui-container").inner_text()
    assert [url for url in requested if not url.startswith(live_server + "/")] == []
