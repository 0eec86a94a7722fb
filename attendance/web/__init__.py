"""Server-rendered pages for staff (session cookie); French text throughout."""

from attendance import clock
from attendance.web import (
    absences,
    billing,
    documents,
    hours,
    jobs,
    months,
    orders,
    pages,
    phones,
    planning,
    settings,
    signing,
    trainees,
)
from attendance.web.forms import refuse_forbidden_form_text
from attendance.web.nav import has_endpoint, nav_links


def register_pages(app) -> None:
    app.before_request(refuse_forbidden_form_text)
    app.add_template_filter(clock.display, "paris")
    app.add_template_global(has_endpoint)
    app.add_template_global(nav_links)
    # Pages link to areas that may not be installed yet: {% if has_endpoint('…') %}.
    app.register_blueprint(pages.bp)
    app.register_blueprint(hours.bp)
    app.register_blueprint(months.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(billing.bp)
    app.register_blueprint(jobs.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(trainees.bp)
    app.register_blueprint(planning.bp)
    app.register_blueprint(phones.bp)
    app.register_blueprint(absences.bp)
