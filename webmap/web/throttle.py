"""Growing delays after failed sign-ins, per (email, address) pair, instead of locking accounts.

Locking an account after N failures lets anyone lock staff out, and showing the lock only for
real accounts tells an attacker who has one. Here failures slow down only the pair that made
them: the email typed together with the client's address, or together with a "known device"
cookie that a browser earns by signing in to that account successfully (OWASP's device-cookie
advice). So an attacker guessing from elsewhere never slows down the owner, even one behind the
same office address, and an unknown email behaves exactly like a real one, because nothing here
looks at whether the account exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webmap.core.db import db, is_postgres
from webmap.core.models import SignInThrottle, utcnow

# Failures a pair may make before any delay: enough for ordinary typos.
FREE_FAILURES = 3
FIRST_DELAY_S = 2
MAX_DELAY_S = 15 * 60
# A pair's count starts again after this long without a failure.
FORGET_AFTER = timedelta(hours=24)
DEVICE_COOKIE = "webmap_device"
DEVICE_COOKIE_DAYS = 180


def delay_after(failures: int) -> int:
    """Return the seconds a pair must wait after this many failures in a row (0, then 2, 4, 8 ... 900)."""
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** min(failures - FREE_FAILURES - 1, 20))


def pair_key(secret: str, email: str, origin: str) -> str:
    """Return the stored key for an email and an origin ("ip:..." or "device:..."): a keyed hash of both."""
    message = f"{email}\n{origin}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def seconds_to_wait(key: str, now: datetime | None = None) -> int:
    """Return how many seconds this pair must still wait before an attempt is checked (0 = go ahead)."""
    now = now or utcnow()
    wait_until = db.session.scalar(select(SignInThrottle.wait_until).where(SignInThrottle.key == key))
    if wait_until is None or wait_until <= now:
        return 0
    return max(1, int((wait_until - now).total_seconds() + 0.999))


def record_failure(key: str, now: datetime | None = None) -> int:
    """Count a failed sign-in for this pair (atomically, in one statement); return its failures in a row."""
    now = now or utcnow()
    insert = pg_insert if is_postgres() else sqlite_insert
    statement = insert(SignInThrottle).values(key=key, failures=1, last_failure_at=now)
    # An upsert, so simultaneous failures cannot undercount; a long-quiet pair starts again from 1.
    statement = statement.on_conflict_do_update(
        index_elements=[SignInThrottle.key],
        set_={
            "failures": case(
                (SignInThrottle.last_failure_at < now - FORGET_AFTER, 1), else_=SignInThrottle.failures + 1
            ),
            "last_failure_at": now,
        },
    )
    db.session.execute(statement)
    failures = db.session.scalar(select(SignInThrottle.failures).where(SignInThrottle.key == key))
    wait = delay_after(failures)
    db.session.execute(
        SignInThrottle.__table__.update()
        .where(SignInThrottle.key == key)
        .values(wait_until=now + timedelta(seconds=wait) if wait else None)
    )
    return failures


def forget(key: str) -> None:
    """Clear a pair's failures after it signs in."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


def _device_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="webmap-known-device")


def new_device_cookie(secret: str, email: str) -> str:
    """Return a signed cookie value saying "this browser has signed in as this email"."""
    email_tag = hashlib.sha256(email.encode()).hexdigest()[:16]
    return _device_serializer(secret).dumps({"e": email_tag, "n": secrets.token_urlsafe(16)})


def device_origin(secret: str, cookie: str | None, email: str) -> str | None:
    """Return "device:<nonce>" when the cookie is a valid known-device cookie for this email, else None."""
    if not cookie or len(cookie) > 500:
        return None
    try:
        value = _device_serializer(secret).loads(cookie, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadSignature:
        return None
    email_tag = hashlib.sha256(email.encode()).hexdigest()[:16]
    if not isinstance(value, dict) or value.get("e") != email_tag or not isinstance(value.get("n"), str):
        return None
    return f"device:{value['n']}"
