"""What the worker reads of its own memory, and when a task asks it to start again (webmap/core/queue.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from webmap.core import memory, queue


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(key)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="no /proc here")
def test_resident_memory_is_what_the_system_says():
    held = memory.resident_mb()
    assert held is not None and abs(held - _status_mb("VmRSS")) < 16
    grown = bytearray(64 * 2**20)  # touched: every page resident
    assert memory.resident_mb() - held > 48
    del grown


@pytest.fixture
def asked(monkeypatch):
    """Stand in for a `flask worker` process that can start again: collect what tasks ask."""
    said: list[str] = []
    monkeypatch.setattr(queue, "_restart", said.append)
    return said


@pytest.mark.parametrize(
    ("limit", "restart_after", "expected"),
    [
        (0, False, None),  # no limit, a task that does not ask
        (100_000, False, None),  # well under the limit
        (1, False, "over WORKER_MAX_MEMORY_MB = 1"),
        (0, True, "which asks for a new process after it"),
        (100_000, True, "which asks for a new process after it"),
    ],
)
def test_a_task_asks_for_a_new_process_when_it_asks_or_leaves_the_worker_over_its_limit(
    app, asked, limit, restart_after, expected
):
    app.config["WORKER_MAX_MEMORY_MB"] = limit
    with app.app_context():
        queue._after_task("some.task", restart_after)
    if expected is None:
        assert asked == []
    else:
        assert len(asked) == 1 and expected in asked[0] and "some.task" in asked[0]


def test_an_embedded_worker_or_the_web_never_starts_again(app):
    app.config["WORKER_MAX_MEMORY_MB"] = 1
    assert queue._restart is None  # only `flask worker` sets it (start_worker, not embedded)
    with app.app_context():
        queue._after_task("some.task", True)  # nothing to call: no error, no restart
    assert queue.restart_reason() is None


FREED_AFTER_BIG_BLOCKS = """
import sys
from webmap.core import memory
if sys.argv[1] == "fixed" and not memory.map_large_allocations():
    sys.exit(3)
blocks = [bytearray(2**20 * 8)]  # freeing a big block raises glibc's own threshold (up to 32 MB)
del blocks
held = memory.resident_mb()
kept = []
blocks = []
for _ in range(64):
    blocks.append(bytearray(2**20))
    kept.append(bytearray(2000))  # a small object that outlives it, as a cache entry would
del blocks  # the freed blocks lie under the kept objects: the heap cannot shrink past them
print(memory.resident_mb() - held)
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="no /proc here")
def test_large_allocations_are_mapped_on_their_own_so_they_go_back_when_freed():
    def kept_mb(mode: str) -> float:
        done = subprocess.run([sys.executable, "-c", FREED_AFTER_BIG_BLOCKS, mode], capture_output=True, text=True)
        if done.returncode == 3:
            pytest.skip("not glibc: no mallopt")
        assert done.returncode == 0, done.stderr
        return float(done.stdout)

    # A new process each: the setting lasts for the process, and this one runs other tests.
    assert kept_mb("fixed") < 16
    assert kept_mb("glibc's own") > 32  # what the setting is for: without it, the freed blocks stay resident
