"""Bring a big area's derived tables up to date in a process of their own, never inside a page request.

On a big area (webmap.scale.size.by_view) rebuilding the place counts or a gap table means reading
every place: tens of seconds and over a gigabyte. So when a page finds one built from older data it
shows that one, says so, and asks for a refresh here. The refresh is `flask gaps rebuild --stale`
in a new process; a lock file in the instance folder lets only one run at a time, whichever worker
asked. A small area rebuilds inline, as before: it takes a moment and the page is then exact.

Setting ``REFRESH``: ``auto`` (background on a big area, inline otherwise), ``inline`` or ``background``.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterable

from flask import current_app

from webmap.scale import size

LOCK_FILE = "derived-refresh.lock"
ASKED_FILE = "derived-refresh.asked"
# A request within this many seconds of the last one does not start another process: the map's
# tiles arrive together, and a starting process takes a moment to take the lock.
QUIET_S = 20.0


def in_background() -> bool:
    """Say whether stale derived tables are refreshed in the background rather than in the request."""
    mode = str(current_app.config.get("REFRESH", "auto")).lower()
    if mode in ("inline", "background"):
        return mode == "background"
    return size.by_view()


def folder() -> Path:
    path = Path(current_app.instance_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def running() -> bool:
    """Say whether a refresh process holds the lock now."""
    with open(folder() / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def hold_lock():
    """Take the refresh lock for this process (the rebuild command); return the open file, or None if taken."""
    handle = open(folder() / LOCK_FILE, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def request(keys: Iterable[str] = ()) -> bool:
    """Start a background refresh (also computing these gap table keys) unless one runs or was just asked for."""
    asked = folder() / ASKED_FILE
    try:
        if time.time() - asked.stat().st_mtime < QUIET_S:
            return False
    except FileNotFoundError:
        pass
    if running():
        return False
    asked.touch()
    _spawn(list(keys))
    return True


def _spawn(keys: list[str]) -> None:
    """Run `flask gaps rebuild --stale` with this app's database and instance folder; reap it when it ends."""
    config = current_app.config
    env = {**os.environ, "WEBMAP_DATABASE_URL": config["DATABASE_URL"], "WEBMAP_DATA_DIR": str(config["DATA_DIR"]),
           "WEBMAP_ACCESS_DISTANCE_M": str(config["ACCESS_DISTANCE_M"]), "WEBMAP_INSTANCE_PATH": current_app.instance_path}
    command = [sys.executable, "-m", "flask", "--app", "webmap", "gaps", "rebuild", "--stale"]
    for key in keys:
        command += ["--key", key]
    with open(folder() / "derived-refresh.log", "ab") as log:
        process = subprocess.Popen(command, env=env, cwd=str(Path(current_app.root_path).parent), stdout=log,
                                   stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    # Only waits, so the finished process does not linger as a zombie.
    threading.Thread(target=process.wait, daemon=True).start()
