"""The pages' answer to any failure: a French page with the message and a way back."""

from urllib.parse import urlsplit

from flask import make_response, render_template, request

from attendance.errors import describe
from attendance.security.redirects import local_path

TITLES = {
    400: "Demande invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action non autorisée",
    409: "Conflit",
    413: "Fichier trop volumineux",
    415: "Format non pris en charge",
    422: "Données refusées",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service indisponible",
}


def _previous_page() -> str | None:
    """The page the person came from, when it is one of ours and not this one: the way back
    after a refused form keeps what they were doing."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.path == request.path:
        return None
    return local_path(path)


def error_page(error: BaseException):
    """Rendered without touching the database (no navigation bar, no signed-in header): the
    failure may be the database itself, and the request's objects are rolled back."""
    failure = describe(error)
    title = TITLES.get(failure.status, "Opération impossible")
    html = render_template("errors.html", title=title, failure=failure, back=_previous_page())
    response = make_response(html, failure.status)
    if failure.retry_after:
        response.headers["Retry-After"] = str(failure.retry_after)
    return response
