"""Settings and their defaults; every one can be set as a WEBMAP_* environment variable."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    # None means "a SQLite file under the instance folder", filled in by create_app().
    "DATABASE_URL": None,
    "SECRET_KEY": "dev-only-change-me",
    "TILES_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "TILES_ATTRIBUTION": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    "MAX_UPLOAD_MB": 50,
    # Largest file an importer will read; a bigger one is refused before anything is read.
    "MAX_IMPORT_MB": 2000,
    "AREA_NAME": "Community Asset Map",
    "ACCESS_DISTANCE_M": 800,
    "STALE_AFTER_MONTHS": 12,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SUBMISSION_RATE_LIMIT": "20 per hour",
    # Sign-in attempts per IP address, on top of locking an account after 5 failures.
    "LOGIN_RATE_LIMIT": "30 per 10 minutes",
    "PAGE_SIZE": 50,
    "DATA_DIR": str(REPO_ROOT / "data"),
    # Send the session cookie over HTTPS only: set WEBMAP_SECURE_COOKIES=1 wherever the site runs on HTTPS.
    "SECURE_COOKIES": False,
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
    # Above this many wards or approved places, maps load outlines and places by view (webmap/scale/)
    # and the tables beside them page, instead of carrying everything in the page.
    "VIEWPORT_ABOVE_WARDS": 400,
    "VIEWPORT_ABOVE_PLACES": 20000,
}

# Settings that must be read as numbers from the environment.
_INTS = {"MAX_UPLOAD_MB", "MAX_IMPORT_MB", "ACCESS_DISTANCE_M", "STALE_AFTER_MONTHS", "PAGE_SIZE", "MAIL_PORT",
         "VIEWPORT_ABOVE_WARDS", "VIEWPORT_ABOVE_PLACES"}
_BOOLS = {"SECURE_COOKIES", "MAIL_USE_TLS"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Return the settings found in WEBMAP_* variables, converted to their types."""
    environ = os.environ if environ is None else environ
    found: dict[str, object] = {}
    for key in DEFAULTS:
        value = environ.get(f"WEBMAP_{key}")
        if value is None:
            continue
        if key in _BOOLS:
            found[key] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            found[key] = int(value) if key in _INTS else value
    return found
