"""Every page a role can reach by following links from its home answers, in French: no 5xx
and no framework error text in English, on the demo organisation. Generic on purpose: the
pages other areas add are crawled as soon as they are linked."""

import re
import time
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from attendance.demo import load_demo
from attendance.extensions import db
from tests.factories import PASSWORD, csrf_form

MAX_PAGES = 300
PER_SHAPE = 2  # /stagiaires/1, /stagiaires/2…: a few of each shape tell as much as all of them
ENGLISH_ERRORS = (
    "Not Found",
    "Internal Server Error",
    "Method Not Allowed",
    "Bad Request",
    "Forbidden",
    "Unauthorized",
    "The requested URL",
    "Traceback",
)
HREF = re.compile(r'<a\s[^>]*href="([^"]+)"', re.I)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "#", path)


def _links(base: str, html: str) -> list[str]:
    found = []
    for href in HREF.findall(html):
        url, _ = urldefrag(urljoin(base, href.replace("&amp;", "&")))
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == "localhost":
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client) -> tuple[dict[str, int], list[str]]:
    """Breadth first from the home page; returns every visited path's status and the faults."""
    statuses: dict[str, int] = {}
    faults: list[str] = []
    shapes: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(statuses) < MAX_PAGES:
        path = queue.popleft()
        if path in statuses:
            continue
        response = client.get(path)
        statuses[path] = response.status_code
        if response.status_code >= 500:
            faults.append(f"{path}: {response.status_code}")
        if response.mimetype != "text/html":
            continue  # a download (PDF, spreadsheet, zip): its status is what counts
        html = response.get_data(as_text=True)
        faults += [f"{path}: English « {text} »" for text in ENGLISH_ERRORS if text in html]
        if "<html" in html and 'name="viewport"' not in html:
            faults.append(f"{path}: no viewport meta")
        for link in _links("http://localhost" + path, html):
            shape = _shape(urlsplit(link).path)
            if link not in statuses and shapes.get(shape, 0) < PER_SHAPE:
                shapes[shape] = shapes.get(shape, 0) + 1
                queue.append(link)
    return statuses, faults


@pytest.fixture
def demo(app):
    load_demo(db.session, PASSWORD)
    db.session.commit()


@pytest.mark.parametrize("role", ["admin", "billing", "trainer", "auditor"])
def test_every_page_reachable_from_a_roles_home_answers_in_french(app, demo, role):
    client = app.test_client()
    login = client.post(
        "/login",
        data=csrf_form(client, {"email": f"{role}@demo.example", "password": PASSWORD}),
    )
    assert login.status_code == 302
    started = time.monotonic()
    statuses, faults = crawl(client)
    assert faults == [], "\n".join(faults)
    assert len(statuses) > (1 if role == "trainer" else 5), statuses
    print(f"{role}: {len(statuses)} pages in {time.monotonic() - started:.1f} s")
