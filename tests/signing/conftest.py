"""Fixtures of the sign-in tests (helpers in ``helpers.py``)."""

import pytest

from tests.factories import Room, make_room, token_for


@pytest.fixture(autouse=True)
def _cookies_over_http(app):
    app.config["SIGNING_COOKIE_SECURE"] = False  # the test client speaks http


@pytest.fixture
def room(app) -> Room:
    return make_room()


@pytest.fixture
def trainer_headers(room) -> dict:
    return token_for(room.trainer)
