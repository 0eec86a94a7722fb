"""Login lockout that punishes the guesser's device more than the victim's account: failures
are counted per account × IP address first (a short cool-down there), then per account from
everywhere (a slower limit, so a guess spread over many addresses is still slowed)."""

import re
import threading

from attendance.extensions import db
from attendance.models import ApiToken
from attendance.security.ratelimit import DEFAULT_LIMITS
from tests.api.helpers import assert_error, count
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user

DEVICE_LIMIT = DEFAULT_LIMITS["login_device_failures"][0]


def _login(client, email, password, ip="192.0.2.1"):
    return client.post(
        "/api/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def _user():
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    return user


def test_ten_failures_from_one_address_do_not_lock_the_user_out_elsewhere(client, app):
    user = _user()
    for i in range(10):
        _login(client, user.email, f"guess-{i}", ip="203.0.113.7")
    assert _login(client, user.email, PASSWORD, ip="198.51.100.2").status_code == 201


def test_the_guessing_device_gets_a_french_cool_down_even_with_the_right_password(client, app):
    user = _user()
    statuses = [
        _login(client, user.email, f"guess-{i}", ip="203.0.113.7").status_code
        for i in range(DEVICE_LIMIT + 2)
    ]
    assert statuses == [401] * DEVICE_LIMIT + [429, 429]
    blocked = _login(client, user.email, PASSWORD, ip="203.0.113.7")
    body = assert_error(blocked, 429, "TOO_MANY_REQUESTS")
    assert body["message"].startswith("Trop de tentatives depuis cet appareil : réessayez dans")
    assert re.search(r"réessayez dans \d+ minutes?\.$", body["message"])
    assert 0 < body["details"]["retry_after_seconds"] <= 15 * 60
    assert int(blocked.headers["Retry-After"]) == body["details"]["retry_after_seconds"]
    assert count(ApiToken) == 0


def test_the_account_limit_still_slows_a_guess_spread_over_many_addresses(client, app):
    app.config["RATE_LIMITS"] = {"login_account_failures": (6, 3600)}
    user = _user()
    for i in range(6):  # three addresses, each below its own limit
        assert _login(client, user.email, f"g{i}", ip=f"203.0.113.{i % 3}").status_code == 401
    blocked = _login(client, user.email, PASSWORD, ip="198.51.100.2")
    body = assert_error(blocked, 429, "TOO_MANY_REQUESTS")
    assert "ce compte" in body["message"] and "réessayez dans" in body["message"]
    assert body["details"]["retry_after_seconds"] > 0
    other = gen_user(gen_org(), "billing")
    db.session.commit()
    assert _login(client, other.email, PASSWORD, ip="203.0.113.0").status_code == 201


def test_a_successful_login_is_not_counted_against_the_account(client, app):
    user = _user()
    for _ in range(DEVICE_LIMIT + 2):
        assert _login(client, user.email, PASSWORD).status_code == 201
    for i in range(DEVICE_LIMIT - 1):
        assert _login(client, user.email, f"guess-{i}").status_code == 401
    assert _login(client, user.email, PASSWORD).status_code == 201


def test_the_login_page_shows_the_cool_down_in_french(client, app):
    user = _user()
    for i in range(DEVICE_LIMIT):
        client.post("/login", data=csrf_form(client, {"email": user.email, "password": f"x{i}"}))
    page = client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD})
    )
    assert page.status_code == 429
    html = page.get_data(as_text=True)
    assert "Trop de tentatives depuis cet appareil : réessayez dans" in html
    assert client.get("/").status_code == 302


def test_a_burst_of_parallel_wrong_passwords_gets_at_most_the_limit_of_tries(app):
    email = _user().email
    attempts = 40
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(i):
        client = app.test_client()
        barrier.wait()
        response = _login(client, email, f"guess-{i}", ip="203.0.113.9")
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == attempts
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= DEVICE_LIMIT, statuses
    db.session.rollback()  # see the other threads' commits
    assert _login(app.test_client(), email, PASSWORD, ip="203.0.113.9").status_code == 429
    assert _login(app.test_client(), email, PASSWORD, ip="198.51.100.2").status_code == 201
