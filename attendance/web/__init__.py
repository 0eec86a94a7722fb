"""Server-rendered pages for staff (session cookie); French text throughout."""

from zoneinfo import ZoneInfo

from flask import current_app

from attendance.web import billing, documents, hours, months, pages


def paris(value, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """UTC in the database, Europe/Paris on screen."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def register_pages(app) -> None:
    app.add_template_filter(paris, "paris")
    app.register_blueprint(pages.bp)
    app.register_blueprint(hours.bp)
    app.register_blueprint(months.bp)
    from attendance.signing.views import bp as signing_bp

    app.register_blueprint(signing_bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(billing.bp)
