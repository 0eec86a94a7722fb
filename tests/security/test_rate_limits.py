"""Abuse limits: brute-force login, invitation guessing, a phone hammering the sign-in
endpoint. Counters live in the database, so a second app (another process or server)
sees the same count; a burst of parallel requests gets exactly the limit through."""

from sqlalchemy import select

from attendance import create_app
from attendance.extensions import db
from attendance.models import ApiToken, Emargement, RateLimitCounter
from attendance.security.ratelimit import DEFAULT_LIMITS
from attendance.signing.kiosk import KIOSK_COOKIE, start_kiosk
from tests.api.helpers import assert_error, count
from tests.concurrency import burst, tally
from tests.factories import (
    PASSWORD,
    bind_phone,
    csrf_form,
    gen_org,
    gen_slot_code,
    gen_user,
    make_room,
    signature_data_url,
)

LOGIN_LIMIT = DEFAULT_LIMITS["login_device_failures"][0]


def _login(client, email, password):
    return client.post("/api/auth/token", json={"email": email, "password": password})


def test_brute_force_login_is_refused_even_with_the_right_password_at_the_end(client, app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    statuses = [_login(client, user.email, f"guess-{i:04d}").status_code for i in range(12)]
    assert statuses[:LOGIN_LIMIT] == [401] * LOGIN_LIMIT
    assert set(statuses[LOGIN_LIMIT:]) == {429}
    blocked = _login(client, user.email, PASSWORD)
    body = assert_error(blocked, 429, "TOO_MANY_REQUESTS")
    assert body["details"]["retry_after_seconds"] > 0
    assert count(ApiToken) == 0  # no token was issued once blocked


def test_the_counter_is_shared_by_another_app_on_the_same_database(client, app, tmp_path):
    """Two app servers (or gunicorn workers): the second sees the first one's failures."""
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    for i in range(LOGIN_LIMIT):
        _login(client, user.email, f"guess-{i}")
    other = create_app(
        {**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}}
        | {"INSTANCE_PATH": str(tmp_path)}
    )
    with other.app_context():
        response = other.test_client().post(
            "/api/auth/token", json={"email": user.email, "password": PASSWORD}
        )
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 429


def test_counters_store_no_email_or_ip_address_in_clear(client, app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    _login(client, user.email, "wrong-password")
    keys = db.session.scalars(select(RateLimitCounter.key)).all()
    assert len(keys) == 3  # this device, this address, this account
    assert not any(user.email in key or "127.0.0.1" in key for key in keys)


def test_a_successful_login_is_not_counted_as_a_failure(client, app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    for _ in range(LOGIN_LIMIT + 2):
        assert _login(client, user.email, PASSWORD).status_code == 201


def test_the_login_page_is_limited_too_with_a_french_message(client, app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    for i in range(LOGIN_LIMIT):
        client.post("/login", data=csrf_form(client, {"email": user.email, "password": f"x{i}"}))
    page = client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD})
    )
    assert page.status_code == 429
    assert "Trop de tentatives" in page.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still logged out


def test_guessing_invitation_links_is_blocked(client, app):
    limit = DEFAULT_LIMITS["invitation_ip_failures"][0]
    statuses = [client.get(f"/i/guess-{i}").status_code for i in range(limit + 2)]
    assert 429 not in statuses[:limit]
    assert statuses[limit:] == [429, 429]
    assert "Trop de tentatives" in client.get("/i/another").get_data(as_text=True)


def test_a_phone_hammering_the_sign_in_endpoint_is_slowed_but_others_are_not(client, app):
    app.config["SIGNING_COOKIE_SECURE"] = False
    app.config["RATE_LIMITS"] = {"signin_client_attempts": (5, 60)}
    room = make_room(n_trainees=2)
    noisy, quiet = bind_phone(room.trainees[0]), bind_phone(room.trainees[1])
    db.session.commit()
    body = {"slot_id": room.slot.id, "token": "not-a-ticket", "signature": signature_data_url()}
    client.set_cookie("attendance_device", noisy)
    statuses = [client.post("/api/signins", json=body).status_code for _ in range(7)]
    assert statuses[-1] == 429 and 429 not in statuses[:5]
    client.set_cookie("attendance_device", quiet)
    assert client.post("/api/signins", json=body).status_code != 429


def test_a_burst_of_guesses_gets_exactly_the_failure_limit_through(app):
    limit = DEFAULT_LIMITS["invitation_ip_failures"][0]
    responses = burst(app, 40, lambda client, i: client.get(f"/i/guess-{i}"))
    refused = [r for r in responses if r.status_code == 429]
    assert len(refused) == 40 - limit
    assert all("Trop de tentatives" in r.get_data(as_text=True) for r in refused)


def test_a_burst_from_one_phone_gets_exactly_the_attempt_limit_through(app):
    app.config["SIGNING_COOKIE_SECURE"] = False
    app.config["RATE_LIMITS"] = {"signin_client_attempts": (5, 60)}
    room = make_room(n_trainees=1)
    phone = bind_phone(room.trainee)
    db.session.commit()
    body = {"slot_id": room.slot.id, "token": "not-a-ticket", "signature": signature_data_url()}

    def sign(client, _):
        client.set_cookie("attendance_device", phone)
        return client.post("/api/signins", json=body)

    counted = tally(burst(app, 40, sign))
    assert counted[429, "TOO_MANY_REQUESTS"] == 35 and counted.total() == 40


