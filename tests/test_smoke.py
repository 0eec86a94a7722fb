def test_openapi_lists_the_resources(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/purchase-orders",
        "/api/composantes",
        "/api/trainees",
        "/api/pathways",
        "/api/slots",
        "/api/imports/trainees",
        "/api/auth/token",
    ):
        assert path in paths
