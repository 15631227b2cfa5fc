"""Record where imported data came from (name, publisher, licence, date, attribution) for "About the data"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
# What each import command brings in, for a readable default name ("Ward boundaries (wards.geojson)").
WHAT = {
    "import-wards": "Ward boundaries",
    "import-assets": "Places",
    "import-population": "Population",
    "import-postcodes": "Postcodes",
}


# The same words for readers, in their language: a default name is stored in English (above) and
# shown through dataset_name().
_WHAT_SHOWN = {
    "Ward boundaries": _l("Ward boundaries"),
    "Places": _l("Places"),
    "Population": _l("Population"),
    "Postcodes": _l("Postcodes"),
    "Data": _l("Data"),
}
_DEFAULT_NAME = re.compile(r"^(Ward boundaries|Places|Population|Postcodes|Data) \((.+)\)$")


def dataset_name(name: str | None) -> str:
    """Return a dataset's name for readers: a default name ("Ward boundaries (wards.gpkg)") in their language."""
    found = _DEFAULT_NAME.match(name or "")
    if not found:
        return name or ""
    return _("%(what)s (%(file)s)", what=str(_WHAT_SHOWN[found.group(1)]), file=found.group(2))


@dataclass(frozen=True)
class SourceInfo:
    """How a dataset should be credited; None fields were not given."""

    name: str | None = None
    publisher: str | None = None
    licence: str | None = None
    source_date: str | None = None

    def name_for(self, command: str, file: str) -> str:
        """Return the given name, or what the command imports and the file it came from."""
        return self.name or f"{WHAT.get(command, 'Data')} ({Path(file).name})"


def check_date(value: str | None) -> str | None:
    """Return the date as given when it is YYYY, YYYY-MM or YYYY-MM-DD; raise click.BadParameter otherwise."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _DATE.match(value):
        raise click.BadParameter(
            f"'{value}' is not a date: give YYYY, YYYY-MM or YYYY-MM-DD, like 2023-05.", param_hint="--source-date"
        )
    return value


def source_options(command: Callable | None = None, *, shares_source_date: bool = False) -> Callable:
    """Add --source-name, --publisher, --licence and --source-date, passed on as one `credit` argument.

    With `shares_source_date`, the command has its own --source-date (import-assets stamps it on every
    record) and the credit reads the same value instead of declaring the option twice.
    """

    def decorate(command: Callable) -> Callable:
        @wraps(command)
        def wrapped(*args, source_name=None, publisher=None, licence=None, **kwargs):
            if shares_source_date:
                # The command checks its own --source-date and refuses a bad one with the file named.
                info = SourceInfo(source_name, publisher, licence, kwargs.get("source_date"))
            else:
                info = SourceInfo(source_name, publisher, licence, check_date(kwargs.pop("source_date", None)))
            return command(*args, credit=info, **kwargs)

        options = [
            click.option(
                "--source-name",
                help="Name of the dataset for the About the data page (default: what it is and the file name).",
            ),
            click.option("--publisher", help="Who published the data, e.g. 'Office for National Statistics'."),
            click.option("--licence", help="Its licence, e.g. 'Open Government Licence v3.0'."),
        ]
        if not shares_source_date:
            options.append(
                click.option("--source-date", help="The data's date as published: YYYY, YYYY-MM or YYYY-MM-DD.")
            )
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return decorate(command) if command is not None else decorate
