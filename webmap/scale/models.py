"""Tables derived from wards, places and needs: rebuilt when the data they come from changes."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webmap.core.db import Model


class DataVersion(Model):
    """A counter per kind of source data ("wards", "data"), raised in the transaction that changes it."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class DerivedBuild(Model):
    """Which data version a derived table was last built from."""

    __tablename__ = "derived_builds"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class WardOutline(Model):
    """A ward's outline simplified for one zoom level, as GeoJSON text, with its bounding box."""

    __tablename__ = "ward_outlines"
    __table_args__ = (Index("ix_ward_outlines_level_box", "level", "minx", "maxx", "miny", "maxy"),)

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)
    geojson: Mapped[str] = mapped_column(Text)


class PlaceCell(Model):
    """How many approved places fall in one grid cell at one zoom level (category "" = any)."""

    __tablename__ = "place_cells"
    __table_args__ = (Index("ix_place_cells_level_cat_pos", "level", "category", "lon", "lat"),)

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
