"""Run every benchmark script in this folder in turn and print their figures (`make bench`)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Order: cheapest first, so a slow one at the end does not hide the others' figures.
SCRIPTS = ["bench_pages.py", "bench_gaps_kit.py", "bench_partners.py", "bench_analysis.py", "bench_nearby.py",
           "bench_serving.py", "bench_national.py"]


def main() -> int:
    """Run each benchmark that exists; return non-zero if any of them failed."""
    failed = []
    for name in SCRIPTS:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {name}: {'ok' if code == 0 else f'failed ({code})'} in {time.perf_counter() - start:.1f} s ===", flush=True)
        if code:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
