"""Keep the Welsh catalogues in step with the code (docs/welsh.md).

python scripts/translations.py update   # add new messages to each webmap/translations/cy/LC_MESSAGES/*.po
python scripts/translations.py check    # list messages with no Welsh, or with mismatched placeholders
python scripts/translations.py compile  # write the .mo files the site reads (the site also does this on start)
"""

from __future__ import annotations

import sys
from pathlib import Path

# This checkout's code, whichever checkout the virtualenv was installed from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webmap.web import catalogues  # noqa: E402


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    only = argv[2:] or catalogues.domains()
    if command == "update":
        for domain in only:
            catalog = catalogues.update(domain)
            empty = sum(1 for m in catalog if m.id and not catalogues.translated(m))
            print(f"{domain}: {len(catalog)} messages, {empty} without Welsh")
        return 0
    if command == "check":
        problems = [p for domain in only for p in catalogues.check(domain)] + catalogues.conflicts()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    if command == "compile":
        for written in catalogues.compile_stale():
            print(f"wrote {written}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
