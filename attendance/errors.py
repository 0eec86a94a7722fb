"""Domain failures and their single mapping to the JSON error body.

Every API error is ``{"code", "message", "details"}``: ``code`` is stable for
programs, ``message`` is French for the person who has to act on it.
"""

import logging

from flask import jsonify, request
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from attendance.extensions import db


class DomainError(Exception):
    """A refused operation; the status says which kind of refusal."""

    status = 400

    def __init__(
        self, code: str, message: str, details: dict | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


class RuleViolation(DomainError):
    """A contract rule (R1…R18 in DOMAIN.md) refuses the write."""

    status = 422


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str = "ressource"):
        super().__init__("NOT_FOUND", f"{what.capitalize()} introuvable.", {"resource": what})


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "Votre rôle ne permet pas cette action."):
        super().__init__("FORBIDDEN", message)


class Unauthorized(DomainError):
    status = 401

    def __init__(
        self, message: str = "Authentification requise : connectez-vous pour obtenir un jeton."
    ):
        super().__init__("UNAUTHORIZED", message)


_HTTP_MESSAGES = {
    400: ("BAD_REQUEST", "Requête invalide."),
    401: ("UNAUTHORIZED", "Authentification requise."),
    403: ("FORBIDDEN", "Accès refusé."),
    404: ("NOT_FOUND", "Adresse introuvable."),
    405: ("METHOD_NOT_ALLOWED", "Méthode non autorisée pour cette adresse."),
    409: ("CONFLICT", "Conflit avec l'état actuel des données."),
    413: ("PAYLOAD_TOO_LARGE", "Fichier ou requête trop volumineux."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Format de contenu non pris en charge."),
    422: ("VALIDATION_ERROR", "Données invalides : corrigez les champs indiqués."),
    429: ("TOO_MANY_REQUESTS", "Trop de tentatives : réessayez dans quelques instants."),
    500: ("INTERNAL_ERROR", "Erreur interne : l'opération n'a pas été enregistrée."),
    503: ("SERVICE_UNAVAILABLE", "Service momentanément indisponible : réessayez."),
}


log = logging.getLogger(__name__)


def database_unreachable(error: Exception) -> bool:
    """True when the failure is the database being away (stopped, restarting, network cut,
    pool exhausted), not a bug: the client should retry the same request later."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, OperationalError):
        # SQLite reports schema mistakes as OperationalError too: those are bugs (500).
        text = str(error.orig).lower()
        return not any(s in text for s in ("no such table", "no such column", "syntax error"))
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _safe_rollback() -> None:
    """Roll back the request's transaction; when the connection is already dead the rollback
    itself fails, and the pool discards it and every connection opened before it."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def _wants_json() -> bool:
    return request.path.startswith("/api") or request.accept_mimetypes.best == "application/json"


def _http_error_body(error: HTTPException) -> tuple[dict, int]:
    status = error.code or 500
    code, message = _HTTP_MESSAGES.get(status, ("HTTP_ERROR", "Erreur."))
    details: dict = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs nests by location ("json", "query", "files"); keep the field names.
        for location_messages in messages.values():
            details.update(location_messages)
        details = {"fields": details}
    return {"code": code, "message": message, "details": details}, status


def register_error_handlers(app) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        return jsonify(error.to_dict()), error.status

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        db.session.rollback()
        if not _wants_json():
            return error
        body, status = _http_error_body(error)
        return jsonify(body), status

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def handle_out_of_range(error):
        """A number the database cannot hold (an id of 2^63, say): the request is invalid, not
        the server broken. Found by fuzzing; schemas bound what they can, this is the net."""
        _safe_rollback()
        body = {
            "code": "VALUE_OUT_OF_RANGE",
            "message": "Valeur hors limites : un nombre ou un texte dépasse ce qui est accepté.",
            "details": {},
        }
        return jsonify(body), 422

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def handle_database_error(error):
        """The database is unreachable: 503 with a French message, never a 500. Nothing was
        committed (the transaction is rolled back), so retrying the same request is safe."""
        _safe_rollback()
        if not database_unreachable(error):
            raise error
        log.warning("database unavailable: %s", error.__class__.__name__)
        code, message = _HTTP_MESSAGES[503]
        message = (
            "Service momentanément indisponible (base de données injoignable) : rien n'a été "
            "enregistré, réessayez dans quelques secondes."
        )
        if not _wants_json():
            return message, 503, {"Retry-After": "5", "Content-Type": "text/plain; charset=utf-8"}
        response = jsonify({"code": code, "message": message, "details": {}})
        response.headers["Retry-After"] = "5"
        return response, 503

    @app.errorhandler(500)
    def handle_internal_error(error):
        _safe_rollback()
        body, status = _HTTP_MESSAGES[500], 500
        return jsonify({"code": body[0], "message": body[1], "details": {}}), status
