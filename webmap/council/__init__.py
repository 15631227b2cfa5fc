"""What the site knows about the council running it: the area's name and where its data came from.

Nothing here is written for one study area: the name comes from the AREA_NAME setting or the
wards' council names, and the data credits from the sources each import recorded.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_babel import gettext as _
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Ward

DEFAULT_NAME = "Community Asset Map"


def join_names(names: list[str]) -> str:
    """Return "A", "A and B" or "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1])


def area_name() -> str:
    """Return the area's name: the AREA_NAME setting, else the wards' councils, else a generic name."""
    if "area_name" not in g:
        setting = (current_app.config.get("AREA_NAME") or "").strip()
        if setting:
            g.area_name = setting
        else:
            councils = db.session.scalars(select(Ward.lad_name).where(Ward.lad_name.is_not(None)).distinct()).all()
            g.area_name = join_names(sorted(c for c in councils if c.strip())) or DEFAULT_NAME
    return g.area_name


def site_name() -> str:
    """Return the site's name for the header: "<area> community map", or the generic name."""
    name = area_name()
    if name == DEFAULT_NAME:
        return _("Community Asset Map")
    return name if current_app.config.get("AREA_NAME") else _("%(name)s community map", name=name)


def init_app(app: Flask) -> None:
    """Let templates show the area's name."""
    app.jinja_env.globals["area_name"] = area_name
    app.jinja_env.globals["site_name"] = site_name
    from webmap.council.sources import dataset_name

    app.jinja_env.globals["dataset_name"] = dataset_name
