"""Record where imported data came from (name, publisher, licence, date, attribution) for "About the data"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

import click

_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
# What each import command brings in, for a readable default name ("Ward boundaries (wards.geojson)").
WHAT = {
    "import-wards": "Ward boundaries",
    "import-assets": "Places",
    "import-population": "Population",
    "import-postcodes": "Postcodes",
}


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
