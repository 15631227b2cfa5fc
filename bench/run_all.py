"""Run every benchmark script in this folder in turn and print their figures (`make bench`)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.skipping import REASON_FILE, SKIPPED  # noqa: E402

# Order: cheapest first, so a slow one at the end does not hide the others' figures.
SCRIPTS = [
    "bench_pages.py",
    "bench_gaps_kit.py",
    "bench_partners.py",
    "bench_analysis.py",
    "bench_nearby.py",
    "bench_serving.py",
    "bench_partners_map.py",
    "bench_national.py",
]


def main() -> int:
    """Run each benchmark that exists; return non-zero if any of them failed. Skipped ones are named, with why."""
    failed, skipped = [], []
    for name in SCRIPTS:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            reason_file = Path(tmp) / "reason"
            code = subprocess.call(
                [sys.executable, str(script)], cwd=HERE.parent, env={**os.environ, REASON_FILE: str(reason_file)}
            )
            reason = reason_file.read_text(encoding="utf-8") if reason_file.exists() else "no reason given"
        if code == SKIPPED:
            outcome = f"skipped ({reason})"
            skipped.append(f"{name}: {reason}")
        else:
            outcome = "ok" if code == 0 else f"failed ({code})"
            if code:
                failed.append(name)
        print(f"=== {name}: {outcome} in {time.perf_counter() - start:.1f} s ===", flush=True)
    if skipped:
        print(f"\n{len(skipped)} benchmark(s) measured nothing:\n  " + "\n  ".join(skipped), flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
