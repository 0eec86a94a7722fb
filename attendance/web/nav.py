"""The navigation bar: one list of the staff sections, each shown to the roles that may use it.

An entry whose page is not served by this build (its blueprint not registered) is left out,
so the bar never links to a 404. The section a page belongs to is its blueprint: a month,
its documents and its invoices all light up « Mois et facturation ».
"""

from typing import NamedTuple

from flask import current_app, g, request, url_for

from attendance.accounts import can

SWAGGER_UI = "api-docs.openapi_swagger_ui"


class Entry(NamedTuple):
    label: str
    endpoint: str
    permission: str | None = None  # None: every signed-in staff member
    sections: tuple[str, ...] = ()  # blueprints whose pages belong to this entry


ENTRIES: tuple[Entry, ...] = (
    Entry("Accueil", "pages.home"),
    Entry("Bons de commande", "order_pages.index", "contract:read", ("order_pages",)),
    Entry("Stagiaires", "trainee_pages.index", "trainee:read", ("trainee_pages",)),
    Entry("Téléphones", "phone_pages.overview", "trainee:write", ("phone_pages",)),
    Entry("Planning", "planning_pages.week", "slot:read", ("planning_pages",)),
    Entry("Conformité", "hours_pages.index", "contract:read", ("hours_pages",)),
    Entry(
        "Facturation",
        "billing_pages.index",
        "contract:read",
        ("billing_pages", "month_pages", "documents_pages", "job_pages", "absence_pages"),
    ),
    Entry("Paramètres", "settings_pages.organisation", "user:manage", ("settings_pages",)),
    Entry("Comptes", "settings_pages.accounts", "user:manage"),
    Entry("Documentation API", SWAGGER_UI, "contract:read"),
)


class Link(NamedTuple):
    label: str
    url: str
    current: bool


def _is_current(entry: Entry) -> bool:
    if request.endpoint == entry.endpoint:
        return True
    # « Comptes » and « Paramètres » share a blueprint: an exact endpoint wins over a section.
    exact = {e.endpoint for e in ENTRIES}
    return request.blueprint in entry.sections and request.endpoint not in exact


def has_endpoint(name: str) -> bool:
    """Whether this build serves the page: templates link to a sibling area only if it does."""
    return name in current_app.view_functions


def nav_links() -> list[Link]:
    """The bar for the signed-in user (none on the login page or a phone)."""
    user = g.get("user")
    if user is None:
        return []
    return [
        Link(entry.label, url_for(entry.endpoint), _is_current(entry))
        for entry in ENTRIES
        if has_endpoint(entry.endpoint)
        and (entry.permission is None or can(user, entry.permission))
    ]
