"""Settings and their defaults; every one can be set as a WEBMAP_* environment variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULTS: dict[str, object] = {
    # None means "a SQLite file under the instance folder", filled in by create_app().
    "DATABASE_URL": None,
    # None: a random key is made on first run and kept in instance/secret_key (webmap.ops.secret_key).
    "SECRET_KEY": None,
    "TILES_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "TILES_ATTRIBUTION": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    "MAX_UPLOAD_MB": 50,
    # Largest file an importer will read; a bigger one is refused before anything is read.
    "MAX_IMPORT_MB": 2000,
    # A compressed file (.gz, .bz2, .xz, .zip) is refused once it unpacks past this size, or past this
    # many times its packed size (real data packs 3-10 times; a "zip bomb" a thousand), before it is read.
    "MAX_UNPACKED_MB": 2000,
    "MAX_UNPACK_RATIO": 100,
    # The area's name in page titles and headings; empty means "from the wards' council names" (see webmap/council).
    "AREA_NAME": "",
    # Languages the site offers (comma-separated: "en,cy" gives English and Welsh, "en" English only)
    # and the one a first visit gets when the browser asks for neither (webmap.web.language).
    "LANGUAGES": "en,cy",
    "DEFAULT_LANGUAGE": "en",
    "ACCESS_DISTANCE_M": 800,
    "STALE_AFTER_MONTHS": 12,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SUBMISSION_RATE_LIMIT": "20 per hour",
    # Sign-in attempts per IP address, on top of the growing delays per (email, address) pair.
    "LOGIN_RATE_LIMIT": "30 per 10 minutes",
    "PAGE_SIZE": 50,
    "DATA_DIR": str(REPO_ROOT / "data"),
    # The one production switch: set WEBMAP_HTTPS=1 wherever the site runs on HTTPS. It makes every cookie
    # Secure and sends Strict-Transport-Security. (SECURE_COOKIES=1, the older name, does the same.)
    "HTTPS": False,
    "SECURE_COOKIES": False,
    # Browser imports: keep uploaded files after their import (default: deleted once imported).
    "KEEP_UPLOADS": False,
    # A staff session ends after this many minutes without a request, and after SESSION_MAX_HOURS in any case.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # Outgoing mail (webmap.notify.mail). An empty MAIL_SERVER means no mail is sent.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "no-reply@localhost",
    # Name shown as the sender; empty means AREA_NAME.
    "MAIL_FROM_NAME": "",
    # The site's public address, for links in emails (e.g. https://map.example.gov.uk).
    "PUBLIC_URL": "http://127.0.0.1:5000",
    # "You said, we did" (webmap.feedback): months a resident's follow-up email is kept before
    # `flask erase-followup-emails` erases it; and how gap snapshots are taken after a change
    # ("background" after the response, "inline" before it, or "off").
    "FOLLOWUP_RETENTION_MONTHS": 12,
    "GAP_SNAPSHOTS": "background",
    # Methods each snapshot keeps (comma-separated); fewer is faster on a very large area.
    "GAP_SNAPSHOT_METHODS": "count,share,2sfca,e2sfca",
    # Personal data (webmap.privacy): submitters' and reporters' details are erased after this many months.
    "PERSONAL_DATA_RETENTION_MONTHS": 12,
    # The privacy notice: who controls the data (empty: AREA_NAME) and where to write about it.
    "PRIVACY_CONTROLLER": "",
    "PRIVACY_CONTACT": "",
    # How many reverse proxies (nginx, a load balancer) stand in front of the app: their
    # X-Forwarded-For is trusted so rate limits count visitors, not the proxy. 0: none.
    "TRUSTED_PROXIES": 0,
    # Groups running their own listing (webmap/groups): link lifetimes, sessions, moderation and relay limits.
    "GROUP_CLAIM_LINK_HOURS": 72,
    "GROUP_SIGNIN_LINK_MINUTES": 30,
    "GROUP_SESSION_HOURS": 12,
    # A manager moving the pin further than this (metres) goes to moderation; nearer publishes at once.
    "GROUP_PIN_MOVE_M": 150,
    "GROUP_CONTACT_RATE_LIMIT": "5 per hour",
    # Sites that may show the /embed page in a frame, e.g. "https://www.example.gov.uk https://example.gov.uk"
    # (spaces or commas between them). Empty: no other site may; every other page refuses framing anyway.
    "EMBED_ORIGINS": "",
    # Above this many wards or approved places, maps load outlines and places by view (webmap/scale/)
    # and the tables beside them page, instead of carrying everything in the page.
    "VIEWPORT_ABOVE_WARDS": 400,
    "VIEWPORT_ABOVE_PLACES": 20000,
    # When the data changes, how derived tables (place counts, gap tables) catch up: "auto" (in a
    # background process on a big area, in the request otherwise), "inline" or "background".
    "REFRESH": "auto",
    # The task queue (webmap/core/queue.py, docs/operations.md): empty means a SQLite file in the instance
    # folder (one machine); redis://host:6379/0 for several servers; "immediate" runs tasks in the caller (tests).
    "QUEUE_URL": "",
    # A worker says it is alive this often (seconds); a running task whose worker is silent for
    # WORKER_LOST_AFTER_S is shown failed, so it can be run again.
    "WORKER_HEARTBEAT_S": 5,
    "WORKER_LOST_AFTER_S": 30,
    # A `flask worker` process that holds more than this after a task starts itself again (0: never),
    # as does one that has run an import: freed memory is not all given back to the system.
    "WORKER_MAX_MEMORY_MB": 400,
    # A failed email is tried again MAIL_RETRIES times, first after MAIL_RETRY_DELAY_S seconds, each wait
    # twice the last (60 s, 2, 4, 8, 16 minutes), then shown failed on /admin/background.
    "MAIL_RETRIES": 5,
    "MAIL_RETRY_DELAY_S": 60,
    # The worker's schedules, as cron lines (minute hour day month weekday, UTC), or "off".
    "SCHEDULE_DIGEST": "0 * * * *",
    "SCHEDULE_RECHECKS": "30 6 * * *",
    "SCHEDULE_PURGE": "0 3 * * *",
    "SCHEDULE_FOLLOWUP_ERASURE": "15 3 * * *",
    # The day's gap figures of every ward into the history (a change writes only the wards it touched).
    "SCHEDULE_GAP_HISTORY": "50 23 * * *",
    # Days the background work page keeps finished tasks.
    "TASK_HISTORY_DAYS": 30,
}

# Settings that must be read as numbers from the environment.
_INTS = {
    "MAX_UPLOAD_MB",
    "MAX_IMPORT_MB",
    "MAX_UNPACKED_MB",
    "MAX_UNPACK_RATIO",
    "ACCESS_DISTANCE_M",
    "STALE_AFTER_MONTHS",
    "PAGE_SIZE",
    "MAIL_PORT",
    "FOLLOWUP_RETENTION_MONTHS",
    "PERSONAL_DATA_RETENTION_MONTHS",
    "TRUSTED_PROXIES",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "GROUP_CLAIM_LINK_HOURS",
    "GROUP_SIGNIN_LINK_MINUTES",
    "GROUP_SESSION_HOURS",
    "GROUP_PIN_MOVE_M",
    "VIEWPORT_ABOVE_WARDS",
    "VIEWPORT_ABOVE_PLACES",
    "MAIL_RETRIES",
    "MAIL_RETRY_DELAY_S",
    "TASK_HISTORY_DAYS",
    "WORKER_MAX_MEMORY_MB",
}
_FLOATS = {"WORKER_HEARTBEAT_S", "WORKER_LOST_AFTER_S"}
_BOOLS = {"SECURE_COOKIES", "KEEP_UPLOADS", "MAIL_USE_TLS", "HTTPS"}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Return the settings found in WEBMAP_* variables, converted to their types."""
    variables: Mapping[str, str] = os.environ if environ is None else environ
    found: dict[str, object] = {}
    for key in DEFAULTS:
        value = variables.get(f"WEBMAP_{key}")
        if value is None:
            continue
        if key in _BOOLS:
            found[key] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            found[key] = int(value) if key in _INTS else float(value) if key in _FLOATS else value
    return found
