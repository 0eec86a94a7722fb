"""A live server and a real Chromium (Debian's, never a downloaded browser).

Browser tests never skip on their own: without ``/usr/bin/chromium`` the run stops before the
first test and says how to install it, unless ``SKIP_BROWSER=1`` asks to leave them out. A
page's console errors (including uncaught exceptions) fail its test at teardown; a test that
causes one on purpose says so with ``@pytest.mark.console_errors``.
"""

import contextlib
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _needs_browser(item) -> bool:
    return "chromium" in getattr(item, "fixturenames", ())


def _browser_missing() -> str | None:
    """What is missing for the browser tests, with how to install it; None when all is there."""
    if not Path(CHROMIUM).exists():
        return (
            f"{CHROMIUM} is missing. Install Debian's Chromium (as .ci/run does): "
            "`apt-get install chromium`"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: `.venv/bin/pip install -e '.[test]'`"
    return None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "console_errors: the test causes a browser console error on purpose"
    )


def pytest_collection_modifyitems(config, items):
    """Decided once, before any test runs: a run that would only skip them fails instead."""
    browser_items = [item for item in items if _needs_browser(item)]
    missing = _browser_missing() if browser_items else None
    if missing is None:
        return
    if os.environ.get("SKIP_BROWSER") == "1":
        reason = f"SKIP_BROWSER=1: browser test left out ({missing})"
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=reason))
        return
    raise pytest.UsageError(
        f"{len(browser_items)} browser test(s) cannot run: {missing}; or leave them out on "
        "purpose with SKIP_BROWSER=1."
    )


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _close_quietly(closable) -> None:
    """After Ctrl-C the terminal's SIGINT has also ended Playwright's driver and Chromium (same
    process group): closing them again must not turn the interrupted run into a crash."""
    from playwright.sync_api import Error

    with contextlib.suppress(Error):
        closable.close()


@pytest.fixture(scope="session")
def chromium():
    """One Playwright and one Chromium for the whole run: the sync API cannot run twice."""
    from playwright.sync_api import Error, sync_playwright

    manager = sync_playwright()
    playwright = manager.start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        _close_quietly(browser)
    finally:
        with contextlib.suppress(Error):
            manager.__exit__(None, None, None)


def _describe(message) -> str:
    location = message.location or {}
    where = location.get("url") or "?"
    return f"console.{message.type}: {message.text} ({where}:{location.get('lineNumber', '?')})"


def _watch_console(page, errors: list[str]) -> None:
    """Errors the page's scripts and resources report. Chromium also logs a document that
    answers 4xx/5xx (« Failed to load resource »); a test that opens such a page on purpose
    checks its status itself, so navigations are left out, their sub-resources are not."""
    documents: set[str] = set()

    def on_request(request) -> None:
        if request.is_navigation_request():
            documents.add(request.url)

    def on_console(message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url")
        if message.text.startswith("Failed to load resource") and url in documents:
            return
        errors.append(_describe(message))

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))


def _fail_on(errors: list[str], request) -> None:
    if errors and request.node.get_closest_marker("console_errors") is None:
        pytest.fail("the browser console reported errors:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def page(chromium, request):
    """A fresh context per test; what the page reports as an error fails the test."""
    if "live_server" in request.fixturenames:
        # Set up before the page, so the server stops after the page closes (a polling page
        # would report the stopped server as a console error), whatever the argument order.
        request.getfixturevalue("live_server")
    context = chromium.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    errors: list[str] = []
    _watch_console(page, errors)
    yield page
    _close_quietly(context)
    _fail_on(errors, request)


@pytest.fixture
def browser_context(chromium, live_server, request):
    """``browser_context(**options)`` opens a context (a phone, a tablet, a second person)
    whose pages are watched like ``page``'s: their console errors fail the test.

    It asks for ``live_server`` so the server stops after the contexts close: a page still
    open on a polling roster would otherwise report the stopped server as a console error
    (whichever order the test lists its fixtures in)."""
    errors: list[str] = []
    opened = []

    def open_context(**options):
        context = chromium.new_context(**options)
        context.on("page", lambda new_page: _watch_console(new_page, errors))
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        _close_quietly(context)
    _fail_on(errors, request)