def test_a_burst_of_wrong_passwords_tries_exactly_the_account_limit(app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    email = user.email
    responses = burst(app, 40, lambda client, i: _login(client, email, f"guess-{i:04d}"))
    assert tally(responses) == {
        (401, "UNAUTHORIZED"): LOGIN_LIMIT,
        (429, "TOO_MANY_REQUESTS"): 40 - LOGIN_LIMIT,
    }


def _classroom_client(app, address="192.0.2.10"):
    """A phone on the classroom's Wi-Fi: every phone leaves by the router's one address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_one_phone_s_refusals_do_not_lock_its_classmates_out(app):
    """Refusals are counted per phone, not per address: a broken (or malicious) phone
    sending malformed sign-ins behind a classroom's router is stopped, the phone next to it
    still signs. (Counted per address, the noisy phone locked the whole room out.)"""
    app.config["SIGNING_COOKIE_SECURE"] = False
    app.config["RATE_LIMITS"] = {"signin_ip_failures": (5, 600), "signin_client_failures": (5, 600)}
    room = make_room(n_trainees=2)
    noisy, quiet = bind_phone(room.trainees[0]), bind_phone(room.trainees[1])
    code = gen_slot_code(room.slot)
    db.session.commit()
    phone_a, phone_b = _classroom_client(app), _classroom_client(app)
    phone_a.set_cookie("attendance_device", noisy)
    phone_b.set_cookie("attendance_device", quiet)
    malformed = {"slot_id": room.slot.id, "token": "not-a-ticket", "signature": "nope"}
    statuses = [phone_a.post("/api/signins", json=malformed).status_code for _ in range(8)]
    assert 429 not in statuses[:5] and statuses[-1] == 429  # the noisy phone is stopped
    signed = phone_b.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": code, "signature": signature_data_url()},
    )
    assert signed.status_code == 201, signed.get_json()


def test_a_flood_without_any_credential_does_not_lock_out_the_phones_behind_it(app):
    """A request with no credential at all is counted against its address; phones that
    carry their own cookie keep their own counts."""
    app.config["SIGNING_COOKIE_SECURE"] = False
    app.config["RATE_LIMITS"] = {"signin_ip_failures": (5, 600), "signin_client_failures": (5, 600)}
    room = make_room(n_trainees=1)
    phone = bind_phone(room.trainee)
    code = gen_slot_code(room.slot)
    db.session.commit()
    anonymous = _classroom_client(app)
    body = {"slot_id": room.slot.id, "token": "not-a-ticket", "signature": "nope"}
    statuses = [anonymous.post("/api/signins", json=body).status_code for _ in range(7)]
    assert statuses[-1] == 429
    classmate = _classroom_client(app)
    classmate.set_cookie("attendance_device", phone)
    signed = classmate.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": code, "signature": signature_data_url()},
    )
    assert signed.status_code == 201, signed.get_json()


def test_the_room_s_kiosk_has_a_refusal_budget_of_its_own(app):
    """The kiosk tablet serves the whole room: its refusals count under the kiosk's own
    limit, not the one of a single phone, and a phone of the same room keeps its own."""
    app.config["SIGNING_COOKIE_SECURE"] = False
    app.config["RATE_LIMITS"] = {
        "signin_client_failures": (2, 600),
        "signin_kiosk_failures": (4, 600),
    }
    room = make_room(n_trainees=1)
    phone = bind_phone(room.trainee)
    code = gen_slot_code(room.slot)
    tablet = _classroom_client(app)
    tablet.set_cookie(KIOSK_COOKIE, start_kiosk(db.session, room.slot))
    db.session.commit()
    refused = {"trainee_id": room.trainee.id, "pin": "0000", "signature": signature_data_url()}
    statuses = [tablet.post("/api/signins/kiosk", json=refused).status_code for _ in range(5)]
    assert 429 not in statuses[:4] and statuses[4] == 429, statuses  # 4, not a phone's 2
    classmate = _classroom_client(app)
    classmate.set_cookie("attendance_device", phone)
    signed = classmate.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": code, "signature": signature_data_url()},
    )
    assert signed.status_code == 201, signed.get_json()


def _bound_phone_in_room(app):
    """A room of one trainee whose bound phone is on the classroom's Wi-Fi: the room, the
    slot's current code, the phone's client."""
    app.config["SIGNING_COOKIE_SECURE"] = False
    room = make_room(n_trainees=1)
    phone = bind_phone(room.trainee)
    code = gen_slot_code(room.slot)
    db.session.commit()
    client = _classroom_client(app)
    client.set_cookie("attendance_device", phone)
    return room, code, client


def test_a_phone_at_its_refusal_limit_is_refused_even_a_good_sign_in(app):
    """The limits are checked before a sign-in is stored (on PostgreSQL with the sign-in's
    own first read of its slot and phone): a phone that used its refusals is answered 429
    even with a good code, and nothing is recorded."""
    app.config["RATE_LIMITS"] = {"signin_client_failures": (3, 600)}
    room, code, client = _bound_phone_in_room(app)
    bad = {"slot_id": room.slot.id, "token": "not-a-ticket", "signature": signature_data_url()}
    assert [client.post("/api/signins", json=bad).status_code for _ in range(3)] == [401] * 3
    good = {"slot_id": room.slot.id, "token": code, "signature": signature_data_url()}
    before = count(Emargement)
    assert_error(client.post("/api/signins", json=good), 429, "TOO_MANY_REQUESTS")
    assert count(Emargement) == before


def test_a_good_sign_in_under_the_limits_counts_its_attempt_and_no_refusal(app):
    """A stored sign-in counts one attempt (in its own transaction) and no refusal."""
    room, code, client = _bound_phone_in_room(app)
    good = {"slot_id": room.slot.id, "token": code, "signature": signature_data_url()}
    assert client.post("/api/signins", json=good).status_code == 201
    db.session.rollback()
    hits = dict(db.session.execute(select(RateLimitCounter.key, RateLimitCounter.hits)).all())
    assert sorted(key.split(":")[0] for key in hits) == ["signin_client_attempts"]
    assert list(hits.values()) == [1]
