"""How a benchmark says it measured nothing, so `make bench` prints "skipped" and why, never "ok"."""

from __future__ import annotations

import os
from pathlib import Path

SKIPPED = 77  # the exit status test harnesses (automake, meson) read as "skipped"
REASON_FILE = "WEBMAP_BENCH_SKIP_FILE"  # run_all.py names a file here to hear the reason


def skip(name: str, reason: str) -> int:
    """Print why the benchmark measured nothing; return the exit status that tells run_all.py it was skipped."""
    print(f"{name}: skipped: {reason}", flush=True)
    if os.environ.get(REASON_FILE):
        Path(os.environ[REASON_FILE]).write_text(reason, encoding="utf-8")
    return SKIPPED
