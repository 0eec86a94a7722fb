"""Browser tests never skip silently: without Chromium the run stops and says how to install
it, unless SKIP_BROWSER=1 leaves them out on purpose (then each says why it skipped)."""

from types import SimpleNamespace

import pytest

from tests import browser_fixtures


def _items():
    browser = SimpleNamespace(fixturenames=["app", "page", "chromium"], markers=[])
    browser.add_marker = browser.markers.append
    plain = SimpleNamespace(fixturenames=["app"], markers=[])
    plain.add_marker = plain.markers.append
    return browser, plain


def test_a_run_with_browser_tests_and_no_chromium_stops_saying_how_to_install_it(
    monkeypatch,
):
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("SKIP_BROWSER", raising=False)
    with pytest.raises(pytest.UsageError, match="apt-get install chromium") as refused:
        browser_fixtures.pytest_collection_modifyitems(None, list(_items()))
    assert "SKIP_BROWSER=1" in str(refused.value) and "1 browser test" in str(refused.value)


def test_skip_browser_leaves_them_out_with_the_reason(monkeypatch):
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("SKIP_BROWSER", "1")
    browser, plain = _items()
    browser_fixtures.pytest_collection_modifyitems(None, [browser, plain])
    assert "SKIP_BROWSER=1" in browser.markers[0].kwargs["reason"]
    assert plain.markers == []


def test_a_run_without_browser_tests_does_not_need_chromium(monkeypatch):
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("SKIP_BROWSER", raising=False)
    _, plain = _items()
    browser_fixtures.pytest_collection_modifyitems(None, [plain])
    assert plain.markers == []
