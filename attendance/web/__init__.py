"""Server-rendered pages for staff (session cookie); French text throughout."""

from attendance import clock
from attendance.web import billing, documents, hours, months, pages, phones, signing
from attendance.web.forms import refuse_forbidden_form_text


def register_pages(app) -> None:
    app.before_request(refuse_forbidden_form_text)
    app.add_template_filter(clock.display, "paris")
    app.register_blueprint(pages.bp)
    app.register_blueprint(hours.bp)
    app.register_blueprint(months.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(billing.bp)
    app.register_blueprint(phones.bp)
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
