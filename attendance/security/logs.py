"""Secrets never reach the logs: invitation, personal-link and tutor tokens travel in URL
paths (``/i/<token>``, ``/l/<token>``, ``/t/<token>``), QR tickets in query strings
(``?t=…``), API tokens and device credentials in headers. The access log keeps the route,
never the secret."""

import re

from gunicorn.glogging import Logger

_PATH_TOKEN = re.compile(r"^(/(?:i|l|t|q)/)[^/?\s]+")
_SECRET_HEADERS = {"{authorization}i", "{cookie}i", "{set-cookie}o"}


def redact_path(path: str | None) -> str | None:
    """``/i/abc?t=x`` → ``/i/[secret]?[…]``; full URLs (a Referer) keep their origin."""
    if not path:
        return path
    origin = ""
    if "://" in path:
        scheme, _, rest = path.partition("://")
        host, slash, rest = rest.partition("/")
        origin, path = f"{scheme}://{host}", slash + rest
    path, _, query = path.partition("?")
    path = _PATH_TOKEN.sub(r"\1[secret]", path)
    return origin + path + ("?[…]" if query else "")


def redact_request_line(line: str) -> str:
    method, _, rest = line.partition(" ")
    target, _, protocol = rest.partition(" ")
    return f"{method} {redact_path(target)} {protocol}"


class RedactingLogger(Logger):
    """gunicorn's logger with the secret-bearing atoms of the access log redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact_request_line(atoms["r"])
        atoms["U"] = redact_path(atoms["U"])
        atoms["q"] = "[…]" if atoms.get("q") else ""
        atoms["f"] = redact_path(atoms["f"]) if atoms.get("f") not in (None, "-") else "-"
        for name in _SECRET_HEADERS & atoms.keys():
            atoms[name] = "[secret]"
        return atoms
