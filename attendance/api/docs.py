"""Swagger UI for the API's OpenAPI document, served from the ``swagger-ui-bundle`` package:
the page works offline and loads nothing from another site, so the site-wide CSP applies
to it unchanged (the bootstrap is our own script, ``static/swagger-init.js``)."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/docs/ui/"

bp = Blueprint("swagger_ui", __name__, url_prefix=ASSETS_URL.rstrip("/"))


@bp.get("/<path:filename>")
def asset(filename: str):
    """Swagger UI's scripts and stylesheet, cached a day (the version is pinned by the package)."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
