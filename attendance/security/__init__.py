"""Protections that wrap every request: CSRF on staff forms, security headers and the
Content-Security-Policy, the client address behind a load balancer.

Abuse limits are per endpoint (``attendance.security.ratelimit``).
"""

from flask import g
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from attendance.errors import DomainError

csrf = CSRFProtect()


def csrf_refusal(error: CSRFError) -> DomainError:
    """A form without its token (posted from another site, or a page kept open across a
    logout): refused, nothing done; the person reloads the page."""
    message = "La page a expiré ou ne vient pas de ce site : rechargez-la puis recommencez."
    return DomainError("CSRF_REFUSED", message, status=400)


# Pages load only our own scripts and stylesheets: no inline script or style attribute
# (templates use classes), so an injected <script> or onclick= never runs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
# Only when the service is served over HTTPS (the secure-cookie setting says so).
_HTTPS_HEADERS = (*_SECURITY_HEADERS, ("Strict-Transport-Security", "max-age=31536000"))


def _security_headers(app):
    def add_headers(response):
        """Each header unless the view set its own. The names present are read once:
        ``Headers.setdefault`` scans them all for each header, on every response."""
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        wanted = _HTTPS_HEADERS if app.config.get("SESSION_COOKIE_SECURE") else _SECURITY_HEADERS
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response

    return add_headers


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, whose signer is built only for a request that brings
    a session cookie: a phone's sign-in never has one, and building the signer (key
    derivation included) was ~3 % of each sign-in's CPU. A request without the cookie gets
    the empty session Flask would have given it."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_security(app, api_blueprints) -> None:
    """CSRF tokens on every staff form; the JSON API is exempt (bearer tokens, or JSON-only
    bodies with SameSite cookies for phones, which a cross-site form cannot send)."""
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)
    app.after_request(_security_headers(app))

    @app.before_request
    def _fresh_csrf_cache():
        # Flask-WTF caches the token in ``g``; tests keep one app context across requests,
        # where a cached token would never reach the new session.
        g.pop("csrf_token", None)

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
