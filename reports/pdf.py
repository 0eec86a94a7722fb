"""HTML-to-PDF rendering shared by every document: Jinja templates in ``templates/documents/``
rendered by WeasyPrint to A4, tagged PDF (real, selectable text a screen reader can follow).

The stylesheet, the font configuration and WeasyPrint's image cache are built once per
process and reused, so a batch of a thousand documents pays for them once; each document
is still its own WeasyPrint render and its own PDF file.
"""

import base64
import re
import threading
from datetime import datetime
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from attendance import clock
from attendance.config import PROJECT_ROOT
from attendance.french import MONTHS_FR, date_fr, hours_fr, long_date_fr, month_fr

__all__ = ["MONTHS_FR", "date_fr", "hours_fr", "long_date_fr", "month_fr"]

TEMPLATES = PROJECT_ROOT / "templates" / "documents"
METHODS_FR = {
    "qr": "QR code",
    "link": "lien (classe virtuelle)",
    "kiosk": "borne",
    "tutor": "tuteur entreprise",
    "trainer": "saisie du formateur (correction)",
    "correction": "correctif horaire",
}


def local(value: datetime | None, fmt: str = "%H:%M") -> str:
    """UTC in the database, local time on paper."""
    return clock.display(value, fmt)


def png_data_uri(content: bytes | None) -> str | None:
    """An image stored as PNG bytes, inlined in the HTML (no file or URL to fetch)."""
    if not content:
        return None
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def city_of(address: str) -> str:
    """« 1 rue de la Paix, 31000 Toulouse » → « Toulouse » (the place the signatory signs)."""
    match = re.search(r"\b\d{5}\s+([^,\n]+)", address or "")
    return match.group(1).strip() if match else ""


def organisation_context(org) -> dict:
    """The provider's identification, signatory, stamp and signature, as every document shows
    them; built once per batch (the images are base64-encoded once)."""
    return {
        "name": org.name,
        "siret": org.siret,
        "address": org.address,
        "city": city_of(org.address),
        "signatory_name": org.signatory_name,
        "signatory_title": org.signatory_title,
        "stamp": png_data_uri(org.stamp_png),
        "signature": png_data_uri(org.signature_png),
    }


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        hours=hours_fr,
        date_fr=date_fr,
        long_date=long_date_fr,
        month_fr=month_fr,
        local=local,
        method_fr=lambda method: METHODS_FR.get(method, method),
    )
    env.globals["checkbox"] = lambda ticked: Markup("☒" if ticked else "☐")
    return env


def render_html(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


class _Renderer:
    """WeasyPrint's reusable parts: fonts, the shared stylesheet and the image cache."""

    def __init__(self):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.stylesheet = CSS(filename=str(TEMPLATES / "documents.css"), font_config=self.fonts)
        self.cache: dict = {}

    def pdf(self, html: str) -> bytes:
        from weasyprint import HTML

        if len(self.cache) > 64:  # sheets carry one signature per row: keep the cache small
            self.cache.clear()
        return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
            stylesheets=[self.stylesheet],
            font_config=self.fonts,
            cache=self.cache,
            pdf_tags=True,
        )


@lru_cache(maxsize=1)
def _renderer() -> _Renderer:
    return _Renderer()


# The server runs threads, and WeasyPrint's font objects (Pango, fontconfig) are not meant
# to be used by two at once; rendering is mostly Python under the GIL anyway, so one
# renderer behind a lock costs little. (A renderer per thread crashed at interpreter exit.)
_render_lock = threading.Lock()


def html_to_pdf(html: str) -> bytes:
    with _render_lock:
        return _renderer().pdf(html)


def render_pdf(template: str, **context) -> bytes:
    """One document: the template rendered with ``context``, as A4 PDF bytes."""
    return html_to_pdf(render_html(template, **context))
