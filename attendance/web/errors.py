"""The pages' answer to any failure: a French page with the message and a way back home."""

from flask import make_response, render_template

from attendance.errors import describe

TITLES = {
    400: "Demande invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action non autorisée",
    409: "Conflit",
    422: "Données refusées",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service indisponible",
}


def error_page(error: BaseException):
    """Rendered without touching the database (no signed-in header): the failure may be the
    database itself."""
    failure = describe(error)
    title = TITLES.get(failure.status, "Opération impossible")
    html = render_template("errors.html", title=title, failure=failure)
    response = make_response(html, failure.status)
    if failure.retry_after:
        response.headers["Retry-After"] = str(failure.retry_after)
    return response
