"""Domain failures, and what each kind of failure tells the person, whichever edge answers.

A refused operation raises ``DomainError(code, message, details)``: ``code`` is stable for
programs, ``message`` is French for the person who has to act on it. ``describe`` turns any
failure of a request into one ``Failure``; the API renders it as JSON (``api.errors``), the
pages as a French page with a way back (``web.errors``).
"""

from typing import NamedTuple

from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException


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


HTTP_MESSAGES = {
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
DATABASE_RETRY_SECONDS = 5


class Failure(NamedTuple):
    """What a failed request tells the person: status, stable code, French message."""

    status: int
    code: str
    message: str
    details: dict
    retry_after: int | None = None


def database_unreachable(error: BaseException) -> bool:
    """True when the failure is the database being away (stopped, restarting, network cut,
    pool exhausted), not a bug: the client should retry the same request later."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, OperationalError):
        # SQLite reports schema mistakes as OperationalError too: those are bugs (500).
        text = str(error.orig).lower()
        return not any(s in text for s in ("no such table", "no such column", "syntax error"))
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _http_failure(error: HTTPException) -> Failure:
    status = error.code or 500
    code, message = HTTP_MESSAGES.get(status, ("HTTP_ERROR", "Erreur."))
    details: dict = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and isinstance(messages, dict) and isinstance(messages.get("json"), list):
        # webargs' answer to a body it could not parse (the before-request check runs first).
        return Failure(400, "MALFORMED_JSON", "Corps de requête illisible : JSON invalide.", {})
    if isinstance(messages, dict) and messages:
        # webargs nests by location ("json", "query", "files"); keep the field names. A
        # location's messages are a list when they concern the whole body, not a field.
        for location_messages in messages.values():
            if isinstance(location_messages, dict):
                details.update(location_messages)
            else:
                listed = location_messages if isinstance(location_messages, list) else []
                details.setdefault("_schema", []).extend(str(item) for item in listed)
        details = {"fields": details}
    return Failure(status, code, message, details)


def describe(error: BaseException) -> Failure:
    """The one mapping from a failure to what the person is told. A number the database
    cannot hold (an id of 2^63, found by fuzzing) is the request's fault (422), an unreachable
    database is worth a retry (503), anything else unexpected is a 500."""
    if isinstance(error, DomainError):
        retry_after = error.details.get("retry_after_seconds") if error.status == 429 else None
        return Failure(error.status, error.code, error.message, error.details, retry_after)
    if isinstance(error, OverflowError | DataError):
        message = "Valeur hors limites : un nombre ou un texte dépasse ce qui est accepté."
        return Failure(422, "VALUE_OUT_OF_RANGE", message, {})
    if database_unreachable(error):
        message = (
            "Service momentanément indisponible (base de données injoignable) : rien n'a été "
            "enregistré, réessayez dans quelques secondes."
        )
        return Failure(503, "SERVICE_UNAVAILABLE", message, {}, DATABASE_RETRY_SECONDS)
    if isinstance(error, HTTPException):
        return _http_failure(error)
    return Failure(500, *HTTP_MESSAGES[500], {})
