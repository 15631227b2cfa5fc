"""Sign-in cannot be turned against staff: growing delays per (email, address) pair, no lockout.

Before the fix, five wrong passwords from anywhere locked the account for its owner too, and only
real accounts ever showed the lockout message.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import login, make_staff
from webmap.core.db import db
from webmap.core.models import AuditEvent, SignInThrottle, User, utcnow
from webmap.staff.accounts import WRONG_DETAILS, authenticate
from webmap.web import throttle

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _answer(response) -> tuple[int, str]:
    html = response.get_data(as_text=True)
    message = re.search(r"(The email address or password is not right\.|Too many sign-in attempts[^<]*)", html)
    return response.status_code, " ".join((message.group(1) if message else "").split())


def _let_waits_pass(app) -> None:
    with app.app_context():
        db.session.execute(update(SignInThrottle).values(wait_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


@pytest.mark.parametrize(
    ("failures", "seconds"), [(0, 0), (1, 0), (3, 0), (4, 2), (5, 4), (6, 8), (12, 512), (13, 900), (500, 900)]
)
def test_delay_grows_then_stops_at_fifteen_minutes(failures, seconds):
    assert throttle.delay_after(failures) == seconds


def test_attacker_never_locks_out_the_owner(app):
    make_staff(app)
    attacker = _client(app, ATTACKER)
    answers = []
    for _ in range(12):
        answers.append(_answer(login(attacker, password="guess guess guess")))
        _let_waits_pass(app)  # the attacker waits out every delay and keeps guessing
    assert all(status == 200 and str(WRONG_DETAILS) in message for status, message in answers)
    assert all("locked" not in message for _, message in answers)
    # The owner, elsewhere, signs in at once with the right password.
    assert login(_client(app, OWNER)).status_code == 302


def test_delays_grow_for_the_guessing_pair_only(app):
    make_staff(app)
    attacker = _client(app, ATTACKER)
    for _ in range(throttle.FREE_FAILURES + 1):
        assert login(attacker, password="guess guess guess").status_code == 200
    waits = []
    for _ in range(3):
        refused = login(attacker)  # even the right password is not checked while this pair waits
        assert refused.status_code == 429
        assert "Too many sign-in attempts" in _answer(refused)[1]
        _let_waits_pass(app)
        assert login(attacker, password="guess guess guess").status_code == 200
        waits.append(int(login(attacker).headers["Retry-After"]))
        _let_waits_pass(app)
        assert login(attacker, password="guess again please").status_code == 200
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert login(_client(app, OWNER)).status_code == 302


def test_owner_behind_the_same_address_signs_in_with_a_known_device(app):
    make_staff(app)
    owner = _client(app, ATTACKER)  # e.g. the same council office network
    assert login(owner).status_code == 302
    assert owner.get_cookie(throttle.DEVICE_COOKIE, path="/login") is not None
    owner.post("/logout", data={"csrf_token": _token(owner)})
    attacker = _client(app, ATTACKER)
    for _ in range(throttle.FREE_FAILURES + 3):
        login(attacker, password="guess guess guess")
    assert login(attacker).status_code == 429
    assert login(owner).status_code == 302


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_forged_device_cookie_counts_as_none(app):
    make_staff(app)
    attacker = _client(app, ATTACKER)
    attacker.set_cookie(throttle.DEVICE_COOKIE, "eyJlIjoiMTIzIn0.forged.signature", path="/login")
    for _ in range(throttle.FREE_FAILURES + 1):
        login(attacker, password="guess guess guess")
    assert login(attacker).status_code == 429


def test_unknown_and_real_emails_get_the_same_answers(app):
    make_staff(app)
    real = [_answer(login(_client(app, ATTACKER), password="guess guess guess")) for _ in range(7)]
    unknown = [
        _answer(login(_client(app, ATTACKER), email="nobody@example.gov.uk", password="guess guess guess"))
        for _ in range(7)
    ]
    assert real == unknown
    assert [status for status, _ in real] == [200] * 4 + [429] * 3
    with app.app_context():  # the audit trail notes it for the real account only
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign-in throttled")).entity_id == str(
            db.session.scalar(select(User.id))
        )


def test_unknown_and_real_emails_take_similar_time(app):
    make_staff(app)

    def median_seconds(email: str) -> float:
        times = []
        with app.test_request_context():
            for attempt in range(7):  # a new address each time, so no attempt is merely throttled
                start = time.perf_counter()
                result = authenticate(email, "guess guess guess", address=f"192.0.2.{attempt}")
                times.append(time.perf_counter() - start)
                assert result.user is None and result.message == WRONG_DETAILS
        return statistics.median(times)

    real, unknown = median_seconds("mod@example.gov.uk"), median_seconds("nobody@example.gov.uk")
    # Both are dominated by one password hash check; without the dummy check unknown would be ~100x faster.
    assert 0.5 < unknown / real < 2, (real, unknown)


def test_success_clears_the_pair_and_failures_are_forgotten_after_a_quiet_day(app):
    make_staff(app)
    client = _client(app, ATTACKER)
    for _ in range(throttle.FREE_FAILURES):
        login(client, password="guess guess guess")
    assert login(client).status_code == 302
    with app.app_context():
        assert db.session.query(SignInThrottle).count() == 0
        key = throttle.pair_key("k", "a@b.c", "ip:x")
        for _ in range(6):
            throttle.record_failure(key)
        db.session.execute(update(SignInThrottle).values(last_failure_at=utcnow() - timedelta(hours=25)))
        assert throttle.record_failure(key) == 1
        assert throttle.seconds_to_wait(key) == 0


# --- The per-address limit never locks out an owner with a known device; every 429 says when to come back -------
#
# Before the fix, after 31 failed sign-ins from one address the owner with a valid known-device cookie from that
# address got 429, and that 429 (from the rate limiter) carried no Retry-After.


def _limited(make_app, **settings):
    from tests.conftest import empty_database

    app = make_app(**{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "6 per 10 minutes", **settings})
    with app.app_context():
        empty_database()
    return app


def test_known_device_gets_past_the_per_address_limit(make_app):
    app = _limited(make_app)
    make_staff(app)
    owner = _client(app, ATTACKER)  # the same office address as the guesser
    assert login(owner).status_code == 302
    owner.post("/logout", data={"csrf_token": _token(owner)})
    attacker = _client(app, ATTACKER)
    statuses = [
        login(attacker, email=f"guess{i}@example.gov.uk", password="guess guess guess").status_code for i in range(8)
    ]
    assert statuses[-1] == 429  # the address has used up its attempts
    refused = login(attacker, email="mod@example.gov.uk")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert login(owner).status_code == 302  # the owner's browser still gets in


def test_a_device_cookie_for_another_email_does_not_get_past_the_limit(make_app):
    app = _limited(make_app)
    make_staff(app)
    make_staff(app, "other@example.gov.uk")
    owner = _client(app, ATTACKER)
    assert login(owner).status_code == 302
    owner.post("/logout", data={"csrf_token": _token(owner)})
    for i in range(8):
        login(owner, email="other@example.gov.uk", password=f"guess guess {i}")
    assert login(owner, email="other@example.gov.uk").status_code == 429


@pytest.mark.parametrize(
    ("path", "setting"),
    [
        ("/login", "LOGIN_RATE_LIMIT"),
        ("/groups/sign-in", "SUBMISSION_RATE_LIMIT"),
        ("/assets/new", "SUBMISSION_RATE_LIMIT"),
    ],
)
def test_every_429_carries_retry_after(make_app, path, setting):
    app = _limited(make_app, **{setting: "1 per hour"})
    client = _client(app, ATTACKER)
    token = csrf_token_for(client, path)
    answers = [
        client.post(path, data={"csrf_token": token, "email": "a@example.org", "password": "x" * 12}) for _ in range(3)
    ]
    assert answers[-1].status_code == 429
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 3601


def csrf_token_for(client, path: str) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, path)
