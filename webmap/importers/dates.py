"""Read the dates registers and files state ("source date"), kept at the precision they are given."""

from __future__ import annotations

import re
from datetime import date, datetime

from webmap.importers.common import ImportFailed, Problem
from webmap.importers.problems import _

FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%Y%m%d",
    "%d-%m-%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)
_YEAR, _MONTH = re.compile(r"^(19|20)\d{2}$"), re.compile(r"^((19|20)\d{2})-(0[1-9]|1[0-2])$")


def parse_date(value: str) -> str:
    """Return the date as ISO text ("2018", "2018-07" or "2018-07-17"), or raise ValueError naming it.

    Day-first where a format could be read both ways: 01/02/2025 is 1 February, as in the UK.
    """
    cleaned = str(value).strip()
    if _YEAR.match(cleaned) or _MONTH.match(cleaned):
        return cleaned
    for fmt in FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(_("'%(value)s' is not a date (write it as 2025-05-24, 24/05/2025, 2025-05 or 2025)", value=value))


def parse_date_option(value: str | date, file: str) -> str:
    """Return the --source-date given for a whole file, or fail naming it; a date in the future is refused."""
    try:
        found = value.isoformat() if isinstance(value, date) else parse_date(str(value))
    except ValueError as exc:
        raise ImportFailed(Problem(file, None, "--source-date", str(exc))) from None
    if found > date.today().isoformat():
        raise ImportFailed(Problem(file, None, "--source-date", _("%(date)s is in the future", date=found)))
    return found
